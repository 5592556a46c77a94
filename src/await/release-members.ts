import type { KubeObject } from '../kube/cluster-client.ts';
import type { WorkloadRef } from './readiness.ts';
import { WorkloadKind, workloadKey } from './readiness.ts';

/** The label charts put on everything of a release (by convention, not enforced). */
export const INSTANCE_LABEL = 'app.kubernetes.io/instance';
/** The annotation helm 3 and 4 put on every object they create. */
export const RELEASE_NAME_ANNOTATION = 'meta.helm.sh/release-name';
/** Marks hooks (tests, pre-install jobs…): not part of what `helm install` leaves running. */
export const HOOK_ANNOTATION = 'helm.sh/hook';

/** True for objects helm created as hooks. */
export function isHelmHook(object: KubeObject): boolean {
  return object.metadata.annotations?.[HOOK_ANNOTATION] !== undefined;
}

/** True when the object carries the release's name in the helm annotation or the instance label. */
export function belongsToRelease(object: KubeObject, release: string): boolean {
  return (
    object.metadata.annotations?.[RELEASE_NAME_ANNOTATION] === release ||
    object.metadata.labels?.[INSTANCE_LABEL] === release
  );
}

function hasOwner(object: KubeObject): boolean {
  return (object.metadata.ownerReferences ?? []).length > 0;
}

/**
 * The workloads a release created, found through the API instead of `helm get manifest`:
 * Deployments, StatefulSets and DaemonSets of the release, its non-hook Jobs and ReplicaSets and
 * bare pods that no controller owns (a Deployment's ReplicaSets carry its pod labels too).
 */
export function discoverReleaseWorkloads(
  objects: Iterable<KubeObject>,
  release: string,
  namespace: string,
): WorkloadRef[] {
  const refs: WorkloadRef[] = [];
  for (const object of objects) {
    if (!belongsToRelease(object, release) || isHelmHook(object)) continue;
    const kind = object.kind;
    const name = object.metadata.name ?? '';
    switch (kind) {
      case WorkloadKind.Deployment:
      case WorkloadKind.StatefulSet:
      case WorkloadKind.DaemonSet:
        refs.push({ kind, name, namespace });
        break;
      case WorkloadKind.Job:
      case WorkloadKind.ReplicaSet:
      case WorkloadKind.Pod:
        if (!hasOwner(object)) refs.push({ kind, name, namespace });
        break;
      default:
        break;
    }
  }
  return refs.sort((a, b) => workloadKey(a.kind, a.name).localeCompare(workloadKey(b.kind, b.name)));
}

/**
 * The pods that belong to the workloads: owned by one of them (Deployment pods through their
 * ReplicaSet) or named as a bare pod. Hook pods never belong.
 */
export function podsOfWorkloads(
  pods: Iterable<KubeObject>,
  workloads: readonly WorkloadRef[],
  replicaSets: Iterable<KubeObject>,
): KubeObject[] {
  const wanted = new Set(workloads.map((ref) => workloadKey(ref.kind, ref.name)));
  const deploymentReplicaSets = new Set<string>();
  for (const rs of replicaSets) {
    for (const owner of rs.metadata.ownerReferences ?? []) {
      if (owner.kind === WorkloadKind.Deployment && wanted.has(workloadKey(owner.kind, owner.name)))
        deploymentReplicaSets.add(rs.metadata.name ?? '');
    }
  }
  const members: KubeObject[] = [];
  for (const pod of pods) {
    if (isHelmHook(pod)) continue;
    const name = pod.metadata.name ?? '';
    const owners = pod.metadata.ownerReferences ?? [];
    const owned = owners.some(
      (owner) =>
        wanted.has(workloadKey(owner.kind, owner.name)) ||
        (owner.kind === WorkloadKind.ReplicaSet && deploymentReplicaSets.has(owner.name)),
    );
    if (owned || (owners.length === 0 && wanted.has(workloadKey(WorkloadKind.Pod, name)))) members.push(pod);
  }
  return members;
}

/** Normalises a caller's workload list (e.g. parsed from `helm get manifest`): known kinds only. */
export function workloadRefs(
  objects: readonly { kind: string; name: string; namespace?: string | undefined }[],
  namespace: string,
): WorkloadRef[] {
  const kinds = new Set<string>(Object.values(WorkloadKind));
  return objects
    .filter((object) => kinds.has(object.kind) && (object.namespace ?? namespace) === namespace)
    .map((object) => ({ kind: object.kind as WorkloadKind, name: object.name, namespace }));
}
