import type { KubeObject } from '../kube/cluster-client.ts';
import type { PodLike } from '../kube/pod-display.ts';
import { formatAge, formatRestarts, summarizePod } from '../kube/pod-display.ts';
import { podStatus } from './readiness.ts';

/** One row of the pod table, as `kubectl get pods -o wide` would show it. */
export interface PodRow {
  name: string;
  /** READY column, e.g. "1/2". */
  ready: string;
  /** STATUS column exactly as kubectl prints it (Running, Init:0/2, CrashLoopBackOff…). */
  status: string;
  /** RESTARTS column, e.g. "3 (12s ago)". */
  restarts: string;
  restartCount: number;
  /** AGE column. */
  age: string;
  /** NODE column; "<none>" before scheduling. */
  node: string;
}

/** When a pod reached each stage, from its conditions (server times, second precision). */
export interface PodTimeline {
  pod: string;
  node?: string;
  createdAt?: string;
  scheduledAt?: string;
  initializedAt?: string;
  containersReadyAt?: string;
  readyAt?: string;
  /** Milliseconds after the await started when it first saw the pod Ready (undefined: never). */
  readyObservedAfterMs?: number;
}

/** Builds the pod table rows, sorted by name as kubectl sorts them. */
export function podRows(pods: readonly KubeObject[], now: Date): PodRow[] {
  return [...pods]
    .sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''))
    .map((pod) => {
      const like = pod as PodLike;
      const summary = summarizePod(like);
      const restarts =
        summary.lastRestartAt === undefined
          ? { count: summary.restarts }
          : { count: summary.restarts, lastRestartAt: summary.lastRestartAt };
      return {
        name: pod.metadata.name ?? '',
        ready: `${summary.ready}/${summary.total}`,
        status: summary.status,
        restarts: formatRestarts(restarts, now),
        restartCount: summary.restarts,
        age: formatAge(pod.metadata.creationTimestamp, now),
        node: like.spec?.nodeName || '<none>',
      };
    });
}

/** Renders rows with kubectl's column layout (three spaces between columns). */
export function formatPodTable(rows: readonly PodRow[]): string {
  const header = ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'NODE'];
  const cells = [
    header,
    ...rows.map((row) => [row.name, row.ready, row.status, row.restarts, row.age, row.node]),
  ];
  const widths = header.map((_, column) => Math.max(...cells.map((line) => (line[column] ?? '').length)));
  return cells
    .map((line) =>
      line
        .map((cell, column) => (column === line.length - 1 ? cell : cell.padEnd((widths[column] ?? 0) + 3)))
        .join(''),
    )
    .join('\n')
    .concat('\n');
}

/** The stage times of each pod, from its conditions; `readyObserved` adds when the await first saw it Ready. */
export function podTimelines(
  pods: readonly KubeObject[],
  readyObserved: ReadonlyMap<string, number>,
): PodTimeline[] {
  return [...pods]
    .sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''))
    .map((pod) => {
      const name = pod.metadata.name ?? '';
      const conditions = podStatus(pod).conditions ?? [];
      const at = (type: string) =>
        conditions.find((condition) => condition.type === type && condition.status === 'True')
          ?.lastTransitionTime;
      const entry: PodTimeline = { pod: name };
      const node = (pod.spec as { nodeName?: string } | undefined)?.nodeName;
      if (node) entry.node = node;
      if (pod.metadata.creationTimestamp) entry.createdAt = pod.metadata.creationTimestamp;
      const stages = [
        ['scheduledAt', at('PodScheduled')],
        ['initializedAt', at('Initialized')],
        ['containersReadyAt', at('ContainersReady')],
        ['readyAt', at('Ready')],
      ] as const;
      for (const [key, value] of stages) if (value) entry[key] = value;
      const observed = readyObserved.get(pod.metadata.uid ?? name);
      if (observed !== undefined) entry.readyObservedAfterMs = observed;
      return entry;
    });
}

/** The distinct nodes hosting the pods, sorted. */
export function podNodes(pods: readonly KubeObject[]): string[] {
  const nodes = new Set<string>();
  for (const pod of pods) {
    const node = (pod.spec as { nodeName?: string } | undefined)?.nodeName;
    if (node) nodes.add(node);
  }
  return [...nodes].sort();
}
