import { z } from 'zod';
import { PATTERN_SHAPE } from './cache/key-pattern.ts';
import { MIN_MAX_BYTES } from './estimator/shards.ts';
import { LOG_LEVELS } from './logger.ts';
import { checkRedisUrl, createRedactor, type Redactor, redactUrl, urlSecrets } from './redact.ts';
import { redisTopologyProblems, redisTopologySchema } from './redis-config.ts';

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

const decimal = (name: string, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+(\.\d+)?$/, `${name} must be a decimal number from 0 to ${max}`)
    .transform(Number)
    .refine((n) => n <= max, `${name} must be a decimal number from 0 to ${max}`);

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

/**
 * Most sizes per `ESTIMATOR_SIZES_*` list. Each size is one series per key pattern, so
 * the list bounds the scrape: 16 sizes × 51 patterns = 816 series per metric at most.
 */
export const MAX_ESTIMATOR_SIZES = 16;

const intList = (name: string, maxItems: number) =>
  commaList()
    .refine(
      (ps) => ps.length > 0 && ps.every((p) => /^\d{1,15}$/.test(p) && Number(p) > 0),
      `${name} must be a comma-separated list of positive integers`,
    )
    .refine(
      (ps) => ps.length <= maxItems,
      (ps) => ({
        message: `${name} must list at most ${maxItems} sizes (each is a series per key pattern), got ${ps.length}`,
      }),
    )
    .transform((ps) => ps.map(Number));

/** `CACHE_IMPL` values. */
export const CACHE_IMPLS = ['null', 'memory', 'redis'] as const;

/** Bounds of the integer settings the staging chart also validates (`k8s/config.ts`). */
export const INT_BOUNDS = {
  CACHE_KEY_PATTERN_LIMIT: { min: 1, max: 1_000 },
  CACHE_AB_CONTROL_PERCENT: { min: 0, max: 100 },
} as const;

// What the staging chart validates too: a sentinel's host:port, the Sentinel master name,
// the `LOG_LEVEL` values and the shape of a `CACHE_PATTERNS` entry.
export { HOST_PORT, SENTINEL_NAME_SHAPE } from './redis-config.ts';
export { LOG_LEVELS, PATTERN_SHAPE };

const bounded = (name: keyof typeof INT_BOUNDS) =>
  int(name, INT_BOUNDS[name].min, INT_BOUNDS[name].max);

/** Every environment variable the service reads, with its default (see .env.example). */
const schema = z.object({
  PORT: int('PORT', 0, 65_535).default('8900'),
  NODE_ENV: z
    .enum(['development', 'test', 'production'], {
      message: 'NODE_ENV must be one of development, test, production',
    })
    .default('development'),
  LOG_LEVEL: z
    .enum(LOG_LEVELS, { message: `LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}` })
    .default('info'),
  FEATURE_CACHE: bool('FEATURE_CACHE').default('false'),
  CACHE_IMPL: z
    .enum(CACHE_IMPLS, { message: `CACHE_IMPL must be one of ${CACHE_IMPLS.join(', ')}` })
    .default('null'),
  CACHE_TTL_SECONDS: int('CACHE_TTL_SECONDS', 1, 86_400 * 7).default('300'),
  CACHE_GRACE_SECONDS: int('CACHE_GRACE_SECONDS', 0, 86_400 * 7).default('0'),
  CACHE_SOFT_TIMEOUT_MS: int('CACHE_SOFT_TIMEOUT_MS', 0, 600_000).default('1500'),
  CACHE_EARLY_REFRESH_BETA: decimal('CACHE_EARLY_REFRESH_BETA', 100).default('0'),
  CACHE_LOCK: bool('CACHE_LOCK').default('false'),
  CACHE_LOCK_TTL_MS: int('CACHE_LOCK_TTL_MS', 10, 600_000).default('5000'),
  CACHE_LOCK_WAIT_MS: int('CACHE_LOCK_WAIT_MS', 0, 600_000).default('1000'),
  CACHE_KEY_PATTERN_LIMIT: bounded('CACHE_KEY_PATTERN_LIMIT').default('50'),
  CACHE_PATTERNS: patternList('CACHE_PATTERNS').optional(),
  CACHE_AB_CONTROL_PERCENT: bounded('CACHE_AB_CONTROL_PERCENT').default('0'),
  MEMORY_CACHE_MAX_ENTRIES: int('MEMORY_CACHE_MAX_ENTRIES', 1, 10_000_000).default('10000'),
  MEMORY_CACHE_MAX_BYTES: int('MEMORY_CACHE_MAX_BYTES', 1_024, 2 ** 40).default(
    String(64 * 1024 * 1024),
  ),
  REDIS_URL: z
    .string()
    .trim()
    .superRefine((v, ctx) => {
      const check = checkRedisUrl(v);
      if (!check.ok) {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          message: `REDIS_URL must be a redis:// or rediss:// URL like redis://:password@host:6379/0; this one ${check.reason}`,
        });
      }
    })
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
  ESTIMATOR_SIZES_ENTRIES: intList('ESTIMATOR_SIZES_ENTRIES', MAX_ESTIMATOR_SIZES).optional(),
  ESTIMATOR_SIZES_BYTES: intList('ESTIMATOR_SIZES_BYTES', MAX_ESTIMATOR_SIZES).optional(),
  SOURCE_LATENCY_SCALE: decimal('SOURCE_LATENCY_SCALE', 10).default('1'),
  SOURCE_TIMEOUT_MS: int('SOURCE_TIMEOUT_MS', 1, 600_000).default('5000'),
  SOURCE_ERROR_RATE: decimal('SOURCE_ERROR_RATE', 1).default('0'),
  SOURCE_EXTRA_LATENCY_MS: int('SOURCE_EXTRA_LATENCY_MS', 0, 600_000).default('0'),
  SOURCE_OUTAGE_START_SECONDS: int('SOURCE_OUTAGE_START_SECONDS', 0, 86_400 * 7).default('0'),
  SOURCE_OUTAGE_SECONDS: int('SOURCE_OUTAGE_SECONDS', 0, 86_400 * 7).default('0'),
  // 0 would force-close every connection at once, i.e. no drain at all: not accepted.
  SHUTDOWN_TIMEOUT_MS: int('SHUTDOWN_TIMEOUT_MS', 1, 600_000).default('10000'),
  CACHE_CONFIG_FILE: z.string().trim().min(1).optional(),
  CACHE_CONFIG_POLL_MS: int('CACHE_CONFIG_POLL_MS', 100, 60_000).default('1000'),
});

