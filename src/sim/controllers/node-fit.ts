import type { KubeObject } from '../api/kube-object.ts';
import type { PodSpec as SchedulingPodSpec, Taint } from '../kubelet/kube-shapes.ts';
import { matchesNodeAffinity, tolerates } from '../node-selection.ts';
import type { PodSpec } from './workload-types.ts';

/**
 * `NodeShouldRunDaemonPod`'s node checks over stored Node objects, through the scheduler's own
 * matching (src/sim/node-selection.ts), so daemons land exactly where the scheduler would allow.
 */

/** Whether the pod's nodeSelector and required node affinity admit the node. */
export function nodeMatchesPod(spec: PodSpec, node: KubeObject): boolean {
  return matchesNodeAffinity(spec, {
    name: node.metadata.name ?? '',
    labels: node.metadata.labels ?? {},
  });
}

/** The node's taints that keep pods away (PreferNoSchedule only scores). */
export function untoleratedTaints(spec: PodSpec, node: KubeObject): Taint[] {
  const taints = ((node.spec as { taints?: Taint[] } | undefined)?.taints ?? []).filter(
    (taint) => taint.effect !== 'PreferNoSchedule',
  );
  return taints.filter((taint) => !tolerates((spec as SchedulingPodSpec).tolerations, taint));
}
