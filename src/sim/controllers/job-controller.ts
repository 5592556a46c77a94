import { ApiError } from '../api/api-error.ts';
import type { KubeObject } from '../api/kube-object.ts';
import { R } from '../resources.ts';
import { kubeTime } from '../store/object-store.ts';
import type { StoreEvent } from '../store/object-store.ts';
import { createObject, isNamespaceTerminating } from './object-create.ts';
import { claimObjects, controllerOf } from './owner-refs.ts';
import { podFromTemplate } from './pod-factory.ts';
import { isPodActive, isPodReady, isPodTerminal, podStatus } from './pod-state.ts';
import { asError, objectKey, QueueController, splitKey } from './queue-controller.ts';
import { selectorFromSpec } from './selector-spec.ts';
import type {
  ContainerSpec,
  LabelSelectorSpec,
  PodSpec,
  PodTemplateSpec,
  StatusCondition,
} from './workload-types.ts';

const COMPONENT = { component: 'job-controller' };
const TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';
const CONTROLLER_UID = 'batch.kubernetes.io/controller-uid';
const JOB_NAME = 'batch.kubernetes.io/job-name';
const LEGACY_CONTROLLER_UID = 'controller-uid';
const LEGACY_JOB_NAME = 'job-name';
const COMPLETION_INDEX = 'batch.kubernetes.io/job-completion-index';
const MAX_PODS_PER_SYNC = 500;
const BACKOFF_BASE_MS = 10_000;
const BACKOFF_MAX_MS = 360_000;
const ORPHAN_PREFIX = 'pod:';

const Messages = {
  completions: 'Reached expected number of succeeded pods',
  backoff: 'Job has reached the specified backoff limit',
  deadline: 'Job was active longer than specified deadline',
} as const;

interface JobSpec {
  parallelism?: number;
  completions?: number | null;
  activeDeadlineSeconds?: number;
  backoffLimit?: number;
  selector?: LabelSelectorSpec;
  template?: PodTemplateSpec;
  completionMode?: string;
  suspend?: boolean;
  podReplacementPolicy?: string;
  ttlSecondsAfterFinished?: number;
}

interface JobStatus {
  conditions?: StatusCondition[];
  startTime?: string;
  completionTime?: string;
  active?: number;
  succeeded?: number;
  failed?: number;
  terminating?: number;
  completedIndexes?: string;
  failedIndexes?: string;
  uncountedTerminatedPods?: { succeeded?: string[]; failed?: string[] };
  ready?: number;
}

interface JobMemory {
  startedAt?: number;
  finishedAt?: number;
  failuresSinceSuccess: number;
  lastFailureAt: number;
}

function jobSpec(job: KubeObject): JobSpec {
  return job.spec ?? {};
}

function conditionOf(status: JobStatus, type: string): StatusCondition | undefined {
  return status.conditions?.find((entry) => entry.type === type && entry.status === 'True');
}

function isFinished(status: JobStatus): boolean {
  return conditionOf(status, 'Complete') !== undefined || conditionOf(status, 'Failed') !== undefined;
}

function completionIndex(pod: KubeObject): number | undefined {
  const value = pod.metadata.annotations?.[COMPLETION_INDEX] ?? pod.metadata.labels?.[COMPLETION_INDEX];
  const index = Number.parseInt(value ?? '', 10);
  return Number.isNaN(index) ? undefined : index;
}

/** "0-2,4,6-7", the API's compressed list of indexes. */
function formatIndexes(indexes: Iterable<number>): string {
  const sorted = [...new Set(indexes)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let index = 0; index < sorted.length;) {
    const first = sorted[index] as number;
    let last = first;
    while (sorted[index + 1] === last + 1) {
      index += 1;
      last += 1;
    }
    parts.push(first === last ? String(first) : `${first}-${last}`);
    index += 1;
  }
  return parts.join(',');
}

