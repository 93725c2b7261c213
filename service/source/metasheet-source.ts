import { setTimeout as sleep } from 'node:timers/promises';
import { SHEET_COUNT, USER_COUNT } from '../api/routes-table.ts';
import { inOutage, NO_FAULTS, SourceError, type SourceFaults } from './faults.ts';

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
  /** Uniform random in [0,1) for latency jitter and the error rate. @default Math.random */
  readonly random?: () => number;
  /** A call that takes longer fails with a `timeout` SourceError at this deadline. @default 5000 */
  readonly timeoutMs?: number;
  /** Injected faults (see `SourceFaults`); changeable at run time with `setFaults`. @default none */
  readonly faults?: SourceFaults;
  /** Wall clock of the outage window and of an edit's `updatedAt`. @default Date.now */
  readonly now?: () => number;
}

type LoadKind = 'sheet' | 'rows' | 'formula' | 'comments' | 'user' | 'perm';

/**
 * The embedded source of truth: a deterministic data set generated from ids, with
 * per-call latency, so `make dev` needs no database. Writes are kept in memory.
 */
export class MetaSheetSource {
  private readonly edits = new Map<number, Sheet>();
  private readonly scale: number;
  private readonly wait: (ms: number) => Promise<unknown>;
  private readonly random: () => number;
  private readonly now: () => number;
  private currentFaults: SourceFaults;
  /** Deadline of every call, ms. */
  readonly timeoutMs: number;
  /** Read calls started, by kind (tests use it to prove single-flight and stampede control). */
  readonly loads = { sheet: 0, rows: 0, formula: 0, comments: 0, user: 0, perm: 0 };
  /** Calls that failed, by how. */
  readonly failures = { timeout: 0, error: 0 };

  constructor(opts: SourceOptions = {}) {
    this.scale = opts.latencyScale ?? 1;
    this.wait = opts.sleep ?? sleep;
    this.random = opts.random ?? Math.random;
    this.now = opts.now ?? Date.now;
    this.timeoutMs = opts.timeoutMs ?? 5000;
    this.currentFaults = opts.faults ?? NO_FAULTS;
  }

  /** The faults in force. */
  get faults(): SourceFaults {
    return this.currentFaults;
  }

  /** Replaces the injected faults (tests, demos). */
  setFaults(faults: SourceFaults): void {
    this.currentFaults = faults;
  }

  /** What `/internal/cache` shows about the source. */
  status() {
    const f = this.currentFaults;
    return {
      timeoutMs: this.timeoutMs,
      faults: {
        errorRate: f.errorRate,
        extraLatencyMs: f.extraLatencyMs,
        outage: f.outage
          ? {
              from: new Date(f.outage.fromMs).toISOString(),
              until: new Date(f.outage.untilMs).toISOString(),
              active: inOutage(f, this.now()),
            }
          : null,
      },
      loads: { ...this.loads },
      failures: { ...this.failures },
    };
  }

  async sheet(id: number, baseMs: number): Promise<Sheet | undefined> {
    await this.call('sheet', baseMs);
    return this.edits.get(id) ?? (validSheet(id) ? makeSheet(id) : undefined);
  }

  async rows(id: number, baseMs: number): Promise<Row[] | undefined> {
    await this.call('rows', baseMs);
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
    await this.call('formula', baseMs);
    if (!validSheet(id)) return undefined;
    return Array.from({ length: 5 + (id % 7) }, (_, i) => ({
      cell: `C${i + 1}`,
      formula: `=SUM(B1:B${i + 10})`,
      value: (id * (i + 3)) % 1000,
    }));
  }

  async comments(id: number, baseMs: number): Promise<{ by: number; text: string }[] | undefined> {
    await this.call('comments', baseMs);
    if (!validSheet(id)) return undefined;
    return Array.from({ length: id % 5 }, (_, i) => ({
      by: ((id + i) % USER_COUNT) + 1,
      text: `comment ${i} on ${id}`,
    }));
  }

  async user(id: number, baseMs: number): Promise<User | undefined> {
    await this.call('user', baseMs);
    if (!validUser(id)) return undefined;
    return { id, name: `User ${id}`, email: `user${id}@metasheet.example` };
  }

  async permissions(
    id: number,
    baseMs: number,
  ): Promise<{ userId: number; sheets: number[]; role: string } | undefined> {
    await this.call('perm', baseMs);
    if (!validUser(id)) return undefined;
    return {
      userId: id,
      role: id % 10 === 0 ? 'admin' : 'editor',
      sheets: Array.from({ length: 1 + (id % 8) }, (_, i) => ((id * 7 + i) % SHEET_COUNT) + 1),
    };
  }

  /** Updates a sheet's title; `undefined` when the sheet does not exist. */
  async updateSheet(id: number, title: string, baseMs: number): Promise<Sheet | undefined> {
    await this.call(undefined, baseMs);
    const current = this.edits.get(id) ?? (validSheet(id) ? makeSheet(id) : undefined);
    if (!current) return undefined;
    const next = {
      ...current,
      title,
      version: current.version + 1,
      updatedAt: new Date(this.now()).toISOString(),
    };
    this.edits.set(id, next);
    return next;
  }

  /**
   * One call's latency and faults: inside an outage it waits the timeout and fails; a call
   * slower than the timeout fails at the timeout; else it may fail with the error rate.
   */
  private async call(kind: LoadKind | undefined, baseMs: number): Promise<void> {
    if (kind) this.loads[kind]++;
    const f = this.currentFaults;
    if (inOutage(f, this.now())) {
      await this.wait(this.timeoutMs);
      this.failures.timeout++;
      throw new SourceError('timeout', `source did not answer within ${this.timeoutMs} ms`);
    }
    const ms = baseMs * this.scale * (0.75 + 0.5 * this.random()) + f.extraLatencyMs;
    if (ms >= this.timeoutMs) {
      await this.wait(this.timeoutMs);
      this.failures.timeout++;
      throw new SourceError('timeout', `source did not answer within ${this.timeoutMs} ms`);
    }
    if (ms > 0) await this.wait(ms);
    if (f.errorRate > 0 && this.random() < f.errorRate) {
      this.failures.error++;
      throw new SourceError('error', 'source answered with an error');
    }
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
