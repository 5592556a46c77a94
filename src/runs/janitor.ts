import { KubeKind } from '../kube/cluster-client.ts';
import type { ClusterClient, KubeObject } from '../kube/cluster-client.ts';
import {
  ATTEMPT_LABEL,
  EXPIRES_ANNOTATION,
  ITERATION_LABEL,
  MANAGED_BY_LABEL,
  MANAGED_BY_VALUE,
  RUN_LABEL,
  deleteManagedNamespace,
  isManagedNamespace,
} from '../iteration/managed-namespace.ts';
import type { RedisRunStore } from './redis-run-store.ts';
import { isLiveState } from './run-model.ts';

/** Why the janitor deletes a namespace. */
export const JanitorReason = {
  expired: 'expired',
  runEnded: 'run-ended',
  iterationRecorded: 'iteration-recorded',
  attemptSuperseded: 'attempt-superseded',
} as const;
export type JanitorReason = (typeof JanitorReason)[keyof typeof JanitorReason];

/** What the janitor knows about the run and iteration a namespace belongs to. */
export interface NamespaceActivity {
  /** undefined: no such run (ended and deleted by retention, or never existed). */
  runLive: boolean | undefined;
  iterationRecorded: boolean;
  /** Attempts started for the iteration. */
  attempts: number;
}

/** Looks up run activity; the production one reads Redis (redisRunActivity). */
export interface RunActivity {
  namespace(run: string, iteration: number | undefined): Promise<NamespaceActivity>;
}

export interface JanitorOptions {
  dryRun: boolean;
  now: Date;
  /**
   * Namespaces younger than this are only deleted once expired: it covers the moment between an
   * attempt being counted and its namespace being labelled, and clocks that disagree.
   */
  minAgeMs: number;
}

export interface JanitorAction {
  namespace: string;
  reason: JanitorReason;
}

export interface JanitorReport {
  /** Deleted (or, in dry-run mode, would be deleted). */
  actions: JanitorAction[];
  dryRun: boolean;
  errors: Array<{ namespace: string; message: string }>;
  /** Namespaces with the managed-by label found by this pass (kubesoak_managed_namespaces). */
  managed: number;
  /** Of those, how many were past their expiry annotation. */
  expired: number;
}

/**
 * Decides whether one namespace is a leftover. Pure. A namespace without kubesoak's managed-by
 * label is never a candidate, whatever else it carries.
 */
export function decideNamespace(
  namespace: KubeObject,
  activity: NamespaceActivity | undefined,
  options: Pick<JanitorOptions, 'now' | 'minAgeMs'>,
): JanitorReason | undefined {
  const labels = namespace.metadata.labels ?? {};
  if (labels[MANAGED_BY_LABEL] !== MANAGED_BY_VALUE) return undefined;
  const expires = Date.parse(namespace.metadata.annotations?.[EXPIRES_ANNOTATION] ?? '');
  if (Number.isFinite(expires) && expires <= options.now.getTime()) return JanitorReason.expired;
  const created = Date.parse(namespace.metadata.creationTimestamp ?? '');
  if (Number.isFinite(created) && options.now.getTime() - created < options.minAgeMs) return undefined;
  if (!activity) return undefined;
  if (activity.runLive !== true) return JanitorReason.runEnded;
  if (activity.iterationRecorded) return JanitorReason.iterationRecorded;
  const attempt = Number(labels[ATTEMPT_LABEL]);
  if (Number.isInteger(attempt) && attempt < activity.attempts) return JanitorReason.attemptSuperseded;
  return undefined;
}

/**
 * Lists namespaces labelled managed-by=kubesoak and deletes the leftovers (see decideNamespace).
 * Every delete goes through deleteManagedNamespace, which reads the namespace back and refuses one
 * without the label, so a wrong label selector on a server cannot widen what is deleted.
 */
export async function runJanitor(
  client: ClusterClient,
  activity: RunActivity,
  options: JanitorOptions,
  signal: AbortSignal,
): Promise<JanitorReport> {
  const listed = await client.list(
    KubeKind.Namespace,
    { labelSelector: `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}` },
    signal,
  );
  const report: JanitorReport = {
    actions: [],
    dryRun: options.dryRun,
    errors: [],
    managed: listed.items.filter((namespace) => isManagedNamespace(namespace)).length,
    expired: listed.items.filter((namespace) => {
      const expires = Date.parse(namespace.metadata.annotations?.[EXPIRES_ANNOTATION] ?? '');
      return isManagedNamespace(namespace) && Number.isFinite(expires) && expires <= options.now.getTime();
    }).length,
  };
  for (const namespace of listed.items) {
    signal.throwIfAborted();
    const name = namespace.metadata.name ?? '';
    try {
      const labels = namespace.metadata.labels ?? {};
      const run = labels[RUN_LABEL];
      const iterationText = labels[ITERATION_LABEL];
      const iteration =
        iterationText !== undefined && /^\d+$/.test(iterationText) ? Number(iterationText) : undefined;
      const facts = run ? await activity.namespace(run, iteration) : undefined;
      const reason = decideNamespace(namespace, facts, options);
      if (!reason) continue;
      if (!options.dryRun && !(await deleteManagedNamespace(client, name, signal))) continue;
      report.actions.push({ namespace: name, reason });
    } catch (error) {
      report.errors.push({
        namespace: name,
        message: error instanceof Error ? error.message : String(error),
      });
    }
  }
  return report;
}

/** RunActivity over the run store; the run label may hold a run id or name. */
export function redisRunActivity(store: RedisRunStore): RunActivity {
  return {
    async namespace(runRef, iteration) {
      const run = await store.resolve(runRef);
      if (!run) return { runLive: undefined, iterationRecorded: false, attempts: 0 };
      if (iteration === undefined)
        return { runLive: isLiveState(run.state), iterationRecorded: false, attempts: 0 };
      const [iterationRecorded, attempts] = await Promise.all([
        store.hasResult(run.id, iteration),
        store.attempts(run.id, iteration),
      ]);
      return { runLive: isLiveState(run.state), iterationRecorded, attempts };
    },
  };
}
