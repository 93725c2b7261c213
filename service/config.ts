import { z } from 'zod';
import { PATTERN_SHAPE } from './cache/key-pattern.ts';
import { MIN_MAX_BYTES } from './estimator/shards.ts';
import { redactValue, redisTopologyProblems, redisTopologySchema } from './redis-config.ts';

const bool = (name: string) =>
  z
    .string()
    .trim()
    .toLowerCase()
    .refine((v) => ['true', 'false', '1', '0'].includes(v), `${name} must be true or false`)
    .transform((v) => v === 'true' || v === '1');

const int = (name: string, min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, `${name} must be an integer from ${min} to ${max}`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `${name} must be an integer from ${min} to ${max}`);

/** A comma-separated list, items trimmed, empty items dropped. */
const commaList = () =>
  z.string().transform((v) =>
    v
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean),
  );

const patternList = (name: string) =>
  commaList().refine(
    (ps) => ps.every((p) => PATTERN_SHAPE.test(p)),
    `${name} must be a comma-separated list of key patterns like sheet,user`,
  );

const intList = (name: string) =>
  commaList()
    .refine(
      (ps) => ps.length > 0 && ps.every((p) => /^\d+$/.test(p) && Number(p) > 0),
      `${name} must be a comma-separated list of positive integers`,
    )
    .transform((ps) => ps.map(Number));

/** Every environment variable the service reads, with its default (see .env.example). */
const schema = z.object({
  PORT: int('PORT', 0, 65_535).default('8900'),
  NODE_ENV: z
    .enum(['development', 'test', 'production'], {
      message: 'NODE_ENV must be one of development, test, production',
    })
    .default('development'),
  LOG_LEVEL: z
    .enum(['debug', 'info', 'warn', 'error'], {
      message: 'LOG_LEVEL must be one of debug, info, warn, error',
    })
    .default('info'),
  FEATURE_CACHE: bool('FEATURE_CACHE').default('false'),
  CACHE_IMPL: z
    .enum(['null', 'memory', 'redis'], { message: 'CACHE_IMPL must be one of null, memory, redis' })
    .default('null'),
  CACHE_TTL_SECONDS: int('CACHE_TTL_SECONDS', 1, 86_400 * 7).default('300'),
  CACHE_KEY_PATTERN_LIMIT: int('CACHE_KEY_PATTERN_LIMIT', 1, 1_000).default('50'),
  CACHE_PATTERNS: patternList('CACHE_PATTERNS').optional(),
  CACHE_AB_CONTROL_PERCENT: int('CACHE_AB_CONTROL_PERCENT', 0, 100).default('0'),
  MEMORY_CACHE_MAX_ENTRIES: int('MEMORY_CACHE_MAX_ENTRIES', 1, 10_000_000).default('10000'),
  MEMORY_CACHE_MAX_BYTES: int('MEMORY_CACHE_MAX_BYTES', 1_024, 2 ** 40).default(
    String(64 * 1024 * 1024),
  ),
  REDIS_URL: z
    .string()
    .trim()
    .refine((v) => /^rediss?:\/\/[^\s/]+/.test(v), 'REDIS_URL must be a redis:// or rediss:// URL')
    .default('redis://127.0.0.1:6379'),
  ...redisTopologySchema,
  REDIS_KEY_PREFIX: z
    .string()
    .regex(/^[\w:.-]{0,64}$/, 'REDIS_KEY_PREFIX must be at most 64 characters of [A-Za-z0-9_:.-]')
    .optional(),
  REDIS_TIMEOUT_MS: int('REDIS_TIMEOUT_MS', 1, 10_000).default('50'),
  REDIS_MAX_VALUE_BYTES: int('REDIS_MAX_VALUE_BYTES', 64, 512 * 1024 * 1024).default(
    String(512 * 1024),
  ),
  CACHE_L1: bool('CACHE_L1').default('false'),
  ESTIMATOR_ENABLED: bool('ESTIMATOR_ENABLED').default('true'),
  ESTIMATOR_MAX_BYTES_PER_PATTERN: int(
    'ESTIMATOR_MAX_BYTES_PER_PATTERN',
    MIN_MAX_BYTES,
    64 * 1024 * 1024,
  ).default(String(1024 * 1024)),
  ESTIMATOR_REPLICAS: int('ESTIMATOR_REPLICAS', 1, 1_000).default('1'),
  ESTIMATOR_SIZES_ENTRIES: intList('ESTIMATOR_SIZES_ENTRIES').optional(),
  ESTIMATOR_SIZES_BYTES: intList('ESTIMATOR_SIZES_BYTES').optional(),
  SOURCE_LATENCY_SCALE: z
    .string()
    .trim()
    .regex(/^\d+(\.\d+)?$/, 'SOURCE_LATENCY_SCALE must be a decimal number from 0 to 10')
    .transform(Number)
    .refine((n) => n <= 10, 'SOURCE_LATENCY_SCALE must be a decimal number from 0 to 10')
    .default('1'),
  SHUTDOWN_TIMEOUT_MS: int('SHUTDOWN_TIMEOUT_MS', 0, 600_000).default('10000'),
});

/** The validated configuration. */
export type Config = z.infer<typeof schema> & { readonly REDIS_KEY_PREFIX: string };

/** Raised by `loadConfig`; `message` names every bad variable and what it allows. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

/** The variable names `loadConfig` reads, for docs and for the `.env.example` test. */
export const CONFIG_VARIABLES = Object.keys(schema.shape) as (keyof typeof schema.shape)[];

/**
 * Reads, validates and defaults the configuration. The only reader of `process.env`.
 * Empty strings count as unset. Throws `ConfigError` naming every invalid variable.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const input: Record<string, string> = {};
  for (const k of CONFIG_VARIABLES) {
    const v = env[k];
    if (v !== undefined && v !== '') input[k] = v;
  }
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map(
        (i) => `${i.message} (got ${redactValue(String(i.path[0]), input[String(i.path[0])])})`,
      ),
    );
  }
  const c = parsed.data;
  const problems = redisTopologyProblems(c, input.REDIS_URL !== undefined);
  if (problems.length > 0) throw new ConfigError(problems);
  return { ...c, REDIS_KEY_PREFIX: c.REDIS_KEY_PREFIX ?? `metasheet:${c.NODE_ENV}:` };
}
