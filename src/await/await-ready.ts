import { setTimeout as sleep } from 'node:timers/promises';
import { formatDuration } from '../config/duration.ts';
import { ClusterApiError } from '../kube/cluster-api-error.ts';
import type { ClusterClient, KubeObject, ListQuery } from '../kube/cluster-client.ts';
import { KubeKind } from '../kube/cluster-client.ts';
import type { PodRow, PodTimeline } from './pod-table.ts';
import { podNodes, podRows, podTimelines } from './pod-table.ts';
import type { FailFast, Readiness, WorkloadRef } from './readiness.ts';
import {
  SettleWindow,
  WorkloadKind,
  evaluateReadiness,
  podNotReady,
  podStatus,
  restartFingerprint,
  workloadKey,
} from './readiness.ts';
import { discoverReleaseWorkloads, podsOfWorkloads, workloadRefs } from './release-members.ts';

/**
 * What to wait for: a release's workloads (given, e.g. from `helm get manifest`, or discovered
 * through the API by release name), or the pods a label selector picks.
 */
export interface AwaitTarget {
  namespace: string;
  /** Release name: discovers its workloads unless `workloads` is given. */
  release?: string;
  /** The release's objects; kinds other than workloads are ignored. */
  workloads?: readonly { kind: string; name: string; namespace?: string | undefined }[];
  /** Pods only: wait for every pod this label selector matches (at least one). */
  selector?: string;
}

/** Options of {@link awaitReady}. */
export interface AwaitOptions {
  timeoutMs: number;
  /** How long everything must stay ready, with no restart, before it counts. Default 3 s. */
  settleMs?: number;
  /** How long a pod may be Unschedulable before the await fails. Default 30 s. */
  unschedulableGraceMs?: number;
}

/** Something the await lived through: watch ends, re-lists, API errors it retried. */
export interface AwaitIncident {
  /** Milliseconds after the start. */
  atMs: number;
  kind: 'watch-closed' | 'watch-expired' | 'api-error';
  resource: KubeKind;
  detail: string;
}

/** How an await ended. */
export interface AwaitResult {
  ready: boolean;
  /** One line: what was ready, or why not ("timed out after 5m: pod web-1 is Pending"). */
  reason: string;
  /** Set when the await gave up early on a failure waiting cannot fix. */
  failFast?: FailFast;
  timedOut: boolean;
  /** The pods judged, as kubectl shows them, at the end. */
  pods: PodRow[];
  /** Per pod: when it was scheduled, initialized and ready. */
  timeline: PodTimeline[];
  /** Nodes hosting the pods. */
  nodes: string[];
  /** The workloads awaited. */
  workloads: WorkloadRef[];
  elapsedMs: number;
  incidents: AwaitIncident[];
}

const DEFAULT_SETTLE_MS = 3000;
const DEFAULT_UNSCHEDULABLE_GRACE_MS = 30_000;
const MAX_BACKOFF_MS = 1000;

/** One kind's list+watch cache. */
interface Reflector {
  kind: KubeKind;
  query: ListQuery;
  items: Map<string, KubeObject>;
  synced: boolean;
}

/**
 * Waits, by list+watch, until the target is ready and stayed so for the settle window, a
 * fail-fast condition shows up, or the timeout passes. Watches that close resume from their last
 * resourceVersion, expired ones (410) re-list, API errors that may pass (5xx, connection) are
 * retried with a short back-off until the timeout. Prints nothing; rejects only when `signal`
 * aborts or the API refuses outright (401/403/4xx).
 */