function parseIndexes(text: string | undefined): Set<number> {
  const out = new Set<number>();
  for (const part of (text ?? '').split(',')) {
    if (part === '') continue;
    const [from, to] = part.split('-').map(Number);
    if (from === undefined || Number.isNaN(from)) continue;
    for (let index = from; index <= (to ?? from); index += 1) out.add(index);
  }
  return out;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The Job controller as Kubernetes 1.31+ runs it: pods `<job>-<5 chars>` (or `<job>-<index>-…` for
 * Indexed jobs) labelled batch.kubernetes.io/controller-uid, batch.kubernetes.io/job-name,
 * controller-uid and job-name, tracked with the batch.kubernetes.io/job-tracking finalizer (removed
 * once counted, also from orphans); parallelism/completions, exponential backoff (10 s doubling, at
 * most 6 min, in simulated time), backoffLimit (failed > limit, or restarts for OnFailure),
 * activeDeadlineSeconds, suspend, and ttlSecondsAfterFinished (the TTL-after-finished controller's
 * job). Status as real: active/succeeded/failed omitted when zero, ready/terminating/
 * uncountedTerminatedPods always, the interim SuccessCriteriaMet/FailureTarget condition first and
 * Complete/Failed with the same reason once no pod is left running, completionTime on success.
 * Events SuccessfulCreate, SuccessfulDelete, Completed, BackoffLimitExceeded / DeadlineExceeded.
 */
export class JobController extends QueueController {
  private readonly memory = new Map<string, JobMemory>();
  private readonly streams = new Map<string, () => number>();

  protected initialKeys(): Iterable<string> {
    return this.cache.list(R.job).map(objectKey);
  }

  protected override onStop(): void {
    this.memory.clear();
    this.streams.clear();
  }

  protected onEvent(event: StoreEvent): void {
    const { resource, object } = event;
    if (resource === R.job) {
      if (event.type === 'DELETED') {
        this.memory.delete(object.metadata.uid ?? '');
        this.streams.delete(object.metadata.uid ?? '');
        // Its pods may never change again: release their tracking finalizers now.
        for (const { object: pod } of this.cache.dependents(object.metadata.uid ?? '')) {
          this.enqueue(`${ORPHAN_PREFIX}${objectKey(pod)}`);
        }
      }
      this.enqueue(objectKey(object));
    } else if (resource === R.pod) {
      this.enqueueControllerOf(event, 'Job');
      if (event.type !== 'DELETED' && (object.metadata.finalizers ?? []).includes(TRACKING_FINALIZER)) {
        this.enqueue(`${ORPHAN_PREFIX}${objectKey(object)}`);
      }
    } else if (resource === R.serviceAccount && event.type === 'ADDED') {
      for (const job of this.cache.list(R.job, object.metadata.namespace)) this.enqueue(objectKey(job));
    }
  }

  protected reconcile(key: string): void {
    if (key.startsWith(ORPHAN_PREFIX)) {
      this.releaseOrphan(key.slice(ORPHAN_PREFIX.length));
      return;
    }
    const { namespace, name } = splitKey(key);
    const job = this.cache.get(R.job, namespace, name);
    if (!job) return;
    const spec = jobSpec(job);
    const uid = job.metadata.uid ?? '';
    const memory = this.memoryFor(uid);
    const selectorSpec = spec.selector ?? { matchLabels: { [CONTROLLER_UID]: uid } };
    const pods = claimObjects(
      this.ctx.store,
      R.pod,
      job,
      selectorFromSpec(selectorSpec),
      this.cache.list(R.pod, namespace),
    );
    const previous = (job.status ?? {}) as JobStatus;
    if (isFinished(previous)) {
      this.removeFinalizers(
        pods.filter((pod) => (pod.metadata.finalizers ?? []).includes(TRACKING_FINALIZER)),
      );
      this.expireFinished(key, job, previous, memory);
      return;
    }
    if (job.metadata.deletionTimestamp) return;

    const status: JobStatus = structuredClone(previous);
    const now = kubeTime(this.ctx.clock.now());
    const suspended = spec.suspend === true;
    this.syncSuspended(job, status, suspended, now);
    if (!status.startTime && !suspended) {
      status.startTime = now;
      memory.startedAt = performance.now();
    } else if (status.startTime && memory.startedAt === undefined) {
      // Started before this controller: only the wall clock knows for how long.
      memory.startedAt = performance.now() - Math.max(0, Date.now() - Date.parse(status.startTime));
    }
    const indexed = spec.completionMode === 'Indexed';
    const completions = spec.completions ?? undefined;
    const interim = conditionOf(status, 'SuccessCriteriaMet') ?? conditionOf(status, 'FailureTarget');

    // Count finished pods still holding the tracking finalizer, then release them.
    const counted: KubeObject[] = [];
    let newlySucceeded = 0;
    let newlyFailed = 0;
    const completedIndexes = parseIndexes(status.completedIndexes);
    for (const pod of pods) {
      if (!(pod.metadata.finalizers ?? []).includes(TRACKING_FINALIZER)) continue;
      const phase = podStatus(pod).phase;
      const failed =
        phase === 'Failed' ||
        (spec.podReplacementPolicy !== 'Failed' && !!pod.metadata.deletionTimestamp && phase !== 'Succeeded');
      if (phase === 'Succeeded') {
        counted.push(pod);
        const index = completionIndex(pod);
        if (!indexed) newlySucceeded += 1;
        else if (index !== undefined && index < (completions ?? 0)) completedIndexes.add(index);
      } else if (failed || interim?.type === 'SuccessCriteriaMet') {
        counted.push(pod);
        newlyFailed += 1;
      }
    }
    if (newlyFailed > 0) {
      memory.failuresSinceSuccess += newlyFailed;
      memory.lastFailureAt = performance.now();
    } else if (newlySucceeded > 0 || completedIndexes.size > parseIndexes(status.completedIndexes).size) {
      memory.failuresSinceSuccess = 0;
    }
    const succeeded = indexed ? completedIndexes.size : (status.succeeded ?? 0) + newlySucceeded;
    const failedTotal = (status.failed ?? 0) + newlyFailed;
    const countedUids = new Set(counted.map((pod) => pod.metadata.uid));
    let activePods = pods.filter((pod) => isPodActive(pod) && !countedUids.has(pod.metadata.uid));

    let finishing = interim;
    if (!finishing && !suspended) {
      const backoffLimit = spec.backoffLimit ?? 6;
      const active = activePods.length;
      const complete =
        completions === undefined ? succeeded > 0 && active === 0 : succeeded >= completions && active === 0;
      if (failedTotal > backoffLimit || this.pastBackoffLimitOnFailure(job, activePods, backoffLimit)) {
        finishing = this.condition('FailureTarget', 'BackoffLimitExceeded', Messages.backoff, now);
      } else if (this.pastActiveDeadline(job, memory)) {
        finishing = this.condition('FailureTarget', 'DeadlineExceeded', Messages.deadline, now);
      } else if (complete) {
        finishing = this.condition('SuccessCriteriaMet', 'CompletionsReached', Messages.completions, now);
      } else if (spec.activeDeadlineSeconds !== undefined && memory.startedAt !== undefined) {
        const elapsed = (performance.now() - memory.startedAt) / this.ctx.clock.timeScale;
        this.enqueueAfter(key, Math.max(0, spec.activeDeadlineSeconds * 1000 - elapsed) + 1);
      }
      if (finishing) status.conditions = [...(status.conditions ?? []), finishing];
    }

    let manageError: unknown;
    if (finishing || suspended) {
      this.deletePods(job, activePods);
      activePods = [];
    } else {
      try {
        activePods = this.manageJob(key, job, activePods, pods, succeeded, completedIndexes, memory);
      } catch (error) {
        manageError = error;
      }
    }

    // Counted after this sync's deletions: pods just deleted are terminating now.
    const owned = this.cache.list(R.pod, namespace).filter((pod) => controllerOf(pod)?.uid === uid);
    const terminating = owned.filter((pod) => pod.metadata.deletionTimestamp && !isPodTerminal(pod)).length;
    const activeUids = new Set(activePods.map((pod) => pod.metadata.uid));
    status.succeeded = succeeded;
    status.failed = failedTotal;
    if (indexed) status.completedIndexes = formatIndexes(completedIndexes);
    status.active = activePods.length;
    status.ready = owned.filter((pod) => activeUids.has(pod.metadata.uid) && isPodReady(pod)).length;
    status.terminating = terminating;
    status.uncountedTerminatedPods = {};
    let finishedNow: StatusCondition | undefined;
    if (finishing && activePods.length === 0 && terminating === 0) {
      const type = finishing.type === 'SuccessCriteriaMet' ? 'Complete' : 'Failed';
      finishedNow = this.condition(type, finishing.reason ?? '', finishing.message ?? '', now);
      status.conditions = [...(status.conditions ?? []), finishedNow];
      if (type === 'Complete') status.completionTime = now;
    }
    this.writeStatus(R.job, job, this.ordered(status));
    this.removeFinalizers(counted);
    if (finishedNow) {
      memory.finishedAt = performance.now();
      if (finishedNow.type === 'Complete') {
        if (completions !== undefined && succeeded > completions) {
          this.ctx.events.record(
            job,
            'Warning',
            'TooManySucceededPods',
            'Too many succeeded pods running after completion count reached',
            COMPONENT,
          );
        }
        this.ctx.events.record(job, 'Normal', 'Completed', 'Job completed', COMPONENT);
      } else {
        this.ctx.events.record(
          job,
          'Warning',
          finishedNow.reason ?? 'Failed',
          finishedNow.message ?? '',
          COMPONENT,
        );
      }
      this.expireFinished(key, job, status, memory);
    }
    if (manageError !== undefined) throw asError(manageError);
  }

  /** Creates or removes pods towards the wanted number of active pods; returns the active pods. */
  private manageJob(
    key: string,
    job: KubeObject,
    activePods: KubeObject[],
    pods: KubeObject[],
    succeeded: number,
    completedIndexes: Set<number>,
    memory: JobMemory,
  ): KubeObject[] {
    const spec = jobSpec(job);
    const parallelism = spec.parallelism ?? 1;
    const completions = spec.completions ?? undefined;
    const active = activePods.length;
    const terminating =
      spec.podReplacementPolicy === 'Failed'
        ? pods.filter((pod) => pod.metadata.deletionTimestamp && !isPodTerminal(pod)).length
        : 0;
    let wantActive: number;
    if (completions === undefined) wantActive = succeeded > 0 ? active : parallelism;
    else wantActive = Math.max(0, Math.min(completions - succeeded, parallelism));
    const removeCount = Math.max(0, active + terminating - wantActive);
    if (removeCount > 0) {
      const victims = [...activePods]
        .sort((a, b) => Number(isPodReady(a)) - Number(isPodReady(b)) || -this.cache.compareCreation(a, b))
        .slice(0, Math.min(removeCount, MAX_PODS_PER_SYNC));
      this.deletePods(job, victims);
      const removed = new Set(victims.map((pod) => pod.metadata.uid));
      return activePods.filter((pod) => !removed.has(pod.metadata.uid));
    }
    const indexes: number[] = [];
    let diff: number;
    if (spec.completionMode === 'Indexed') {
      const busy = new Set(activePods.map(completionIndex));
      for (let index = 0; index < (completions ?? 0) && indexes.length < wantActive - active; index += 1) {
        if (!completedIndexes.has(index) && !busy.has(index)) indexes.push(index);
      }
      diff = indexes.length;
    } else {
      diff = wantActive - terminating - active;
    }
    if (diff <= 0) return activePods;
    if (memory.failuresSinceSuccess > 0) {
      const backoff = Math.min(BACKOFF_BASE_MS * 2 ** (memory.failuresSinceSuccess - 1), BACKOFF_MAX_MS);
      const elapsed = (performance.now() - memory.lastFailureAt) / this.ctx.clock.timeScale;
      if (elapsed < backoff) {
        this.enqueueAfter(key, backoff - elapsed + 1);
        return activePods;
      }
    }
    const created: KubeObject[] = [];
    const count = Math.min(diff, MAX_PODS_PER_SYNC);
    for (let n = 0; n < count; n += 1) {
      created.push(this.createPod(job, spec.completionMode === 'Indexed' ? indexes[n] : undefined));
    }
    return [...activePods, ...created];
  }

  private createPod(job: KubeObject, index: number | undefined): KubeObject {
    const spec = jobSpec(job);
    const uid = job.metadata.uid ?? '';
    const jobName = job.metadata.name ?? '';
    const pod = podFromTemplate(spec.template, job);
    // The API server adds these labels to the template when it generates the selector.
    pod.metadata.labels = {
      [CONTROLLER_UID]: uid,
      [JOB_NAME]: jobName,
      [LEGACY_CONTROLLER_UID]: uid,
      [LEGACY_JOB_NAME]: jobName,
      ...(pod.metadata.labels ?? {}),
    };
    pod.metadata.finalizers = [...(pod.metadata.finalizers ?? []), TRACKING_FINALIZER];
    if (index !== undefined) {
      pod.metadata.generateName = `${jobName}-${index}-`;
      pod.metadata.annotations = { ...(pod.metadata.annotations ?? {}), [COMPLETION_INDEX]: String(index) };
      pod.metadata.labels[COMPLETION_INDEX] = String(index);
      const podSpec = pod.spec as PodSpec;
      podSpec.hostname ??= `${jobName}-${index}`;
      const addIndexEnv = (container: ContainerSpec) => {
        const env = (container.env ??= []);
        if (env.some((entry) => entry.name === 'JOB_COMPLETION_INDEX')) return;
        env.push({
          name: 'JOB_COMPLETION_INDEX',
          valueFrom: {
            fieldRef: { apiVersion: 'v1', fieldPath: `metadata.annotations['${COMPLETION_INDEX}']` },
          },
        });
      };
      for (const container of podSpec.initContainers ?? []) addIndexEnv(container);
      for (const container of podSpec.containers ?? []) addIndexEnv(container);
    }
    try {
      const created = createObject(this.ctx, R.pod, pod, this.streamFor(job));
      this.ctx.events.record(
        job,
        'Normal',
        'SuccessfulCreate',
        `Created pod: ${created.metadata.name ?? ''}`,
        COMPONENT,
      );
      return created;
    } catch (error) {
      if (!isNamespaceTerminating(error)) {
        this.ctx.events.record(
          job,
          'Warning',
          'FailedCreate',
          `Error creating: ${errorMessage(error)}`,
          COMPONENT,
        );
      }
      throw error;
    }
  }

  private deletePods(job: KubeObject, pods: KubeObject[]): void {
    for (const pod of pods) {
      const podName = pod.metadata.name ?? '';
      try {
        this.ctx.store.delete(R.pod, pod.metadata.namespace, podName);
        this.ctx.events.record(job, 'Normal', 'SuccessfulDelete', `Deleted pod: ${podName}`, COMPONENT);
      } catch (error) {
        if (error instanceof ApiError && error.code === 404) continue;
        this.ctx.events.record(
          job,
          'Warning',
          'FailedDelete',
          `Error deleting: ${errorMessage(error)}`,
          COMPONENT,
        );
        throw error;
      }
    }
  }

  private removeFinalizers(pods: KubeObject[]): void {
    for (const pod of pods) {
      const latest = this.ctx.store.get(R.pod, pod.metadata.namespace, pod.metadata.name ?? '');
      if (!latest || latest.metadata.uid !== pod.metadata.uid) continue;
      const finalizers = (latest.metadata.finalizers ?? []).filter((entry) => entry !== TRACKING_FINALIZER);
      if (finalizers.length === (latest.metadata.finalizers ?? []).length) continue;
      const copy = structuredClone(latest);
      if (finalizers.length > 0) copy.metadata.finalizers = finalizers;
      else delete copy.metadata.finalizers;
      this.ctx.store.update(R.pod, copy);
    }
  }

  /** A pod holding the tracking finalizer whose job is gone or finished gets released. */
  private releaseOrphan(podKey: string): void {
    const { namespace, name } = splitKey(podKey);
    const pod = this.cache.get(R.pod, namespace, name);
    if (!pod || !(pod.metadata.finalizers ?? []).includes(TRACKING_FINALIZER)) return;
    const ref = controllerOf(pod);
    const job = ref?.kind === 'Job' ? this.cache.get(R.job, namespace, ref.name) : undefined;
    if (job && job.metadata.uid === ref?.uid && !isFinished(job.status ?? {})) return;
    this.removeFinalizers([pod]);
  }

  private pastBackoffLimitOnFailure(
    job: KubeObject,
    activePods: KubeObject[],
    backoffLimit: number,
  ): boolean {
    if (jobSpec(job).template?.spec?.restartPolicy !== 'OnFailure') return false;
    let restarts = 0;
    for (const pod of activePods) {
      const status = podStatus(pod);
      if (status.phase !== 'Running' && status.phase !== 'Pending') continue;
      for (const container of [
        ...(status.initContainerStatuses ?? []),
        ...(status.containerStatuses ?? []),
      ]) {
        restarts += container.restartCount ?? 0;
      }
    }
    return backoffLimit === 0 ? restarts > 0 : restarts >= backoffLimit;
  }

  private pastActiveDeadline(job: KubeObject, memory: JobMemory): boolean {
    const deadline = jobSpec(job).activeDeadlineSeconds;
    if (deadline === undefined || memory.startedAt === undefined || jobSpec(job).suspend) return false;
    return (performance.now() - memory.startedAt) / this.ctx.clock.timeScale >= deadline * 1000;
  }

  private syncSuspended(job: KubeObject, status: JobStatus, suspended: boolean, now: string): void {
    const current = status.conditions?.find((entry) => entry.type === 'Suspended');
    if (suspended && current?.status !== 'True') {
      const next = this.condition('Suspended', 'JobSuspended', 'Job suspended', now);
      status.conditions = [...(status.conditions ?? []).filter((entry) => entry.type !== 'Suspended'), next];
      this.ctx.events.record(job, 'Normal', 'Suspended', 'Job suspended', COMPONENT);
    } else if (!suspended && current?.status === 'True') {
      const next = { ...this.condition('Suspended', 'JobResumed', 'Job resumed', now), status: 'False' };
      status.conditions = (status.conditions ?? []).map((entry) =>
        entry.type === 'Suspended' ? next : entry,
      );
      // A resumed job's active deadline counts from the resume.
      delete status.startTime;
      this.ctx.events.record(job, 'Normal', 'Resumed', 'Job resumed', COMPONENT);
    }
  }

  /** ttlSecondsAfterFinished: deletes the finished job (with its pods) once the TTL has passed. */
  private expireFinished(key: string, job: KubeObject, status: JobStatus, memory: JobMemory): void {
    const ttl = jobSpec(job).ttlSecondsAfterFinished;
    if (ttl === undefined || job.metadata.deletionTimestamp) return;
    if (memory.finishedAt === undefined) {
      const finished = conditionOf(status, 'Complete') ?? conditionOf(status, 'Failed');
      const since = Date.now() - Date.parse(finished?.lastTransitionTime ?? new Date().toISOString());
      memory.finishedAt = performance.now() - Math.max(0, since);
    }
    const remaining = ttl * 1000 - (performance.now() - memory.finishedAt) / this.ctx.clock.timeScale;
    if (remaining > 0) {
      this.enqueueAfter(key, remaining + 1);
      return;
    }
    try {
      this.ctx.store.delete(R.job, job.metadata.namespace, job.metadata.name ?? '', {
        propagationPolicy: 'Background',
        preconditions: { uid: job.metadata.uid },
      });
    } catch (error) {
      if (!(error instanceof ApiError && error.code === 404)) throw error;
    }
  }

  private condition(type: string, reason: string, message: string, now: string): StatusCondition {
    return { type, status: 'True', lastProbeTime: now, lastTransitionTime: now, reason, message };
  }

  /** JobStatus in the API's field order and omitempty rules. */
  private ordered(status: JobStatus): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    if (status.conditions && status.conditions.length > 0) out.conditions = status.conditions;
    if (status.startTime) out.startTime = status.startTime;
    if (status.completionTime) out.completionTime = status.completionTime;
    if (status.active) out.active = status.active;
    if (status.succeeded) out.succeeded = status.succeeded;
    if (status.failed) out.failed = status.failed;
    out.terminating = status.terminating ?? 0;
    if (status.completedIndexes) out.completedIndexes = status.completedIndexes;
    if (status.failedIndexes !== undefined) out.failedIndexes = status.failedIndexes;
    out.uncountedTerminatedPods = status.uncountedTerminatedPods ?? {};
    out.ready = status.ready ?? 0;
    return out;
  }

  private memoryFor(uid: string): JobMemory {
    let memory = this.memory.get(uid);
    if (!memory) {
      memory = { failuresSinceSuccess: 0, lastFailureAt: 0 };
      this.memory.set(uid, memory);
    }
    return memory;
  }

  private streamFor(job: KubeObject): () => number {
    const uid = job.metadata.uid ?? '';
    let stream = this.streams.get(uid);
    if (!stream) {
      stream = this.ctx.random.stream(`job/${objectKey(job)}`);
      this.streams.set(uid, stream);
    }
    return stream;
  }
}
