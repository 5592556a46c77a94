import type { KubeObject } from '../kube/cluster-client.ts';

/**
 * The pure core of await-ready: given a release's workloads and pods as the API server last
 * showed them, decide ready / not yet (and why) / failed for good (and why). No I/O and no clock:
 * the caller passes `now`, so every decision is reproducible from its input.
 */

/** Why an await gave up before its timeout. */
export const FailFastReason = {
  CrashLoopBackOff: 'CrashLoopBackOff',
  ImagePullBackOff: 'ImagePullBackOff',
  ErrImagePull: 'ErrImagePull',
  InvalidImageName: 'InvalidImageName',
  OOMKilled: 'OOMKilled',
  CreateContainerConfigError: 'CreateContainerConfigError',
  CreateContainerError: 'CreateContainerError',
  Unschedulable: 'Unschedulable',
  Evicted: 'Evicted',
  PodFailed: 'PodFailed',
  JobFailed: 'JobFailed',
} as const;
export type FailFastReason = (typeof FailFastReason)[keyof typeof FailFastReason];

/** A failure no amount of waiting fixes, with where it happened. */
export interface FailFast {
  reason: FailFastReason;
  /** The pod (or, for JobFailed, the Job) it happened to. */
  pod: string;
  /** The container, when a container is to blame. */
  container?: string;
  message: string;
}

/** The workload kinds await-ready understands. */
export const WorkloadKind = {
  Deployment: 'Deployment',
  StatefulSet: 'StatefulSet',
  DaemonSet: 'DaemonSet',
  ReplicaSet: 'ReplicaSet',
  Job: 'Job',
  /** A bare pod the chart creates itself. */
  Pod: 'Pod',
} as const;
export type WorkloadKind = (typeof WorkloadKind)[keyof typeof WorkloadKind];

/** One workload of a release, as `helm get manifest` or API discovery names it. */
export interface WorkloadRef {
  kind: WorkloadKind;
  name: string;
  namespace: string;
}

/** Everything one decision looks at. */
export interface ReadinessInput {
  /** The workloads to wait for (empty in selector mode). */
  workloads: readonly WorkloadRef[];
  /** Current workload objects by `${kind}/${name}`; a missing key means not created (or seen) yet. */
  objects: ReadonlyMap<string, KubeObject>;
  /** ReplicaSets of the namespace, to map Deployment pods to their Deployment. */
  replicaSets: readonly KubeObject[];
  /** The pods to judge: the release's pods, or the selector's. */
  pods: readonly KubeObject[];
  /** Selector mode: at least this many pods must exist (1), since no workload says how many. */
  minPods: number;
  /** Epoch ms, for the Unschedulable grace period. */
  now: number;
  /** How long a pod may stay Unschedulable before it counts as failed. */
  unschedulableGraceMs: number;
  /** When we first saw each pod (by uid) Unschedulable, for pods whose condition time is coarse or missing. */
  unschedulableSince?: ReadonlyMap<string, number>;
}

/** The verdict. `reason` is one human line: why ready, or what is still missing. */
export type Readiness =
  | { state: 'ready'; reason: string }
  | { state: 'waiting'; reason: string }
  | { state: 'failed'; reason: string; failFast: FailFast };

/** Key of a workload in {@link ReadinessInput.objects}. */
export function workloadKey(kind: string, name: string): string {
  return `${kind}/${name}`;
}

