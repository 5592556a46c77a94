import { KubeKind } from '../kube/cluster-client.ts';
import type { ClusterClient, KubeObject } from '../kube/cluster-client.ts';
import { formatAge, summarizePod } from '../kube/pod-display.ts';
import type { HelmDriver } from '../helm/helm-driver.ts';
import type { HelmCommandOutput } from '../helm/helm-error.ts';
import { byTime, eventRow, podShape } from './debug-snapshot.ts';
import type {
  ContainerDetail,
  ContainerLog,
  DebugSnapshot,
  EventRow,
  NodeRow,
  PodDetail,
  PodRow,
  ProbeSettings,
} from './debug-snapshot.ts';
import { maskText } from './mask-text.ts';
import { isHelmHook as isHookPod } from '../await/release-members.ts';
import { parseQuantity } from '../kube/quantity.ts';

/** Options of {@link collectDebugSnapshot}. */
export interface SnapshotOptions {
  namespace: string;
  release: string;
  logTailLines: number;
  maxBytes: number;
  maskPatterns: readonly RegExp[];
  helmCommands: readonly HelmCommandOutput[];
  now: Date;
}

/**
 * Gathers the evidence of a failed iteration (pods wide, describe of unready pods, events, logs
 * current and previous, the hosting nodes, helm status and output) into a size-capped snapshot.
 * Each read is independent: one that fails leaves a gap, not a missing snapshot.
 */
export async function collectDebugSnapshot(
  client: ClusterClient,
  helm: HelmDriver,
  options: SnapshotOptions,
  signal: AbortSignal,
): Promise<DebugSnapshot> {
  const mask = (text: string) => maskText(text, options.maskPatterns);
  const pods = await attempt(
    () => client.list(KubeKind.Pod, { namespace: options.namespace }, signal).then((list) => list.items),
    [],
  );
  const events = (
    await attempt(
      () => client.list(KubeKind.Event, { namespace: options.namespace }, signal).then((list) => list.items),
      [],
    )
  )
    .map(eventRow)
    .sort(byTime);
  const snapshot: DebugSnapshot = {
    takenAt: options.now.toISOString(),
    namespace: options.namespace,
    release: options.release,
    pods: pods.map((pod) => podRow(pod, options.now)),
    // A pod that restarted is evidence even when it is Ready again by the time the snapshot is
    // taken: an OOM kill or a liveness kill leaves only its lastState and restart count behind.
    podDetails: pods.filter((pod) => !isReady(pod) || restarted(pod)).map((pod) => podDetail(pod, events)),
    events: events.map((event) => ({ ...event, ...(event.message ? { message: mask(event.message) } : {}) })),
    logs: [],
    nodes: await nodeRows(client, pods, signal),
    helmCommands: options.helmCommands.map((command) => ({
      argv: command.argv,
      exitCode: command.exitCode,
      stdout: mask(command.stdout),
      stderr: mask(command.stderr),
      durationMs: command.durationMs,
    })),
    truncated: false,
  };
  const status = await attempt(
    () => helm.status(options.release, options.namespace, signal).then((output) => output.stdout),
    undefined,
  );
  if (status !== undefined) snapshot.helmStatus = mask(status);
  for (const pod of pods) {
    const shape = podShape(pod);
    const statuses = [
      ...(shape.status?.initContainerStatuses ?? []),
      ...(shape.status?.containerStatuses ?? []),
    ];
    for (const container of statuses) {
      const name = container.name ?? '';
      for (const previous of [false, true]) {
        if (previous && (container.restartCount ?? 0) === 0) continue;
        if (!previous && !container.state?.running && !container.state?.terminated) continue;
        const log: ContainerLog = { pod: pod.metadata.name ?? '', container: name, previous, text: '' };
        try {
          log.text = mask(
            await client.readPodLog(
              options.namespace,
              log.pod,
              { container: name, previous, tailLines: options.logTailLines },
              signal,
            ),
          );
        } catch (error) {
          log.error = error instanceof Error ? error.message : String(error);
        }
        snapshot.logs.push(log);
      }
    }
  }
  return capSnapshot(snapshot, options.maxBytes);
}