/**
 * Every setting's default, as the service applies it (the schema parsed with nothing set);
 * the staging chart takes its defaults for the same settings from here.
 */
export const CONFIG_DEFAULTS = schema.parse({});

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
    const redact = configRedactor(input);
    throw new ConfigError(
      parsed.error.issues.map((i) => {
        const name = String(i.path[0]);
        return redact(`${i.message} (got ${shown(name, input[name])})`);
      }),
    );
  }
  const c = parsed.data;
  const problems = redisTopologyProblems(c, input.REDIS_URL !== undefined);
  if (c.CACHE_LOCK && c.CACHE_IMPL !== 'redis') {
    problems.push(
      `CACHE_LOCK=true needs CACHE_IMPL=redis (the lock is a Redis key; got CACHE_IMPL "${c.CACHE_IMPL}")`,
    );
  }
  if (problems.length > 0) throw new ConfigError(problems.map(configRedactor(input)));
  return { ...c, REDIS_KEY_PREFIX: c.REDIS_KEY_PREFIX ?? `metasheet:${c.NODE_ENV}:` };
}

/** Variables whose value may hold credentials: shown only redacted. */
const SECRET_URL_VARIABLES: ReadonlySet<string> = new Set(['REDIS_URL']);
/** Comma-separated lists of URLs that may hold credentials (each shown redacted). */
const SECRET_URL_LIST_VARIABLES: ReadonlySet<string> = new Set(['REDIS_CLUSTER_NODES']);
/** Variables that are secrets themselves: never shown. */
const SECRET_VARIABLES: ReadonlySet<string> = new Set(['REDIS_PASSWORD']);

/** Longest value echoed in a config error. */
const MAX_SHOWN = 80;

/** How a bad value appears in a config error: credentials redacted, long values cut. */
function shown(name: string, value: string | undefined): string {
  if (value === undefined) return 'nothing';
  if (SECRET_VARIABLES.has(name)) return '"<redacted>"';
  if (SECRET_URL_VARIABLES.has(name)) return redactUrl(value);
  if (SECRET_URL_LIST_VARIABLES.has(name)) {
    return value
      .split(',')
      .map((u) => (u.trim() === '' ? '' : redactUrl(u.trim())))
      .join(',');
  }
  const quoted = JSON.stringify(value);
  return quoted.length <= MAX_SHOWN
    ? quoted
    : `${quoted.slice(0, MAX_SHOWN)}… (${value.length} characters)`;
}

/**
 * Scrubs the credentials of every URL-valued setting (valid or not) from a text; main.ts
 * runs every log line and start-up error through it.
 */
export function configRedactor(
  env: Readonly<Record<string, string | undefined>> = process.env,
): Redactor {
  return createRedactor([
    ...[...SECRET_URL_VARIABLES].flatMap((name) => urlSecrets(env[name]?.trim() ?? '')),
    ...[...SECRET_URL_LIST_VARIABLES].flatMap((name) =>
      (env[name] ?? '').split(',').flatMap((u) => urlSecrets(u.trim())),
    ),
    ...[...SECRET_VARIABLES].flatMap((name) => {
      const v = env[name];
      return v === undefined || v === '' ? [] : [v, v.trim()];
    }),
  ]);
}
