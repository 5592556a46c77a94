import type { KubeObject } from '../../../src/sim/api/kube-object.ts';
import { EventRecorder } from '../../../src/sim/event-recorder.ts';
import type {
  ContainerSpec,
  ContainerStatus,
  PodCondition,
  PodSpec,
  PodStatus,
} from '../../../src/sim/kubelet/kube-shapes.ts';
import type { NodeSide, NodeSideOptions } from '../../../src/sim/kubelet/node-side.ts';
import { startNodeSide } from '../../../src/sim/kubelet/node-side.ts';
import { PodLogStore } from '../../../src/sim/pod-log-store.ts';
import { R } from '../../../src/sim/resources.ts';
import { SeededRandom } from '../../../src/sim/seeded-random.ts';
import { SimClock } from '../../../src/sim/sim-clock.ts';
import type { SimContext } from '../../../src/sim/sim-context.ts';
import { ObjectStore } from '../../../src/sim/store/object-store.ts';

/** One pod status write as the node side reported it, with the pod's own simulated time. */
export interface Sample {
  simMs: number;
  pod: KubeObject;
}

/** An in-process simulated cluster's node side, with every pod status write recorded. */
export interface Harness {
  ctx: SimContext;
  side: NodeSide;
  samples: Sample[];
  stop(): void;
}

export function harness(options: NodeSideOptions & { timeScale?: number; seed?: number } = {}): Harness {
  const store = new ObjectStore();
  const clock = new SimClock(options.timeScale ?? 0.001);
  const ctx: SimContext = {
    store,
    clock,
    events: new EventRecorder(store),
    logs: new PodLogStore(),
    random: new SeededRandom(options.seed ?? 1),
  };
  const samples: Sample[] = [];
  const order = new Map<string, number>();
  creationOrder.set(ctx, order);
  store.subscribe((event) => {
    if (event.resource === R.event && event.type === 'ADDED')
      order.set(event.object.metadata.name ?? '', order.size);
  });
  const side = startNodeSide(ctx, {
    ...options,
    onPodStatus: (pod, simMs) => samples.push({ simMs, pod: structuredClone(pod) }),
  });
  return {
    ctx,
    side,
    samples,
    stop() {
      side.stop();
      clock.close();
    },
  };
}

/** A pod as the API server would store it after defaulting. */
export function podObject(
  namespace: string,
  name: string,
  spec: PodSpec,
  meta: Partial<KubeObject['metadata']> = {},
): KubeObject {
  const defaultContainer = (container: ContainerSpec): ContainerSpec => ({
    imagePullPolicy: 'IfNotPresent',
    ...container,
    ...(container.readinessProbe ? { readinessProbe: defaultProbe(container.readinessProbe) } : {}),
    ...(container.livenessProbe ? { livenessProbe: defaultProbe(container.livenessProbe) } : {}),
    ...(container.startupProbe ? { startupProbe: defaultProbe(container.startupProbe) } : {}),
  });
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, ...meta },
    spec: {
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      schedulerName: 'default-scheduler',
      ...spec,
      containers: (spec.containers ?? []).map(defaultContainer),
      ...(spec.initContainers ? { initContainers: spec.initContainers.map(defaultContainer) } : {}),
    },
    status: { phase: 'Pending' },
  };
}

function defaultProbe<T extends object>(probe: T): T {
  return { timeoutSeconds: 1, periodSeconds: 10, successThreshold: 1, failureThreshold: 3, ...probe };
}

export async function waitFor<T>(
  check: () => T | undefined | false,
  what = 'condition',
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

export function statusOf(pod: KubeObject): PodStatus {
  return pod.status ?? {};
}

export function condition(pod: KubeObject, type: string): PodCondition | undefined {
  return statusOf(pod).conditions?.find((candidate) => candidate.type === type);
}

export function containerStatus(pod: KubeObject, name: string): ContainerStatus | undefined {
  const status = statusOf(pod);
  return [...(status.initContainerStatuses ?? []), ...(status.containerStatuses ?? [])].find(
    (candidate) => candidate.name === name,
  );
}

/** The fields of a core/v1 Event the tests read. */
export interface EventView {
  type: string;
  reason: string;
  message: string;
  count: number;
  source: { component: string; host?: string };
  involvedObject: { name: string; fieldPath?: string };
}

const creationOrder = new WeakMap<SimContext, Map<string, number>>();

/** Events about one pod, in the order they were first recorded (as `kubectl describe` lists them). */
export function eventsOf(ctx: SimContext, namespace: string, name: string): EventView[] {
  const order = creationOrder.get(ctx) ?? new Map<string, number>();
  return ctx.store
    .list(R.event, { namespace })
    .filter((event) => (event.involvedObject as { name?: string }).name === name)
    .sort((a, b) => (order.get(a.metadata.name ?? '') ?? 0) - (order.get(b.metadata.name ?? '') ?? 0))
    .map((event) => event as unknown as EventView);
}

/** kubectl's STATUS column for a pod (printers.go, init and container branches). */
export function kubectlStatus(pod: KubeObject): string {
  const status = statusOf(pod);
  let reason = status.reason ?? status.phase ?? '';
  const init = status.initContainerStatuses ?? [];
  let initializing = false;
  init.forEach((container, index) => {
    if (initializing) return;
    const terminated = container.state.terminated;
    if (terminated && terminated.exitCode === 0) return;
    initializing = true;
    if (terminated)
      reason = terminated.reason ? `Init:${terminated.reason}` : `Init:ExitCode:${terminated.exitCode}`;
    else if (container.state.waiting?.reason && container.state.waiting.reason !== 'PodInitializing') {
      reason = `Init:${container.state.waiting.reason}`;
    } else reason = `Init:${index}/${init.length}`;
  });
  if (!initializing) {
    for (const container of [...(status.containerStatuses ?? [])].reverse()) {
      if (container.state.waiting?.reason) reason = container.state.waiting.reason;
      else if (container.state.terminated?.reason) reason = container.state.terminated.reason;
    }
  }
  if (pod.metadata.deletionTimestamp) reason = 'Terminating';
  return reason;
}
