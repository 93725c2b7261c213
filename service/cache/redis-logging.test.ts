import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../test/helpers/fake-clock.ts';
import type { Logger } from '../logger.ts';
import { CircuitBreaker } from './circuit-breaker.ts';
import { logBreakerOutages, ThrottledErrorLog } from './redis-logging.ts';

function capture() {
  const lines: { level: string; msg: string; fields: Record<string, unknown> }[] = [];
  const at =
    (level: string) =>
    (msg: string, fields: Record<string, unknown> = {}) =>
      lines.push({ level, msg, fields });
  const logger: Logger = {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
  };
  return { lines, logger };
}

describe('breaker logging (fake clock)', () => {
  it('a 5-minute outage is 1 open line, 1 reminder a minute and 1 closed line with a summary', () => {
    const clock = new FakeClock();
    const breaker = new CircuitBreaker({ failureThreshold: 5, cooldownMs: 1000, clock });
    const { lines, logger } = capture();
    logBreakerOutages({ breaker, onBreakerStateChange: (l) => breaker.onStateChange(l) }, logger, {
      now: () => clock.now(),
    });
    for (let i = 0; i < 5; i++) breaker.failure('auth');
    // Every cool-down: half-open, the probe fails (auth), open again; traffic is refused.
    for (let s = 0; s < 300; s++) {
      expect(breaker.tryAcquire()).toBe(false);
      clock.advance(1000);
      expect(breaker.tryAcquire()).toBe(true);
      breaker.failure('auth');
    }
    clock.advance(1000);
    expect(breaker.tryAcquire()).toBe(true);
    breaker.success();
    expect(lines.map((l) => l.msg)).toEqual([
      'redis circuit open: cache bypassed, requests use the source',
      'redis circuit still open',
      'redis circuit still open',
      'redis circuit still open',
      'redis circuit still open',
      'redis circuit still open', // at 60, 120, 180, 240 and 300 s
      'redis circuit closed: cache back',
    ]);
    expect(lines[0]?.fields).toEqual({ lastErrorType: 'auth' });
    expect(lines[1]?.fields).toMatchObject({ openForMs: 60_000, failedProbes: 60, refusedOps: 60 });
    expect(lines.at(-1)?.fields).toEqual({
      openForMs: 301_000,
      failedProbes: 300,
      refusedOps: 300,
      lastErrorType: 'auth',
    });
  });

  it('throttles error lines per type and reports how many were suppressed', () => {
    const clock = new FakeClock();
    const { lines, logger } = capture();
    const log = new ThrottledErrorLog(logger, { reminderMs: 10_000, now: () => clock.now() });
    for (let i = 0; i < 100; i++) {
      log.report('oom', 'OOM command not allowed');
      log.report(i % 2 ? 'auth' : 'timeout', 'x');
      clock.advance(250); // 25 s in all
    }
    const oom = lines.filter((l) => l.fields.errorType === 'oom');
    expect(oom.map((l) => l.fields.suppressed)).toEqual([0, 39, 39]);
    expect(lines.filter((l) => l.fields.errorType === 'auth')).toHaveLength(3);
    expect(lines).toHaveLength(9);
  });
});
