import { ApiObject, Duration, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import type { Construct } from 'constructs';
import { imageReference, type StagingConfig } from './config.ts';
import {
  CONFIG_CHECKSUM_ANNOTATION,
  configChecksum,
  heapSizeMiB,
  POD_RESOURCES,
  POD_USER_ID,
  PRE_STOP_SLEEP_SECONDS,
  RUNTIME_CONFIG_DIR,
  RUNTIME_CONFIG_KEY,
  runtimeConfigFile,
  SERVICE_PORT,
  SERVICE_PORT_NAME,
  secretEnvKeys,
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
        image: imageReference(config.image),
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
          cpu: {
            request: kplus.Cpu.millis(POD_RESOURCES.cpuRequestMillis),
            limit: kplus.Cpu.millis(POD_RESOURCES.cpuLimitMillis),
          },
          memory: {
            request: Size.mebibytes(POD_RESOURCES.memoryRequestMiB),
            limit: Size.mebibytes(config.memoryLimitMiB),
          },
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

  const container = deployment.containers[0];
  if (container === undefined) throw new Error('deployment has no container');
  // V8 sizes its heap from the host, not the cgroup: cap it below the container limit.
  container.env.addVariable(
    'NODE_OPTIONS',
    kplus.EnvValue.fromValue(`--max-old-space-size=${heapSizeMiB(config.memoryLimitMiB)}`),
  );
  const secret = kplus.Secret.fromSecretName(scope, 'secret', config.secretName);
  for (const key of secretEnvKeys(config)) {
    // REDIS_URL only matters once CACHE_IMPL=redis; until then a Secret without it is fine.
    // REDIS_PASSWORD is optional: a Redis without AUTH, or a password inside REDIS_URL.
    const optional =
      (key === 'REDIS_URL' && config.cacheImpl !== 'redis') || key === 'REDIS_PASSWORD';
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

  // Fields cdk8s-plus-27 cannot express: its Capability enum has no ALL, its pod security
  // context has no seccompProfile, and it writes ephemeral-storage in whole Gi only (the
  // patches run before its serialisation, hence Quantity objects).
  const api = ApiObject.of(deployment);
  api.addJsonPatch(
    JsonPatch.add('/spec/template/spec/containers/0/securityContext/capabilities', {
      drop: ['ALL'],
    }),
    JsonPatch.add('/spec/template/spec/securityContext/seccompProfile', { type: 'RuntimeDefault' }),
    JsonPatch.add(
      '/spec/template/spec/containers/0/resources/requests/ephemeral-storage',
      kplus.k8s.Quantity.fromString(`${POD_RESOURCES.ephemeralStorageRequestMiB}Mi`),
    ),
    JsonPatch.add(
      '/spec/template/spec/containers/0/resources/limits/ephemeral-storage',
      kplus.k8s.Quantity.fromString(`${POD_RESOURCES.ephemeralStorageLimitMiB}Mi`),
    ),
    // cdk8s-plus labels every pod with its construct address; nothing selects on it here,
    // and it would change (rolling the pods) whenever the construct tree is rearranged.
    JsonPatch.remove('/spec/template/metadata/labels/cdk8s.io~1metadata.addr'),
    // Prefer (not require) one replica per node, so a node loss keeps one serving; a
    // one-node staging cluster still schedules both. On the app's own stable labels:
    // cdk8s-plus' `scheduling.spread` would select on its internal cdk8s.io/metadata.addr.
    JsonPatch.add('/spec/template/spec/affinity', {
      podAntiAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: [
          {
            weight: 100,
            podAffinityTerm: {
              labelSelector: { matchLabels: { ...selectorLabels } },
              topologyKey: 'kubernetes.io/hostname',
            },
          },
        ],
      },
    }),
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
