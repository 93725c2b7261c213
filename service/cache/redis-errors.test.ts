import { ErrorReply, TimeoutError } from 'redis';
import { describe, expect, it } from 'vitest';
import { classifyRedisError, opensBreaker } from './redis-errors.ts';
import { OperationTimeoutError } from './with-timeout.ts';

describe('classifyRedisError', () => {
  const cases: [unknown, string, boolean][] = [
    [new ErrorReply('NOAUTH Authentication required.'), 'auth', true],
    [new ErrorReply('WRONGPASS invalid username-password pair or user is disabled.'), 'auth', true],
    [new ErrorReply("NOPERM User x has no permissions to run the 'get' command"), 'auth', true],
    [new ErrorReply("OOM command not allowed when used memory > 'maxmemory'."), 'oom', false],
    [
      new ErrorReply(
        "OOM command not allowed when used memory > 'maxmemory'. script: 3c29, on @user_script:1.",
      ),
      'oom',
      false,
    ],
    [new ErrorReply('ERR Error running script'), 'internal', false],
    [
      new ErrorReply('WRONGTYPE Operation against a key holding the wrong kind of value'),
      'internal',
      false,
    ],
    // Cluster / Sentinel: the node cannot serve now (availability, like a dropped socket).
    [new ErrorReply('CLUSTERDOWN The cluster is down'), 'connection', true],
    [new ErrorReply('TRYAGAIN Multiple keys request during rehashing of slot'), 'connection', true],
    [new ErrorReply('LOADING Redis is loading the dataset in memory'), 'connection', true],
    [new ErrorReply('MASTERDOWN Link with MASTER is down'), 'connection', true],
    [new ErrorReply("READONLY You can't write against a read only replica."), 'connection', true],
    [new OperationTimeoutError(50), 'timeout', true],
    [new TimeoutError(), 'timeout', true],
    [new Error('Socket closed unexpectedly'), 'connection', true],
  ];
  for (const [err, type, opens] of cases) {
    it(`${(err as Error).message.slice(0, 40) || (err as Error).name} → ${type}${opens ? ', opens the breaker' : ''}`, () => {
      const e = classifyRedisError(err);
      expect(e.type).toBe(type);
      expect(opensBreaker(e)).toBe(opens);
      expect(e.cause).toBe(err);
    });
  }
});
