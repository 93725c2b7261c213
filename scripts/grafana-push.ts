/**
 * `make grafana-push GRAFANA_URL=… GRAFANA_TOKEN=… [GRAFANA_FOLDER=…] [GRAFANA_FOLDER_UID=…]`:
 * upserts the generated dashboards into one Grafana folder through the HTTP API. Running
 * it twice changes nothing the second time (unchanged dashboards are not re-saved).
 */
import { pathToFileURL } from 'node:url';
import { buildAllDashboards, type GeneratedDashboard } from '../dashboards/index.ts';

/** Options of `pushDashboards`. */
export interface PushOptions {
  /** Grafana's root URL, e.g. `https://grafana.example.com` (no `/api`). */
  readonly url: string;
  /** A service account token with the Editor role (or write access to the folder). */
  readonly token: string;
  /** @default 'metasheet-cache' */
  readonly folderUid?: string;
  /** Title of the folder when it has to be created. @default 'metasheet-cache' */
  readonly folderTitle?: string;
  /** @default buildAllDashboards() */
  readonly dashboards?: readonly GeneratedDashboard[];
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
}

/** What happened to one dashboard. */
export interface PushedDashboard {
  readonly uid: string;
  readonly status: 'created' | 'updated' | 'unchanged';
  readonly version: number;
}

/** The outcome of a push: the folder and what happened to each dashboard. */
export interface PushResult {
  readonly folderUid: string;
  readonly folderCreated: boolean;
  readonly dashboards: readonly PushedDashboard[];
}

/** Why a push failed; `code` is stable, `message` says what to do. */
export class GrafanaPushError extends Error {
  override readonly name = 'GrafanaPushError';
  constructor(
    readonly code: 'unauthorized' | 'forbidden' | 'not_found' | 'unreachable' | 'http',
    message: string,
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

type Json = Record<string, unknown>;

/** Upserts `dashboards` into the folder `folderUid` (created when missing). */
export async function pushDashboards(o: PushOptions): Promise<PushResult> {
  const base = o.url.replace(/\/+$/, '');
  const doFetch = o.fetch ?? globalThis.fetch;
  const folderUid = o.folderUid ?? 'metasheet-cache';
  const call = async (method: 'GET' | 'POST', path: string, body?: Json) => {
    let res: Response;
    try {
      res = await doFetch(`${base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${o.token}`,
          accept: 'application/json',
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
      throw new GrafanaPushError(
        'unreachable',
        `cannot reach Grafana at ${base} (${cause}): check GRAFANA_URL and that Grafana is up`,
        undefined,
        { cause: err },
      );
    }
    const text = await res.text();
    const json = (text.startsWith('{') ? JSON.parse(text) : {}) as Json;
    return { status: res.status, json };
  };
  const fail = (op: string, status: number, json: Json, allow404 = false): void => {
    const detail = typeof json.message === 'string' ? `: ${json.message}` : '';
    if (status === 401)
      throw new GrafanaPushError(
        'unauthorized',
        `Grafana rejected the token (401 Unauthorized) on ${op}${detail}: check GRAFANA_TOKEN (a service account token)`,
        401,
      );
    if (status === 403)
      throw new GrafanaPushError(
        'forbidden',
        `the token may not do ${op} (403 Forbidden)${detail}: give the service account the Editor role or write access to folder ${folderUid}`,
        403,
      );
    if (status === 404 && !allow404)
      throw new GrafanaPushError(
        'not_found',
        `${op} answered 404 Not Found${detail}: GRAFANA_URL must be Grafana's root URL (got ${base})`,
        404,
      );
    if (status >= 400 && status !== 404)
      throw new GrafanaPushError('http', `${op} answered ${status}${detail}`, status);
  };

  const health = await call('GET', '/api/health');
  fail('GET /api/health', health.status, health.json);

  const folder = await call('GET', `/api/folders/${encodeURIComponent(folderUid)}`);
  fail(`GET /api/folders/${folderUid}`, folder.status, folder.json, true);
  let folderCreated = false;
  if (folder.status === 404) {
    const created = await call('POST', '/api/folders', {
      uid: folderUid,
      title: o.folderTitle ?? 'metasheet-cache',
    });
    fail('POST /api/folders', created.status, created.json);
    folderCreated = true;
  }

  const pushed: PushedDashboard[] = [];
  for (const d of o.dashboards ?? buildAllDashboards()) {
    const current = await call('GET', `/api/dashboards/uid/${encodeURIComponent(d.uid)}`);
    fail(`GET /api/dashboards/uid/${d.uid}`, current.status, current.json, true);
    const meta = (current.json.meta ?? {}) as Json;
    if (
      current.status === 200 &&
      meta.folderUid === folderUid &&
      sameModel(current.json.dashboard, d.json)
    ) {
      pushed.push({ uid: d.uid, status: 'unchanged', version: Number(meta.version ?? 0) });
      continue;
    }
    const saved = await call('POST', '/api/dashboards/db', {
      dashboard: { ...d.json, id: null },
      folderUid,
      overwrite: true,
      message: 'make grafana-push',
    });
    fail(`POST /api/dashboards/db (${d.uid})`, saved.status, saved.json);
    pushed.push({
      uid: d.uid,
      status: current.status === 404 ? 'created' : 'updated',
      version: Number(saved.json.version ?? 0),
    });
  }
  return { folderUid, folderCreated, dashboards: pushed };
}

/** Equal models, ignoring what Grafana assigns on save (`id`, `version`) and key order. */
function sameModel(stored: unknown, ours: Json): boolean {
  const strip = (x: unknown) => {
    const { id: _id, version: _version, ...rest } = (x ?? {}) as Json;
    return canonical(rest);
  };
  return strip(stored) === strip(ours);
}

function canonical(x: unknown): string {
  if (Array.isArray(x)) return `[${x.map(canonical).join(',')}]`;
  if (x !== null && typeof x === 'object') {
    const entries = Object.entries(x).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(x) ?? 'null';
}

async function main(): Promise<void> {
  const {
    GRAFANA_URL: url,
    GRAFANA_TOKEN: token,
    GRAFANA_FOLDER,
    GRAFANA_FOLDER_UID,
  } = process.env;
  if (!url || !token) {
    process.stderr.write(
      'grafana-push: set GRAFANA_URL and GRAFANA_TOKEN, e.g.\n  make grafana-push GRAFANA_URL=https://grafana.example.com GRAFANA_TOKEN=glsa_…\n',
    );
    process.exit(2);
  }
  try {
    const r = await pushDashboards({
      url,
      token,
      ...(GRAFANA_FOLDER ? { folderTitle: GRAFANA_FOLDER } : {}),
      ...(GRAFANA_FOLDER_UID ? { folderUid: GRAFANA_FOLDER_UID } : {}),
    });
    process.stdout.write(`folder ${r.folderUid}${r.folderCreated ? ' (created)' : ''}\n`);
    for (const d of r.dashboards)
      process.stdout.write(`  ${d.uid}: ${d.status} (version ${d.version})\n`);
  } catch (err) {
    process.stderr.write(`grafana-push: ${(err as Error).message}\n`);
    process.exit(1);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
