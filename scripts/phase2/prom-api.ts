/**
 * A minimal client of the Prometheus HTTP API (`/api/v1/query`, `/api/v1/query_range`)
 * whose errors say what went wrong in words an operator can act on.
 */

/** Why a Prometheus call failed: not reachable, an HTTP error, or a rejected query. */
export class PromApiError extends Error {
  constructor(
    message: string,
    readonly code: 'unreachable' | 'http' | 'bad_query',
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'PromApiError';
  }
}

/** One series of an instant vector. */
export interface VectorSample {
  readonly metric: Readonly<Record<string, string>>;
  readonly value: number;
}

/** One series of a range query: `[unix seconds, value]` pairs. */
export interface MatrixSeries {
  readonly metric: Readonly<Record<string, string>>;
  readonly values: ReadonlyArray<readonly [number, number]>;
}

/** What the report needs from Prometheus (an interface, so tests could inject another). */
export interface PromApi {
  readonly url: string;
  /** Instant query at `time` (unix seconds). */
  query(expr: string, time: number): Promise<VectorSample[]>;
  /** Range query over `[start, end]` every `stepS` seconds. */
  queryRange(expr: string, start: number, end: number, stepS: number): Promise<MatrixSeries[]>;
}

interface ApiBody {
  status?: string;
  errorType?: string;
  error?: string;
  data?: { resultType?: string; result?: unknown };
}

/** A `PromApi` over HTTP at `baseUrl` (e.g. `http://prometheus:9090`). */
export function httpPromApi(baseUrl: string, timeoutMs = 30_000): PromApi {
  const url = baseUrl.replace(/\/+$/, '');
  async function call(path: string, params: Record<string, string>): Promise<unknown> {
    const target = `${url}${path}?${new URLSearchParams(params)}`;
    let res: Response;
    try {
      res = await fetch(target, { signal: AbortSignal.timeout(timeoutMs) });
    } catch (err) {
      const cause =
        err instanceof Error && err.cause instanceof Error ? err.cause.message : String(err);
      throw new PromApiError(
        `cannot reach Prometheus at ${url} (${cause}): is it running, and is PROM_URL right?`,
        'unreachable',
        { cause: err },
      );
    }
    const text = await res.text();
    let body: ApiBody;
    try {
      body = JSON.parse(text) as ApiBody;
    } catch {
      throw new PromApiError(
        `${url}${path} answered HTTP ${res.status} with something that is not the Prometheus API: ${text.slice(0, 200)}`,
        'http',
      );
    }
    if (body.status !== 'success') {
      const code = res.status === 400 || body.errorType === 'bad_data' ? 'bad_query' : 'http';
      throw new PromApiError(
        `Prometheus ${url} rejected ${params.query ?? path}: HTTP ${res.status} ${body.errorType ?? ''} ${body.error ?? ''}`.trim(),
        code,
      );
    }
    return body.data?.result ?? [];
  }
  return {
    url,
    async query(expr, time) {
      const result = (await call('/api/v1/query', { query: expr, time: String(time) })) as Array<{
        metric: Record<string, string>;
        value: [number, string];
      }>;
      return result.map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
    },
    async queryRange(expr, start, end, stepS) {
      const result = (await call('/api/v1/query_range', {
        query: expr,
        start: String(start),
        end: String(end),
        step: String(stepS),
      })) as Array<{ metric: Record<string, string>; values: Array<[number, string]> }>;
      return result.map((r) => ({
        metric: r.metric,
        values: r.values.map(([t, v]) => [t, Number(v)] as const),
      }));
    },
  };
}

/** Seconds of a Prometheus-style duration (`90s`, `30m`, `12h`, `7d`, `2w`). */
export function parseDuration(text: string): number {
  const m = /^(\d+)(s|m|h|d|w)$/.exec(text.trim());
  if (!m)
    throw new Error(`invalid duration "${text}": use a number and one of s, m, h, d, w (e.g. 7d)`);
  const unit = { s: 1, m: 60, h: 3_600, d: 86_400, w: 604_800 }[
    m[2] as 's' | 'm' | 'h' | 'd' | 'w'
  ];
  return Number(m[1]) * unit;
}
