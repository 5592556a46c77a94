import type { KubeObject } from '../api/kube-object.ts';
import { ReconcileQueue } from '../reconcile-queue.ts';
import { R } from '../resources.ts';
import type { SimTimer } from '../sim-clock.ts';
import type { SimComponent, SimContext } from '../sim-context.ts';
import type { StoreEvent } from '../store/object-store.ts';
import { kubeTime } from '../store/object-store.ts';
import type { NodeCondition, PodCondition, Taint } from './kube-shapes.ts';
import { podSpecOf, podStatusOf } from './kube-shapes.ts';
import type { Resources } from './pod-resources.ts';
import { emptyResources, podRequests } from './pod-resources.ts';
import { cpuMillis, wholeUnits } from '../../kube/quantity.ts';
import type { ClusterSnapshot, FilterVerdict, HostPort, SchedNode, SchedPod } from './scheduling-filters.ts';
import { filterNode } from './scheduling-filters.ts';

/** Options of {@link PodScheduler}. */
export interface PodSchedulerOptions {
  /** Pods with this spec.schedulerName are ours; default "default-scheduler". */
  schedulerName?: string;
}

interface CachedPod extends SchedPod {
  readonly node: string;
  readonly nonZero: Resources;
  readonly ownerUid: string | undefined;
  readonly hasAntiAffinity: boolean;
}

interface CachedNode extends SchedNode {
  readonly fingerprint: string;
}

interface Waiting {
  readonly uid: string;
  attempts: number;
  lastAttempt: number;
  gated: boolean;
  hasPodAffinity: boolean;
  timer: SimTimer | undefined;
  timerDue: number;
}

const SOURCE = { component: 'default-scheduler' } as const;
const INITIAL_BACKOFF_MS = 1_000;
const MAX_BACKOFF_MS = 10_000;
// podMaxInUnschedulablePodsDuration: unschedulable pods are retried at least this often.
const FLUSH_MS = 5 * 60_000;
const TERMINAL = new Set(['Succeeded', 'Failed']);

function keyOf(object: KubeObject): string {
  return `${object.metadata.namespace ?? ''}/${object.metadata.name ?? ''}`;
}

/**
 * The simulated kube-scheduler: binds pending pods of its schedulerName to the least-allocated
 * node that passes the default profile's filters, or marks them Unschedulable with the exact
 * FitError text (including the preemption post-filter part) and retries them with backoff when
 * nodes or pods change, like the real scheduling queue.
 */
export class PodScheduler implements SimComponent {
  private readonly ctx: SimContext;
  private readonly schedulerName: string;
  private readonly nodes = new Map<string, CachedNode>();
  private readonly assigned = new Map<string, CachedPod>();
  private readonly byNode = new Map<string, Map<string, CachedPod>>();
  private readonly waiting = new Map<string, Waiting>();
  private antiAffinityPods = 0;
  private queue: ReconcileQueue | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(ctx: SimContext, options: PodSchedulerOptions = {}) {
    this.ctx = ctx;
    this.schedulerName = options.schedulerName ?? 'default-scheduler';
  }

  start(): void {
    if (this.queue) return;
    const queue = new ReconcileQueue((key) => this.scheduleOne(key));
    this.queue = queue;
    this.unsubscribe = this.ctx.store.subscribe((event) => this.onEvent(event));
    for (const node of this.ctx.store.list(R.node)) this.cacheNode(node);
    for (const pod of this.ctx.store.list(R.pod)) {
      if (podSpecOf(pod).nodeName) this.cachePod(pod);
      else if (this.isOurs(pod)) queue.add(keyOf(pod));
    }
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.queue?.stop();
    this.queue = undefined;
    for (const waiting of this.waiting.values()) waiting.timer?.cancel();
    this.waiting.clear();
  }

  private isOurs(pod: KubeObject): boolean {
    const spec = podSpecOf(pod);
    return (
      !spec.nodeName &&
      (spec.schedulerName ?? 'default-scheduler') === this.schedulerName &&
      !pod.metadata.deletionTimestamp
    );
  }

