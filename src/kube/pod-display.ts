/**
 * How kubectl summarises a pod: the READY, STATUS and RESTARTS columns of `kubectl get pods` and the
 * AGE format. A faithful port of printPod in kubernetes/pkg/printers/internalversion/printers.go (the
 * server-side printer kubectl 1.33 displays) and of apimachinery's duration.HumanDuration, so that what
 * kubesoak reports reads exactly like what a user sees in kubectl. Independent of the simulator.
 */

/** The three mutually exclusive states a kubelet reports for a container (at most one is set). */
export interface ContainerStateLike {
  waiting?: { reason?: string; message?: string } | null;
  running?: { startedAt?: string | null } | null;
  terminated?: {
    exitCode?: number;
    signal?: number;
    reason?: string;
    message?: string;
    startedAt?: string | null;
    finishedAt?: string | null;
  } | null;
}

/** status.containerStatuses[] / status.initContainerStatuses[] as the kubelet writes them. */
export interface ContainerStatusLike {
  name?: string;
  ready?: boolean;
  started?: boolean | null;
  restartCount?: number;
  state?: ContainerStateLike | null;
  lastState?: ContainerStateLike | null;
}

/** The parts of a container spec the summary needs. */
export interface ContainerSpecLike {
  name?: string;
  image?: string;
  /** 'Always' on an init container makes it a restartable init container (a sidecar). */
  restartPolicy?: string;
}

/** A pod condition (status.conditions[]). */
export interface PodConditionLike {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
}

/** A loosely typed pod: any JSON pod object from an API server fits. */
export interface PodLike {
  metadata?: {
    name?: string;
    namespace?: string;
    creationTimestamp?: string | null;
    deletionTimestamp?: string | null;
  };
  spec?: {
    containers?: ContainerSpecLike[];
    initContainers?: ContainerSpecLike[];
    nodeName?: string;
    readinessGates?: Array<{ conditionType?: string }>;
  };
  status?: {
    phase?: string;
    reason?: string;
    message?: string;
    conditions?: PodConditionLike[];
    initContainerStatuses?: ContainerStatusLike[];
    containerStatuses?: ContainerStatusLike[];
    podIP?: string;
    podIPs?: Array<{ ip?: string }>;
    nominatedNodeName?: string;
  };
}

/** Everything printPod derives from a pod's containers, computed in one pass. */
export interface PodSummary {
  /** The STATUS column. */
  status: string;
  /** The READY column's numerator and denominator. */
  ready: number;
  total: number;
  /** The RESTARTS column's count. */
  restarts: number;
  /** The latest lastState.terminated.finishedAt among the counted containers, as written in the pod. */
  lastRestartAt?: string;
}

/** node.NodeUnreachablePodReason: the node controller marks pods on an unreachable node with it. */
const NODE_LOST_REASON = 'NodeLost';

