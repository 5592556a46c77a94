import type { KubeObject } from '../api/kube-object.ts';
import { ReconcileQueue } from '../reconcile-queue.ts';
import { R } from '../resources.ts';
import type { SimComponent, SimContext } from '../sim-context.ts';
import type { StoreEvent } from '../store/object-store.ts';
import { kubeTime } from '../store/object-store.ts';
import type { FaultPlan } from './fault-plan.ts';
import { HEALTHY_PLAN } from './fault-plan.ts';
import type { ImageRef } from './image-ref.ts';
import { podSpecOf, podStatusOf } from './kube-shapes.ts';
import type { ManagedNode, NodePool } from './node-pool.ts';
import type { NodeRuntime } from './pod-worker.ts';
import { PodWorker } from './pod-worker.ts';

/** Options of {@link Kubelet}. */
export interface KubeletOptions {
  /** Fault plan consulted for every pod, container and pull; default healthy. */
  faults?: FaultPlan;
  /** Called after every pod status write with the pod's own simulated time in ms (tests, tracing). */
  onPodStatus?: (pod: KubeObject, simMs: number) => void;
}

const TERMINAL = new Set(['Succeeded', 'Failed']);

class NodeRuntimeState implements NodeRuntime {
  readonly node: ManagedNode;
  private readonly used = new Set<string>();
  private next = 2;
  private pullFreeAt = 0;
  private readonly pulling = new Map<string, number>();

  constructor(node: ManagedNode) {
    this.node = node;
  }

  allocateIP(): string {
    // Like host-local IPAM: hand out addresses round-robin, skipping ones in use.
    for (let tries = 0; tries < 253; tries += 1) {
      const candidate = `${this.node.podSubnet}.${this.next}`;
      this.next = this.next >= 254 ? 2 : this.next + 1;
      if (!this.used.has(candidate)) {
        this.used.add(candidate);
        return candidate;
      }
    }
    return `${this.node.podSubnet}.${this.next}`;
  }

  releaseIP(ip: string): void {
    this.used.delete(ip);
  }

  reservePull(
    image: ImageRef,
    at: number,
    durationMs: number,
    quickMs: number,
  ): { waitMs: number; pullMs: number } {
    const pending = this.pulling.get(image.normalized);
    const alreadyPulling = pending !== undefined && pending > at;
    const pullMs = alreadyPulling ? quickMs : durationMs;
    const start = Math.max(at, this.pullFreeAt);
    this.pullFreeAt = start + pullMs;
    if (!alreadyPulling) this.pulling.set(image.normalized, start + pullMs);
    return { waitMs: start - at, pullMs };
  }
}

/**
 * The kubelets of every node in a pool, as one component with one store subscription: a
 * {@link PodWorker} per pod bound to a pool node. The store listener only records what changed;
 * starting, terminating and replacing workers happens on the reconcile queue.
 */
export class Kubelet implements SimComponent {
  private readonly ctx: SimContext;
  private readonly pool: NodePool;
  private readonly faults: FaultPlan;
  private readonly onPodStatus: KubeletOptions['onPodStatus'];
  private readonly runtimes = new Map<string, NodeRuntimeState>();
  private readonly workers = new Map<string, PodWorker>();
  private readonly incarnations = new Map<string, number>();
  private queue: ReconcileQueue | undefined;
  private unsubscribe: (() => void) | undefined;
  private unsubscribeReady: (() => void) | undefined;

  constructor(ctx: SimContext, pool: NodePool, options: KubeletOptions = {}) {
    this.ctx = ctx;
    this.pool = pool;
    this.faults = options.faults ?? HEALTHY_PLAN;
    this.onPodStatus = options.onPodStatus;
    for (const node of pool.nodes) this.runtimes.set(node.name, new NodeRuntimeState(node));
  }

  start(): void {
    if (this.queue) return;
    const queue = new ReconcileQueue((key) => this.sync(key));
    this.queue = queue;
    this.unsubscribe = this.ctx.store.subscribe((event) => this.onEvent(event));
    this.unsubscribeReady = this.pool.onReadyChange((node) => this.onNodeReadyChange(node));
    for (const pod of this.ctx.store.list(R.pod)) {
      if (this.pool.get(podSpecOf(pod).nodeName))
        queue.add(`${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`);
    }
  }

