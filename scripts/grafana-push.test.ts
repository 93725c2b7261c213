import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildAllDashboards } from '../dashboards/index.ts';
import { freePort } from '../test/helpers/prometheus.ts';
import { GrafanaPushError, pushDashboards } from './grafana-push.ts';

const EDITOR = 'editor-token';
const VIEWER = 'viewer-token';

type Json = Record<string, unknown>;

/**
 * A stand-in Grafana (no Grafana server can run here): the few endpoints of its HTTP
 * API the push uses, with Bearer tokens (editor may write, viewer may only read, any
 * other token is 401), folders, and dashboards with versions. Only under `/api`, so a
 * URL with a wrong path prefix gets 404 like from a real Grafana behind a proxy.
 */
class StandInGrafana {
  readonly folders = new Map<string, { uid: string; title: string }>();
  readonly dashboards = new Map<string, { dashboard: Json; folderUid: string; version: number }>();
  readonly writes: string[] = [];
  private server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server?.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    return new Promise((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const send = (status: number, body: Json) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    let raw = '';
    for await (const chunk of req) raw += String(chunk);
    const body = (raw ? JSON.parse(raw) : {}) as Json;
    const path = req.url ?? '';
    if (req.method === 'GET' && path === '/api/health')
      return send(200, { database: 'ok', version: 'stand-in' });
    if (!path.startsWith('/api/')) return send(404, { message: 'Not found' });
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (token !== EDITOR && token !== VIEWER) return send(401, { message: 'Invalid API key' });
    if (req.method === 'POST' && token !== EDITOR) return send(403, { message: 'Access denied' });

    const folderUid = /^\/api\/folders\/([^/]+)$/.exec(path)?.[1];
    const dashboardUid = /^\/api\/dashboards\/uid\/([^/]+)$/.exec(path)?.[1];
    if (req.method === 'GET' && folderUid) {
      const f = this.folders.get(decodeURIComponent(folderUid));
      return f ? send(200, f) : send(404, { message: 'folder not found' });
    }
    if (req.method === 'POST' && path === '/api/folders') {
      const uid = String(body.uid);
      if (this.folders.has(uid))
        return send(409, { message: 'a folder with the same uid already exists' });
      this.folders.set(uid, { uid, title: String(body.title) });
      this.writes.push(`folder ${uid}`);
      return send(200, { uid, title: body.title });
    }
    if (req.method === 'GET' && dashboardUid) {
      const d = this.dashboards.get(decodeURIComponent(dashboardUid));
      if (!d) return send(404, { message: 'Dashboard not found' });
      return send(200, {
        dashboard: d.dashboard,
        meta: { folderUid: d.folderUid, version: d.version },
      });
    }
    if (req.method === 'POST' && path === '/api/dashboards/db') {
      const dashboard = body.dashboard as Json;
      const uid = String(dashboard.uid);
      const target = String(body.folderUid);
      if (!this.folders.has(target)) return send(400, { message: 'folder not found' });
      const prev = this.dashboards.get(uid);
      if (prev && body.overwrite !== true) return send(412, { message: 'version-mismatch' });
      const version = (prev?.version ?? 0) + 1;
      this.dashboards.set(uid, {
        dashboard: { ...dashboard, id: 7, version },
        folderUid: target,
        version,
      });
      this.writes.push(`dashboard ${uid}`);
      return send(200, { id: 7, uid, url: `/d/${uid}`, status: 'success', version });
    }
    return send(404, { message: 'Not found' });
  }
}

describe('grafana-push against a stand-in Grafana', () => {
  let grafana: StandInGrafana;
  beforeEach(async () => {
    grafana = new StandInGrafana();
    await grafana.start();
  });
  afterEach(() => grafana.stop());

  it('creates the folder and every dashboard in it, then changes nothing on a second push', async () => {
    const first = await pushDashboards({ url: grafana.url, token: EDITOR, folderUid: 'cache' });
    expect(first.folderCreated).toBe(true);
    expect(first.dashboards.map((d) => [d.uid, d.status, d.version])).toEqual([
      ['cache-overview', 'created', 1],
      ['cache-candidates', 'created', 1],
      ['cache-rollout', 'created', 1],
    ]);
    for (const d of buildAllDashboards()) {
      const stored = grafana.dashboards.get(d.uid);
      expect(stored?.folderUid).toBe('cache');
      expect({ ...stored?.dashboard, id: undefined, version: undefined }).toEqual({
        ...d.json,
        id: undefined,
        version: undefined,
      });
    }
    const writes = grafana.writes.length;

    const second = await pushDashboards({
      url: `${grafana.url}/`,
      token: EDITOR,
      folderUid: 'cache',
    });
    expect(second.folderCreated).toBe(false);
    expect(second.dashboards.map((d) => [d.status, d.version])).toEqual([
      ['unchanged', 1],
      ['unchanged', 1],
      ['unchanged', 1],
    ]);
    expect(grafana.writes.length).toBe(writes);
    expect(grafana.folders.size).toBe(1);
  });

  it('updates only a dashboard that changed', async () => {
    await pushDashboards({ url: grafana.url, token: EDITOR });
    const changed = buildAllDashboards().map((d) =>
      d.uid === 'cache-rollout' ? { ...d, json: { ...d.json, title: 'Rollout (edited)' } } : d,
    );
    const r = await pushDashboards({ url: grafana.url, token: EDITOR, dashboards: changed });
    expect(r.dashboards.map((d) => `${d.uid}:${d.status}:${d.version}`)).toEqual([
      'cache-overview:unchanged:1',
      'cache-candidates:unchanged:1',
      'cache-rollout:updated:2',
    ]);
    expect(grafana.dashboards.get('cache-rollout')?.dashboard.title).toBe('Rollout (edited)');
  });

  const failure = async (p: Promise<unknown>) => {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(GrafanaPushError);
    return err as GrafanaPushError;
  };

  it('fails with a clear message on 401 (bad token) and writes nothing', async () => {
    const err = await failure(pushDashboards({ url: grafana.url, token: 'wrong' }));
    expect([err.code, err.status]).toEqual(['unauthorized', 401]);
    expect(err.message).toContain('GRAFANA_TOKEN');
    expect(grafana.writes).toEqual([]);
  });

  it('fails with a clear message on 403 (token without write access)', async () => {
    const err = await failure(pushDashboards({ url: grafana.url, token: VIEWER }));
    expect([err.code, err.status]).toEqual(['forbidden', 403]);
    expect(err.message).toMatch(/POST \/api\/folders \(403 Forbidden\).*Editor role/);
  });

  it('fails with a clear message on 404 (GRAFANA_URL is not the Grafana root)', async () => {
    const err = await failure(pushDashboards({ url: `${grafana.url}/grafana`, token: EDITOR }));
    expect([err.code, err.status]).toEqual(['not_found', 404]);
    expect(err.message).toContain("GRAFANA_URL must be Grafana's root URL");
  });

  it('fails with a clear message when nothing listens (connection refused)', async () => {
    const port = await freePort();
    const err = await failure(pushDashboards({ url: `http://127.0.0.1:${port}`, token: EDITOR }));
    expect(err.code).toBe('unreachable');
    expect(err.message).toContain('ECONNREFUSED');
    expect(err.message).toContain('GRAFANA_URL');
  });

  it('runs as the make grafana-push entry point (env in, summary out, exit codes)', async () => {
    const run = (env: Record<string, string>) =>
      new Promise<{ code: number | null; out: string }>((resolve) => {
        const child = spawn(
          process.execPath,
          ['--import', 'tsx', join(import.meta.dirname, 'grafana-push.ts')],
          {
            env: { PATH: process.env.PATH ?? '', ...env },
          },
        );
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => (out += d.toString()));
        child.on('close', (code) => resolve({ code, out }));
      });
    const missing = await run({});
    expect(missing.code).toBe(2);
    expect(missing.out).toContain('set GRAFANA_URL and GRAFANA_TOKEN');
    const ok = await run({
      GRAFANA_URL: grafana.url,
      GRAFANA_TOKEN: EDITOR,
      GRAFANA_FOLDER: 'Cache',
    });
    expect(ok.code, ok.out).toBe(0);
    expect(ok.out).toContain('folder metasheet-cache (created)');
    expect(ok.out).toContain('cache-overview: created (version 1)');
    expect(grafana.folders.get('metasheet-cache')?.title).toBe('Cache');
    const denied = await run({ GRAFANA_URL: grafana.url, GRAFANA_TOKEN: 'wrong' });
    expect(denied.code).toBe(1);
    expect(denied.out).toContain('grafana-push: Grafana rejected the token (401 Unauthorized)');
  });
});