/** Computes STATUS, READY and RESTARTS exactly as kubectl's server-side pod printer does. */
export function summarizePod(pod: PodLike): PodSummary {
  const spec = pod.spec ?? {};
  const status = pod.status ?? {};
  const initSpecs = spec.initContainers ?? [];

  let restarts = 0;
  let sidecarRestarts = 0;
  let total = (spec.containers ?? []).length;
  let ready = 0;
  let lastRestart: Instant | undefined;
  let lastSidecarRestart: Instant | undefined;

  const phase = status.phase ?? '';
  let reason = status.reason ? status.reason : phase;
  for (const condition of status.conditions ?? []) {
    if (condition.type === 'PodScheduled' && condition.reason === 'SchedulingGated')
      reason = 'SchedulingGated';
  }

  const initByName = new Map<string, ContainerSpecLike>();
  for (const container of initSpecs) {
    initByName.set(container.name ?? '', container);
    if (isRestartable(container)) total++;
  }

  let initializing = false;
  const initStatuses = status.initContainerStatuses ?? [];
  for (const [index, container] of initStatuses.entries()) {
    restarts += container.restartCount ?? 0;
    lastRestart = later(lastRestart, container.lastState?.terminated?.finishedAt);
    const sidecar = isRestartable(initByName.get(container.name ?? ''));
    if (sidecar) {
      sidecarRestarts += container.restartCount ?? 0;
      lastSidecarRestart = later(lastSidecarRestart, container.lastState?.terminated?.finishedAt);
    }
    const terminated = container.state?.terminated;
    const waiting = container.state?.waiting;
    if (terminated && (terminated.exitCode ?? 0) === 0) continue;
    if (sidecar && container.started === true) {
      if (container.ready) ready++;
      continue;
    }
    if (terminated) {
      if (terminated.reason) reason = `Init:${terminated.reason}`;
      else if (terminated.signal) reason = `Init:Signal:${terminated.signal}`;
      else reason = `Init:ExitCode:${terminated.exitCode ?? 0}`;
    } else if (waiting?.reason && waiting.reason !== 'PodInitializing') {
      reason = `Init:${waiting.reason}`;
    } else {
      reason = `Init:${index}/${initSpecs.length}`;
    }
    initializing = true;
    break;
  }

  if (!initializing || initializedConditionTrue(status.conditions)) {
    // Once initialised, only sidecar restarts carry over: finished init containers no longer count.
    restarts = sidecarRestarts;
    lastRestart = lastSidecarRestart;
    let hasRunning = false;
    const statuses = status.containerStatuses ?? [];
    // Walked backwards so that the first container with something to say sets STATUS.
    for (let i = statuses.length - 1; i >= 0; i--) {
      const container = statuses[i];
      if (!container) continue;
      restarts += container.restartCount ?? 0;
      lastRestart = later(lastRestart, container.lastState?.terminated?.finishedAt);
      const waiting = container.state?.waiting;
      const terminated = container.state?.terminated;
      if (waiting?.reason) {
        reason = waiting.reason;
      } else if (terminated?.reason) {
        reason = terminated.reason;
      } else if (terminated) {
        reason = terminated.signal ? `Signal:${terminated.signal}` : `ExitCode:${terminated.exitCode ?? 0}`;
      } else if (container.ready && container.state?.running) {
        hasRunning = true;
        ready++;
      }
    }
    if (reason === 'Completed' && hasRunning) {
      const podReady = (status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
      reason = podReady ? 'Running' : 'NotReady';
    }
  }

  const deleting = Boolean(pod.metadata?.deletionTimestamp);
  if (deleting && status.reason === NODE_LOST_REASON) reason = 'Unknown';
  else if (deleting && phase !== 'Succeeded' && phase !== 'Failed') reason = 'Terminating';

  const summary: PodSummary = { status: reason, ready, total, restarts };
  if (lastRestart) summary.lastRestartAt = lastRestart.text;
  return summary;
}

/** The STATUS column of `kubectl get pods` (Running, CrashLoopBackOff, Init:1/2, Terminating, ...). */
export function podDisplayStatus(pod: PodLike): string {
  return summarizePod(pod).status;
}

/** The READY column as numbers: ready containers (sidecars included) over containers plus sidecars. */
export function podReadyCount(pod: PodLike): { ready: number; total: number } {
  const { ready, total } = summarizePod(pod);
  return { ready, total };
}

/** The RESTARTS column as data: the count and when the last counted container last terminated. */
export function podRestarts(pod: PodLike): { count: number; lastRestartAt?: string } {
  const { restarts, lastRestartAt } = summarizePod(pod);
  return lastRestartAt === undefined ? { count: restarts } : { count: restarts, lastRestartAt };
}

/** Renders RESTARTS the way kubectl does: "0", "3", or "3 (45s ago)" when the last restart time is known. */
export function formatRestarts(restarts: { count: number; lastRestartAt?: string }, now: Date): string {
  if (restarts.count === 0 || restarts.lastRestartAt === undefined) return String(restarts.count);
  const lastRestart = parseTime(restarts.lastRestartAt);
  if (lastRestart === undefined) return String(restarts.count);
  return `${restarts.count} (${humanDuration(now.getTime() - lastRestart)} ago)`;
}

/**
 * The AGE column: how long ago `from` was, in kubectl's words ("45s", "2m10s", "3h", "5d"). A missing,
 * unparseable or zero (0001-01-01) time reads "<unknown>", as translateTimestampSince has it.
 */
export function formatAge(from: Date | string | null | undefined, now: Date): string {
  const at = from instanceof Date ? validTime(from.getTime()) : parseTime(from);
  if (at === undefined) return '<unknown>';
  return humanDuration(now.getTime() - at);
}

/**
 * apimachinery's duration.HumanDuration: about two significant figures, with "<invalid>" for spans more
 * than a second in the future (a little clock skew reads "0s").
 */
export function humanDuration(milliseconds: number): string {
  const seconds = Math.trunc(milliseconds / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.trunc(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.trunc(minutes / 60);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  const days = Math.trunc(hours / 24);
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${days}d` : `${days}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${days}d`;
  const years = Math.trunc(days / 365);
  if (hours < 24 * 365 * 8) {
    const d = days % 365;
    return d === 0 ? `${years}y` : `${years}y${d}d`;
  }
  return `${years}y`;
}

/** A timestamp as both the text the pod carried and its epoch milliseconds. */
interface Instant {
  text: string;
  ms: number;
}

/** Go's zero time.Time, which is what an unset metav1.Time decodes to. */
const ZERO_TIME_MS = Date.parse('0001-01-01T00:00:00Z');

function validTime(ms: number): number | undefined {
  return Number.isNaN(ms) || ms === ZERO_TIME_MS ? undefined : ms;
}

function parseTime(text: string | null | undefined): number | undefined {
  return typeof text === 'string' && text !== '' ? validTime(Date.parse(text)) : undefined;
}

/** Keeps the later of two restart times, ignoring absent ones as Go's zero-time comparison does. */
function later(current: Instant | undefined, candidate: string | null | undefined): Instant | undefined {
  const ms = parseTime(candidate);
  if (ms === undefined || typeof candidate !== 'string') return current;
  return current === undefined || current.ms < ms ? { text: candidate, ms } : current;
}

function isRestartable(container: ContainerSpecLike | undefined): boolean {
  return container?.restartPolicy === 'Always';
}

/** isPodInitializedConditionTrue: only the first Initialized condition counts. */
function initializedConditionTrue(conditions: PodConditionLike[] | undefined): boolean {
  const condition = (conditions ?? []).find((candidate) => candidate.type === 'Initialized');
  return condition?.status === 'True';
}
