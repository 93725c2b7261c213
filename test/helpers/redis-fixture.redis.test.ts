import { afterAll, describe, expect } from 'vitest';
import { connectRedis, keysUnder } from './redis.ts';
import { it } from './redis-fixture.ts';

const used: string[] = [];

// Checked with a connection of its own, after the fixture's clean-up and the file's client.
afterAll(async () => {
  const client = await connectRedis();
  try {
    for (const prefix of used) expect(await keysUnder(client, prefix)).toEqual([]);
  } finally {
    client.destroy();
  }
});

describe('redisTest fixture', () => {
  it('gives a connected client and a prefix of this file', async ({ admin, prefix }) => {
    used.push(prefix);
    expect(prefix).toMatch(/^test:redis-fixture:\d+:[0-9a-f]{8}:$/);
    await admin.set(`${prefix}a`, '1', { PX: 60_000 });
    expect(await admin.get(`${prefix}a`)).toBe('1');
  });

  it('gives each test its own prefix, whose keys are gone after it', async ({ admin, prefix }) => {
    used.push(prefix);
    expect(new Set(used).size).toBe(2);
    expect(await admin.exists(`${used[0]}a`)).toBe(0);
    await admin.set(`${prefix}b`, '1', { PX: 60_000 });
  });
});