/** Decides readiness; see the module comment. Fail-fast findings win over everything else. */
export function evaluateReadiness(input: ReadinessInput): Readiness {
  const failure = findFailFast(input);
  if (failure) return { state: 'failed', reason: failFastLine(failure), failFast: failure };

  const owners = podOwners(input);
  const jobPods = new Set<KubeObject>();
  let expectedPods = 0;
  // Pod-level reasons say more than a workload's counters, so workload status is reported last.
  let workloadWaiting: Readiness | undefined;
  for (const ref of input.workloads) {
    if (ref.kind === WorkloadKind.Pod) {
      if (!input.pods.some((pod) => nameOf(pod) === ref.name))
        return waiting(`pod ${ref.name} not found yet`);
      expectedPods += 1;
      continue;
    }
    const object = input.objects.get(workloadKey(ref.kind, ref.name));
    if (!object) return waiting(`${ref.kind} ${ref.name} not found yet`);
    const workload = workloadReadiness(ref.kind, object);
    if (workload.state !== 'ready') workloadWaiting ??= workload;
    if (ref.kind === WorkloadKind.Job) {
      for (const pod of input.pods) if (owners.get(pod) === workloadKey(ref.kind, ref.name)) jobPods.add(pod);
      continue;
    }
    const want = expectedReplicas(ref.kind, object);
    expectedPods += want;
    const have = input.pods.filter(
      (pod) => owners.get(pod) === workloadKey(ref.kind, ref.name) && !isTerminating(pod),
    ).length;
    // The workload's status can run ahead of the pods we have seen (watch lag): count them ourselves.
    if (have < want) return waiting(`${ref.kind} ${ref.name}: ${have}/${want} pods seen`);
  }

  const pods = input.pods.filter((pod) => !jobPods.has(pod) && !isFinishedOk(pod));
  const wantAtLeast = Math.max(expectedPods, input.minPods);
  if (pods.length < wantAtLeast) {
    return waiting(
      pods.length === 0
        ? `no pods yet (expecting ${wantAtLeast})`
        : `${pods.length}/${wantAtLeast} pods exist`,
    );
  }
  for (const pod of pods) {
    const problem = podNotReady(pod);
    if (problem) return waiting(`pod ${nameOf(pod)} ${problem}`);
  }
  if (workloadWaiting) return workloadWaiting;
  const what = input.workloads.length > 0 ? `${input.workloads.length} workload(s), ` : '';
  return { state: 'ready', reason: `${what}${pods.length} pod(s) ready` };
}

/** Why a pod is not ready, or undefined when it is Running, initialized and all containers ready. */
export function podNotReady(pod: KubeObject): string | undefined {
  if (isTerminating(pod)) return 'is terminating';
  const status = podStatus(pod);
  const phase = status.phase ?? 'Pending';
  const init = initNotDone(pod);
  // Real pods are Pending while they initialise; a Running pod with unfinished init containers is
  // what a restarted sandbox looks like, and neither is ready.
  if (phase !== 'Running') return init ? `is ${phase}: ${init}` : `is ${phase}`;
  if (init) return init;
  const containerSpecs = podSpec(pod).containers ?? [];
  const statuses = status.containerStatuses ?? [];
  for (const spec of containerSpecs) {
    const found = statuses.find((candidate) => candidate.name === spec.name);
    if (!found?.state?.running) return `container ${spec.name} is not running`;
    if (!found.ready) return `container ${spec.name} is not ready`;
  }
  const ready = (status.conditions ?? []).find((condition) => condition.type === 'Ready');
  if (ready?.status !== 'True') return 'has no Ready condition yet';
  return undefined;
}

/** The first init container that has not finished (or sidecar not ready), or undefined. */
function initNotDone(pod: KubeObject): string | undefined {
  const initStatuses = podStatus(pod).initContainerStatuses ?? [];
  for (const spec of podSpec(pod).initContainers ?? []) {
    const found = initStatuses.find((candidate) => candidate.name === spec.name);
    if (!found) return `init container ${spec.name} has not started`;
    if (spec.restartPolicy === 'Always') {
      // A sidecar never terminates: it counts once started and ready.
      if (!found.started || !found.ready) return `sidecar ${spec.name} not ready`;
      continue;
    }
    const terminated = found.state?.terminated;
    if (!terminated) return `init container ${spec.name} has not finished`;
    if ((terminated.exitCode ?? 0) !== 0) return `init container ${spec.name} exited ${terminated.exitCode}`;
  }
  return undefined;
}

