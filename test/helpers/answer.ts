import type { Express } from 'express';
import request from 'supertest';

/** One request: method, path, headers, JSON body. */
export interface RequestSpec {
  readonly method: 'get' | 'head' | 'put';
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: object;
}

/** What a client sees of an answer: status, every header but `Date`, and the body as text. */
export interface Answer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** Sends `s` to `app` (supertest) and returns its answer, for comparing two apps' answers. */
export async function answer(app: Express, s: RequestSpec): Promise<Answer> {
  let r = request(app)[s.method](s.path);
  for (const [k, v] of Object.entries(s.headers ?? {})) r = r.set(k, v);
  if (s.body) r = r.send(s.body);
  const res = await r.buffer(true).parse((resp, done) => {
    let text = '';
    resp.setEncoding('utf8');
    resp.on('data', (c: string) => {
      text += c;
    });
    resp.on('end', () => done(null, text));
  });
  const { date: _date, ...headers } = res.headers as Record<string, string>;
  // supertest leaves `body` an empty object when nothing was read (304, HEAD).
  return { status: res.status, headers, body: typeof res.body === 'string' ? res.body : '' };
}
