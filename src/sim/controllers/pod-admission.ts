import { ApiError } from '../api/api-error.ts';
import type { KubeObject } from '../api/kube-object.ts';
import { R } from '../resources.ts';
import type { ObjectStore } from '../store/object-store.ts';
import { defaultPodSpec } from './pod-defaults.ts';
import { podQosClass } from './pod-qos.ts';
import { randomSuffix } from './random-name.ts';
import type { ContainerSpec, PodSpec } from './workload-types.ts';

const TOKEN_MOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';
const TOKEN_VOLUME_PREFIX = 'kube-api-access-';
const SYSTEM_PRIORITIES: Record<string, number> = {
  'system-node-critical': 2_000_001_000,
  'system-cluster-critical': 2_000_000_000,
};
const DEFAULT_TOLERATED_TAINTS = ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable'];

function tolerates(tolerations: Array<Record<string, unknown>>, key: string): boolean {
  return tolerations.some((toleration) => {
    const keyMatches = toleration.key === key || (toleration.operator === 'Exists' && !toleration.key);
    const effect = toleration.effect;
    return keyMatches && (effect === undefined || effect === '' || effect === 'NoExecute');
  });
}

function mountToken(spec: PodSpec, random: () => number): void {
  const volumes = (spec.volumes ??= []);
  const existing = volumes.find((volume) => volume.name.startsWith(TOKEN_VOLUME_PREFIX));
  const volumeName = existing?.name ?? `${TOKEN_VOLUME_PREFIX}${randomSuffix(random)}`;
  let needed = false;
  const mountInto = (container: ContainerSpec) => {
    const mounts = (container.volumeMounts ??= []);
    if (mounts.some((mount) => mount.mountPath === TOKEN_MOUNT_PATH)) return;
    mounts.push({ name: volumeName, readOnly: true, mountPath: TOKEN_MOUNT_PATH });
    needed = true;
  };
  for (const container of spec.initContainers ?? []) mountInto(container);
  for (const container of spec.containers ?? []) mountInto(container);
  if (existing || !needed) return;
  volumes.push({
    name: volumeName,
    projected: {
      sources: [
        { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
        { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
        {
          downwardAPI: {
            items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }],
          },
        },
      ],
      defaultMode: 420,
    },
  });
}

/**
 * Does to a new Pod what the API server does between decoding and storing it: defaulting, then the
 * default admission plugins that change pods (ServiceAccount with its token volume,
 * DefaultTolerationSeconds, Priority), then the create strategy's initial status
 * (phase Pending, qosClass). Mutates `pod`. Throws the 403 a real server answers when the service
 * account does not exist, which is what makes ReplicaSets report FailedCreate until it does.
 */
export function admitPod(store: ObjectStore, pod: KubeObject, random: () => number): void {
  const spec = defaultPodSpec(pod.spec);
  const namespace = pod.metadata.namespace ?? 'default';
  const accountName = spec.serviceAccountName ?? 'default';
  const account = store.get(R.serviceAccount, namespace, accountName);
  if (!account) {
    const name = pod.metadata.name ?? pod.metadata.generateName ?? '';
    throw new ApiError(
      403,
      'Forbidden',
      `pods "${name}" is forbidden: error looking up service account ${namespace}/${accountName}: serviceaccount "${accountName}" not found`,
      { name, kind: 'pods' },
    );
  }
  const accountAutomount = (account as { automountServiceAccountToken?: boolean })
    .automountServiceAccountToken;
  const automount = spec.automountServiceAccountToken ?? accountAutomount ?? true;
  if (automount) mountToken(spec, random);
  const tolerations = (spec.tolerations ??= []);
  for (const key of DEFAULT_TOLERATED_TAINTS) {
    if (!tolerates(tolerations, key)) {
      tolerations.push({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 });
    }
  }
  spec.priority ??= SYSTEM_PRIORITIES[spec.priorityClassName ?? ''] ?? 0;
  spec.preemptionPolicy ??= 'PreemptLowerPriority';
  pod.spec = spec;
  pod.status = { phase: 'Pending', qosClass: podQosClass(spec) };
}
