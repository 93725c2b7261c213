import { setTimeout as sleep } from 'node:timers/promises';
import { SHEET_COUNT, USER_COUNT } from '../api/routes-table.ts';

export interface Sheet {
  readonly id: number;
  readonly title: string;
  readonly ownerId: number;
  readonly columns: readonly string[];
  readonly updatedAt: string;
  readonly version: number;
}
export interface Row {
  readonly n: number;
  readonly cells: readonly (string | number)[];
}
export interface User {
  readonly id: number;
  readonly name: string;
  readonly email: string;
}

/** Options of `MetaSheetSource`. */
export interface SourceOptions {
  /** Multiplies every route's base latency; 0 answers at once. @default 1 */
  readonly latencyScale?: number;
  /** Waits `ms` (injectable so tests need no real time). @default timers/promises setTimeout */
  readonly sleep?: (ms: number) => Promise<unknown>;
  /** Uniform random in [0,1) for latency jitter. @default Math.random */
  readonly random?: () => number;
}

/**
 * The embedded source of truth: a deterministic data set generated from ids, with
 * per-call latency, so `make dev` needs no database. Writes are kept in memory.
 */
export class MetaSheetSource {
  private readonly edits = new Map<number, Sheet>();
  private readonly scale: number;
  private readonly wait: (ms: number) => Promise<unknown>;
  private readonly random: () => number;
  /** Loads served, by kind (tests use it to prove single-flight). */
  readonly loads = { sheet: 0, rows: 0, formula: 0, comments: 0, user: 0, perm: 0 };

  constructor(opts: SourceOptions = {}) {
    this.scale = opts.latencyScale ?? 1;
    this.wait = opts.sleep ?? sleep;
    this.random = opts.random ?? Math.random;
  }

  async sheet(id: number, baseMs: number): Promise<Sheet | undefined> {
    await this.delay(baseMs);
    this.loads.sheet++;
    return this.edits.get(id) ?? (validSheet(id) ? makeSheet(id) : undefined);
  }

  async rows(id: number, baseMs: number): Promise<Row[] | undefined> {
    await this.delay(baseMs);
    this.loads.rows++;
    if (!validSheet(id)) return undefined;
    return Array.from({ length: 20 + (id % 30) }, (_, n) => ({
      n,
      cells: [`r${n}`, (id * 31 + n) % 997, `note ${id}-${n}`],
    }));
  }

  async formulas(
    id: number,
    baseMs: number,
  ): Promise<{ cell: string; formula: string; value: number }[] | undefined> {
    await this.delay(baseMs);
    this.loads.formula++;
    if (!validSheet(id)) return undefined;
    return Array.from({ length: 5 + (id % 7) }, (_, i) => ({
      cell: `C${i + 1}`,
      formula: `=SUM(B1:B${i + 10})`,
      value: (id * (i + 3)) % 1000,
    }));
  }

  async comments(id: number, baseMs: number): Promise<{ by: number; text: string }[] | undefined> {
    await this.delay(baseMs);
    this.loads.comments++;
    if (!validSheet(id)) return undefined;
    return Array.from({ length: id % 5 }, (_, i) => ({
      by: ((id + i) % USER_COUNT) + 1,
      text: `comment ${i} on ${id}`,
    }));
  }

  async user(id: number, baseMs: number): Promise<User | undefined> {
    await this.delay(baseMs);
    this.loads.user++;
    if (!validUser(id)) return undefined;
    return { id, name: `User ${id}`, email: `user${id}@metasheet.example` };
  }

  async permissions(
    id: number,
    baseMs: number,
  ): Promise<{ userId: number; sheets: number[]; role: string } | undefined> {
    await this.delay(baseMs);
    this.loads.perm++;
    if (!validUser(id)) return undefined;
    return {
      userId: id,
      role: id % 10 === 0 ? 'admin' : 'editor',
      sheets: Array.from({ length: 1 + (id % 8) }, (_, i) => ((id * 7 + i) % SHEET_COUNT) + 1),
    };
  }

  /** Updates a sheet's title; `undefined` when the sheet does not exist. */
  async updateSheet(id: number, title: string, baseMs: number): Promise<Sheet | undefined> {
    await this.delay(baseMs);
    const current = this.edits.get(id) ?? (validSheet(id) ? makeSheet(id) : undefined);
    if (!current) return undefined;
    const next = {
      ...current,
      title,
      version: current.version + 1,
      updatedAt: new Date().toISOString(),
    };
    this.edits.set(id, next);
    return next;
  }

  private delay(baseMs: number): Promise<unknown> {
    const ms = baseMs * this.scale * (0.75 + 0.5 * this.random());
    return ms > 0 ? this.wait(ms) : Promise.resolve();
  }
}

const validSheet = (id: number) => Number.isInteger(id) && id >= 1 && id <= SHEET_COUNT;
const validUser = (id: number) => Number.isInteger(id) && id >= 1 && id <= USER_COUNT;

function makeSheet(id: number): Sheet {
  return {
    id,
    title: `Sheet ${id}`,
    ownerId: (id % USER_COUNT) + 1,
    columns: ['name', 'amount', 'note'],
    updatedAt: '2026-01-01T00:00:00.000Z',
    version: 1,
  };
}