/** Shrinks logs, then events, until the JSON fits. */
export function capSnapshot(snapshot: DebugSnapshot, maxBytes: number): DebugSnapshot {
  const size = () => Buffer.byteLength(JSON.stringify(snapshot));
  let keep = 200;
  while (size() > maxBytes && keep > 2) {
    keep = Math.floor(keep / 2);
    for (const log of snapshot.logs) log.text = log.text.split('\n').slice(-keep).join('\n');
    for (const command of snapshot.helmCommands) {
      command.stdout = command.stdout.slice(-keep * 80);
      command.stderr = command.stderr.slice(-keep * 80);
    }
    snapshot.truncated = true;
  }
  while (size() > maxBytes && snapshot.events.length > 20) {
    snapshot.events = snapshot.events.slice(-Math.floor(snapshot.events.length / 2));
    snapshot.truncated = true;
  }
  if (size() > maxBytes) {
    snapshot.logs = [];
    snapshot.truncated = true;
  }
  return snapshot;
}

async function attempt<T>(read: () => Promise<T>, fallback: T): Promise<T> {
  try {
    return await read();
  } catch {
    return fallback;
  }
}

function restarted(pod: KubeObject): boolean {
  const status = podShape(pod).status;
  return [...(status?.initContainerStatuses ?? []), ...(status?.containerStatuses ?? [])].some(
    (container) => (container.restartCount ?? 0) > 0,
  );
}

function isReady(pod: KubeObject): boolean {
  const status = podShape(pod).status;
  if (status?.phase === 'Succeeded') return true;
  return status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
}

function podRow(pod: KubeObject, now: Date): PodRow {
  const summary = summarizePod(pod);
  const shape = podShape(pod);
  const row: PodRow = {
    name: pod.metadata.name ?? '',
    ready: `${summary.ready}/${summary.total}`,
    status: summary.status,
    restarts: summary.restarts,
    age: formatAge(pod.metadata.creationTimestamp, now),
    hook: isHookPod(pod),
  };
  if (summary.lastRestartAt) row.lastRestartAt = summary.lastRestartAt;
  if (shape.status?.podIP) row.ip = shape.status.podIP;
  if (shape.spec?.nodeName) row.node = shape.spec.nodeName;
  if (shape.status?.phase) row.phase = shape.status.phase;
  return row;
}

