import express, { type Express } from 'express';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { answer } from '../../test/helpers/answer.ts';
import { sendJson } from './send-json.ts';

const deepFreeze = <T>(v: T): T => {
  if (typeof v === 'object' && v !== null) {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
};

/** `/json` answers with res.json, `/send` with sendJson, `/fallthrough` with sendJson after a header. */
function appWith(value: () => unknown, configure: (app: Express) => void = () => {}): Express {
  const app = express();
  configure(app);
  app.get('/json', (_req, res) => {
    res.setHeader('Cache-Status', 'x');
    res.json(value());
  });
  app.get('/send', (_req, res) => {
    res.setHeader('Cache-Status', 'x');
    sendJson(res, value());
  });
  return app;
}

/** `answer` of a GET or HEAD with headers. */
const answerTo = (
  app: Express,
  method: 'get' | 'head',
  path: string,
  headers: Record<string, string>,
) => answer(app, { method, path, headers });

const USER = {
  id: 7,
  name: 'Ünïcode “quoted” \u2028',
  email: 'u7@example.com',
  tags: ['a', { b: null }],
};

describe('sendJson answers exactly as res.json', () => {
  afterEach(() => vi.restoreAllMocks());

  const cases: Array<[string, 'get' | 'head', Record<string, string>]> = [
    ['plain GET', 'get', {}],
    ['HEAD', 'head', {}],
    ['If-None-Match: other', 'get', { 'If-None-Match': 'W/"1-x"' }],
    ['If-None-Match: *', 'get', { 'If-None-Match': '*' }],
    ['If-Modified-Since', 'get', { 'If-Modified-Since': new Date().toUTCString() }],
    ['no-cache', 'get', { 'If-None-Match': '*', 'Cache-Control': 'no-cache' }],
  ];

  for (const [what, value] of [
    ['a deep-frozen object (body made once)', () => FROZEN],
    ['an object that is not frozen (res.json)', () => structuredClone(USER)],
    ['a frozen array', () => FROZEN_ARRAY],
  ] as const) {
    it.each(cases)(`${what}: %s`, async (_name, method, headers) => {
      const app = appWith(value);
      const viaJson = await answerTo(app, method, '/json', headers);
      const viaSend = await answerTo(app, method, '/send', headers);
      expect(viaSend).toEqual(viaJson);
      expect(viaJson.headers['cache-status']).toBe('x');
      if (viaJson.status === 200 && method === 'get') {
        expect(viaSend.body).toBe(JSON.stringify(value()));
      }
    });
  }

  it('answers 304 to the ETag it sent, as res.json does', async () => {
    const app = appWith(() => FROZEN);
    const first = await answerTo(app, 'get', '/send', {});
    expect(first.status).toBe(200);
    const etag = first.headers.etag ?? '';
    expect(etag).toMatch(/^W\//);
    for (const path of ['/json', '/send']) {
      for (const method of ['get', 'head'] as const) {
        const again = await answerTo(app, method, path, { 'If-None-Match': etag });
        expect(again.status, `${method} ${path}`).toBe(304);
        expect(again.headers['content-type']).toBeUndefined();
      }
    }
    expect(await answerTo(app, 'get', '/send', { 'If-None-Match': etag })).toEqual(
      await answerTo(app, 'get', '/json', { 'If-None-Match': etag }),
    );
  });

  it.each([
    ['strong ETags', (app: Express) => app.set('etag', 'strong')],
    ['no ETags', (app: Express) => app.set('etag', false)],
    ['json spaces', (app: Express) => app.set('json spaces', 2)],
    ['json escape', (app: Express) => app.set('json escape', true)],
    [
      'a json replacer',
      (app: Express) =>
        app.set('json replacer', (_k: string, v: unknown) => (v === null ? 'NULL' : v)),
    ],
  ])('follows an app with %s', async (_name, configure) => {
    const app = appWith(() => FROZEN, configure);
    for (const [, method, headers] of cases) {
      expect(await answerTo(app, method, '/send', headers)).toEqual(
        await answerTo(app, method, '/json', headers),
      );
    }
  });

  it('serialises a frozen value once, however often it is sent', async () => {
    const value = deepFreeze({ ...structuredClone(USER), once: true });
    const app = appWith(() => value);
    const stringify = vi.spyOn(JSON, 'stringify');
    for (let i = 0; i < 5; i++) expect((await answerTo(app, 'get', '/send', {})).status).toBe(200);
    const ofValue = stringify.mock.calls.filter(([v]) => v === value).length;
    expect(ofValue).toBe(1);
  });
});

const FROZEN = deepFreeze(structuredClone(USER));
const FROZEN_ARRAY = deepFreeze([structuredClone(USER), 1, 'two']);