/** Sum of restart counts per pod uid, to notice a restart during the settle window. */
export function restartFingerprint(pods: readonly KubeObject[]): string {
  return pods
    .map((pod) => {
      const status = podStatus(pod);
      let restarts = 0;
      for (const container of [...(status.initContainerStatuses ?? []), ...(status.containerStatuses ?? [])])
        restarts += container.restartCount ?? 0;
      return `${pod.metadata.uid ?? nameOf(pod)}:${restarts}`;
    })
    .sort()
    .join(',');
}

/**
 * The settle window: ready counts only once the verdict stayed ready, over the same pods with the
 * same restart counts, for `settleMs`. Pure: the caller passes every observation and the time.
 */
export class SettleWindow {
  private readonly settleMs: number;
  private since: number | undefined;
  private fingerprint = '';

  constructor(settleMs: number) {
    this.settleMs = settleMs;
  }

  /** Records an observation; returns when the window will be complete (epoch ms), or undefined when not ready. */
  observe(ready: boolean, fingerprint: string, now: number): number | undefined {
    if (!ready) {
      this.since = undefined;
      return undefined;
    }
    if (this.since === undefined || fingerprint !== this.fingerprint) {
      this.since = now;
      this.fingerprint = fingerprint;
    }
    return this.since + this.settleMs;
  }

  /** True once the window is complete at `now`. */
  settled(now: number): boolean {
    return this.since !== undefined && now >= this.since + this.settleMs;
  }
}

function waiting(reason: string): Readiness {
  return { state: 'waiting', reason };
}

function workloadReadiness(kind: WorkloadKind, object: KubeObject): Readiness {
  const name = object.metadata.name ?? '';
  const spec = object.spec ?? {};
  const status = object.status ?? {};
  const num = (value: unknown) => (typeof value === 'number' ? value : 0);
  const generation = object.metadata.generation ?? 0;
  const observed = num(status.observedGeneration);
  if (kind !== WorkloadKind.Job && observed < generation)
    return waiting(`${kind} ${name}: generation ${generation} not observed yet (at ${observed})`);
  const want = typeof spec.replicas === 'number' ? spec.replicas : 1;
  switch (kind) {
    case WorkloadKind.Deployment:
    case WorkloadKind.ReplicaSet: {
      const ready = num(status.readyReplicas);
      const available = num(status.availableReplicas);
      const updated = kind === WorkloadKind.Deployment ? num(status.updatedReplicas) : want;
      const total = typeof status.replicas === 'number' ? status.replicas : want;
      if (updated !== want || available !== want || ready !== want || total !== want)
        return waiting(
          `${kind} ${name}: ${ready}/${want} ready, ${updated} updated, ${available} available, ${total} total`,
        );
      return { state: 'ready', reason: '' };
    }
    case WorkloadKind.StatefulSet: {
      const ready = num(status.readyReplicas);
      const updated = num(status.updatedReplicas);
      const revisionsMatch =
        typeof status.updateRevision === 'string' && status.currentRevision === status.updateRevision;
      if (ready !== want || (updated !== want && !revisionsMatch))
        return waiting(`${kind} ${name}: ${ready}/${want} ready, ${updated} updated`);
      return { state: 'ready', reason: '' };
    }
    case WorkloadKind.DaemonSet: {
      const desired = num(status.desiredNumberScheduled);
      const ready = num(status.numberReady);
      const updated = num(status.updatedNumberScheduled);
      const available = num(status.numberAvailable);
      if (
        status.observedGeneration === undefined ||
        ready !== desired ||
        updated !== desired ||
        available !== desired
      )
        return waiting(
          `${kind} ${name}: ${ready}/${desired} ready, ${updated} updated, ${available} available`,
        );
      return { state: 'ready', reason: '' };
    }
    case WorkloadKind.Pod:
      return { state: 'ready', reason: '' };
    case WorkloadKind.Job: {
      const conditions = (status.conditions ?? []) as Array<{ type?: string; status?: string }>;
      if (conditions.some((condition) => condition.type === 'Complete' && condition.status === 'True'))
        return { state: 'ready', reason: '' };
      return waiting(`Job ${name} not complete (${num(status.succeeded)} succeeded)`);
    }
  }
}

