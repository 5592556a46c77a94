import { HelmErrorKind } from '../helm/helm-error.ts';
import type { DebugSnapshot, EventRow, PodDetail } from './debug-snapshot.ts';
import { DiagnosisCategory, IterationOutcome } from './diagnosis-category.ts';
import { StepName } from './iteration-plan.ts';
import type { StepRecord } from './run-steps.ts';
import type { StepNote } from './step.ts';

/** One fact that supports a diagnosis. */
export interface Evidence {
  pod?: string;
  container?: string;
  node?: string;
  /** When it happened (event time, termination time, condition transition). */
  at?: string;
  /** The event reason, condition reason or exit reason. */
  reason?: string;
  message: string;
  /** Log or output lines that show it. */
  lines?: string[];
}

/** Why an iteration ended as it did. */
export interface Diagnosis {
  outcome: IterationOutcome;
  /** The first step that did not succeed (a cleanup step when only cleanup failed). */
  failedStep?: string;
  category?: DiagnosisCategory;
  summary: string;
  evidence: Evidence[];
}

/** The classifier's whole input. */
export interface DiagnosisInput {
  steps: readonly StepRecord[];
  snapshot?: DebugSnapshot | undefined;
  notes?: readonly StepNote[];
}

const PULL_REASONS = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull']);
const PRESSURE = new Set(['MemoryPressure', 'DiskPressure', 'PIDPressure']);

/**
 * Classifies an iteration from its step history and debug snapshot. Pure: the same input always
 * gives the same diagnosis, so it is tested against snapshots captured from the simulated cluster.
 * Pod evidence wins over the step's own reason: a readiness timeout caused by a crash loop is a
 * crash loop.
 */
export function diagnoseIteration(input: DiagnosisInput): Diagnosis {
  const failedMain = input.steps.find(
    (step) => step.phase === 'main' && step.status !== 'ok' && step.status !== 'skipped',
  );
  const failedCleanup = input.steps.filter((step) => step.phase === 'cleanup' && step.status !== 'ok');
  if (!failedMain) {
    const first = failedCleanup[0];
    if (!first) return { outcome: IterationOutcome.passed, summary: 'passed', evidence: [] };
    if (first.error?.source === 'api' || first.error?.source === 'other')
      return errorOutcome(first, DiagnosisCategory.apiError);
    return {
      outcome: IterationOutcome.failed,
      failedStep: first.name,
      category: DiagnosisCategory.cleanupStuck,
      summary: `cleanup did not finish: ${first.message ?? first.status}`,
      evidence: (input.notes ?? [])
        .filter((note) => note.level === 'problem')
        .map((note) => ({ message: note.message, ...(note.objects ? { lines: note.objects } : {}) })),
    };
  }
  const step = failedMain;
  if (step.status === 'cancelled') return errorOutcome(step, DiagnosisCategory.cancelled);
  if (step.error?.source === 'api' && step.status !== 'timeout')
    return errorOutcome(step, DiagnosisCategory.apiError);
  if (step.error?.source === 'helm') {
    const kind = step.error.kind;
    if (kind === HelmErrorKind.binaryMissing) return errorOutcome(step, DiagnosisCategory.infrastructure);
    if (kind === HelmErrorKind.serverError) return errorOutcome(step, DiagnosisCategory.apiError);
    if (kind === HelmErrorKind.connectionRefused) return errorOutcome(step, DiagnosisCategory.helmTransport);
    if (kind === HelmErrorKind.transportClosing)
      return failed(step, DiagnosisCategory.helmTransport, [{ message: step.message ?? '' }]);
    if (
      step.name === StepName.install &&
      (kind === HelmErrorKind.renderError ||
        kind === HelmErrorKind.nameInUse ||
        kind === HelmErrorKind.chartNotFound ||
        kind === HelmErrorKind.failed)
    )
      return failed(step, DiagnosisCategory.installRejected, [{ reason: kind, message: step.message ?? '' }]);
  }
  // A step that threw something unexpected (not a timeout's abort) is a kubesoak bug.
  if (step.error?.source === 'other' && step.status !== 'timeout')
    return errorOutcome(step, DiagnosisCategory.unknown);
  if (step.name.startsWith('exec:'))
    return failed(step, DiagnosisCategory.hookFailed, [{ message: step.message ?? '' }]);

  const snapshot = input.snapshot;
  const cause = snapshot ? podCause(snapshot, step) : undefined;
  if (cause) return failed(step, cause.category, cause.evidence);

  if (step.name === StepName.test) {
    if (step.status === 'timeout' || step.error?.kind === HelmErrorKind.timedOut)
      return failed(step, DiagnosisCategory.testTimeout, testEvidence(snapshot, step));
    if (step.reason === 'restarted-during-test')
      return failed(step, DiagnosisCategory.restartedDuringTest, restartEvidence(snapshot, step));
    return failed(step, DiagnosisCategory.testFailed, testEvidence(snapshot, step));
  }
  if (step.name === StepName.ready && snapshot) {
    const waiting = readinessCause(snapshot);
    if (waiting) return failed(step, waiting.category, waiting.evidence);
  }
  if (step.status === 'timeout' || step.reason === 'timeout' || step.error?.kind === HelmErrorKind.timedOut)
    return failed(step, DiagnosisCategory.timeout, [{ message: step.message ?? 'timed out' }]);
  return failed(step, DiagnosisCategory.unknown, [{ message: step.message ?? step.status }]);
}

