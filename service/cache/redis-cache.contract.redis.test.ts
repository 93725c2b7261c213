import { afterAll, beforeAll } from 'vitest';
import { describeCacheContract } from '../../test/helpers/cache-contract.ts';
import { connectRedis, deletePrefix, REDIS_URL, uniquePrefix } from '../../test/helpers/redis.ts';
import { RedisCache } from './redis-cache.ts';

// One prefix per run (each test's keys are distinct anyway); removed in afterAll.
const prefix = uniquePrefix('contract');
let admin: Awaited<ReturnType<typeof connectRedis>>;

beforeAll(async () => {
  admin = await connectRedis();
});
afterAll(async () => {
  if (!admin) return; // connectRedis failed in beforeAll, with a message saying why
  await deletePrefix(admin, prefix);
  admin.destroy();
});

describeCacheContract('RedisCache (real Redis)', async () => {
  // A generous deadline: this suite checks semantics; deadlines are tested in the fault suite.
  const cache = new RedisCache({ url: REDIS_URL, keyPrefix: prefix, timeoutMs: 500 });
  const ready = await cache.ready();
  if (!ready.ok) throw ready.error;
  return { cache, elapse: (ms) => new Promise((r) => setTimeout(r, ms)) };
});