  /** Stops every worker's timers; pods stay as they are in the store. */
  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.unsubscribeReady?.();
    this.unsubscribeReady = undefined;
    this.queue?.stop();
    this.queue = undefined;
    for (const worker of this.workers.values()) worker.halt();
    this.workers.clear();
  }

  /** The worker driving a pod, if any (tests and fault injection). */
  worker(namespace: string, name: string): PodWorker | undefined {
    return this.workers.get(`${namespace}/${name}`);
  }

  /** Fault injection: the node evicts the pod now (phase Failed, reason Evicted). */
  evict(namespace: string, name: string, message?: string): boolean {
    const worker = this.workers.get(`${namespace}/${name}`);
    if (!worker) return false;
    worker.evict(message);
    return true;
  }

  private onEvent(event: StoreEvent): void {
    if (event.resource !== R.pod) return;
    const pod = event.object;
    const key = `${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`;
    const worker = this.workers.get(key);
    if (worker && (event.type === 'DELETED' || worker.uid !== pod.metadata.uid)) {
      // Stops its timers at once, so no step of the old pod writes onto a new one of the same name.
      worker.detach();
      this.workers.delete(key);
    }
    if (event.type === 'DELETED' || !this.pool.get(podSpecOf(pod).nodeName)) return;
    const current = this.workers.get(key);
    if (current) {
      current.pod = pod;
      if (pod.metadata.deletionTimestamp && !event.previous?.metadata.deletionTimestamp) this.queue?.add(key);
      return;
    }
    this.queue?.add(key);
  }

  private sync(key: string): void {
    const [namespace = '', name = ''] = key.split('/');
    const pod = this.ctx.store.get(R.pod, namespace, name);
    if (!pod) return;
    let worker = this.workers.get(key);
    if (worker && worker.uid !== pod.metadata.uid) {
      worker.detach();
      this.workers.delete(key);
      worker = undefined;
    }
    if (!worker) {
      const runtime = this.runtimes.get(podSpecOf(pod).nodeName ?? '');
      if (!runtime || TERMINAL.has(podStatusOf(pod).phase ?? '')) return;
      const incarnation = (this.incarnations.get(key) ?? 0) + 1;
      this.incarnations.set(key, incarnation);
      worker = new PodWorker(
        {
          ctx: this.ctx,
          runtime,
          faults: this.faults,
          streamName: `kubelet/pod ${key}#${incarnation}`,
          onStatus: this.onPodStatus,
        },
        pod,
      );
      this.workers.set(key, worker);
      if (!runtime.node.ready) worker.freeze();
      worker.start();
    }
    worker.pod = pod;
    if (pod.metadata.deletionTimestamp) worker.terminate();
  }

  /**
   * A node went NotReady: its kubelet stops reporting, and the node lifecycle controller marks its
   * pods not Ready (MarkPodsNotReady) with a NodeNotReady event. Back to Ready, the kubelet
   * reports again and catches up with whatever happened meanwhile.
   */
  private onNodeReadyChange(node: ManagedNode): void {
    const now = kubeTime(this.ctx.clock.now());
    for (const worker of this.workers.values()) {
      if (podSpecOf(worker.pod).nodeName !== node.name) continue;
      if (node.ready) {
        worker.thaw();
        continue;
      }
      worker.freeze();
      const pod = this.ctx.store.get(R.pod, worker.pod.metadata.namespace, worker.pod.metadata.name ?? '');
      if (!pod || pod.metadata.uid !== worker.uid) continue;
      const status = { ...podStatusOf(pod) };
      const conditions = status.conditions ?? [];
      if (!conditions.some((condition) => condition.type === 'Ready' && condition.status === 'True'))
        continue;
      status.conditions = conditions.map((condition) =>
        condition.type === 'Ready' ? { ...condition, status: 'False', lastTransitionTime: now } : condition,
      );
      this.ctx.store.update(R.pod, { ...pod, status }, { subresource: 'status' });
      this.ctx.events.record(pod, 'Warning', 'NodeNotReady', 'Node is not ready', {
        component: 'node-controller',
      });
    }
  }
}