function errorOutcome(step: StepRecord, category: DiagnosisCategory): Diagnosis {
  return {
    outcome: IterationOutcome.error,
    failedStep: step.name,
    category,
    summary: `${step.name}: ${step.message ?? step.status}`,
    evidence: [{ message: step.message ?? step.status, ...(step.error ? { reason: step.error.code } : {}) }],
  };
}

function failed(step: StepRecord, category: DiagnosisCategory, evidence: Evidence[]): Diagnosis {
  const first = evidence[0];
  const where = first?.pod
    ? ` (pod ${first.pod}${first.container ? `, container ${first.container}` : ''}${first.node ? `, node ${first.node}` : ''})`
    : '';
  return {
    outcome: IterationOutcome.failed,
    failedStep: step.name,
    category,
    summary: `${category} in ${step.name}${where}: ${first?.message ?? step.message ?? ''}`.trim(),
    evidence,
  };
}

interface Cause {
  category: DiagnosisCategory;
  evidence: Evidence[];
}

function podEvents(pod: PodDetail, predicate: (event: EventRow) => boolean): EventRow[] {
  return pod.events.filter(predicate);
}

function eventEvidence(pod: PodDetail, event: EventRow, container?: string): Evidence {
  const fromField = /\{(.+)\}/.exec(event.fieldPath ?? '')?.[1];
  const name = container ?? fromField;
  return {
    pod: pod.name,
    ...(name ? { container: name } : {}),
    ...(pod.node ? { node: pod.node } : {}),
    ...(event.time ? { at: event.time } : {}),
    ...(event.reason ? { reason: event.reason } : {}),
    message: event.message ?? '',
  };
}

function previousLog(snapshot: DebugSnapshot, pod: string, container: string): string[] | undefined {
  const log = snapshot.logs.find(
    (entry) => entry.pod === pod && entry.container === container && entry.previous,
  );
  const lines = log?.text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .slice(-5);
  return lines && lines.length > 0 ? lines : undefined;
}