function expectedReplicas(kind: WorkloadKind, object: KubeObject): number {
  if (kind === WorkloadKind.DaemonSet) {
    const desired = (object.status as { desiredNumberScheduled?: unknown } | undefined)
      ?.desiredNumberScheduled;
    return typeof desired === 'number' ? desired : 0;
  }
  const replicas = (object.spec as { replicas?: unknown } | undefined)?.replicas;
  return typeof replicas === 'number' ? replicas : 1;
}

/** Which workload (by key) each pod belongs to, through ReplicaSets for Deployments. */
function podOwners(input: ReadinessInput): Map<KubeObject, string> {
  const wanted = new Set(input.workloads.map((ref) => workloadKey(ref.kind, ref.name)));
  const replicaSetOwner = new Map<string, string>();
  for (const rs of input.replicaSets) {
    const owner = controllerOf(rs);
    if (owner?.kind === WorkloadKind.Deployment)
      replicaSetOwner.set(rs.metadata.name ?? '', workloadKey(owner.kind, owner.name));
  }
  const owners = new Map<KubeObject, string>();
  for (const pod of input.pods) {
    const owner = controllerOf(pod);
    if (!owner) continue;
    const direct = workloadKey(owner.kind, owner.name);
    if (wanted.has(direct)) owners.set(pod, direct);
    else if (owner.kind === WorkloadKind.ReplicaSet) {
      const deployment = replicaSetOwner.get(owner.name);
      if (deployment && wanted.has(deployment)) owners.set(pod, deployment);
    }
  }
  return owners;
}

function controllerOf(object: KubeObject): { kind: string; name: string } | undefined {
  const refs = object.metadata.ownerReferences ?? [];
  return refs.find((ref) => ref.controller) ?? refs[0];
}

/** Fail-fast findings, first pod first, so the verdict is stable for the same input. */
function findFailFast(input: ReadinessInput): FailFast | undefined {
  for (const ref of input.workloads) {
    if (ref.kind !== WorkloadKind.Job) continue;
    const job = input.objects.get(workloadKey(ref.kind, ref.name));
    const conditions = ((job?.status as { conditions?: unknown } | undefined)?.conditions ?? []) as Array<{
      type?: string;
      status?: string;
      reason?: string;
      message?: string;
    }>;
    const failed = conditions.find((condition) => condition.type === 'Failed' && condition.status === 'True');
    if (failed)
      return {
        reason: FailFastReason.JobFailed,
        pod: ref.name,
        message: `Job ${ref.name} failed: ${failed.reason ?? ''}${failed.message ? ` (${failed.message})` : ''}`,
      };
  }
  const pods = [...input.pods].sort((a, b) => nameOf(a).localeCompare(nameOf(b)));
  for (const pod of pods) {
    const found = podFailFast(pod, input);
    if (found) return found;
  }
  return undefined;
}

const WAITING_FAILURES: Record<string, FailFastReason> = {
  CrashLoopBackOff: FailFastReason.CrashLoopBackOff,
  ImagePullBackOff: FailFastReason.ImagePullBackOff,
  ErrImagePull: FailFastReason.ErrImagePull,
  InvalidImageName: FailFastReason.InvalidImageName,
  CreateContainerConfigError: FailFastReason.CreateContainerConfigError,
  CreateContainerError: FailFastReason.CreateContainerError,
};

