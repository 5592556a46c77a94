import type { KubeObject } from '../api/kube-object.ts';
import type { ContainerSpec, NodeCondition, Taint } from '../kubelet/kube-shapes.ts';
import { podSpecOf, podStatusOf } from '../kubelet/kube-shapes.ts';
import type { Kubelet } from '../kubelet/kubelet.ts';
import type { NodePool } from '../kubelet/node-pool.ts';
import { parseQuantity } from '../../kube/quantity.ts';
import { R } from '../resources.ts';
import type { SimTimer } from '../sim-clock.ts';
import type { SimComponent, SimContext } from '../sim-context.ts';
import { kubeTime } from '../store/object-store.ts';

/** memory.available<100Mi, the kubelet's default hard eviction threshold. */
const THRESHOLD_BYTES = 100 * 1024 * 1024;
/** --housekeeping-interval / eviction monitoring period. */
const MONITOR_MS = 10_000;
/** --eviction-pressure-transition-period default. */
const TRANSITION_MS = 5 * 60_000;
const PRESSURE_TAINT = 'node.kubernetes.io/memory-pressure';

/** A container instance's simulated working set. */
interface Usage {
  bytes: number;
  rampMs: number;
}

/** Node memory already taken by the system and other tenants, per node name. */
export type BaseUsage = (nodeName: string, capacityBytes: number) => number;

/**
 * Quantity text as the kubelet prints it (resource.Quantity in BinarySI): the largest binary
 * suffix that divides exactly, else plain bytes.
 */
function formatBytes(bytes: number): string {
  const value = Math.round(bytes);
  if (value === 0) return '0';
  for (const [suffix, size] of [
    ['Ei', 1024 ** 6],
    ['Pi', 1024 ** 5],
    ['Ti', 1024 ** 4],
    ['Gi', 1024 ** 3],
    ['Mi', 1024 ** 2],
    ['Ki', 1024],
  ] as const) {
    if (value % size === 0) return `${value / size}${suffix}`;
  }
  return String(value);
}

/**
 * The kubelet's memory eviction manager over simulated usage: every container has a working set
 * (set by memory faults, else its memory request), each node adds what the system uses, and a
 * node whose available memory falls below 100Mi reports MemoryPressure=True, gets the
 * memory-pressure taint and evicts one pod per monitoring pass, the one using most above its
 * request, with the kubelet's own message.
 */
export class MemoryModel implements SimComponent {
  private readonly ctx: SimContext;
  private readonly pool: NodePool;
  private readonly kubelet: Kubelet;
  private readonly base: BaseUsage;
  private readonly usages = new Map<string, Usage>();
  private readonly pressureSince = new Map<string, number>();
  private readonly evicted = new Set<string>();
  private timer: SimTimer | undefined;
  private simMs = 0;

  constructor(ctx: SimContext, pool: NodePool, kubelet: Kubelet, base: BaseUsage) {
    this.ctx = ctx;
    this.pool = pool;
    this.kubelet = kubelet;
    this.base = base;
  }

  /** Records the working set of a container instance as it starts. */
  record(uid: string, container: string, restartCount: number, bytes: number, rampMs: number): void {
    this.usages.set(`${uid}/${container}/${restartCount}`, { bytes, rampMs });
  }

