import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../test/helpers/fake-clock.ts';
import { type BreakerState, CircuitBreaker } from './circuit-breaker.ts';

function setup(failureThreshold = 3, cooldownMs = 1000) {
  const clock = new FakeClock();
  const breaker = new CircuitBreaker({ failureThreshold, cooldownMs, clock });
  const transitions: string[] = [];
  breaker.onStateChange((s: BreakerState, prev: BreakerState) => transitions.push(`${prev}->${s}`));
  return { clock, breaker, transitions };
}

describe('CircuitBreaker (fake clock)', () => {
  it('stays closed below the threshold and a success resets the count', () => {
    const { breaker } = setup(3);
    breaker.failure();
    breaker.failure();
    breaker.success();
    breaker.failure();
    breaker.failure();
    expect(breaker.state).toBe('closed');
    expect(breaker.consecutiveFailures).toBe(2);
    expect(breaker.tryAcquire()).toBe(true);
  });

  it('opens after N consecutive failures and refuses calls until the cool-down ends', () => {
    const { breaker, clock, transitions } = setup(3, 1000);
    for (let i = 0; i < 3; i++) breaker.failure();
    expect(breaker.state).toBe('open');
    expect(breaker.tryAcquire()).toBe(false);
    clock.advance(999);
    expect(breaker.state).toBe('open');
    expect(breaker.tryAcquire()).toBe(false);
    clock.advance(1);
    expect(breaker.state).toBe('half_open');
    expect(transitions).toEqual(['closed->open', 'open->half_open']);
  });

  it('half-open lets exactly one probe through; its success closes the circuit', () => {
    const { breaker, clock, transitions } = setup(1, 500);
    breaker.failure();
    clock.advance(500);
    expect(breaker.tryAcquire()).toBe(true);
    expect(breaker.tryAcquire()).toBe(false);
    breaker.success();
    expect(breaker.state).toBe('closed');
    expect(breaker.tryAcquire()).toBe(true);
    expect(transitions).toEqual(['closed->open', 'open->half_open', 'half_open->closed']);
  });

  it('a failed probe reopens for a full new cool-down', () => {
    const { breaker, clock } = setup(1, 500);
    breaker.failure();
    clock.advance(500);
    expect(breaker.tryAcquire()).toBe(true);
    breaker.failure();
    expect(breaker.state).toBe('open');
    clock.advance(499);
    expect(breaker.state).toBe('open');
    clock.advance(1);
    expect(breaker.state).toBe('half_open');
  });

  it('a throwing listener does not break the breaker; unsubscribe stops notifications', () => {
    const { breaker, clock } = setup(1, 1000);
    const seen: BreakerState[] = [];
    breaker.onStateChange(() => {
      throw new Error('listener bug');
    });
    const off = breaker.onStateChange((s) => seen.push(s));
    breaker.failure();
    off();
    clock.advance(1000);
    expect(breaker.tryAcquire()).toBe(true);
    breaker.success();
    expect(seen).toEqual(['open']);
    expect(breaker.state).toBe('closed');
  });

  it('a late success while open (a call admitted before opening) does not close it', () => {
    const { breaker, clock } = setup(2, 1000);
    breaker.failure();
    breaker.failure();
    breaker.success();
    expect(breaker.state).toBe('open');
    clock.advance(1000);
    expect(breaker.state).toBe('half_open');
  });

  it('dispose cancels the cool-down timer', () => {
    const { breaker, clock } = setup(1);
    breaker.failure();
    expect(clock.armed).toBe(1);
    breaker.dispose();
    expect(clock.armed).toBe(0);
  });

  it('rejects bad options naming the value', () => {
    expect(() => new CircuitBreaker({ failureThreshold: 0 })).toThrow(/failureThreshold.*0/);
    expect(() => new CircuitBreaker({ cooldownMs: -1 })).toThrow(/cooldownMs.*-1/);
  });

  it('exposes the last failure type, time since it, and the calls it refused', () => {
    const { breaker, clock } = setup(2, 1000);
    expect(breaker.lastErrorType).toBeUndefined();
    expect(breaker.msSinceLastFailure).toBeUndefined();
    breaker.failure('timeout');
    breaker.failure('auth');
    expect(breaker.state).toBe('open');
    expect(breaker.lastErrorType).toBe('auth');
    expect(breaker.tryAcquire()).toBe(false);
    expect(breaker.tryAcquire()).toBe(false);
    expect(breaker.refused).toBe(2);
    clock.advance(1000);
    expect(breaker.msSinceLastFailure).toBe(1000);
    expect(breaker.tryAcquire()).toBe(true); // the probe
    breaker.success();
    expect(breaker.state).toBe('closed');
    expect(breaker.lastErrorType).toBe('auth'); // kept: what the last outage was
  });
});
