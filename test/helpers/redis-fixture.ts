import { basename } from 'node:path';
import { test as base } from 'vitest';
import { connectRedis, deletePrefix, type RedisClient, uniquePrefix } from './redis.ts';

/**
 * vitest's `test` (also exported as `it`) with the shared Redis (REDIS_URL), for the
 * `*.redis.test.ts` files:
 * - `admin`: a connected plain client for assertions and clean-up, one per file (connected
 *   for the file's first test that asks for it, closed after its last); when Redis does not
 *   answer, the test fails with `connectRedis`'s message saying how to get one;
 * - `prefix`: a key prefix unique to the test (`test:<file>:<pid>:<random>:`); every key
 *   under it is deleted after the test, after its `afterEach` hooks (so close caches there).
 */
export const redisTest = base.extend<{
  $file: { admin: RedisClient };
  $test: { prefix: string };
}>({
  admin: [
    // biome-ignore lint/correctness/noEmptyPattern: vitest reads a fixture's dependencies from this pattern
    async ({}, use) => {
      const client = await connectRedis();
      await use(client);
      client.destroy();
    },
    { scope: 'file' },
  ],
  prefix: async ({ admin, task }, use) => {
    const prefix = uniquePrefix(basename(task.file.name).replace(/(\.redis)?\.test\.ts$/, ''));
    await use(prefix);
    await deletePrefix(admin, prefix);
  },
});

export { redisTest as it, redisTest as test };
