import type { ImageRef } from './image-ref.ts';
import type {
  ContainerSpec,
  ContainerState,
  ContainerStatus,
  PodCondition,
  PodSpec,
  PodStatus,
  ResourceRequirements,
  TerminatedState,
} from './kube-shapes.ts';
import { qosClass } from './pod-resources.ts';

/** What the simulated runtime knows about one container of a pod. */
export interface ContainerModel {
  readonly spec: ContainerSpec;
  readonly kind: 'init' | 'sidecar' | 'app';
  /** The latest instance: running since, or how it ended; undefined before the first start. */
  current: { running: string } | { terminated: TerminatedState } | undefined;
  /** The instance before the current one (lastState while the current one runs). */
  previous: TerminatedState | undefined;
  /** The kubelet's reason cache: why it cannot (re)start the container right now. */
  waiting: { reason: string; message?: string } | undefined;
  restartCount: number;
  containerID: string | undefined;
  image: ImageRef | undefined;
  /** The startup probe passed (or there is none) for the running instance. */
  startupPassed: boolean;
  /** The readiness probe passed (successThreshold times in a row) for the running instance. */
  readinessPassed: boolean;
}

/** Everything the kubelet reports about a pod, apart from what the spec says. */
export interface PodModel {
  hostIP: string;
  podIP: string | undefined;
  startTime: string;
  /** The sandbox exists (PodReadyToStartContainers). */
  sandboxReady: boolean;
  /** All containers, init and sidecars first in spec order, then app containers in spec order. */
  containers: ContainerModel[];
  /** No container runs or will run again: the kubelet reports a terminal phase. */
  terminal: boolean;
  /** Phase Failed forced by the kubelet (eviction, deadline), with status reason and message. */
  failure: { reason: string; message: string } | undefined;
}

const KUBELET_CONDITIONS = new Set([
  'PodReadyToStartContainers',
  'Initialized',
  'Ready',
  'ContainersReady',
  'PodScheduled',
]);

/** Go's %s of a []string: "[a b]". */
function goList(names: readonly string[]): string {
  return `[${names.join(' ')}]`;
}

function isRunning(container: ContainerModel): boolean {
  return container.current !== undefined && 'running' in container.current;
}

function terminatedOf(container: ContainerModel): TerminatedState | undefined {
  return container.current && 'terminated' in container.current ? container.current.terminated : undefined;
}

/** containerStatuses[] entry as convertToAPIContainerStatuses plus the prober manager produce it. */
export function containerStatus(container: ContainerModel, hasInitContainers: boolean): ContainerStatus {
  const { spec, current } = container;
  let state: ContainerState;
  let lastState: ContainerState = container.previous ? { terminated: container.previous } : {};
  const terminated = terminatedOf(container);
  if (container.waiting) {
    state = {
      waiting: {
        reason: container.waiting.reason,
        ...(container.waiting.message ? { message: container.waiting.message } : {}),
      },
    };
    if (terminated) lastState = { terminated };
  } else if (current && 'running' in current) {
    state = { running: { startedAt: current.running } };
  } else if (terminated) {
    state = { terminated };
  } else {
    state = { waiting: { reason: hasInitContainers ? 'PodInitializing' : 'ContainerCreating' } };
  }
  const running = isRunning(container) && !container.waiting;
  const started = running && container.startupPassed;
  let ready: boolean;
  if (container.kind === 'init') ready = !container.waiting && terminated?.exitCode === 0;
  else ready = started && (container.readinessPassed || !spec.readinessProbe);
  const status: ContainerStatus = {
    name: spec.name,
    state,
    lastState,
    ready,
    restartCount: container.restartCount,
    image: current && container.image ? container.image.normalized : (spec.image ?? ''),
    imageID: current && container.image ? container.image.imageID : '',
    ...(current && container.containerID ? { containerID: container.containerID } : {}),
    started: container.kind === 'init' ? running : started,
  };
  if (running) {
    const resources = effectiveResources(spec.resources);
    if (resources) status.resources = resources;
  }
  if (spec.volumeMounts && spec.volumeMounts.length > 0) {
    status.volumeMounts = spec.volumeMounts.map((mount) => ({
      name: mount.name,
      mountPath: mount.mountPath,
      ...(mount.readOnly ? { readOnly: true, recursiveReadOnly: 'Disabled' } : {}),
    }));
  }
  return status;
}