  private onEvent(event: StoreEvent): void {
    if (event.resource === R.node) {
      const before = this.nodes.get(event.object.metadata.name ?? '')?.fingerprint;
      if (event.type === 'DELETED') this.nodes.delete(event.object.metadata.name ?? '');
      else this.cacheNode(event.object);
      if (before !== this.nodes.get(event.object.metadata.name ?? '')?.fingerprint)
        this.clusterChanged(false);
      return;
    }
    if (event.resource !== R.pod) return;
    const pod = event.object;
    const key = keyOf(pod);
    if (event.type === 'DELETED') {
      this.forgetWaiting(key);
      if (this.uncachePod(key)) this.clusterChanged(false);
      return;
    }
    const spec = podSpecOf(pod);
    if (spec.nodeName) {
      this.forgetWaiting(key);
      if (TERMINAL.has(podStatusOf(pod).phase ?? '')) {
        if (this.uncachePod(key)) this.clusterChanged(false);
      } else if (this.cachePod(pod)) {
        this.clusterChanged(true);
      }
      return;
    }
    if (!this.isOurs(pod)) {
      this.forgetWaiting(key);
      return;
    }
    const waiting = this.waiting.get(key);
    const changed =
      event.previous !== undefined &&
      (JSON.stringify(event.previous.spec) !== JSON.stringify(pod.spec) ||
        JSON.stringify(event.previous.metadata.labels) !== JSON.stringify(pod.metadata.labels));
    // Our own status writes must not requeue the pod, or an unschedulable pod would spin.
    if (!waiting || waiting.uid !== pod.metadata.uid || changed) this.queue?.add(key);
  }

