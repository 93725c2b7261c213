/**
 * The metric contract: every metric name, its help text and its label names, defined
 * once. The service registers exactly these (see `createMetrics`); dashboards, alert
 * rules, k8s monitoring objects and their tests import them from here.
 */
export const METRICS = {
  cacheHits: {
    name: 'cache_hits_total',
    help: 'Cache gets that found a value.',
    labels: ['impl', 'key_pattern'],
  },
  cacheMisses: {
    name: 'cache_miss_total',
    help: 'Cache gets that found nothing (every get of NullCache).',
    labels: ['impl', 'key_pattern'],
  },
  cacheSets: {
    name: 'cache_set_total',
    help: 'Cache sets attempted.',
    labels: ['impl', 'key_pattern'],
  },
  cacheDels: {
    name: 'cache_del_total',
    help: 'Cache deletes attempted.',
    labels: ['impl', 'key_pattern'],
  },
  cacheErrors: {
    name: 'cache_errors_total',
    help: 'Cache operations that failed; the request fell back to the source.',
    labels: ['impl', 'error_type'],
  },
  cacheInvalidations: {
    name: 'cache_invalidate_total',
    help: 'Tag invalidations, by tag pattern.',
    labels: ['impl', 'tag'],
  },
  cacheEnabled: {
    name: 'cache_enabled',
    help: '1 when the cache implementation is active and FEATURE_CACHE is on, else 0.',
    labels: ['impl'],
  },
  candidateRequests: {
    name: 'cache_candidate_requests',
    help: 'Requests to routes marked as cache candidates, by route template.',
    labels: ['route', 'method'],
  },
  httpDuration: {
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by route template, method, status class and A/B variant.',
    labels: ['route', 'method', 'status_class', 'variant'],
  },
  keyPatternsTracked: {
    name: 'cache_key_patterns_tracked',
    help: 'Distinct key_pattern label values in use (excluding the overflow pattern).',
    labels: [],
  },
  keyPatternLimit: {
    name: 'cache_key_pattern_limit',
    help: 'Configured maximum of distinct key_pattern values before folding into "other".',
    labels: [],
  },
  cacheEntries: {
    name: 'cache_entries',
    help: 'Entries held by the in-process cache implementation.',
    labels: ['impl'],
  },
  cacheSizeBytes: {
    name: 'cache_size_bytes',
    help: 'Approximate bytes held by the in-process cache implementation.',
    labels: ['impl'],
  },
  // Phase 2 sizing estimates (online miss-ratio curves, SHARDS).
  estimatedHitRatio: {
    name: 'cache_estimated_hit_ratio',
    help: 'Estimated LRU hit ratio per key pattern at a configured cache size in entries.',
    labels: ['key_pattern', 'size_entries'],
  },
  estimatedHitRatioBytes: {
    name: 'cache_estimated_hit_ratio_by_bytes',
    help: 'Estimated LRU hit ratio per key pattern at a configured cache size in Redis bytes, since start.',
    labels: ['key_pattern', 'size_bytes'],
  },
  estimatedWorkingSetBytes: {
    name: 'cache_estimated_working_set_bytes',
    help: 'Estimated Redis bytes of the live keys of a pattern (value keys, TTLs, tag sets).',
    labels: ['key_pattern'],
  },
  estimatedWorkingSetEntries: {
    name: 'cache_estimated_working_set_entries',
    help: 'Estimated live keys of a pattern in the modelled shared cache.',
    labels: ['key_pattern'],
  },
  estimatedTagSetBytes: {
    name: 'cache_estimated_tag_set_bytes',
    help: 'Part of the working set that is tag sets, by the pattern of the tag (shared between patterns).',
    labels: ['key_pattern', 'tag_pattern'],
  },
  estimatedTagSets: {
    name: 'cache_estimated_tag_sets',
    help: 'Estimated live tag sets per tag pattern in the modelled cache (all patterns together).',
    labels: ['tag_pattern'],
  },
  estimatedTagSetsBytes: {
    name: 'cache_estimated_tag_sets_bytes',
    help: 'Estimated Redis bytes of the live tag sets themselves per tag pattern (members are in each pattern).',
    labels: ['tag_pattern'],
  },
  estimatedGets: {
    name: 'cache_estimated_gets_total',
    help: 'Gets the hit-ratio estimator modelled (sampled, scaled to all keys); denominator of cache_estimated_hits_total.',
    labels: ['key_pattern'],
  },
  estimatedHits: {
    name: 'cache_estimated_hits_total',
    help: 'Modelled gets that would hit in an LRU cache of size_bytes Redis bytes (the whole curve, 2 sizes per doubling).',
    labels: ['key_pattern', 'size_bytes'],
  },
  estimatorSharedReplicas: {
    name: 'cache_estimator_shared_replicas',
    help: 'Replicas the estimator assumes share one Redis (ESTIMATOR_REPLICAS).',
    labels: [],
  },
  estimatorSamplingRate: {
    name: 'cache_estimator_sampling_rate',
    help: 'Spatial sampling rate in force for the hit-ratio estimator of a pattern.',
    labels: ['key_pattern'],
  },
  // Phase 3 rollout.
  abRequests: {
    name: 'cache_ab_requests_total',
    help: 'Requests by A/B variant for key patterns in the rollout whitelist.',
    labels: ['variant', 'key_pattern'],
  },
  circuitOpen: {
    name: 'cache_circuit_open',
    help: '1 while the circuit breaker bypasses the cache implementation, else 0.',
    labels: ['impl'],
  },
  patternEnabled: {
    name: 'cache_pattern_enabled',
    help: '1 for key patterns served by the real cache (rollout whitelist), else absent.',
    labels: ['key_pattern'],
  },
  // Redis topology (CACHE_IMPL=redis: standalone, Sentinel or Cluster).
  redisNodes: {
    name: 'cache_redis_nodes',
    help: 'Redis nodes the client sees, by role (master, replica).',
    labels: ['role'],
  },
  redisSlotsWithoutMaster: {
    name: 'cache_redis_slots_without_master',
    help: 'Hash slots (16384 in Cluster mode, 1 otherwise) with no connected writable master.',
    labels: [],
  },
  redisNodeErrors: {
    name: 'cache_redis_node_errors_total',
    help: 'Failed Redis operations by shard (Cluster: master rank by lowest slot; else "0").',
    labels: ['shard', 'error_type'],
  },
} as const;