/** The root cause visible in pods and nodes, most specific first. */
function podCause(snapshot: DebugSnapshot, step: StepRecord): Cause | undefined {
  const hookPods = new Set(snapshot.pods.filter((pod) => pod.hook).map((pod) => pod.name));
  const details = snapshot.podDetails.filter((pod) => !hookPods.has(pod.name));
  const releasePods = snapshot.pods.filter((pod) => !pod.hook);

  // A node going away explains everything on it.
  for (const node of snapshot.nodes) {
    if (node.ready === 'True') continue;
    const hosted = releasePods.filter((pod) => pod.node === node.name);
    if (hosted.length === 0) continue;
    const condition = node.conditions.find((c) => c.type === 'Ready');
    return {
      category: DiagnosisCategory.nodeNotReady,
      evidence: [
        {
          node: node.name,
          ...(hosted[0] ? { pod: hosted[0].name } : {}),
          reason: condition?.reason ?? 'NotReady',
          message: `node ${node.name} Ready=${node.ready}: ${condition?.message ?? ''}`.trim(),
          lines: hosted.map((pod) => `${pod.name} ${pod.status}`),
        },
      ],
    };
  }
  const eviction = evictionEvidence(snapshot, details);
  if (eviction) {
    const node = snapshot.nodes.find((candidate) => candidate.name === eviction.node);
    const pressure = node?.conditions.find((c) => PRESSURE.has(c.type) && c.status === 'True');
    if (pressure)
      return {
        category: DiagnosisCategory.nodePressure,
        evidence: [
          {
            node: node?.name ?? '',
            reason: pressure.type,
            message: `${pressure.type} on ${node?.name ?? ''}: ${pressure.message ?? ''}`.trim(),
          },
          eviction,
        ],
      };
    return { category: DiagnosisCategory.evicted, evidence: [eviction] };
  }
  for (const pod of details) {
    const scheduled = pod.conditions.find((c) => c.type === 'PodScheduled');
    if (scheduled?.status !== 'False' || scheduled.reason !== 'Unschedulable') continue;
    const event = podEvents(pod, (e) => e.reason === 'FailedScheduling').at(-1);
    return {
      category: DiagnosisCategory.unschedulable,
      evidence: [
        event
          ? eventEvidence(pod, event)
          : { pod: pod.name, reason: 'Unschedulable', message: scheduled.message ?? '' },
      ],
    };
  }
  for (const pod of details) {
    for (const container of pod.containers) {
      const reason = container.state?.waiting?.reason;
      if (!reason || !PULL_REASONS.has(reason)) continue;
      const event = podEvents(
        pod,
        (e) =>
          e.reason === 'Failed' &&
          (e.fieldPath ?? '').includes(`{${container.name}}`) &&
          /pull/i.test(e.message ?? ''),
      ).at(0);
      return {
        category: DiagnosisCategory.imagePull,
        evidence: [
          event
            ? eventEvidence(pod, event, container.name)
            : {
                pod: pod.name,
                container: container.name,
                ...(pod.node ? { node: pod.node } : {}),
                reason,
                message: container.state?.waiting?.message ?? reason,
              },
        ],
      };
    }
  }
  for (const pod of details.length > 0 ? details : []) {
    for (const container of pod.containers) {
      const oom = [container.state?.terminated, container.lastState?.terminated].find(
        (t) => t?.reason === 'OOMKilled',
      );
      if (!oom) continue;
      return {
        category: DiagnosisCategory.oomKilled,
        evidence: [
          {
            pod: pod.name,
            container: container.name,
            ...(pod.node ? { node: pod.node } : {}),
            ...(oom.finishedAt ? { at: oom.finishedAt } : {}),
            reason: 'OOMKilled',
            message: `container ${container.name} was OOMKilled (exit ${oom.exitCode ?? 137}, memory limit ${container.limits?.memory ?? 'none'}), restarts ${container.restartCount}`,
          },
        ],
      };
    }
  }
  // Restarts can leave a pod Ready again by snapshot time: look at every pod with restarts.
  const restarted = allPodsWithRestarts(snapshot);
  for (const pod of restarted) {
    const killing = podEvents(
      pod,
      (e) => e.reason === 'Killing' && /failed liveness probe/i.test(e.message ?? ''),
    );
    if (killing.length === 0) continue;
    const kill = killing[0] as EventRow;
    const container =
      /\{(.+)\}/.exec(kill.fieldPath ?? '')?.[1] ?? /Container (\S+) failed/.exec(kill.message ?? '')?.[1];
    const unhealthy = podEvents(
      pod,
      (e) =>
        e.reason === 'Unhealthy' &&
        /^Liveness/.test(e.message ?? '') &&
        (!container || (e.fieldPath ?? '').includes(`{${container}}`)),
    ).at(-1);
    return {
      category: DiagnosisCategory.livenessRestart,
      evidence: [
        eventEvidence(pod, kill, container),
        ...(unhealthy ? [eventEvidence(pod, unhealthy, container)] : []),
      ],
    };
  }
  for (const pod of [...details, ...restarted]) {
    for (const container of pod.containers) {
      const backOff = container.state?.waiting?.reason === 'CrashLoopBackOff';
      const last = container.lastState?.terminated ?? container.state?.terminated;
      const crashed = last !== undefined && (last.exitCode ?? 0) !== 0;
      if (!backOff && !(crashed && container.restartCount > 0) && !(crashed && container.kind === 'init'))
        continue;
      if (step.reason === 'restarted-during-test' && !backOff) continue;
      const event = podEvents(
        pod,
        (e) => e.reason === 'BackOff' && (e.fieldPath ?? '').includes(`{${container.name}}`),
      ).at(-1);
      const lines = previousLog(snapshot, pod.name, container.name);
      return {
        category: DiagnosisCategory.crashLoop,
        evidence: [
          {
            pod: pod.name,
            container: container.name,
            ...(pod.node ? { node: pod.node } : {}),
            ...(last?.finishedAt ? { at: last.finishedAt } : {}),
            reason: backOff ? 'CrashLoopBackOff' : (last?.reason ?? 'Error'),
            message: `container ${container.name} exited ${last?.exitCode ?? '?'} (${last?.reason ?? 'Error'}), restarts ${container.restartCount}${event?.message ? `: ${event.message}` : ''}`,
            ...(lines ? { lines } : {}),
          },
        ],
      };
    }
  }
  return undefined;
}

