import { randomBytes } from 'node:crypto';
import type { ClusterClient } from '../kube/cluster-client.ts';
import { KubeKind } from '../kube/cluster-client.ts';
import type { Logger } from '../log/create-logger.ts';
import type { HelmDriver } from '../helm/helm-driver.ts';
import type { AwaitReadyFunction } from './await-ready-function.ts';
import { collectDebugSnapshot, nodeRows } from './collect-debug-snapshot.ts';
import type { DebugSnapshot, NodeRow } from './debug-snapshot.ts';
import { byTime, eventRow } from './debug-snapshot.ts';
import { diagnoseIteration } from './diagnose-iteration.ts';
import type { Diagnosis } from './diagnose-iteration.ts';
import type { IterationConfig } from './iteration-config.ts';
import { buildIterationPlan } from './iteration-plan.ts';
import type { MonotonicClock } from './monotonic-clock.ts';
import { performanceClock } from './monotonic-clock.ts';
import { iterationNamespace } from './namespace-name.ts';
import { podTimeline } from './pod-timeline.ts';
import type { PodTimeline } from './pod-timeline.ts';
import { runSteps } from './run-steps.ts';
import { watchReady } from './watch-ready.ts';
import type { StepRecord } from './run-steps.ts';
import type { IterationIdentity, IterationState, StepNote } from './step.ts';

/** What one iteration needs besides its config. */
export interface IterationDependencies {
  client: ClusterClient;
  helm: HelmDriver;
  logger: Logger;
  /** Cancels the iteration; cleanup still runs (on its own timeouts). */
  signal: AbortSignal;
  /** Default: src/await's watch-based awaitReady; tests may pass a stub. */
  awaitReady?: AwaitReadyFunction;
  clock?: MonotonicClock;
  /** Run id (default random) and iteration number (default 0) for the namespace and labels. */
  run?: string;
  iteration?: number;
  attempt?: number;
}

/** The record of one iteration: what ran, how long each step took, and why it failed. */
export interface IterationResult extends Diagnosis {
  run: string;
  iteration: number;
  attempt: number;
  namespace: string;
  release: string;
  startedAt: string;
  durationMs: number;
  steps: StepRecord[];
  /** Per-pod start-up phases, taken before cleanup. */
  timeline: PodTimeline[];
  /** Nodes that hosted the release's pods. */
  nodes: string[];
  notes: StepNote[];
  /** Present when the iteration did not pass before cleanup. */
  snapshot?: DebugSnapshot;
}

/**
 * Runs one soak iteration end to end (namespace → install → await-ready → helm test, then
 * uninstall and namespace deletion) and diagnoses it. Never throws for a failing chart or cluster:
 * everything ends up in the result's outcome, category and evidence.
 */
export async function runIteration(
  config: IterationConfig,
  deps: IterationDependencies,
): Promise<IterationResult> {
  const clock = deps.clock ?? performanceClock;
  const run = deps.run ?? randomBytes(3).toString('hex');
  const iteration = deps.iteration ?? 0;
  const attempt = deps.attempt ?? 0;
  const identity: IterationIdentity = {
    run,
    iteration,
    attempt,
    namespace: iterationNamespace(config.namespacePrefix, run, iteration, attempt),
    release: config.release,
  };
  const state: IterationState = {
    namespaceCreated: false,
    installed: false,
    manifest: [],
    helmCommands: [],
    restartsAtReady: undefined,
    notes: [],
  };
  const logger = deps.logger.child({ run, iteration, namespace: identity.namespace });
  const startedAt = clock.wallTime().toISOString();
  const started = clock.now();
  let failed = false;
  const overall = AbortSignal.any([deps.signal, AbortSignal.timeout(config.timeoutMs)]);
  const steps = buildIterationPlan(config, {
    awaitReady:
      deps.awaitReady ??
      watchReady({ settleMs: config.settleMs, unschedulableGraceMs: config.unschedulableGraceMs }),
    failed: () => failed,
  });
  let snapshot: DebugSnapshot | undefined;
  let timeline: PodTimeline[] = [];
  let nodes: NodeRow[] = [];
  const records = await runSteps(
    steps,
    (signal) => ({ signal, logger, clock, client: deps.client, helm: deps.helm, identity, state }),
    {
      signal: overall,
      onFailure: () => {
        failed = true;
      },
      beforeCleanup: async () => {
        if (!state.namespaceCreated) return;
        // Evidence is read on a fresh budget: the iteration's signal may be what ended it.
        const signal = AbortSignal.timeout(30_000);
        if (failed) {
          snapshot = await collectDebugSnapshot(
            deps.client,
            deps.helm,
            {
              namespace: identity.namespace,
              release: identity.release,
              logTailLines: config.snapshot.logTailLines,
              maxBytes: config.snapshot.maxBytes,
              maskPatterns: config.snapshot.maskPatterns,
              helmCommands: state.helmCommands,
              now: clock.wallTime(),
            },
            signal,
          );
        }
        const pods = (await deps.client.list(KubeKind.Pod, { namespace: identity.namespace }, signal)).items;
        const events = snapshot
          ? snapshot.events
          : (await deps.client.list(KubeKind.Event, { namespace: identity.namespace }, signal)).items
              .map(eventRow)
              .sort(byTime);
        timeline = pods.map((pod) => podTimeline(pod, events));
        nodes = snapshot ? snapshot.nodes : await nodeRows(deps.client, pods, signal);
      },
    },
  );
  const diagnosis = diagnoseIteration({ steps: records, snapshot, notes: state.notes });
  const result: IterationResult = {
    ...diagnosis,
    run,
    iteration,
    attempt,
    namespace: identity.namespace,
    release: identity.release,
    startedAt,
    durationMs: clock.now() - started,
    steps: records,
    timeline,
    nodes: nodes.map((node) => node.name),
    notes: state.notes,
    ...(snapshot ? { snapshot } : {}),
  };
  logger.info(
    { outcome: result.outcome, category: result.category, failedStep: result.failedStep },
    'iteration finished',
  );
  return result;
}
