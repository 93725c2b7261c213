import request from 'supertest';
import { afterEach, describe, expect } from 'vitest';
import { RedisCache } from '../service/cache/redis-cache.ts';
import { buildTestApp } from './helpers/build-test-app.ts';
import { REDIS_URL } from './helpers/redis.ts';
import { it } from './helpers/redis-fixture.ts';

/**
 * Under `allkeys-lru` Redis may evict a tag set before its members (a hot value is read,
 * its tag set only written). A PUT must still drop every value derived from the sheet:
 * the example API deletes them by name as well as by tag.
 */
let redis: RedisCache | undefined;
afterEach(async () => {
  await redis?.close();
});

describe('a PUT after Redis evicted the tag set (real Redis)', () => {
  it('drops the sheet and every value derived from it, and the next reads are fresh', async ({
    admin,
    prefix,
  }) => {
    redis = new RedisCache({ url: REDIS_URL, keyPrefix: prefix, timeoutMs: 500 });
    const ready = await redis.ready();
    if (!ready.ok) throw ready.error;
    const a = buildTestApp({ cache: redis });
    const paths = [
      '/api/sheets/7',
      '/api/sheets/7/rows',
      '/api/sheets/7/formulas',
      '/api/sheets/7/comments',
    ];
    for (const p of paths) expect((await request(a.app).get(p)).status).toBe(200);
    const keys = ['sheet', 'rows', 'formula', 'comments'].map((p) => `${prefix}v:${p}:7`);
    expect(await admin.exists(keys)).toBe(4);
    // What eviction would do: the tag set goes, its members stay.
    expect(await admin.del(`${prefix}t:sheet:7`)).toBe(1);
    const put = await request(a.app).put('/api/sheets/7').send({ title: 'renamed' });
    expect(put.status).toBe(200);
    expect(await admin.exists(keys)).toBe(0);
    const sheet = await request(a.app).get('/api/sheets/7');
    expect(sheet.body.title).toBe('renamed');
  });
});