  private cacheNode(node: KubeObject): void {
    const spec = (node.spec ?? {}) as { taints?: Taint[]; unschedulable?: boolean };
    const status = (node.status ?? {}) as {
      allocatable?: Record<string, string>;
      conditions?: NodeCondition[];
    };
    const taints = [...(spec.taints ?? [])];
    const ready = status.conditions?.find((condition) => condition.type === 'Ready')?.status;
    // The node lifecycle controller taints nodes that are not Ready; the scheduler only sees taints.
    if (ready === 'False' && !taints.some((taint) => taint.key === 'node.kubernetes.io/not-ready')) {
      taints.push({ key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' });
    } else if (
      ready !== 'True' &&
      ready !== 'False' &&
      !taints.some((taint) => taint.key.startsWith('node.kubernetes.io/'))
    ) {
      taints.push({
        key: ready === 'Unknown' ? 'node.kubernetes.io/unreachable' : 'node.kubernetes.io/not-ready',
        effect: 'NoSchedule',
      });
    }
    const allocatable = status.allocatable ?? {};
    const resources = emptyResources();
    resources.milliCPU = cpuMillis(allocatable.cpu ?? 0);
    resources.memory = wholeUnits(allocatable.memory ?? 0);
    resources.ephemeralStorage = wholeUnits(allocatable['ephemeral-storage'] ?? 0);
    for (const [name, value] of Object.entries(allocatable)) {
      if (!['cpu', 'memory', 'ephemeral-storage', 'pods'].includes(name) && !name.startsWith('hugepages-')) {
        resources.scalar.set(name, wholeUnits(value));
      }
    }
    const labels = node.metadata.labels ?? {};
    const cached: CachedNode = {
      name: node.metadata.name ?? '',
      labels,
      taints,
      unschedulable: spec.unschedulable === true,
      allocatable: resources,
      allowedPods: wholeUnits(allocatable.pods ?? 0),
      fingerprint: JSON.stringify([labels, taints, spec.unschedulable, allocatable]),
    };
    this.nodes.set(cached.name, cached);
  }

  /** Caches an assigned pod; true when it is new (it may satisfy another pod's affinity). */
  private cachePod(pod: KubeObject): boolean {
    const key = keyOf(pod);
    const spec = podSpecOf(pod);
    const existing = this.assigned.get(key);
    const fresh = !existing || existing.node !== spec.nodeName;
    if (existing && !fresh && JSON.stringify(existing.labels) === JSON.stringify(pod.metadata.labels ?? {}))
      return false;
    if (existing) this.uncachePod(key);
    const hostPorts: HostPort[] = [];
    for (const container of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
      for (const port of container.ports ?? []) {
        if (port.hostPort)
          hostPorts.push({
            ip: port.hostIP ?? '0.0.0.0',
            protocol: port.protocol ?? 'TCP',
            port: port.hostPort,
          });
      }
    }
    const hasAntiAffinity =
      (spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).length > 0;
    const cached: CachedPod = {
      namespace: pod.metadata.namespace ?? '',
      name: pod.metadata.name ?? '',
      labels: pod.metadata.labels ?? {},
      spec,
      requests: podRequests(spec),
      nonZero: podRequests(spec, true),
      priority: spec.priority ?? 0,
      hostPorts,
      node: spec.nodeName ?? '',
      ownerUid: pod.metadata.ownerReferences?.find((owner) => owner.controller)?.uid,
      hasAntiAffinity,
    };
    this.assigned.set(key, cached);
    let onNode = this.byNode.get(cached.node);
    if (!onNode) {
      onNode = new Map();
      this.byNode.set(cached.node, onNode);
    }
    onNode.set(key, cached);
    if (hasAntiAffinity) this.antiAffinityPods += 1;
    return fresh;
  }

  private uncachePod(key: string): boolean {
    const cached = this.assigned.get(key);
    if (!cached) return false;
    this.assigned.delete(key);
    this.byNode.get(cached.node)?.delete(key);
    if (cached.hasAntiAffinity) this.antiAffinityPods -= 1;
    return true;
  }

  private forgetWaiting(key: string): void {
    const waiting = this.waiting.get(key);
    if (!waiting) return;
    waiting.timer?.cancel();
    this.waiting.delete(key);
  }

  private simNow(): number {
    return performance.now() / this.ctx.clock.timeScale;
  }

  /**
   * Moves unschedulable pods back to the active queue once their backoff (1s doubling to 10s)
   * expires, as MoveAllToActiveOrBackoffQueue does. A new assigned pod only helps pods with
   * pod affinity, so only those are moved for it.
   */
  private clusterChanged(podAdded: boolean): void {
    const now = this.simNow();
    for (const [key, waiting] of this.waiting) {
      if (waiting.gated || (podAdded && !waiting.hasPodAffinity)) continue;
      const backoff = Math.min(INITIAL_BACKOFF_MS * 2 ** Math.max(0, waiting.attempts - 1), MAX_BACKOFF_MS);
      this.retryAt(key, waiting, Math.max(now, waiting.lastAttempt + backoff));
    }
  }

  private retryAt(key: string, waiting: Waiting, due: number): void {
    if (waiting.timer && waiting.timerDue <= due) return;
    waiting.timer?.cancel();
    waiting.timerDue = due;
    waiting.timer = this.ctx.clock.after(due - this.simNow(), () => {
      waiting.timer = undefined;
      waiting.timerDue = Infinity;
      this.queue?.add(key);
    });
  }

  private snapshot(): ClusterSnapshot {
    return {
      podsOn: (node) => [...(this.byNode.get(node)?.values() ?? [])],
      nodeOf: (pod) => this.nodes.get((pod as CachedPod).node ?? ''),
      allAssigned: () => this.assigned.values(),
      anyRequiredAntiAffinity: () => this.antiAffinityPods > 0,
      namespaceLabels: (namespace) => this.ctx.store.get(R.namespace, undefined, namespace)?.metadata.labels,
    };
  }

  private scheduleOne(key: string): void {
    const [namespace = '', name = ''] = key.split('/');
    const pod = this.ctx.store.get(R.pod, namespace, name);
    if (!pod || !this.isOurs(pod)) {
      this.forgetWaiting(key);
      return;
    }
    const spec = podSpecOf(pod);
    const previous = this.waiting.get(key);
    const waiting: Waiting =
      previous && previous.uid === pod.metadata.uid
        ? previous
        : {
            uid: pod.metadata.uid ?? '',
            attempts: 0,
            lastAttempt: 0,
            gated: false,
            hasPodAffinity: false,
            timer: undefined,
            timerDue: Infinity,
          };
    if (previous && previous !== waiting) previous.timer?.cancel();
    this.waiting.set(key, waiting);
    if ((spec.schedulingGates ?? []).length > 0) {
      // Gated pods never enter a scheduling cycle and get no FailedScheduling event.
      waiting.gated = true;
      this.setScheduledCondition(
        pod,
        'SchedulingGated',
        'Scheduling is blocked due to non-empty scheduling gates',
      );
      return;
    }
    waiting.gated = false;
    waiting.hasPodAffinity =
      (spec.affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).length > 0;
    const candidate: SchedPod = {
      namespace,
      name,
      labels: pod.metadata.labels ?? {},
      spec,
      requests: podRequests(spec),
      priority: spec.priority ?? 0,
      hostPorts: (spec.containers ?? []).flatMap((container) =>
        (container.ports ?? [])
          .filter((port) => port.hostPort)
          .map((port) => ({
            ip: port.hostIP ?? '0.0.0.0',
            protocol: port.protocol ?? 'TCP',
            port: port.hostPort ?? 0,
          })),
      ),
    };
    const snapshot = this.snapshot();
    const nodes = [...this.nodes.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const verdicts = new Map<string, FilterVerdict>();
    const feasible: CachedNode[] = [];
    for (const node of nodes) {
      const verdict = filterNode(candidate, node, snapshot);
      if (verdict) verdicts.set(node.name, verdict);
      else feasible.push(node);
    }
    const best = this.pickNode(pod, feasible);
    if (best) {
      this.bind(pod, best.name);
      this.forgetWaiting(key);
      return;
    }
    const message =
      nodes.length === 0
        ? 'no nodes available to schedule pods'
        : this.fitError(candidate, nodes, verdicts, snapshot);
    waiting.attempts += 1;
    waiting.lastAttempt = this.simNow();
    this.setScheduledCondition(pod, 'Unschedulable', message);
    this.ctx.events.record(pod, 'Warning', 'FailedScheduling', message, SOURCE);
    this.retryAt(key, waiting, waiting.lastAttempt + FLUSH_MS);
  }

  /** FitError.Error() with the DefaultPreemption post-filter message appended, byte for byte. */
  private fitError(
    pod: SchedPod,
    nodes: readonly CachedNode[],
    verdicts: Map<string, FilterVerdict>,
    snapshot: ClusterSnapshot,
  ): string {
    let postFilter: string;
    if (pod.spec.preemptionPolicy === 'Never') {
      postFilter = 'preemption: not eligible due to preemptionPolicy=Never.';
    } else {
      const preemption = new Map<string, FilterVerdict>();
      for (const node of nodes) {
        const verdict = verdicts.get(node.name);
        if (!verdict || verdict.code === 'UnschedulableAndUnresolvable') {
          preemption.set(node.name, {
            code: 'UnschedulableAndUnresolvable',
            reasons: ['Preemption is not helpful for scheduling'],
          });
          continue;
        }
        const victims = snapshot.podsOn(node.name).filter((other) => other.priority < pod.priority);
        const withoutVictims: ClusterSnapshot = {
          ...snapshot,
          podsOn: (name) => snapshot.podsOn(name).filter((other) => !victims.includes(other)),
        };
        const after = victims.length === 0 ? undefined : filterNode(pod, node, withoutVictims);
        // Evicting victims to make room is not simulated: a node where it would help reads like one without victims.
        preemption.set(
          node.name,
          after ?? {
            code: 'UnschedulableAndUnresolvable',
            reasons: ['No preemption victims found for incoming pod'],
          },
        );
      }
      postFilter = `preemption: ${histogram(nodes.length, preemption)}`;
    }
    return `${histogram(nodes.length, verdicts)} ${postFilter}.`;
  }

  /**
   * Scores feasible nodes like the default profile's main scorers: least allocated and balanced
   * CPU/memory (with the 100m/200Mi defaults for request-less containers), plus spreading pods of
   * one owner across nodes. Ties go to the first name, where the real scheduler picks at random.
   */
  private pickNode(pod: KubeObject, feasible: readonly CachedNode[]): CachedNode | undefined {
    if (feasible.length <= 1) return feasible[0];
    const nonZero = podRequests(podSpecOf(pod), true);
    const owner = pod.metadata.ownerReferences?.find((reference) => reference.controller)?.uid;
    const siblings = new Map<string, number>();
    for (const node of feasible) {
      let count = 0;
      if (owner)
        for (const other of this.byNode.get(node.name)?.values() ?? [])
          if (other.ownerUid === owner) count += 1;
      siblings.set(node.name, count);
    }
    const maxSiblings = Math.max(...siblings.values());
    let best: CachedNode | undefined;
    let bestScore = -Infinity;
    for (const node of feasible) {
      let cpu = nonZero.milliCPU;
      let memory = nonZero.memory;
      for (const other of this.byNode.get(node.name)?.values() ?? []) {
        cpu += other.nonZero.milliCPU;
        memory += other.nonZero.memory;
      }
      const cpuShare = node.allocatable.milliCPU > 0 ? Math.min(1, cpu / node.allocatable.milliCPU) : 1;
      const memoryShare = node.allocatable.memory > 0 ? Math.min(1, memory / node.allocatable.memory) : 1;
      const leastAllocated = ((1 - cpuShare) * 100 + (1 - memoryShare) * 100) / 2;
      const balanced = (1 - Math.abs(cpuShare - memoryShare) / 2) * 100;
      const spread =
        maxSiblings === 0 ? 100 : (100 * (maxSiblings - (siblings.get(node.name) ?? 0))) / maxSiblings;
      const score = Math.floor(leastAllocated) + Math.floor(balanced) + 2 * Math.floor(spread);
      if (score > bestScore) {
        best = node;
        bestScore = score;
      }
    }
    return best;
  }

  /** What the binding subresource does: spec.nodeName plus PodScheduled True. */
  private bind(pod: KubeObject, node: string): void {
    const bound = this.ctx.store.bindPod(
      R.pod,
      pod.metadata.namespace ?? '',
      pod.metadata.name ?? '',
      node,
      this.ctx.clock.now(),
    );
    this.ctx.events.record(
      bound,
      'Normal',
      'Scheduled',
      `Successfully assigned ${pod.metadata.namespace}/${pod.metadata.name} to ${node}`,
      SOURCE,
    );
  }

  private setScheduledCondition(pod: KubeObject, reason: string, message: string): void {
    const status = { ...podStatusOf(pod) };
    const conditions = [...(status.conditions ?? [])];
    const index = conditions.findIndex((condition) => condition.type === 'PodScheduled');
    const existing = conditions[index];
    const condition: PodCondition = {
      type: 'PodScheduled',
      status: 'False',
      lastProbeTime: null,
      lastTransitionTime:
        existing?.status === 'False' && existing.lastTransitionTime
          ? existing.lastTransitionTime
          : kubeTime(this.ctx.clock.now()),
      reason,
      message,
    };
    if (index >= 0) conditions[index] = condition;
    else conditions.push(condition);
    status.conditions = conditions;
    status.phase ??= 'Pending';
    this.ctx.store.update(R.pod, { ...pod, status }, { subresource: 'status' });
  }
}

/** "0/3 nodes are available: 1 node(s) had untolerated taint {a: b}, 2 Insufficient memory." */
function histogram(total: number, verdicts: Map<string, FilterVerdict>): string {
  const counts = new Map<string, number>();
  for (const verdict of verdicts.values())
    for (const reason of verdict.reasons) counts.set(reason, (counts.get(reason) ?? 0) + 1);
  // Go's sort.Strings: byte order of "<count> <reason>".
  const parts = [...counts]
    .map(([reason, count]) => `${count} ${reason}`)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return `0/${total} nodes are available:${parts.length > 0 ? ` ${parts.join(', ')}.` : ''}`;
}