function podDetail(pod: KubeObject, events: readonly EventRow[]): PodDetail {
  const shape = podShape(pod);
  const name = pod.metadata.name ?? '';
  const containers: ContainerDetail[] = [];
  for (const [kind, specs, statuses] of [
    ['init', shape.spec?.initContainers ?? [], shape.status?.initContainerStatuses ?? []],
    ['app', shape.spec?.containers ?? [], shape.status?.containerStatuses ?? []],
  ] as const) {
    for (const spec of specs) {
      const status = statuses.find((candidate) => candidate.name === spec.name);
      const probes: ProbeSettings[] = [];
      for (const [probeKind, probe] of [
        ['startup', spec.startupProbe],
        ['readiness', spec.readinessProbe],
        ['liveness', spec.livenessProbe],
      ] as const) {
        if (!probe) continue;
        const handler = probe.httpGet
          ? `http-get :${String(probe.httpGet.port ?? '')}${probe.httpGet.path ?? '/'}`
          : probe.tcpSocket
            ? `tcp-socket :${String(probe.tcpSocket.port ?? '')}`
            : probe.exec
              ? `exec [${(probe.exec.command ?? []).join(' ')}]`
              : 'grpc';
        probes.push({
          kind: probeKind,
          handler,
          ...(probe.initialDelaySeconds === undefined
            ? {}
            : { initialDelaySeconds: probe.initialDelaySeconds }),
          ...(probe.periodSeconds === undefined ? {} : { periodSeconds: probe.periodSeconds }),
          ...(probe.timeoutSeconds === undefined ? {} : { timeoutSeconds: probe.timeoutSeconds }),
          ...(probe.failureThreshold === undefined ? {} : { failureThreshold: probe.failureThreshold }),
        });
      }
      const detail: ContainerDetail = {
        name: spec.name ?? '',
        kind,
        ready: status?.ready ?? false,
        restartCount: status?.restartCount ?? 0,
        probes,
      };
      if (spec.image) detail.image = spec.image;
      if (status?.state) detail.state = status.state;
      if (status?.lastState && Object.keys(status.lastState).length > 0) detail.lastState = status.lastState;
      if (spec.resources?.requests) detail.requests = spec.resources.requests;
      if (spec.resources?.limits) detail.limits = spec.resources.limits;
      containers.push(detail);
    }
  }
  const detail: PodDetail = {
    name,
    conditions: (shape.status?.conditions ?? []).map((c) => ({
      type: c.type ?? '',
      status: c.status ?? '',
      ...(c.reason ? { reason: c.reason } : {}),
      ...(c.message ? { message: c.message } : {}),
      ...(c.lastTransitionTime ? { lastTransitionTime: c.lastTransitionTime } : {}),
    })),
    containers,
    events: events.filter((event) => event.object === `Pod/${name}`),
  };
  if (shape.spec?.nodeName) detail.node = shape.spec.nodeName;
  if (shape.status?.phase) detail.phase = shape.status.phase;
  if (shape.status?.reason) detail.reason = shape.status.reason;
  if (shape.status?.message) detail.message = shape.status.message;
  return detail;
}

/** The nodes hosting the namespace's pods, with conditions and requested vs allocatable memory. */
export async function nodeRows(
  client: ClusterClient,
  pods: readonly KubeObject[],
  signal: AbortSignal,
): Promise<NodeRow[]> {
  const byNode = new Map<string, string[]>();
  for (const pod of pods) {
    const node = podShape(pod).spec?.nodeName;
    if (node) byNode.set(node, [...(byNode.get(node) ?? []), pod.metadata.name ?? '']);
  }
  const rows: NodeRow[] = [];
  for (const [name, hosted] of [...byNode].sort(([a], [b]) => a.localeCompare(b))) {
    const node = await attempt(() => client.get(KubeKind.Node, name, undefined, signal), undefined);
    const nodePods = await attempt(
      () =>
        client
          .list(KubeKind.Pod, { fieldSelector: `spec.nodeName=${name}` }, signal)
          .then((list) => list.items),
      [],
    );
    let requested = 0;
    for (const pod of nodePods) {
      const phase = podShape(pod).status?.phase;
      if (phase === 'Succeeded' || phase === 'Failed') continue;
      for (const container of podShape(pod).spec?.containers ?? [])
        requested += parseQuantity(container.resources?.requests?.memory ?? '0');
    }
    const status = (node?.status ?? {}) as {
      conditions?: Array<{ type?: string; status?: string; reason?: string; message?: string }>;
      allocatable?: Record<string, string>;
    };
    const conditions = (status.conditions ?? []).map((c) => ({
      type: c.type ?? '',
      status: c.status ?? '',
      ...(c.reason ? { reason: c.reason } : {}),
      ...(c.message ? { message: c.message } : {}),
    }));
    const row: NodeRow = {
      name,
      ready: conditions.find((c) => c.type === 'Ready')?.status ?? 'Unknown',
      conditions,
      unschedulable: (node?.spec as { unschedulable?: boolean } | undefined)?.unschedulable === true,
      requestedMemoryBytes: requested,
      pods: hosted.sort(),
    };
    if (status.allocatable?.memory) row.allocatableMemoryBytes = parseQuantity(status.allocatable.memory);
    rows.push(row);
  }
  return rows;
}