/** The fail-fast finding for one pod, if any. */
export function podFailFast(
  pod: KubeObject,
  context: Pick<ReadinessInput, 'now' | 'unschedulableGraceMs' | 'unschedulableSince'>,
): FailFast | undefined {
  const name = nameOf(pod);
  const status = podStatus(pod);
  if (status.phase === 'Failed' && status.reason === 'Evicted')
    return { reason: FailFastReason.Evicted, pod: name, message: status.message ?? 'The pod was evicted' };
  // A Job retries its failed pods and reports its own Failed condition; any other failed pod stays failed.
  if (status.phase === 'Failed' && controllerOf(pod)?.kind !== WorkloadKind.Job)
    return {
      reason: FailFastReason.PodFailed,
      pod: name,
      message: status.message ?? `pod ${name} failed${status.reason ? `: ${status.reason}` : ''}`,
    };
  const all = [...(status.initContainerStatuses ?? []), ...(status.containerStatuses ?? [])];
  for (const container of all) {
    // An OOM kill is the cause of the crash loop that usually follows it: report the cause.
    const oom = [container.state?.terminated, container.lastState?.terminated].find(
      (terminated) => terminated?.reason === 'OOMKilled',
    );
    if (oom)
      return {
        reason: FailFastReason.OOMKilled,
        pod: name,
        container: container.name ?? '',
        message: `container ${container.name ?? ''} was OOMKilled (exit code ${oom.exitCode ?? 137})`,
      };
    const waitingState = container.state?.waiting;
    const reason = waitingState?.reason ? WAITING_FAILURES[waitingState.reason] : undefined;
    if (reason) {
      return {
        reason,
        pod: name,
        container: container.name ?? '',
        message: waitingState?.message ?? reason,
      };
    }
  }
  const scheduled = (status.conditions ?? []).find((condition) => condition.type === 'PodScheduled');
  if (scheduled?.status === 'False' && scheduled.reason === 'Unschedulable') {
    const transition = Date.parse(scheduled.lastTransitionTime ?? '');
    const seen = context.unschedulableSince?.get(pod.metadata.uid ?? name);
    const since = Math.min(Number.isNaN(transition) ? Infinity : transition, seen ?? Infinity);
    if (Number.isFinite(since) && context.now - since >= context.unschedulableGraceMs)
      return {
        reason: FailFastReason.Unschedulable,
        pod: name,
        message: scheduled.message ?? 'Unschedulable',
      };
  }
  return undefined;
}

/** One line for a fail-fast finding: "CrashLoopBackOff: pod web-1 container web: back-off 10s…". */
export function failFastLine(failure: FailFast): string {
  const where = failure.container
    ? `pod ${failure.pod} container ${failure.container}`
    : `pod ${failure.pod}`;
  return `${failure.reason}: ${failure.reason === FailFastReason.JobFailed ? `job ${failure.pod}` : where}: ${failure.message}`;
}

/** True for a pod being deleted. */
export function isTerminating(pod: KubeObject): boolean {
  return Boolean(pod.metadata.deletionTimestamp);
}

/** A pod that ran to completion (helm test pods, Job pods) is done, not unready. */
function isFinishedOk(pod: KubeObject): boolean {
  return podStatus(pod).phase === 'Succeeded';
}

function nameOf(pod: KubeObject): string {
  return pod.metadata.name ?? '';
}

interface ContainerStatusShape {
  name?: string;
  ready?: boolean;
  started?: boolean;
  restartCount?: number;
  state?: {
    waiting?: { reason?: string; message?: string };
    running?: { startedAt?: string };
    terminated?: { exitCode?: number; reason?: string };
  };
  lastState?: { terminated?: { exitCode?: number; reason?: string } };
}

/** The parts of a pod status readiness reads. */
export interface PodStatusShape {
  phase?: string;
  reason?: string;
  message?: string;
  startTime?: string;
  conditions?: Array<{
    type?: string;
    status?: string;
    reason?: string;
    message?: string;
    lastTransitionTime?: string;
  }>;
  initContainerStatuses?: ContainerStatusShape[];
  containerStatuses?: ContainerStatusShape[];
}

/** A pod's status, typed loosely. */
export function podStatus(pod: KubeObject): PodStatusShape {
  return pod.status ?? {};
}

function podSpec(pod: KubeObject): {
  restartPolicy?: string;
  nodeName?: string;
  initContainers?: Array<{ name?: string; restartPolicy?: string }>;
  containers?: Array<{ name?: string }>;
} {
  return pod.spec ?? {};
}
