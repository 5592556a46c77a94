import type { KubeObject } from '../api/kube-object.ts';
import type { SimClock } from '../sim-clock.ts';
import type { ObjectCache } from './object-cache.ts';
import type { PodSpec, PodStatus, StatusCondition } from './workload-types.ts';

/** The pod's status, typed. */
export function podStatus(pod: KubeObject): PodStatus {
  return pod.status ?? {};
}

/** The pod's spec, typed. */
export function podSpec(pod: KubeObject): PodSpec {
  return pod.spec ?? {};
}

/** The pod condition of a type, if present. */
export function podCondition(pod: KubeObject, type: string): StatusCondition | undefined {
  return podStatus(pod).conditions?.find((condition) => condition.type === type);
}

/** `podutil.IsPodReady`: the Ready condition is True. */
export function isPodReady(pod: KubeObject): boolean {
  return podCondition(pod, 'Ready')?.status === 'True';
}

/** Succeeded or Failed. */
export function isPodTerminal(pod: KubeObject): boolean {
  const phase = podStatus(pod).phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

/** `controller.IsPodActive`: neither terminal nor being deleted. */
export function isPodActive(pod: KubeObject): boolean {
  return !isPodTerminal(pod) && !pod.metadata.deletionTimestamp;
}

/**
 * `podutil.IsPodAvailable` with minReadySeconds in simulated time. Returns how many simulated ms
 * remain until the pod becomes available, 0 when available now, or undefined when it is not Ready.
 */
export function podAvailableIn(
  cache: ObjectCache,
  clock: SimClock,
  pod: KubeObject,
  minReadySeconds: number,
): number | undefined {
  if (!isPodReady(pod)) return undefined;
  if (minReadySeconds <= 0) return 0;
  const since = cache.podReadySince(pod) ?? performance.now();
  const elapsedSimMs = (performance.now() - since) / clock.timeScale;
  return Math.max(0, minReadySeconds * 1000 - elapsedSimMs);
}

/** The total restarts of the pod's containers, for ranking and OnFailure backoff. */
export function podRestarts(pod: KubeObject): number {
  const status = podStatus(pod);
  let total = 0;
  for (const container of [...(status.containerStatuses ?? []), ...(status.initContainerStatuses ?? [])]) {
    total += container.restartCount ?? 0;
  }
  return total;
}
