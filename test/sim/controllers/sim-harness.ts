import { afterEach } from 'vitest';
import type { KubeObject } from '../../../src/sim/api/kube-object.ts';
import { startControlPlane } from '../../../src/sim/controllers/control-plane.ts';
import type { ResourceType } from '../../../src/sim/api/resource-types.ts';
import { EventRecorder } from '../../../src/sim/event-recorder.ts';
import { PodLogStore } from '../../../src/sim/pod-log-store.ts';
import { R } from '../../../src/sim/resources.ts';
import { SeededRandom } from '../../../src/sim/seeded-random.ts';
import { SimClock } from '../../../src/sim/sim-clock.ts';
import type { SimComponent, SimContext } from '../../../src/sim/sim-context.ts';
import { kubeTime, ObjectStore } from '../../../src/sim/store/object-store.ts';
import type { StoreEvent } from '../../../src/sim/store/object-store.ts';

/** A fresh in-process cluster context, 1 simulated second = 1 real ms. */
export function makeContext(): SimContext {
  const store = new ObjectStore();
  return {
    store,
    clock: new SimClock(0.001),
    events: new EventRecorder(store),
    logs: new PodLogStore(),
    random: new SeededRandom(1),
  };
}

/** Polls until `check` returns a truthy value (which it returns), or fails after `timeoutMs`. */
export async function waitFor<T>(
  check: () => T | undefined | false | null,
  timeoutMs = 5000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** Lets queued work run for a while (real ms). */
export function settle(ms = 30): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function createNamespace(ctx: SimContext, name: string): KubeObject {
  return ctx.store.create(R.namespace, {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, labels: { 'kubernetes.io/metadata.name': name } },
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  });
}

export function createNode(ctx: SimContext, name: string, labels: Record<string, string> = {}): KubeObject {
  return ctx.store.create(R.node, {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...labels } },
    spec: {},
    status: { conditions: [{ type: 'Ready', status: 'True' }] },
  });
}

/** Objects of a kind in a namespace, by name. */
export function list(ctx: SimContext, resource: ResourceType, namespace?: string): KubeObject[] {
  return ctx.store.list(resource, { namespace });
}

/** Events recorded for an object name, as "reason: message". */
export function eventsFor(ctx: SimContext, namespace: string, name: string): string[] {
  return ctx.store
    .list(R.event, { namespace })
    .filter((event) => (event.involvedObject as { name?: string }).name === name)
    .map((event) => `${event.reason as string}: ${event.message as string}`);
}

/** Records every store event, for ordering assertions. */
export function recordEvents(ctx: SimContext): StoreEvent[] {
  const seen: StoreEvent[] = [];
  ctx.store.subscribe((event) => seen.push(event));
  return seen;
}

export interface FakeKubeletOptions {
  /** Node names to bind to (created when missing). */
  nodes?: string[];
  /** Keeps a pod not Ready while it returns true; call poke() after changing what it returns. */
  holdReady?: (pod: KubeObject) => boolean;
  /** How a run-to-completion pod (restartPolicy Never/OnFailure) ends; undefined keeps it running. */
  finish?: (pod: KubeObject) => 'Succeeded' | 'Failed' | undefined;
  /** Simulated ms from bind to Running. */
  startDelayMs?: number;
}

/**
 * A stand-in for the scheduler and kubelets, just enough to drive the controllers: binds pending
 * pods (honouring a DaemonSet pod's matchFields node affinity), runs them with an IP and Ready
 * conditions, finishes run-to-completion pods, and completes graceful deletion with a grace-0
 * delete (so finalizers such as job-tracking still hold the pod, as with the real kubelet).
 */
export class FakeKubelet implements SimComponent {
  private readonly ctx: SimContext;
  private readonly options: FakeKubeletOptions;
  private readonly nodes: string[];
  private unsubscribe: (() => void) | undefined;
  private readonly pending = new Set<string>();
  private scheduled = false;
  private nextIp = 2;
  private nextNode = 0;
  private stopped = false;

  constructor(ctx: SimContext, options: FakeKubeletOptions = {}) {
    this.ctx = ctx;
    this.options = options;
    this.nodes = options.nodes ?? ['node-1'];
  }

  start(): void {
    for (const node of this.nodes)
      if (!this.ctx.store.get(R.node, undefined, node)) createNode(this.ctx, node);
    this.unsubscribe = this.ctx.store.subscribe((event) => {
      if (event.resource === R.pod && event.type !== 'DELETED')
        this.schedule(`${event.object.metadata.namespace ?? ''}/${event.object.metadata.name ?? ''}`);
    });
    this.poke();
  }

  stop(): void {
    this.stopped = true;
    this.unsubscribe?.();
  }

  /** Re-evaluates every pod (after holdReady/finish changed their answer). */
  poke(): void {
    for (const pod of this.ctx.store.list(R.pod))
      this.schedule(`${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`);
  }