export async function awaitReady(
  client: ClusterClient,
  target: AwaitTarget,
  options: AwaitOptions,
  signal: AbortSignal,
): Promise<AwaitResult> {
  signal.throwIfAborted();
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const settleMs = options.settleMs ?? DEFAULT_SETTLE_MS;
  const graceMs = options.unschedulableGraceMs ?? DEFAULT_UNSCHEDULABLE_GRACE_MS;
  const { namespace } = target;
  const explicit = target.workloads ? workloadRefs(target.workloads, namespace) : undefined;
  const selectorMode = explicit === undefined && target.release === undefined;
  if (selectorMode && !target.selector)
    throw new TypeError('awaitReady needs a release, workloads or a selector');

  const kinds = new Set<KubeKind>([KubeKind.Pod]);
  if (!selectorMode) {
    const wanted = explicit ? new Set(explicit.map((ref) => ref.kind)) : undefined;
    for (const kind of [
      KubeKind.Deployment,
      KubeKind.StatefulSet,
      KubeKind.DaemonSet,
      KubeKind.Job,
      KubeKind.ReplicaSet,
    ]) {
      const needed =
        !wanted || wanted.has(kind) || (kind === KubeKind.ReplicaSet && wanted.has(WorkloadKind.Deployment));
      if (needed) kinds.add(kind);
    }
  }
  const reflectors = new Map<KubeKind, Reflector>();
  for (const kind of kinds) {
    const query: ListQuery = { namespace };
    if (kind === KubeKind.Pod && selectorMode && target.selector) query.labelSelector = target.selector;
    reflectors.set(kind, { kind, query, items: new Map(), synced: false });
  }

  const incidents: AwaitIncident[] = [];
  const settle = new SettleWindow(settleMs);
  const unschedulableSince = new Map<string, number>();
  const readyObserved = new Map<string, number>();
  const stop = new AbortController();

  let lastVerdict: Readiness = { state: 'waiting', reason: 'listing objects' };
  let lastPods: KubeObject[] = [];
  let lastWorkloads: WorkloadRef[] = explicit ?? [];
  let wakeTimer: NodeJS.Timeout | undefined;
  let finish!: (outcome: { verdict: Readiness; timedOut: boolean } | { error: unknown }) => void;
  const done = new Promise<{ verdict: Readiness; timedOut: boolean } | { error: unknown }>((resolve) => {
    finish = resolve;
  });
  let finished = false;
  const end = (outcome: { verdict: Readiness; timedOut: boolean } | { error: unknown }) => {
    if (finished) return;
    finished = true;
    finish(outcome);
  };

  const currentPods = (workloads: readonly WorkloadRef[]): KubeObject[] => {
    const pods = reflectors.get(KubeKind.Pod)?.items.values() ?? [];
    if (selectorMode) return [...pods];
    return podsOfWorkloads(pods, workloads, reflectors.get(KubeKind.ReplicaSet)?.items.values() ?? []);
  };

  const evaluate = () => {
    if (finished) return;
    for (const reflector of reflectors.values()) if (!reflector.synced) return;
    const now = Date.now();
    let workloads = explicit;
    if (!workloads) {
      workloads = [];
      if (target.release !== undefined) {
        const all: KubeObject[] = [];
        for (const reflector of reflectors.values()) all.push(...reflector.items.values());
        workloads = discoverReleaseWorkloads(all, target.release, namespace);
      }
    }
    const objects = new Map<string, KubeObject>();
    for (const ref of workloads) {
      const object = reflectors.get(ref.kind)?.items.get(ref.name);
      if (object) objects.set(workloadKey(ref.kind, ref.name), object);
    }
    const pods = currentPods(workloads);
    lastPods = pods;
    lastWorkloads = workloads;
    for (const pod of pods) {
      const key = pod.metadata.uid ?? pod.metadata.name ?? '';
      const scheduled = (podStatus(pod).conditions ?? []).find(
        (condition) => condition.type === 'PodScheduled',
      );
      if (scheduled?.status === 'False' && scheduled.reason === 'Unschedulable') {
        if (!unschedulableSince.has(key)) unschedulableSince.set(key, now);
      } else unschedulableSince.delete(key);
      if (!readyObserved.has(key) && podNotReady(pod) === undefined) readyObserved.set(key, elapsed());
    }
    let verdict = evaluateReadiness({
      workloads,
      objects,
      replicaSets: [...(reflectors.get(KubeKind.ReplicaSet)?.items.values() ?? [])],
      pods,
      minPods: selectorMode ? 1 : 0,
      now,
      unschedulableGraceMs: graceMs,
      unschedulableSince,
    });
    if (verdict.state === 'waiting' && pods.length === 0 && selectorMode) {
      verdict = {
        state: 'waiting',
        reason: `no pods match selector "${target.selector}" in namespace ${namespace}`,
      };
    }
    // Discovery cannot tell "none yet" from "none": a release with no workload is never ready. A
    // manifest without workloads, by contrast, has nothing to wait for, as with helm --wait.
    if (!explicit && !selectorMode && workloads.length === 0 && verdict.state !== 'failed') {
      verdict = {
        state: 'waiting',
        reason: `no workloads of release ${target.release} found in namespace ${namespace}`,
      };
    }
    lastVerdict = verdict;
    if (verdict.state === 'failed') return end({ verdict, timedOut: false });
    const due = settle.observe(verdict.state === 'ready', restartFingerprint(pods), now);
    if (due !== undefined && now >= due) return end({ verdict, timedOut: false });
    // Wake up when the settle window completes or an Unschedulable pod's grace runs out.
    let wakeAt = due ?? Infinity;
    for (const since of unschedulableSince.values()) wakeAt = Math.min(wakeAt, since + graceMs);
    if (wakeTimer) clearTimeout(wakeTimer);
    wakeTimer = undefined;
    if (Number.isFinite(wakeAt)) wakeTimer = setTimeout(evaluate, Math.max(0, wakeAt - now) + 1);
  };

  const incident = (kind: AwaitIncident['kind'], resource: KubeKind, detail: string) => {
    if (incidents.length < 1000) incidents.push({ atMs: elapsed(), kind, resource, detail });
  };

  const reflect = async (reflector: Reflector) => {
    let resourceVersion: string | undefined;
    let backoff = 50;
    while (!stop.signal.aborted) {
      try {
        if (resourceVersion === undefined) {
          const list = await client.list(reflector.kind, reflector.query, stop.signal);
          reflector.items = new Map(list.items.map((item) => [item.metadata.name ?? '', item]));
          reflector.synced = true;
          resourceVersion = list.resourceVersion;
          evaluate();
        }
        const watchStarted = performance.now();
        let sawEvent = false;
        const watchEnd = await client.watch(
          reflector.kind,
          { ...reflector.query, resourceVersion, allowBookmarks: true },
          (type, object) => {
            sawEvent = true;
            if (type === 'BOOKMARK') return;
            const name = object.metadata.name ?? '';
            if (type === 'DELETED') reflector.items.delete(name);
            else reflector.items.set(name, object);
            evaluate();
          },
          stop.signal,
        );
        if (watchEnd.resourceVersion) resourceVersion = watchEnd.resourceVersion;
        if (watchEnd.reason === 'aborted') return;
        if (watchEnd.reason === 'expired') {
          incident('watch-expired', reflector.kind, 'resourceVersion expired (410): re-listing');
          resourceVersion = undefined;
          continue;
        }
        if (watchEnd.reason === 'error') throw watchEnd.error;
        incident('watch-closed', reflector.kind, `watch closed: resuming from ${resourceVersion}`);
        // A server that closes watches at once should not make us spin.
        if (!sawEvent && performance.now() - watchStarted < 100)
          await sleep(backoff, undefined, { signal: stop.signal });
        else backoff = 50;
      } catch (error) {
        if (stop.signal.aborted) return;
        if (!(error instanceof ClusterApiError) || !error.retryable) return end({ error });
        incident('api-error', reflector.kind, error.message);
        // Until everything is listed once, the API error is the best account of why we wait.
        if (!reflector.synced) lastVerdict = { state: 'waiting', reason: error.message };
        resourceVersion = undefined;
        try {
          await sleep(backoff, undefined, { signal: stop.signal });
        } catch {
          return;
        }
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      }
    }
  };

  const timeout = setTimeout(() => end({ verdict: lastVerdict, timedOut: true }), options.timeoutMs);
  const running = [...reflectors.values()].map((reflector) =>
    reflect(reflector).catch((error: unknown) => end({ error })),
  );
  // The caller's abort ends the await like any other outcome, so nothing is left pending.
  const onAbort = () => end({ error: signal.reason });
  signal.addEventListener('abort', onAbort, { once: true });
  const outcome = await done;
  finished = true;
  clearTimeout(timeout);
  if (wakeTimer) clearTimeout(wakeTimer);
  signal.removeEventListener('abort', onAbort);
  stop.abort();
  await Promise.allSettled(running);
  signal.throwIfAborted();
  if ('error' in outcome) throw outcome.error;

  const { verdict, timedOut } = outcome;
  const pods = lastPods;
  const result: AwaitResult = {
    ready: verdict.state === 'ready' && !timedOut,
    reason:
      verdict.state === 'ready' && !timedOut
        ? `ready: ${verdict.reason}`
        : timedOut
          ? `timed out after ${formatDuration(options.timeoutMs)}: ${verdict.state === 'ready' ? `not settled (${verdict.reason})` : verdict.reason}`
          : verdict.reason,
    timedOut,
    pods: podRows(pods, new Date()),
    timeline: podTimelines(pods, readyObserved),
    nodes: podNodes(pods),
    workloads: lastWorkloads,
    elapsedMs: elapsed(),
    incidents,
  };
  if (verdict.state === 'failed') result.failFast = verdict.failFast;
  return result;
}

/** An await's outcome in the iteration engine's terms: a short `reason` word, the line as `message`. */
export interface AwaitOutcome {
  ready: boolean;
  /** 'ready', 'timeout', or the fail-fast reason (CrashLoopBackOff, Unschedulable…). */
  reason: string;
  message: string;
  /** Everything awaitReady found: pod table, timeline, nodes, incidents. */
  result: AwaitResult;
}

/**
 * {@link awaitReady} shaped for the iteration engine's AwaitReadyFunction seam: same arguments, a
 * machine-friendly `reason` word and the full result alongside.
 */
export async function awaitReadyOutcome(
  client: ClusterClient,
  target: AwaitTarget,
  options: AwaitOptions,
  signal: AbortSignal,
): Promise<AwaitOutcome> {
  const result = await awaitReady(client, target, options, signal);
  const reason = result.ready
    ? 'ready'
    : (result.failFast?.reason ?? (result.timedOut ? 'timeout' : 'not-ready'));
  return { ready: result.ready, reason, message: result.reason, result };
}
