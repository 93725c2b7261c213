/**
 * Fault injection for the embedded source, so tests, demos and `make load` can show what
 * users see when the database hiccups. Everything is off by default.
 */
export interface SourceFaults {
  /** Probability (0..1) that a call fails with an `error` after its latency. @default 0 */
  readonly errorRate: number;
  /** Added to every call's latency, ms. @default 0 */
  readonly extraLatencyMs: number;
  /**
   * Outage window in wall-clock ms (Date.now): a call started inside it gets no answer and
   * fails with `timeout` after the source's timeout (a database that stopped answering).
   * @default none
   */
  readonly outage?: { readonly fromMs: number; readonly untilMs: number };
}

export const NO_FAULTS: SourceFaults = Object.freeze({ errorRate: 0, extraLatencyMs: 0 });

/** Why a source call failed: `timeout` (no answer within the timeout) or `error` (it answered with one). */
export type SourceErrorKind = 'timeout' | 'error';

/** A failed source call. The example API answers it with 503 and this message. */
export class SourceError extends Error {
  override readonly name = 'SourceError';
  constructor(
    readonly kind: SourceErrorKind,
    message: string,
  ) {
    super(message);
  }
}

/** Whether `nowMs` falls inside the outage window of `f`. */
export function inOutage(f: SourceFaults, nowMs: number): boolean {
  return f.outage !== undefined && nowMs >= f.outage.fromMs && nowMs < f.outage.untilMs;
}