  private schedule(key: string): void {
    this.pending.add(key);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      const keys = [...this.pending];
      this.pending.clear();
      for (const entry of keys) if (!this.stopped) this.process(entry);
    });
  }

  private process(key: string): void {
    const slash = key.indexOf('/');
    const namespace = key.slice(0, slash);
    const name = key.slice(slash + 1);
    const pod = this.ctx.store.get(R.pod, namespace, name);
    if (!pod) return;
    const spec = (pod.spec ?? {}) as Record<string, unknown> & {
      nodeName?: string;
      restartPolicy?: string;
      containers?: Array<{ name: string; image?: string }>;
    };
    const status = (pod.status ?? {}) as {
      phase?: string;
      conditions?: Array<{ type: string; status: string }>;
    };
    if (pod.metadata.deletionTimestamp) {
      if ((pod.metadata.deletionGracePeriodSeconds ?? 0) > 0) {
        this.ctx.store.delete(R.pod, namespace, name, { gracePeriodSeconds: 0 });
      }
      return;
    }
    if (!spec.nodeName) {
      const node = this.targetNode(pod) ?? this.nodes[this.nextNode++ % this.nodes.length] ?? 'node-1';
      this.ctx.store.update(R.pod, { ...pod, spec: { ...spec, nodeName: node } });
      return;
    }
    if (status.phase === 'Pending') {
      this.ctx.clock.after(this.options.startDelayMs ?? 50, () => this.run(namespace, name));
      return;
    }
    if (status.phase !== 'Running') return;
    if (spec.restartPolicy !== 'Always') {
      const outcome = this.options.finish?.(pod);
      if (outcome) {
        this.ctx.store.update(
          R.pod,
          { ...pod, status: { ...status, phase: outcome, conditions: this.conditions(false) } },
          { subresource: 'status' },
        );
        return;
      }
    }
    const wantReady = !(this.options.holdReady?.(pod) ?? false);
    const isReady =
      status.conditions?.some((condition) => condition.type === 'Ready' && condition.status === 'True') ??
      false;
    if (wantReady !== isReady) {
      this.ctx.store.update(
        R.pod,
        { ...pod, status: { ...status, conditions: this.conditions(wantReady) } },
        { subresource: 'status' },
      );
    }
  }

  private run(namespace: string, name: string): void {
    if (this.stopped) return;
    const pod = this.ctx.store.get(R.pod, namespace, name);
    if (!pod || pod.metadata.deletionTimestamp) return;
    const status = pod.status ?? {};
    if (status.phase !== 'Pending') return;
    const ip = `10.244.0.${this.nextIp++}`;
    const containers = (
      (pod.spec as { containers?: Array<{ name: string; image?: string }> } | undefined)?.containers ?? []
    ).map((container) => ({
      name: container.name,
      image: container.image,
      ready: false,
      restartCount: 0,
      started: true,
    }));
    this.ctx.store.update(
      R.pod,
      {
        ...pod,
        status: {
          ...status,
          phase: 'Running',
          conditions: this.conditions(false),
          hostIP: '172.18.0.2',
          podIP: ip,
          podIPs: [{ ip }],
          startTime: kubeTime(),
          containerStatuses: containers,
        },
      },
      { subresource: 'status' },
    );
  }

  private conditions(ready: boolean): Array<Record<string, unknown>> {
    const now = kubeTime();
    const value = ready ? 'True' : 'False';
    return [
      { type: 'Initialized', status: 'True', lastProbeTime: null, lastTransitionTime: now },
      { type: 'Ready', status: value, lastProbeTime: null, lastTransitionTime: now },
      { type: 'ContainersReady', status: value, lastProbeTime: null, lastTransitionTime: now },
      { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: now },
    ];
  }

  private targetNode(pod: KubeObject): string | undefined {
    const affinity = (
      pod.spec as
        | {
            affinity?: {
              nodeAffinity?: {
                requiredDuringSchedulingIgnoredDuringExecution?: {
                  nodeSelectorTerms?: Array<{ matchFields?: Array<{ key: string; values?: string[] }> }>;
                };
              };
            };
          }
        | undefined
    )?.affinity;
    for (const term of affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution
      ?.nodeSelectorTerms ?? []) {
      for (const field of term.matchFields ?? []) if (field.key === 'metadata.name') return field.values?.[0];
    }
    return undefined;
  }
}

/** A control plane plus fake kubelet over one fresh context, with one namespace created. */
export interface ControlPlaneHarness {
  ctx: SimContext;
  kubelet: FakeKubelet;
  controlPlane: SimComponent;
}

/**
 * Returns a `start` function for a test file; an afterEach it registers stops whatever the last
 * `start` started, so no clock or controller outlives its test.
 */
export function controlPlaneHarness(
  namespace: string,
): (options?: FakeKubeletOptions) => ControlPlaneHarness {
  let running: ControlPlaneHarness | undefined;
  afterEach(() => {
    running?.kubelet.stop();
    running?.controlPlane.stop();
    running?.ctx.clock.close();
    running = undefined;
  });
  return (options = {}) => {
    const ctx = makeContext();
    createNamespace(ctx, namespace);
    const controlPlane = startControlPlane(ctx);
    const kubelet = new FakeKubelet(ctx, options);
    kubelet.start();
    running = { ctx, kubelet, controlPlane };
    return running;
  };
}
