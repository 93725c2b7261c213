import { ApiObject, Duration, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import type { Construct } from 'constructs';
import type { StagingConfig } from './config.ts';
import {
  CONFIG_CHECKSUM_ANNOTATION,
  configChecksum,
  POD_USER_ID,
  PRE_STOP_SLEEP_SECONDS,
  RUNTIME_CONFIG_DIR,
  RUNTIME_CONFIG_KEY,
  runtimeConfigFile,
  SECRET_ENV_KEYS,
  SERVICE_PORT,
  SERVICE_PORT_NAME,
  serviceConfigData,
  TERMINATION_GRACE_SECONDS,
} from './service-env.ts';

/**
 * The service's ConfigMap and Deployment. cdk8s-plus-27 supplies non-root, read-only root
 * FS and no privilege escalation; we add the rest (uid, dropped capabilities, seccomp,
 * readiness/liveness probes, preStop) because its defaults stop short of them.
 */
export function addWorkload(
  scope: Construct,
  config: StagingConfig,
  selectorLabels: Readonly<Record<string, string>>,
): kplus.Deployment {
  const data = serviceConfigData(config);
  const configMap = new kplus.ConfigMap(scope, 'config', {
    metadata: { name: config.appName },
    data,
  });

  const deployment = new kplus.Deployment(scope, 'deployment', {
    metadata: { name: config.appName },
    replicas: config.replicas,
    select: false,
    podMetadata: {
      labels: { ...selectorLabels },
      annotations: { [CONFIG_CHECKSUM_ANNOTATION]: configChecksum(data) },
    },
    terminationGracePeriod: Duration.seconds(TERMINATION_GRACE_SECONDS),
    automountServiceAccountToken: false,
    securityContext: {
      ensureNonRoot: true,
      user: POD_USER_ID,
      group: POD_USER_ID,
      fsGroup: POD_USER_ID,
    },
    containers: [
      {
        name: 'service',
        image: `${config.image.repository}:${config.image.tag}`,
        imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
        ports: [{ number: SERVICE_PORT, name: SERVICE_PORT_NAME }],
        envFrom: [kplus.Env.fromConfigMap(configMap)],
        // Startup allows 60 s to boot; readiness drops a pod from the Service quickly;
        // liveness is slower so a busy pod is not killed for one late answer.
        startup: healthProbe({ periodSeconds: 2, failureThreshold: 30 }),
        readiness: healthProbe({ periodSeconds: 5, failureThreshold: 2 }),
        liveness: healthProbe({ periodSeconds: 10, failureThreshold: 3 }),
        lifecycle: {
          preStop: kplus.Handler.fromCommand(['sleep', String(PRE_STOP_SLEEP_SECONDS)]),
        },
        resources: {
          cpu: { request: kplus.Cpu.millis(100), limit: kplus.Cpu.millis(500) },
          memory: { request: Size.mebibytes(128), limit: Size.mebibytes(256) },
        },
        securityContext: {
          ensureNonRoot: true,
          user: POD_USER_ID,
          group: POD_USER_ID,
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          privileged: false,
        },
      },
    ],
  });
  deployment.select(kplus.LabelSelector.of({ labels: { ...selectorLabels } }));
  // Prefer (not require) one replica per node, so a node loss keeps one serving; a one-node
  // staging cluster still schedules both.
  deployment.scheduling.spread({ topology: kplus.Topology.HOSTNAME, weight: 100 });

  const container = deployment.containers[0];
  if (container === undefined) throw new Error('deployment has no container');
  const secret = kplus.Secret.fromSecretName(scope, 'secret', config.secretName);
  for (const key of SECRET_ENV_KEYS) {
    // REDIS_URL only matters once CACHE_IMPL=redis; until then a Secret without it is fine.
    const optional = key === 'REDIS_URL' && config.cacheImpl !== 'redis';
    container.env.addVariable(key, kplus.EnvValue.fromSecretValue({ secret, key }, { optional }));
  }
  // Run-time settings: a file the service reloads (CACHE_CONFIG_FILE), so changing them
  // needs no rollout and stays out of the checksum. Created after the Deployment so the
  // object order of the restart ConfigMap and Deployment stays as it was.
  const runtime = new kplus.ConfigMap(scope, 'runtime-config', {
    metadata: { name: `${config.appName}-runtime` },
    data: { [RUNTIME_CONFIG_KEY]: runtimeConfigFile(config) },
  });
  container.mount(
    RUNTIME_CONFIG_DIR,
    kplus.Volume.fromConfigMap(scope, 'runtime-config-volume', runtime, { name: 'runtime-config' }),
    { readOnly: true },
  );
  // tsx writes its transpile cache under os.tmpdir(); the root filesystem is read-only.
  container.mount(
    '/tmp',
    kplus.Volume.fromEmptyDir(scope, 'tmp', 'tmp', { sizeLimit: Size.mebibytes(64) }),
  );

  // Fields cdk8s-plus-27 cannot express: its Capability enum has no ALL, and its pod
  // security context has no seccompProfile.
  const api = ApiObject.of(deployment);
  api.addJsonPatch(
    JsonPatch.add('/spec/template/spec/containers/0/securityContext/capabilities', {
      drop: ['ALL'],
    }),
    JsonPatch.add('/spec/template/spec/securityContext/seccompProfile', { type: 'RuntimeDefault' }),
  );
  return deployment;
}

function healthProbe(timing: { periodSeconds: number; failureThreshold: number }): kplus.Probe {
  return kplus.Probe.fromHttpGet('/health', {
    port: SERVICE_PORT,
    periodSeconds: Duration.seconds(timing.periodSeconds),
    failureThreshold: timing.failureThreshold,
    timeoutSeconds: Duration.seconds(2),
  });
}