/** `role` values of `cache_redis_nodes`. */
export const REDIS_ROLES = ['master', 'replica'] as const;

export type MetricKey = keyof typeof METRICS;
export type MetricName = (typeof METRICS)[MetricKey]['name'];
/** Every metric name the service registers (besides prom-client's default process metrics). */
export const METRIC_NAMES: readonly MetricName[] = Object.values(METRICS).map((m) => m.name);

/** The overflow `key_pattern` for keys that are not pattern-shaped or past the limit. */
export const OTHER_PATTERN = 'other';
/** `variant` label values of the latency histogram and A/B counters. */
export const VARIANTS = ['off', 'treatment', 'control'] as const;
export type Variant = (typeof VARIANTS)[number];
/** Latency histogram buckets (seconds); 0.5 is an edge so "p95 > 500 ms" is exact. */
export const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5] as const;
/** Default sizes (entries) at which `cache_estimated_hit_ratio` is exported. */
export const DEFAULT_ESTIMATE_SIZES_ENTRIES = [100, 1_000, 10_000, 100_000] as const;
/** Default sizes (bytes) at which `cache_estimated_hit_ratio_by_bytes` is exported. */
export const DEFAULT_ESTIMATE_SIZES_BYTES = [1_048_576, 16_777_216, 134_217_728] as const;