function effectiveResources(resources: ResourceRequirements | undefined): ResourceRequirements | undefined {
  const limits = resources?.limits ?? {};
  const requests = { ...limits, ...resources?.requests };
  if (Object.keys(requests).length === 0 && Object.keys(limits).length === 0) return undefined;
  return {
    ...(Object.keys(limits).length > 0 ? { limits } : {}),
    ...(Object.keys(requests).length > 0 ? { requests } : {}),
  };
}

/** kubelet's getPhase over the computed container statuses. */
export function podPhase(
  spec: PodSpec,
  init: readonly ContainerStatus[],
  app: readonly ContainerStatus[],
  terminal: boolean,
): string {
  const restartPolicy = spec.restartPolicy ?? 'Always';
  let pendingInit = 0;
  let pendingSidecars = 0;
  let failedInit = 0;
  const initSpecs = spec.initContainers ?? [];
  init.forEach((status, index) => {
    const sidecar = initSpecs[index]?.restartPolicy === 'Always';
    if (sidecar) {
      if (!status.state.running || !status.started) pendingSidecars += 1;
      return;
    }
    if (status.state.running) pendingInit += 1;
    else if (status.state.terminated) {
      if (status.state.terminated.exitCode !== 0) failedInit += 1;
    } else if (status.lastState.terminated) {
      if (status.lastState.terminated.exitCode !== 0) failedInit += 1;
    } else pendingInit += 1;
  });
  let unknown = 0;
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const status of app) {
    if (status.state.running) running += 1;
    else if (status.state.terminated) {
      stopped += 1;
      if (status.state.terminated.exitCode === 0) succeeded += 1;
    } else if (status.state.waiting) {
      if (status.lastState.terminated) stopped += 1;
      else waiting += 1;
    } else unknown += 1;
  }
  if (failedInit > 0 && restartPolicy === 'Never') return 'Failed';
  const anyRegularStarted = app.some(
    (status) => status.state.running || status.state.terminated || status.lastState.terminated,
  );
  if (pendingInit > 0 || (pendingSidecars > 0 && !anyRegularStarted) || waiting > 0) return 'Pending';
  if (running > 0 && unknown === 0) return 'Running';
  if (running === 0 && stopped > 0 && unknown === 0) {
    if (terminal) return stopped === succeeded ? 'Succeeded' : 'Failed';
    if (restartPolicy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (restartPolicy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}

function readinessConditions(
  spec: PodSpec,
  all: readonly ContainerStatus[],
  phase: string,
  current: readonly PodCondition[],
): PodCondition[] {
  let containersReady: PodCondition;
  if (phase === 'Succeeded' || phase === 'Failed') {
    containersReady = {
      type: 'ContainersReady',
      status: 'False',
      reason: phase === 'Succeeded' ? 'PodCompleted' : 'PodFailed',
    };
  } else {
    const unknown: string[] = [];
    const unready: string[] = [];
    const watched = [
      ...(spec.initContainers ?? []).filter((container) => container.restartPolicy === 'Always'),
      ...(spec.containers ?? []),
    ];
    for (const container of watched) {
      const status = all.find((candidate) => candidate.name === container.name);
      if (!status) unknown.push(container.name);
      else if (!status.ready) unready.push(container.name);
    }
    const messages: string[] = [];
    if (unknown.length > 0) messages.push(`containers with unknown status: ${goList(unknown)}`);
    if (unready.length > 0) messages.push(`containers with unready status: ${goList(unready)}`);
    containersReady =
      messages.length > 0
        ? {
            type: 'ContainersReady',
            status: 'False',
            reason: 'ContainersNotReady',
            message: messages.join(', '),
          }
        : { type: 'ContainersReady', status: 'True' };
  }
  let ready: PodCondition = { ...containersReady, type: 'Ready' };
  if (containersReady.status === 'True') {
    const gates: string[] = [];
    for (const gate of spec.readinessGates ?? []) {
      const condition = current.find((candidate) => candidate.type === gate.conditionType);
      if (!condition)
        gates.push(`corresponding condition of pod readiness gate "${gate.conditionType}" does not exist.`);
      else if (condition.status !== 'True') {
        gates.push(
          `the status of pod readiness gate "${gate.conditionType}" is not "True", but ${condition.status}`,
        );
      }
    }
    if (gates.length > 0)
      ready = { type: 'Ready', status: 'False', reason: 'ReadinessGatesNotReady', message: gates.join(', ') };
  }
  return [ready, containersReady];
}

function initializedCondition(
  spec: PodSpec,
  init: readonly ContainerStatus[],
  app: readonly ContainerStatus[],
  phase: string,
): PodCondition {
  const incomplete: string[] = [];
  for (const container of spec.initContainers ?? []) {
    const status = init.find((candidate) => candidate.name === container.name);
    if (!status) continue;
    if (container.restartPolicy === 'Always' ? !status.started : !status.ready)
      incomplete.push(container.name);
  }
  if (phase === 'Succeeded') return { type: 'Initialized', status: 'True', reason: 'PodCompleted' };
  // Once a regular container started, the pod was initialized, whatever sidecars do since.
  if (app.some((status) => status.state.running || status.state.terminated || status.lastState.terminated)) {
    return { type: 'Initialized', status: 'True' };
  }
  if (incomplete.length > 0) {
    return {
      type: 'Initialized',
      status: 'False',
      reason: 'ContainersNotInitialized',
      message: `containers with incomplete status: ${goList(incomplete)}`,
    };
  }
  return { type: 'Initialized', status: 'True' };
}

/**
 * The pod status a real kubelet would post for this model (generateAPIPodStatus + the status
 * manager's merge): conditions not owned by the kubelet are kept first, then
 * PodReadyToStartContainers, Initialized, Ready, ContainersReady and PodScheduled; a condition
 * keeps its lastTransitionTime while its status does not change. Container statuses are sorted by
 * name, init container statuses stay in spec order.
 */
export function buildPodStatus(spec: PodSpec, model: PodModel, old: PodStatus, now: string): PodStatus {
  const hasInit = (spec.initContainers ?? []).length > 0;
  const init = model.containers
    .filter((container) => container.kind !== 'app')
    .map((container) => containerStatus(container, hasInit));
  const app = model.containers
    .filter((container) => container.kind === 'app')
    .map((container) => containerStatus(container, hasInit))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const phase = model.failure ? 'Failed' : podPhase(spec, init, app, model.terminal);
  const oldConditions = old.conditions ?? [];
  const kept = oldConditions.filter((condition) => !KUBELET_CONDITIONS.has(condition.type));
  const generated: PodCondition[] = [
    { type: 'PodReadyToStartContainers', status: model.sandboxReady ? 'True' : 'False' },
    initializedCondition(spec, init, app, phase),
    ...readinessConditions(spec, [...init, ...app], phase, oldConditions),
    { type: 'PodScheduled', status: 'True' },
  ];
  const conditions = [...kept, ...generated].map((condition): PodCondition => {
    if (!KUBELET_CONDITIONS.has(condition.type)) return condition;
    const before = oldConditions.find((candidate) => candidate.type === condition.type);
    const since =
      before && before.status === condition.status && before.lastTransitionTime
        ? before.lastTransitionTime
        : now;
    const { type, status, reason, message } = condition;
    return {
      type,
      status,
      lastProbeTime: null,
      lastTransitionTime: since,
      ...(reason ? { reason } : {}),
      ...(message ? { message } : {}),
    };
  });
  const status: PodStatus = {
    phase,
    conditions,
    ...(model.failure ? { message: model.failure.message, reason: model.failure.reason } : {}),
    ...(old.nominatedNodeName ? { nominatedNodeName: old.nominatedNodeName } : {}),
    hostIP: model.hostIP,
    hostIPs: [{ ip: model.hostIP }],
    ...(model.podIP ? { podIP: model.podIP, podIPs: [{ ip: model.podIP }] } : {}),
    startTime: model.startTime,
    ...(init.length > 0 ? { initContainerStatuses: init } : {}),
    containerStatuses: app,
    qosClass: qosClass(spec),
  };
  return status;
}
