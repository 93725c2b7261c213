import type { Express } from 'express';
import request from 'supertest';
import { describe, expect, it, vi } from 'vitest';
import { answer, type RequestSpec } from '../../test/helpers/answer.ts';
import { buildTestApp } from '../../test/helpers/build-test-app.ts';
import { MemoryCache } from '../cache/memory-cache.ts';
import { dispatchHotReads, type HotRead } from './hot-reads.ts';
import { API_ROUTES } from './routes-table.ts';

const T0 = Date.parse('2026-11-27T00:00:00Z');

/** Two apps on identical fresh dependencies and one fixed clock: hot lane on, and off. */
function lanes() {
  const now = () => T0;
  const hot = buildTestApp({ cache: new MemoryCache(), now, hotReads: true });
  const routed = buildTestApp({ cache: new MemoryCache(), now, hotReads: false });
  return { hot, routed };
}

/** Every sample of the app's exposition but request durations (timings differ between runs). */
async function counts(app: Express): Promise<string[]> {
  const text = (await request(app).get('/metrics/prom').expect(200)).text;
  return text
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith('#') && !/^(process|nodejs)_/.test(l))
    .filter((l) => !/^http_request_duration_seconds_(bucket|sum)/.test(l));
}

/** Router's own dispatch, counted (Express 5's `router.handle`: not in @types/express). */
function routerCalls(app: Express) {
  const router = app.router as unknown as { handle: (...args: unknown[]) => void };
  return vi.spyOn(router, 'handle');
}

const GETS = API_ROUTES.filter((r) => r.method === 'GET').map((r) => r.route);

describe('hot reads: the API GETs answered before the router, as the router answers them', () => {
  it('takes the hot lane for GET <template with digits>, the router for everything else', async () => {
    const { app } = lanes().hot;
    const calls = routerCalls(app);
    for (const route of GETS) {
      await request(app).get(route.replace(':id', '4')).expect(200);
    }
    expect(calls).not.toHaveBeenCalled();
    for (const path of ['/api/users/4?x=1', '/api/users/4/', '/API/users/4', '/api/users/%34']) {
      await request(app).get(path).expect(200);
    }
    await request(app).head('/api/users/4').expect(200);
    await request(app).get('/health').expect(200);
    expect(calls).toHaveBeenCalledTimes(6);
  });

  it('answers every request of a session exactly as the router does, and counts the same metrics', async () => {
    const { hot, routed } = lanes();
    const steps: RequestSpec[] = [];
    for (const route of GETS) {
      const path = route.replace(':id', '3');
      steps.push({ method: 'get', path }, { method: 'get', path }, { method: 'head', path });
    }
    steps.push(
      { method: 'get', path: '/api/users/0' },
      { method: 'get', path: '/api/users/0012' },
      { method: 'get', path: '/api/users/1234567890' },
      { method: 'get', path: '/api/users/abc' },
      { method: 'get', path: '/api/users/3?fields=name' },
      { method: 'get', path: '/api/users/3/' },
      { method: 'get', path: '/API/Users/3' },
      { method: 'get', path: '/api/users/%33' },
      { method: 'get', path: '/api/users/3/unknown' },
      { method: 'get', path: '/api/nothing/3' },
      { method: 'get', path: '/api/sheets/3', headers: { 'x-user-id': '42' } },
      { method: 'put', path: '/api/sheets/3', body: { title: 'renamed' } },
      { method: 'get', path: '/api/sheets/3' },
      { method: 'get', path: '/api/sheets/3/rows' },
      { method: 'get', path: '/api/sheets/3' },
    );
    for (const s of steps) {
      const viaHot = await answer(hot.app, s);
      const viaRouter = await answer(routed.app, s);
      expect(viaHot, `${s.method} ${s.path}`).toEqual(viaRouter);
    }
    // A conditional GET with the ETag just sent: 304 on both lanes.
    const etag = (await answer(routed.app, { method: 'get', path: '/api/users/3' })).headers.etag;
    expect(etag).toBeTruthy();
    await answer(hot.app, { method: 'get', path: '/api/users/3' });
    const cond: RequestSpec = {
      method: 'get',
      path: '/api/users/3',
      headers: { 'If-None-Match': etag ?? '' },
    };
    const [a, b] = [await answer(hot.app, cond), await answer(routed.app, cond)];
    expect(a.status).toBe(304);
    expect(a).toEqual(b);

    const [hotCounts, routedCounts] = [await counts(hot.app), await counts(routed.app)];
    expect(hotCounts).toEqual(routedCounts);
    // Not vacuous: the session was counted by route template.
    expect(hotCounts).toContainEqual(
      expect.stringMatching(
        /^http_request_duration_seconds_count\{route="\/api\/users\/:id",method="GET",status_class="2xx",variant="off"\} \d+/,
      ),
    );
    expect(hotCounts.some((l) => /^cache_hits_total\{.*\} [1-9]/.test(l))).toBe(true);
  });

  it('hands a failing handler to the app error handler (500, logged), as the router does', async () => {
    const { hot, routed } = lanes();
    for (const lane of [hot, routed]) {
      vi.spyOn(lane.source, 'user').mockRejectedValue(new TypeError('boom'));
      const error = vi.spyOn(lane.logger, 'error');
      const res = await answer(lane.app, { method: 'get', path: '/api/users/9' });
      expect(res.status).toBe(500);
      expect(res.body).toBe('{"error":"internal error"}');
      expect(error).toHaveBeenCalledWith(
        'request failed',
        expect.objectContaining({ path: '/api/users/9' }),
      );
    }
    expect(await counts(hot.app)).toEqual(await counts(routed.app));
  });

  it('refuses a template it could not dispatch exactly', async () => {
    const { app } = buildTestApp({ hotReads: false });
    const read: HotRead = { route: app.route<string>('/x'), handle: async () => {} };
    for (const template of ['/api/:kind/:id', '/api/users/:uid', '/api/Users/:id', '/api/users']) {
      expect(() =>
        dispatchHotReads(app, new Map([[template, read]]), { before: () => {}, onError: () => {} }),
      ).toThrow(template);
    }
  });
});
