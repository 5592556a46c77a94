import type { LabelSelectorSpec, PodAffinityTerm, PodSpec, Taint } from './kube-shapes.ts';
import type { Resources } from './pod-resources.ts';
import { requestsNothing } from './pod-resources.ts';
import { matchesNodeAffinity, tolerates } from '../node-selection.ts';

/** The scheduler's view of a node. */
export interface SchedNode {
  readonly name: string;
  readonly labels: Record<string, string>;
  /** Spec taints plus the not-ready/unreachable taints the node lifecycle controller would add. */
  readonly taints: readonly Taint[];
  readonly unschedulable: boolean;
  readonly allocatable: Resources;
  readonly allowedPods: number;
}

/** A host port a container claims. */
export interface HostPort {
  readonly ip: string;
  readonly protocol: string;
  readonly port: number;
}

/** The scheduler's view of a pod (assigned, or the one being scheduled). */
export interface SchedPod {
  readonly namespace: string;
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly spec: PodSpec;
  readonly requests: Resources;
  readonly priority: number;
  readonly hostPorts: readonly HostPort[];
}

/** A filter failure as framework.Status: Unresolvable ones make preemption pointless. */
export interface FilterVerdict {
  readonly code: 'Unschedulable' | 'UnschedulableAndUnresolvable';
  readonly reasons: readonly string[];
}

/** The state of the cluster a scheduling cycle reads. */
export interface ClusterSnapshot {
  podsOn(node: string): readonly SchedPod[];
  nodeOf(pod: SchedPod): SchedNode | undefined;
  allAssigned(): Iterable<SchedPod>;
  /** Whether any assigned pod has required anti-affinity (lets most cycles skip the pod scan). */
  anyRequiredAntiAffinity(): boolean;
  namespaceLabels(namespace: string): Record<string, string> | undefined;
}

export const REASON = {
  unschedulable: 'node(s) were unschedulable',
  affinity: "node(s) didn't match Pod's node affinity/selector",
  ports: "node(s) didn't have free ports for the requested pod ports",
  tooManyPods: 'Too many pods',
  podAffinity: "node(s) didn't match pod affinity rules",
  podAntiAffinity: "node(s) didn't match pod anti-affinity rules",
  existingAntiAffinity: "node(s) didn't satisfy existing pods anti-affinity rules",
} as const;

/**
 * Runs the default profile's filter plugins in their real order (NodeUnschedulable,
 * TaintToleration, NodeAffinity, NodePorts, NodeResourcesFit, InterPodAffinity); the first
 * failing plugin decides, as in the framework. Undefined means the node fits.
 */
