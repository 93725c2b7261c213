import { Counter, collectDefaultMetrics, Gauge, type Registry } from 'prom-client';
import { CellCounter } from './cell-counter.ts';
import { CellHistogram } from './cell-histogram.ts';
import { HTTP_BUCKETS, METRICS } from './names.ts';

/** Label names of a metric in the contract, as a tuple type. */
type LabelsOf<K extends keyof typeof METRICS> = (typeof METRICS)[K]['labels'][number];

/**
 * The service's metrics, registered on an injected registry (never the global one).
 * Counters and the histogram on the request path are `CellCounter`s and a `CellHistogram`
 * (see there for why).
 * Names, help and labels come from `METRICS`; estimator gauges are registered by the
 * estimator itself (they are computed at scrape time).
 */
export interface Metrics {
  readonly registry: Registry;
  readonly cacheHits: CellCounter<LabelsOf<'cacheHits'>>;
  readonly cacheMisses: CellCounter<LabelsOf<'cacheMisses'>>;
  readonly cacheSets: CellCounter<LabelsOf<'cacheSets'>>;
  readonly cacheDels: CellCounter<LabelsOf<'cacheDels'>>;
  readonly cacheErrors: CellCounter<LabelsOf<'cacheErrors'>>;
  readonly cacheInvalidations: CellCounter<LabelsOf<'cacheInvalidations'>>;
  readonly cacheEnabled: Gauge<LabelsOf<'cacheEnabled'>>;
  readonly candidateRequests: CellCounter<LabelsOf<'candidateRequests'>>;
  readonly httpDuration: CellHistogram<LabelsOf<'httpDuration'>>;
  readonly keyPatternsTracked: Gauge;
  readonly keyPatternLimit: Gauge;
  readonly cacheEntries: Gauge<LabelsOf<'cacheEntries'>>;
  readonly cacheSizeBytes: Gauge<LabelsOf<'cacheSizeBytes'>>;
  readonly abRequests: CellCounter<LabelsOf<'abRequests'>>;
  readonly circuitOpen: Gauge<LabelsOf<'circuitOpen'>>;
  readonly patternEnabled: Gauge<LabelsOf<'patternEnabled'>>;
  readonly redisNodes: Gauge<LabelsOf<'redisNodes'>>;
  readonly redisSlotsWithoutMaster: Gauge;
  readonly redisNodeErrors: CellCounter<LabelsOf<'redisNodeErrors'>>;
  /**
   * Read at scrape time into `redisNodes` and `redisSlotsWithoutMaster` (set by the Redis
   * cache); `undefined` (no Redis in use) exports no node series and 0 slots without master.
   */
  readonly redisTopology: { view: (() => RedisTopologyCounts | undefined) | undefined };
  readonly configReloads: Counter<LabelsOf<'configReloads'>>;
  readonly configLastReloadSuccessful: Gauge;
  readonly configLastReloadSuccessTime: Gauge;
  readonly redisUp: Gauge;
  readonly redisMemoryUsed: Gauge;
  readonly redisMemoryMax: Gauge;
  readonly redisDbKeys: Gauge<LabelsOf<'redisDbKeys'>>;
  readonly redisPatternKeys: Gauge<LabelsOf<'redisPatternKeys'>>;
  readonly redisPatternMemory: Gauge<LabelsOf<'redisPatternMemory'>>;
  readonly staleServed: Counter<LabelsOf<'staleServed'>>;
}

/** What the topology gauges show (structurally `TopologyView` of the Redis layer). */
export interface RedisTopologyCounts {
  readonly masters: number;
  readonly replicas: number;
  readonly slotsWithoutMaster: number;
}

/** Options of `createMetrics`. */
export interface CreateMetricsOptions {
  /** Also register prom-client's default process/Node.js metrics. @default true */
  readonly defaultMetrics?: boolean;
}

/** Registers every metric of the contract on `registry` and returns typed handles. */
export function createMetrics(registry: Registry, opts: CreateMetricsOptions = {}): Metrics {
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const reg = { registers: [registry] };
  const counter = <K extends keyof typeof METRICS>(k: K) =>
    new Counter<LabelsOf<K>>({ ...spec(k), ...reg });
  const cells = <K extends keyof typeof METRICS>(k: K) =>
    new CellCounter<LabelsOf<K>>({ ...spec(k), registry });
  const gauge = <K extends keyof typeof METRICS>(k: K) =>
    new Gauge<LabelsOf<K>>({ ...spec(k), ...reg });
  const redisTopology: Metrics['redisTopology'] = { view: undefined };
  const redisNodes = new Gauge<LabelsOf<'redisNodes'>>({
    ...spec('redisNodes'),
    ...reg,
    collect() {
      const v = redisTopology.view?.();
      if (!v) {
        this.reset();
        return;
      }
      this.set({ role: 'master' }, v.masters);
      this.set({ role: 'replica' }, v.replicas);
    },
  });
  const redisSlotsWithoutMaster = new Gauge({
    ...spec('redisSlotsWithoutMaster'),
    ...reg,
    collect() {
      this.set(redisTopology.view?.()?.slotsWithoutMaster ?? 0);
    },
  });
  return {
    registry,
    redisNodes,
    redisSlotsWithoutMaster,
    redisNodeErrors: cells('redisNodeErrors'),
    redisTopology,
    cacheHits: cells('cacheHits'),
    cacheMisses: cells('cacheMisses'),
    cacheSets: cells('cacheSets'),
    cacheDels: cells('cacheDels'),
    cacheErrors: cells('cacheErrors'),
    cacheInvalidations: cells('cacheInvalidations'),
    cacheEnabled: gauge('cacheEnabled'),
    candidateRequests: cells('candidateRequests'),
    httpDuration: new CellHistogram({ ...spec('httpDuration'), buckets: HTTP_BUCKETS, registry }),
    keyPatternsTracked: gauge('keyPatternsTracked'),
    keyPatternLimit: gauge('keyPatternLimit'),
    cacheEntries: gauge('cacheEntries'),
    cacheSizeBytes: gauge('cacheSizeBytes'),
    abRequests: cells('abRequests'),
    circuitOpen: gauge('circuitOpen'),
    patternEnabled: gauge('patternEnabled'),
    configReloads: counter('configReloads'),
    configLastReloadSuccessful: gauge('configLastReloadSuccessful'),
    configLastReloadSuccessTime: gauge('configLastReloadSuccessTime'),
    redisUp: gauge('redisUp'),
    redisMemoryUsed: gauge('redisMemoryUsed'),
    redisMemoryMax: gauge('redisMemoryMax'),
    redisDbKeys: gauge('redisDbKeys'),
    redisPatternKeys: gauge('redisPatternKeys'),
    redisPatternMemory: gauge('redisPatternMemory'),
    staleServed: counter('staleServed'),
  };
}

function spec<K extends keyof typeof METRICS>(k: K) {
  const m = METRICS[k];
  return { name: m.name, help: m.help, labelNames: [...m.labels] as LabelsOf<K>[] };
}