  start(): void {
    if (this.timer) return;
    const tick = () => {
      this.timer = this.ctx.clock.after(MONITOR_MS, () => {
        this.simMs += MONITOR_MS;
        for (const node of this.pool.nodes) if (node.ready) this.synchronize(node.name);
        tick();
      });
    };
    tick();
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  /** One eviction-manager pass over a node (public so tests need not wait for the timer). */
  synchronize(nodeName: string): void {
    const node = this.ctx.store.get(R.node, undefined, nodeName);
    if (!node) return;
    const capacity = parseQuantity(
      (node.status as { capacity?: { memory?: string } } | undefined)?.capacity?.memory ?? '0',
    );
    const pods = this.ctx.store
      .list(R.pod)
      .filter(
        (pod) =>
          podSpecOf(pod).nodeName === nodeName &&
          !['Succeeded', 'Failed'].includes(podStatusOf(pod).phase ?? '') &&
          !this.evicted.has(pod.metadata.uid ?? ''),
      );
    const ranked = pods.map((pod) => this.podUsage(pod));
    const used = this.base(nodeName, capacity) + ranked.reduce((sum, entry) => sum + entry.bytes, 0);
    const available = Math.max(0, capacity - used);
    const pressured = available < THRESHOLD_BYTES;
    if (pressured) {
      this.pressureSince.set(nodeName, this.simMs);
      this.setPressure(node, true);
      // rankMemoryPressure: usage above requests first, then priority, then the excess itself.
      const victim = ranked
        .filter((entry) => entry.bytes > 0 && entry.container !== undefined)
        .sort(
          (a, b) =>
            Number(b.bytes > b.request) - Number(a.bytes > a.request) ||
            a.priority - b.priority ||
            b.bytes - b.request - (a.bytes - a.request),
        )[0];
      if (victim?.container) {
        this.ctx.events.record(node, 'Warning', 'EvictionThresholdMet', 'Attempting to reclaim memory', {
          component: 'kubelet',
          host: nodeName,
        });
        const message =
          `The node was low on resource: memory. Threshold quantity: ${formatBytes(THRESHOLD_BYTES)}, available: ${formatBytes(Math.floor(available / 1024) * 1024)}. ` +
          `Container ${victim.container.name} was using ${formatBytes(victim.containerBytes)}, request is ${victim.container.resources?.requests?.memory ?? '0'}, has larger consumption of memory. `;
        this.evicted.add(victim.pod.metadata.uid ?? '');
        this.kubelet.evict(victim.pod.metadata.namespace ?? '', victim.pod.metadata.name ?? '', message);
      }
      return;
    }
    const since = this.pressureSince.get(nodeName);
    if (since !== undefined && this.simMs - since >= TRANSITION_MS) {
      this.pressureSince.delete(nodeName);
      this.setPressure(node, false);
    }
  }

  private podUsage(pod: KubeObject): {
    pod: KubeObject;
    bytes: number;
    request: number;
    priority: number;
    container: ContainerSpec | undefined;
    containerBytes: number;
  } {
    const spec = podSpecOf(pod);
    const statuses = podStatusOf(pod).containerStatuses ?? [];
    let bytes = 0;
    let top: ContainerSpec | undefined;
    let topExcess = -Infinity;
    let topBytes = 0;
    const now = this.ctx.clock.now().getTime();
    for (const container of spec.containers ?? []) {
      const status = statuses.find((candidate) => candidate.name === container.name);
      const running = status?.state.running;
      if (!status || !running) continue;
      const request = parseQuantity(container.resources?.requests?.memory ?? 0);
      const usage = this.usages.get(`${pod.metadata.uid ?? ''}/${container.name}/${status.restartCount}`);
      let current = request;
      if (usage) {
        const ranMs = (now - Date.parse(running.startedAt ?? kubeTime())) / this.ctx.clock.timeScale;
        current =
          usage.rampMs > 0 ? usage.bytes * Math.min(1, Math.max(0, ranMs) / usage.rampMs) : usage.bytes;
      }
      bytes += current;
      if (current - request > topExcess) {
        topExcess = current - request;
        top = container;
        topBytes = current;
      }
    }
    const request = (spec.containers ?? []).reduce(
      (sum, container) => sum + parseQuantity(container.resources?.requests?.memory ?? 0),
      0,
    );
    return {
      pod,
      bytes,
      request,
      priority: (spec as { priority?: number }).priority ?? 0,
      container: top,
      containerBytes: Math.round(topBytes / (1024 * 1024)) * 1024 * 1024,
    };
  }

  private setPressure(node: KubeObject, pressure: boolean): void {
    const status = { ...node.status } as { conditions?: NodeCondition[] };
    const current = status.conditions?.find((condition) => condition.type === 'MemoryPressure');
    if ((current?.status === 'True') === pressure) return;
    const now = kubeTime(this.ctx.clock.now());
    status.conditions = (status.conditions ?? []).map((condition) =>
      condition.type === 'MemoryPressure'
        ? {
            ...condition,
            status: pressure ? 'True' : 'False',
            reason: pressure ? 'KubeletHasInsufficientMemory' : 'KubeletHasSufficientMemory',
            message: pressure
              ? 'kubelet has insufficient memory available'
              : 'kubelet has sufficient memory available',
            lastHeartbeatTime: now,
            lastTransitionTime: now,
          }
        : condition,
    );
    const spec = { ...node.spec } as { taints?: Taint[] };
    const others = (spec.taints ?? []).filter((taint) => taint.key !== PRESSURE_TAINT);
    spec.taints = pressure
      ? [...others, { key: PRESSURE_TAINT, effect: 'NoSchedule', timeAdded: now }]
      : others;
    if (spec.taints.length === 0) delete spec.taints;
    const name = node.metadata.name ?? '';
    const updated = this.ctx.store.update(R.node, { ...node, spec });
    this.ctx.store.update(R.node, { ...updated, status }, { subresource: 'status' });
    const reason = pressure ? 'NodeHasInsufficientMemory' : 'NodeHasSufficientMemory';
    this.ctx.events.record(node, 'Normal', reason, `Node ${name} status is now: ${reason}`, {
      component: 'kubelet',
      host: name,
    });
  }
}
