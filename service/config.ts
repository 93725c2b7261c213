import { z } from 'zod';
import { PATTERN_SHAPE } from './cache/key-pattern.ts';
import { MIN_MAX_BYTES } from './estimator/shards.ts';

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

// Empty entries (' ', ',', 'sheet,,user') are typos that would silently cache nothing.
const patternList = (name: string) =>
  z
    .string()
    .refine(
      (v) => v.split(',').every((p) => p.trim() !== ''),
      `${name} has an empty entry; list key patterns like sheet,user (unset it for all patterns)`,
    )
    .pipe(
      commaList().refine(
        (ps) => ps.every((p) => PATTERN_SHAPE.test(p)),
        `${name} must be a comma-separated list of key patterns like sheet,user`,
      ),
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
  // 0 would force-close every connection at once, i.e. no drain at all: not accepted.
  SHUTDOWN_TIMEOUT_MS: int('SHUTDOWN_TIMEOUT_MS', 1, 600_000).default('10000'),
  CACHE_CONFIG_FILE: z.string().trim().min(1).optional(),
  CACHE_CONFIG_POLL_MS: int('CACHE_CONFIG_POLL_MS', 100, 60_000).default('1000'),
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
 * Settings that `CACHE_CONFIG_FILE` reloads apply at run time (SIGHUP or a file change).
 * Every other variable is read once at start and needs a restart.
 */
export const RUNTIME_VARIABLES = [
  'FEATURE_CACHE',
  'CACHE_IMPL',
  'CACHE_PATTERNS',
  'CACHE_AB_CONTROL_PERCENT',
  'CACHE_TTL_SECONDS',
  'REDIS_TIMEOUT_MS',
] as const satisfies readonly (keyof typeof schema.shape)[];
export type RuntimeVariable = (typeof RUNTIME_VARIABLES)[number];

/**
 * Parses a `CACHE_CONFIG_FILE` text: `KEY=VALUE` lines (`#` comments and blank lines
 * ignored, no quoting). Throws `ConfigError` naming each unknown variable or bad line.
 */
export function parseConfigFile(text: string, file = 'CACHE_CONFIG_FILE'): Record<string, string> {
  const out: Record<string, string> = {};
  const problems: string[] = [];
  const known = new Set<string>(CONFIG_VARIABLES);
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const eq = line.indexOf('=');
    const key = eq > 0 ? line.slice(0, eq).trim() : '';
    if (!/^[A-Z][A-Z0-9_]*$/.test(key)) {
      problems.push(`${file} line ${i + 1} is not KEY=VALUE`);
    } else if (!known.has(key) || key === 'CACHE_CONFIG_FILE') {
      problems.push(`${key} (${file} line ${i + 1}) is not a variable the service reads`);
    } else {
      out[key] = line.slice(eq + 1).trim();
    }
  });
  if (problems.length > 0) throw new ConfigError(problems);
  return out;
}

/**
 * Reads, validates and defaults the configuration. The only reader of `process.env`.
 * `file` (the parsed `CACHE_CONFIG_FILE`) overrides the environment, through the same
 * validator. Empty strings count as unset. Throws `ConfigError` naming every invalid variable.
 */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  file: Readonly<Record<string, string>> = {},
): Config {
  const input: Record<string, string> = {};
  for (const k of CONFIG_VARIABLES) {
    const v = file[k] ?? env[k];
    if (v !== undefined && v !== '') input[k] = v;
  }
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map(
        (i) => `${i.message} (got ${JSON.stringify(input[String(i.path[0])])})`,
      ),
    );
  }
  const c = parsed.data;
  return { ...c, REDIS_KEY_PREFIX: c.REDIS_KEY_PREFIX ?? `metasheet:${c.NODE_ENV}:` };
}