/** An evicted pod, from its status or, when its controller already replaced it, from the event. */
function evictionEvidence(snapshot: DebugSnapshot, details: readonly PodDetail[]): Evidence | undefined {
  const pod = details.find((candidate) => candidate.reason === 'Evicted');
  const event = snapshot.events.find(
    (candidate) =>
      candidate.reason === 'Evicted' &&
      (pod ? candidate.object === `Pod/${pod.name}` : candidate.object.startsWith('Pod/')),
  );
  if (!pod && !event) return undefined;
  const name = pod?.name ?? event?.object.slice('Pod/'.length) ?? '';
  const node = pod?.node ?? event?.host ?? snapshot.pods.find((row) => row.name === name)?.node;
  return {
    pod: name,
    ...(node ? { node } : {}),
    ...(event?.time ? { at: event.time } : {}),
    reason: 'Evicted',
    message: pod?.message ?? event?.message ?? 'evicted',
  };
}

function allPodsWithRestarts(snapshot: DebugSnapshot): PodDetail[] {
  const names = snapshot.pods.filter((pod) => !pod.hook && pod.restarts > 0).map((pod) => pod.name);
  return names.map(
    (name) =>
      snapshot.podDetails.find((pod) => pod.name === name) ?? {
        name,
        ...(snapshot.pods.find((pod) => pod.name === name)?.node
          ? { node: snapshot.pods.find((pod) => pod.name === name)?.node }
          : {}),
        conditions: [],
        containers: [],
        events: snapshot.events.filter((event) => event.object === `Pod/${name}`),
      },
  );
}

/** For a readiness wait with no harder cause: stuck init containers, then failing readiness probes. */
function readinessCause(snapshot: DebugSnapshot): Cause | undefined {
  const hookPods = new Set(snapshot.pods.filter((pod) => pod.hook).map((pod) => pod.name));
  const details = snapshot.podDetails.filter((pod) => !hookPods.has(pod.name));
  for (const pod of details) {
    const initialized = pod.conditions.find((c) => c.type === 'Initialized');
    if (initialized?.status !== 'False') continue;
    const stuck = pod.containers.find((c) => c.kind === 'init' && !c.state?.terminated);
    return {
      category: DiagnosisCategory.initTimeout,
      evidence: [
        {
          pod: pod.name,
          ...(stuck ? { container: stuck.name } : {}),
          ...(pod.node ? { node: pod.node } : {}),
          reason: initialized.reason ?? 'ContainersNotInitialized',
          message: `init container ${stuck?.name ?? '?'} did not finish${stuck?.state?.running?.startedAt ? ` (running since ${stuck.state.running.startedAt})` : ''}`,
          ...(initialized.lastTransitionTime ? { at: initialized.lastTransitionTime } : {}),
        },
      ],
    };
  }
  for (const pod of details) {
    const ready = pod.conditions.find((c) => c.type === 'Ready');
    if (ready?.status === 'True') continue;
    const unhealthy = podEvents(
      pod,
      (e) => e.reason === 'Unhealthy' && /^(Readiness|Startup)/.test(e.message ?? ''),
    ).at(-1);
    const container = pod.containers.find((c) => c.kind === 'app' && !c.ready && c.state?.running);
    if (!unhealthy && !container) continue;
    return {
      category: DiagnosisCategory.readinessTimeout,
      evidence: [
        unhealthy
          ? eventEvidence(pod, unhealthy)
          : {
              pod: pod.name,
              ...(container ? { container: container.name } : {}),
              ...(pod.node ? { node: pod.node } : {}),
              reason: ready?.reason ?? 'ContainersNotReady',
              message: ready?.message ?? 'containers not ready',
            },
      ],
    };
  }
  return undefined;
}

function testEvidence(snapshot: DebugSnapshot | undefined, step: StepRecord): Evidence[] {
  const evidence: Evidence[] = [];
  for (const pod of snapshot?.pods.filter((candidate) => candidate.hook) ?? []) {
    const log = snapshot?.logs.find((entry) => entry.pod === pod.name && !entry.previous);
    const lines = log?.text
      .split('\n')
      .filter((line) => line.trim() !== '')
      .slice(-10);
    evidence.push({
      pod: pod.name,
      ...(pod.node ? { node: pod.node } : {}),
      reason: pod.status,
      message: `test pod ${pod.name} ${pod.phase ?? pod.status}`,
      ...(lines && lines.length > 0 ? { lines } : {}),
    });
  }
  evidence.push({ message: step.message ?? step.status });
  return evidence;
}

function restartEvidence(snapshot: DebugSnapshot | undefined, step: StepRecord): Evidence[] {
  const evidence: Evidence[] = [];
  for (const pod of snapshot?.pods.filter((candidate) => !candidate.hook && candidate.restarts > 0) ?? []) {
    evidence.push({
      pod: pod.name,
      ...(pod.node ? { node: pod.node } : {}),
      ...(pod.lastRestartAt ? { at: pod.lastRestartAt } : {}),
      message: `${pod.restarts} restarts`,
    });
  }
  evidence.push({ message: step.message ?? step.status });
  return evidence;
}
