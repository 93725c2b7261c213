import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../service/config.ts';
import { redisTarget } from '../service/redis-config.ts';
import { synthStaging } from './chart.ts';
import type { StagingConfigInput } from './config.ts';
import { stagingInputFromEnv } from './config-env.ts';
import type { MonitoringSources } from './monitoring.ts';

const fixture: MonitoringSources = { ruleGroups: [], dashboards: [] };

/** The pod env (as the service would see it) of a synthesised config; Secret values stubbed. */
function podEnv(input: Omit<StagingConfigInput, 'image'>, secret: Record<string, string>) {
  const { objects } = synthStaging(
    { image: { tag: '9.9.9' }, cacheImpl: 'redis', ...input },
    fixture,
  );
  const cm = objects.find(
    (o) => o.kind === 'ConfigMap' && !JSON.stringify(o).includes('grafana_dashboard'),
  ) as unknown as IConfigMap;
  const dep = objects.find((o) => o.kind === 'Deployment') as unknown as IDeployment;
  const env = dep.spec?.template.spec?.containers[0]?.env ?? [];
  const fromSecret: Record<string, string> = {};
  for (const e of env) {
    const ref = e.valueFrom?.secretKeyRef;
    if (ref && secret[ref.key] !== undefined) fromSecret[e.name] = secret[ref.key] ?? '';
  }
  return { data: cm.data ?? {}, env, service: { ...cm.data, ...fromSecret } };
}

describe('staging manifests: Redis Cluster and Sentinel settings (ConfigMap + Secret)', () => {
  it('cluster: seed URLs in the ConfigMap, password from the Secret, no REDIS_URL; the service accepts it', () => {
    const seeds = ['redis://redis-0.redis:6379', 'redis://redis-1.redis:6379'];
    const { data, env, service } = podEnv(
      { redis: { mode: 'cluster', clusterNodes: seeds } },
      { REDIS_PASSWORD: 'pw', DATABASE_URL: 'x', JWT_SECRET: 'y', REDIS_URL: 'redis://r:1' },
    );
    expect(data.REDIS_CLUSTER_NODES).toBe(seeds.join(','));
    expect(env.map((e) => e.name)).not.toContain('REDIS_URL');
    const pw = env.find((e) => e.name === 'REDIS_PASSWORD');
    expect(pw?.valueFrom?.secretKeyRef).toMatchObject({ key: 'REDIS_PASSWORD', optional: true });
    const config = loadConfig(service);
    expect(redisTarget(config)).toEqual({ mode: 'cluster', seeds });
    expect(config.REDIS_PASSWORD).toBe('pw');
  });

  it('sentinel: sentinels and master name in the ConfigMap; the service accepts it', () => {
    const { data, service } = podEnv(
      { redis: { mode: 'sentinel', sentinels: ['s-0.sentinel:26379'], sentinelName: 'mymaster' } },
      { DATABASE_URL: 'x', JWT_SECRET: 'y' },
    );
    expect(data).toMatchObject({
      REDIS_SENTINELS: 's-0.sentinel:26379',
      REDIS_SENTINEL_NAME: 'mymaster',
    });
    expect(redisTarget(loadConfig(service))).toEqual({
      mode: 'sentinel',
      name: 'mymaster',
      sentinels: [{ host: 's-0.sentinel', port: 26379 }],
    });
  });

  it('standalone (default): REDIS_URL from the Secret, no topology variables', () => {
    const { data, env } = podEnv({}, {});
    expect(Object.keys(data).filter((k) => k.startsWith('REDIS_'))).toEqual([]);
    expect(env.map((e) => e.name)).toContain('REDIS_URL');
  });

  it('refuses credentials in a ConfigMap seed URL, and an incomplete sentinel config, naming the field', () => {
    expect(() =>
      synthStaging(
        { image: { tag: '1' }, redis: { mode: 'cluster', clusterNodes: ['redis://:pw@r:6379'] } },
        fixture,
      ),
    ).toThrow(/redis\.clusterNodes\.0 .*no credentials/);
    expect(() =>
      synthStaging(stagingInputFromEnv({ IMAGE_TAG: '1', REDIS_SENTINELS: 's:1' }), fixture),
    ).toThrow(/redis\.sentinelName/);
  });

  it('make synth reads REDIS_CLUSTER_NODES / REDIS_SENTINELS / REDIS_SENTINEL_NAME', () => {
    expect(stagingInputFromEnv({ REDIS_CLUSTER_NODES: 'redis://a:1, redis://b:2' }).redis).toEqual({
      mode: 'cluster',
      clusterNodes: ['redis://a:1', 'redis://b:2'],
    });
    expect(stagingInputFromEnv({ REDIS_SENTINELS: 'a:1', REDIS_SENTINEL_NAME: 'm' }).redis).toEqual(
      {
        mode: 'sentinel',
        sentinels: ['a:1'],
        sentinelName: 'm',
      },
    );
  });
});