export function filterNode(
  pod: SchedPod,
  node: SchedNode,
  cluster: ClusterSnapshot,
): FilterVerdict | undefined {
  const spec = pod.spec;
  if (
    node.unschedulable &&
    !tolerates(spec.tolerations, { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' })
  ) {
    return { code: 'UnschedulableAndUnresolvable', reasons: [REASON.unschedulable] };
  }
  const taint = node.taints.find(
    (candidate) =>
      (candidate.effect === 'NoSchedule' || candidate.effect === 'NoExecute') &&
      !tolerates(spec.tolerations, candidate),
  );
  if (taint) {
    return {
      code: 'UnschedulableAndUnresolvable',
      reasons: [`node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`],
    };
  }
  if (!matchesNodeAffinity(spec, node))
    return { code: 'UnschedulableAndUnresolvable', reasons: [REASON.affinity] };
  const onNode = cluster.podsOn(node.name);
  if (pod.hostPorts.length > 0 && onNode.some((other) => portsConflict(pod.hostPorts, other.hostPorts))) {
    return { code: 'Unschedulable', reasons: [REASON.ports] };
  }
  const insufficient = fitsResources(pod.requests, node, onNode);
  if (insufficient.length > 0) return { code: 'Unschedulable', reasons: insufficient };
  return interPodAffinity(pod, node, cluster);
}

/** NodeResourcesFit: every insufficient resource is reported, "Too many pods" first. */
export function fitsResources(requests: Resources, node: SchedNode, onNode: readonly SchedPod[]): string[] {
  const reasons: string[] = [];
  if (onNode.length + 1 > node.allowedPods) reasons.push(REASON.tooManyPods);
  if (requestsNothing(requests)) return reasons;
  const used = { milliCPU: 0, memory: 0, ephemeralStorage: 0, scalar: new Map<string, number>() };
  for (const other of onNode) {
    used.milliCPU += other.requests.milliCPU;
    used.memory += other.requests.memory;
    used.ephemeralStorage += other.requests.ephemeralStorage;
    for (const [name, value] of other.requests.scalar)
      used.scalar.set(name, (used.scalar.get(name) ?? 0) + value);
  }
  if (requests.milliCPU > 0 && requests.milliCPU > node.allocatable.milliCPU - used.milliCPU)
    reasons.push('Insufficient cpu');
  if (requests.memory > 0 && requests.memory > node.allocatable.memory - used.memory)
    reasons.push('Insufficient memory');
  if (
    requests.ephemeralStorage > 0 &&
    requests.ephemeralStorage > node.allocatable.ephemeralStorage - used.ephemeralStorage
  ) {
    reasons.push('Insufficient ephemeral-storage');
  }
  for (const [name, value] of requests.scalar) {
    if (value > 0 && value > (node.allocatable.scalar.get(name) ?? 0) - (used.scalar.get(name) ?? 0))
      reasons.push(`Insufficient ${name}`);
  }
  return reasons;
}

function portsConflict(wanted: readonly HostPort[], used: readonly HostPort[]): boolean {
  return wanted.some((port) =>
    used.some(
      (other) =>
        other.port === port.port &&
        other.protocol === port.protocol &&
        (other.ip === port.ip || other.ip === '0.0.0.0' || port.ip === '0.0.0.0'),
    ),
  );
}

/** Matches a metav1.LabelSelector; a missing selector selects nothing, an empty one everything. */
export function selectorMatches(
  selector: LabelSelectorSpec | undefined,
  labels: Record<string, string>,
): boolean {
  if (!selector) return false;
  for (const [key, value] of Object.entries(selector.matchLabels ?? {}))
    if (labels[key] !== value) return false;
  return (selector.matchExpressions ?? []).every((expr) => {
    const value = labels[expr.key];
    const values = expr.values ?? [];
    switch (expr.operator) {
      case 'In':
        return value !== undefined && values.includes(value);
      case 'NotIn':
        return value === undefined || !values.includes(value);
      case 'Exists':
        return value !== undefined;
      case 'DoesNotExist':
        return value === undefined;
      default:
        return false;
    }
  });
}

function termMatches(
  term: PodAffinityTerm,
  owner: SchedPod,
  candidate: SchedPod,
  cluster: ClusterSnapshot,
): boolean {
  const namespaces = term.namespaces ?? [];
  let inNamespace: boolean;
  if (namespaces.length === 0 && !term.namespaceSelector) {
    inNamespace = candidate.namespace === owner.namespace;
  } else {
    inNamespace =
      namespaces.includes(candidate.namespace) ||
      (term.namespaceSelector !== undefined &&
        selectorMatches(term.namespaceSelector, cluster.namespaceLabels(candidate.namespace) ?? {}));
  }
  return inNamespace && selectorMatches(term.labelSelector, candidate.labels);
}

/** InterPodAffinity with required terms only (preferred ones only score). */
function interPodAffinity(
  pod: SchedPod,
  node: SchedNode,
  cluster: ClusterSnapshot,
): FilterVerdict | undefined {
  const affinity = pod.spec.affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [];
  const anti = pod.spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [];
  if (affinity.length === 0 && anti.length === 0 && !cluster.anyRequiredAntiAffinity()) return undefined;
  const existingWithAnti: Array<{ other: SchedPod; otherNode: SchedNode }> = [];
  const all: Array<{ other: SchedPod; otherNode: SchedNode }> = [];
  for (const other of cluster.allAssigned()) {
    const otherNode = cluster.nodeOf(other);
    if (!otherNode) continue;
    all.push({ other, otherNode });
    if (
      (other.spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).length > 0
    ) {
      existingWithAnti.push({ other, otherNode });
    }
  }
  if (affinity.length > 0) {
    if (affinity.some((term) => node.labels[term.topologyKey] === undefined)) {
      return { code: 'UnschedulableAndUnresolvable', reasons: [REASON.podAffinity] };
    }
    const matching = all.filter(({ other }) =>
      affinity.every((term) => termMatches(term, pod, other, cluster)),
    );
    const satisfied = affinity.every((term) =>
      matching.some(({ otherNode }) => otherNode.labels[term.topologyKey] === node.labels[term.topologyKey]),
    );
    // The first pod of a group with affinity to itself may go anywhere that has the topologies.
    const firstOfGroup =
      matching.length === 0 && affinity.every((term) => termMatches(term, pod, pod, cluster));
    if (!satisfied && !firstOfGroup)
      return { code: 'UnschedulableAndUnresolvable', reasons: [REASON.podAffinity] };
  }
  for (const term of anti) {
    const value = node.labels[term.topologyKey];
    if (value === undefined) continue;
    if (
      all.some(
        ({ other, otherNode }) =>
          otherNode.labels[term.topologyKey] === value && termMatches(term, pod, other, cluster),
      )
    ) {
      return { code: 'Unschedulable', reasons: [REASON.podAntiAffinity] };
    }
  }
  for (const { other, otherNode } of existingWithAnti) {
    for (const term of other.spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ??
      []) {
      const value = otherNode.labels[term.topologyKey];
      if (
        value !== undefined &&
        node.labels[term.topologyKey] === value &&
        termMatches(term, other, pod, cluster)
      ) {
        return { code: 'Unschedulable', reasons: [REASON.existingAntiAffinity] };
      }
    }
  }
  return undefined;
}
