import type { KubeObject } from '../kube/cluster-client.ts';

/** One row of `kubectl get pods -o wide`, as data. */
export interface PodRow {
  name: string;
  ready: string;
  status: string;
  restarts: number;
  lastRestartAt?: string;
  age: string;
  ip?: string;
  node?: string;
  phase?: string;
  /** True for helm hook pods (tests). */
  hook: boolean;
}

/** A container's state as the kubelet reported it. */
export interface ContainerState {
  waiting?: { reason?: string; message?: string };
  running?: { startedAt?: string };
  terminated?: {
    exitCode?: number;
    reason?: string;
    message?: string;
    startedAt?: string;
    finishedAt?: string;
  };
}

/** Probe settings worth seeing next to probe failures. */
export interface ProbeSettings {
  kind: 'startup' | 'readiness' | 'liveness';
  handler: string;
  initialDelaySeconds?: number;
  periodSeconds?: number;
  timeoutSeconds?: number;
  failureThreshold?: number;
}

/** A container in a pod description. */
export interface ContainerDetail {
  name: string;
  kind: 'init' | 'app';
  image?: string;
  ready: boolean;
  restartCount: number;
  state?: ContainerState;
  lastState?: ContainerState;
  probes: ProbeSettings[];
  requests?: Record<string, string>;
  limits?: Record<string, string>;
}

/** An event, flattened. */
export interface EventRow {
  /** lastTimestamp, eventTime or firstTimestamp, whichever is set. */
  time?: string;
  type?: string;
  reason?: string;
  object: string;
  fieldPath?: string;
  message?: string;
  count?: number;
  /** The reporting node (source.host) for kubelet events. */
  host?: string;
}

/** `kubectl describe pod`, as data, for pods that are not Ready. */
export interface PodDetail {
  name: string;
  node?: string;
  phase?: string;
  reason?: string;
  message?: string;
  conditions: Array<{
    type: string;
    status: string;
    reason?: string;
    message?: string;
    lastTransitionTime?: string;
  }>;
  containers: ContainerDetail[];
  events: EventRow[];
}

/** Logs of one container instance, tail-limited and masked. */
export interface ContainerLog {
  pod: string;
  container: string;
  previous: boolean;
  text: string;
  /** Why no log could be read (e.g. the container never started). */
  error?: string;
}

/** A node that hosted the release's pods. */
export interface NodeRow {
  name: string;
  ready: string;
  conditions: Array<{ type: string; status: string; reason?: string; message?: string }>;
  unschedulable: boolean;
  allocatableMemoryBytes?: number;
  requestedMemoryBytes: number;
  pods: string[];
}

/** One helm command in the snapshot (output masked and capped). */
export interface HelmRecord {
  argv: string[];
  exitCode: number | null;
  stdout: string;
  stderr: string;
  durationMs: number;
}

/**
 * Everything known about a failed iteration's namespace, taken before cleanup. Secret data is never
 * read (Secrets are not listed at all); logs and helm output pass through the mask patterns.
 */
export interface DebugSnapshot {
  takenAt: string;
  namespace: string;
  release: string;
  pods: PodRow[];
  podDetails: PodDetail[];
  events: EventRow[];
  logs: ContainerLog[];
  nodes: NodeRow[];
  helmStatus?: string;
  helmCommands: HelmRecord[];
  /** True when the size cap dropped logs or events. */
  truncated: boolean;
}

/** Loosely typed pod fields the snapshot reads. */
export interface PodShape {
  spec?: {
    nodeName?: string;
    containers?: ContainerSpecShape[];
    initContainers?: ContainerSpecShape[];
  };
  status?: {
    phase?: string;
    reason?: string;
    message?: string;
    podIP?: string;
    conditions?: Array<{
      type?: string;
      status?: string;
      reason?: string;
      message?: string;
      lastTransitionTime?: string;
    }>;
    containerStatuses?: ContainerStatusShape[];
    initContainerStatuses?: ContainerStatusShape[];
  };
}

export interface ContainerSpecShape {
  name?: string;
  image?: string;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  startupProbe?: ProbeShape;
  readinessProbe?: ProbeShape;
  livenessProbe?: ProbeShape;
}

interface ProbeShape {
  httpGet?: { path?: string; port?: number | string };
  tcpSocket?: { port?: number | string };
  exec?: { command?: string[] };
  grpc?: { port?: number };
  initialDelaySeconds?: number;
  periodSeconds?: number;
  timeoutSeconds?: number;
  failureThreshold?: number;
}

export interface ContainerStatusShape {
  name?: string;
  ready?: boolean;
  restartCount?: number;
  image?: string;
  state?: ContainerState;
  lastState?: ContainerState;
}

/** Reads a pod's typed view. */
export function podShape(pod: KubeObject): PodShape {
  return pod;
}

/** Flattens an Event object. */
export function eventRow(event: KubeObject): EventRow {
  const e = event as unknown as {
    type?: string;
    reason?: string;
    message?: string;
    count?: number;
    lastTimestamp?: string | null;
    firstTimestamp?: string | null;
    eventTime?: string | null;
    involvedObject?: { kind?: string; name?: string; fieldPath?: string };
    source?: { host?: string };
    series?: { count?: number; lastObservedTime?: string };
  };
  const time =
    e.series?.lastObservedTime ??
    e.lastTimestamp ??
    e.eventTime ??
    e.firstTimestamp ??
    event.metadata.creationTimestamp;
  const row: EventRow = { object: `${e.involvedObject?.kind ?? ''}/${e.involvedObject?.name ?? ''}` };
  if (time) row.time = time;
  if (e.type) row.type = e.type;
  if (e.reason) row.reason = e.reason;
  if (e.involvedObject?.fieldPath) row.fieldPath = e.involvedObject.fieldPath;
  if (e.message) row.message = e.message;
  const count = e.series?.count ?? e.count;
  if (count !== undefined) row.count = count;
  if (e.source?.host) row.host = e.source.host;
  return row;
}

/** Orders events by time; undated ones last. */
export function byTime(a: EventRow, b: EventRow): number {
  return (a.time ?? '\uffff').localeCompare(b.time ?? '\uffff');
}
