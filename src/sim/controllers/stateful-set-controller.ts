import { ApiError } from '../api/api-error.ts';
import type { KubeObject, OwnerReference } from '../api/kube-object.ts';
import { R } from '../resources.ts';
import type { StoreEvent } from '../store/object-store.ts';
import { createObject, isNamespaceTerminating } from './object-create.ts';
import { claimObjects } from './owner-refs.ts';
import { podFromTemplate } from './pod-factory.ts';
import { isPodReady, podAvailableIn, podStatus } from './pod-state.ts';
import { asError, objectKey, QueueController, splitKey } from './queue-controller.ts';
import { selectorFromSpec } from './selector-spec.ts';
import { computeRevisionHash } from './template-hash.ts';
import type { LabelSelectorSpec, PodSpec, PodTemplateSpec, StatusCondition } from './workload-types.ts';

const COMPONENT = { component: 'statefulset-controller' };
const POD_NAME_LABEL = 'statefulset.kubernetes.io/pod-name';
const POD_INDEX_LABEL = 'apps.kubernetes.io/pod-index';
const REVISION_LABEL = 'controller-revision-hash';
const HISTORY_LIMIT = 10;

interface ClaimTemplate {
  metadata?: { name?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
}

interface StatefulSetSpec {
  replicas?: number;
  selector?: LabelSelectorSpec;
  template?: PodTemplateSpec;
  serviceName?: string;
  podManagementPolicy?: string;
  updateStrategy?: { type?: string; rollingUpdate?: { partition?: number } };
  volumeClaimTemplates?: ClaimTemplate[];
  minReadySeconds?: number;
  persistentVolumeClaimRetentionPolicy?: { whenDeleted?: string; whenScaled?: string };
  ordinals?: { start?: number };
}

interface StatefulSetStatus {
  observedGeneration?: number;
  replicas?: number;
  readyReplicas?: number;
  currentReplicas?: number;
  updatedReplicas?: number;
  currentRevision?: string;
  updateRevision?: string;
  collisionCount?: number;
  conditions?: StatusCondition[];
  availableReplicas?: number;
}

/** A pod slot: an existing pod, or one to create (no status yet). */
type Slot = KubeObject;

function setSpec(set: KubeObject): StatefulSetSpec {
  return set.spec ?? {};
}

function ordinalOf(pod: KubeObject): number {
  const match = /^(.*)-(\d+)$/.exec(pod.metadata.name ?? '');
  return match ? Number(match[2]) : -1;
}

function parentName(pod: KubeObject): string | undefined {
  return /^(.*)-(\d+)$/.exec(pod.metadata.name ?? '')?.[1];
}

function isCreated(pod: Slot): boolean {
  return podStatus(pod).phase !== undefined && podStatus(pod).phase !== '';
}

function isTerminating(pod: Slot): boolean {
  return pod.metadata.deletionTimestamp !== undefined;
}

function isRunningAndReady(pod: Slot): boolean {
  return podStatus(pod).phase === 'Running' && isPodReady(pod);
}

function isHealthy(pod: Slot): boolean {
  return isRunningAndReady(pod) && !isTerminating(pod);
}

function revisionOf(pod: Slot): string | undefined {
  return pod.metadata.labels?.[REVISION_LABEL];
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The StatefulSet controller after `defaultStatefulSetControl.updateStatefulSet`: stable pods
 * `<set>-<ordinal>` (labels statefulset.kubernetes.io/pod-name, apps.kubernetes.io/pod-index,
 * controller-revision-hash; hostname and subdomain), their PVCs `<claim>-<set>-<ordinal>` created
 * first and not owned (kept on uninstall) unless persistentVolumeClaimRetentionPolicy says Delete,
 * OrderedReady creation each waiting for its predecessors to be Running and Ready (or Parallel),
 * reverse-ordinal scale-down and rolling update honouring partition, failed pods recreated, and
 * status with revisions and counts as the real controller writes them. Revisions are named
 * `<set>-<hash>`; ControllerRevision objects are not served by the simulated API, so the templates
 * of older revisions are kept in memory for partitioned rollouts.
 */
export class StatefulSetController extends QueueController {
  private readonly revisions = new Map<string, Map<string, PodTemplateSpec | undefined>>();

  protected initialKeys(): Iterable<string> {
    return this.cache.list(R.statefulSet).map(objectKey);
  }

  protected override onStop(): void {
    this.revisions.clear();
  }

  protected onEvent(event: StoreEvent): void {
    const { resource, object } = event;
    if (resource === R.statefulSet) {
      if (event.type === 'DELETED') this.revisions.delete(object.metadata.uid ?? '');
      this.enqueue(objectKey(object));
    } else if (resource === R.pod) {
      this.enqueueControllerOf(event, 'StatefulSet', (orphan) => this.enqueueSelecting(orphan));
    } else if (resource === R.serviceAccount && event.type === 'ADDED') {
      for (const set of this.cache.list(R.statefulSet, object.metadata.namespace))
        this.enqueue(objectKey(set));
    }
  }

  protected reconcile(key: string): void {
    const { namespace, name } = splitKey(key);
    const set = this.cache.get(R.statefulSet, namespace, name);
    if (!set) return;
    const spec = setSpec(set);
    const previous = (set.status ?? {}) as StatefulSetStatus;
    const collisionCount = previous.collisionCount ?? 0;
    const updateRevision = `${name}-${computeRevisionHash({ spec: { template: { ...(spec.template ?? {}), $patch: 'replace' } } }, collisionCount)}`;
    this.remember(set, updateRevision);
    const currentRevision = previous.currentRevision ?? updateRevision;
    const selector = selectorFromSpec(spec.selector);
    const pods = claimObjects(
      this.ctx.store,
      R.pod,
      set,
      selector,
      this.cache.list(R.pod, namespace),
      (pod) => parentName(pod) === name,
    );
    const { status, error } = this.updateStatefulSet(
      set,
      pods,
      currentRevision,
      updateRevision,
      collisionCount,
    );
    // The status is published even when an action failed, as performUpdate does.
    this.writeSetStatus(set, status);
    if (error !== undefined) throw asError(error);
    this.requeueForAvailability(key, set, pods, status);
  }

  private updateStatefulSet(
    set: KubeObject,
    pods: KubeObject[],
    currentRevision: string,
    updateRevision: string,
    collisionCount: number,
  ): { status: StatefulSetStatus; error: unknown } {
    const spec = setSpec(set);
    const start = spec.ordinals?.start ?? 0;
    const replicaCount = spec.replicas ?? 1;
    const end = start + replicaCount - 1;
    const slots: Slot[] = [];
    const condemned: Slot[] = [];
    for (const pod of pods) {
      const ordinal = ordinalOf(pod);
      if (ordinal >= start && ordinal <= end) slots[ordinal - start] = pod;
      else if (ordinal >= 0) condemned.push(pod);
    }
    for (let ordinal = start; ordinal <= end; ordinal += 1) {
      slots[ordinal - start] ??= this.newVersionedPod(set, ordinal, currentRevision, updateRevision);
    }
    condemned.sort((a, b) => ordinalOf(b) - ordinalOf(a));
    const status: StatefulSetStatus = {
      observedGeneration: set.metadata.generation,
      currentRevision,
      updateRevision,
      collisionCount,
    };
    let error: unknown;
    let settled = false;
    try {
      settled = this.processPods(set, slots, condemned, currentRevision, updateRevision);
    } catch (caught) {
      error = caught;
    }
    this.computeStatus(status, set, [...slots, ...condemned]);
    if (error !== undefined || !settled || spec.updateStrategy?.type === 'OnDelete') return { status, error };
    try {
      // Rolling update: replace the highest ordinal not at the update revision, once all are healthy.
      const partition = spec.updateStrategy?.rollingUpdate?.partition ?? 0;
      for (let target = slots.length - 1; target >= partition; target -= 1) {
        const pod = slots[target] as Slot;
        if (revisionOf(pod) !== updateRevision && !isTerminating(pod)) {
          this.deletePod(set, pod);
          status.currentReplicas = Math.max(0, (status.currentReplicas ?? 0) - 1);
          break;
        }
        if (!isHealthy(pod)) break;
      }
    } catch (caught) {
      error = caught;
    }
    return { status, error };
  }

  /**
   * Creates, recreates and scales down pods. Returns true when every replica is in place and the
   * rolling update may proceed; false when ordered management must wait.
   */
  private processPods(
    set: KubeObject,
    slots: Slot[],
    condemned: Slot[],
    currentRevision: string,
    updateRevision: string,
  ): boolean {
    if (set.metadata.deletionTimestamp) return false;
    const spec = setSpec(set);
    const start = spec.ordinals?.start ?? 0;
    const monotonic = spec.podManagementPolicy !== 'Parallel';
    const minReady = spec.minReadySeconds ?? 0;
    const available = (pod: Slot) => podAvailableIn(this.cache, this.ctx.clock, pod, minReady) === 0;
    const firstUnhealthy =
      slots.find((pod) => !isHealthy(pod)) ?? [...condemned].reverse().find((pod) => !isHealthy(pod));
    const setName = set.metadata.name ?? '';
    const setNamespace = set.metadata.namespace ?? '';

    for (let index = 0; index < slots.length; index += 1) {
      let pod = slots[index] as Slot;
      const phase = podStatus(pod).phase;
      if (phase === 'Failed' || phase === 'Succeeded') {
        const podName = pod.metadata.name ?? '';
        if (phase === 'Failed') {
          const message = `StatefulSet ${setNamespace}/${setName} is recreating failed Pod ${podName}`;
          this.ctx.events.record(set, 'Warning', 'RecreatingFailedPod', message, COMPONENT);
        } else {
          const message = `StatefulSet ${setNamespace}/${setName} is recreating terminated Pod ${podName}`;
          this.ctx.events.record(set, 'Normal', 'RecreatingTerminatedPod', message, COMPONENT);
        }
        this.deletePod(set, pod);
        pod = this.newVersionedPod(set, index + start, currentRevision, updateRevision);
        slots[index] = pod;
      }
      if (!isCreated(pod)) {
        this.createPod(set, pod);
        if (monotonic) return false;
        continue;
      }
      if (podStatus(pod).phase === 'Pending') this.createClaims(set, pod);
      if (monotonic && (isTerminating(pod) || !isRunningAndReady(pod) || !available(pod))) return false;
    }

    for (const pod of condemned) this.updateClaimOwners(set, pod);

    // Scale down from the highest ordinal, one at a time when ordered.
    for (const pod of condemned) {
      if (isTerminating(pod)) {
        if (monotonic) return false;
        continue;
      }
      if (monotonic && pod !== firstUnhealthy && (!isRunningAndReady(pod) || !available(pod))) return false;
      this.deletePod(set, pod);
      if (monotonic) return false;
    }
    return true;
  }

  private computeStatus(status: StatefulSetStatus, set: KubeObject, pods: Slot[]): void {
    const minReady = setSpec(set).minReadySeconds ?? 0;
    let replicas = 0;
    let ready = 0;
    let available = 0;
    let current = 0;
    let updated = 0;
    for (const pod of pods) {
      if (isCreated(pod)) replicas += 1;
      if (isRunningAndReady(pod)) {
        ready += 1;
        if (podAvailableIn(this.cache, this.ctx.clock, pod, minReady) === 0) available += 1;
      }
      if (isCreated(pod) && !isTerminating(pod)) {
        if (revisionOf(pod) === status.currentRevision) current += 1;
        if (revisionOf(pod) === status.updateRevision) updated += 1;
      }
    }
    status.replicas = replicas;
    status.readyReplicas = ready;
    status.currentReplicas = current;
    status.updatedReplicas = updated;
    status.availableReplicas = available;
  }

  /** completeRollingUpdate, then the status in the API's field order with its omitempty rules. */
  private writeSetStatus(set: KubeObject, status: StatefulSetStatus): void {
    const spec = setSpec(set);
    const rolling = (spec.updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
    if (rolling && status.updatedReplicas === status.replicas && status.readyReplicas === status.replicas) {
      status.currentReplicas = status.updatedReplicas;
      status.currentRevision = status.updateRevision;
    }
    const out: Record<string, unknown> = {};
    if (status.observedGeneration) out.observedGeneration = status.observedGeneration;
    out.replicas = status.replicas ?? 0;
    if (status.readyReplicas) out.readyReplicas = status.readyReplicas;
    if (status.currentReplicas) out.currentReplicas = status.currentReplicas;
    if (status.updatedReplicas) out.updatedReplicas = status.updatedReplicas;
    if (status.currentRevision) out.currentRevision = status.currentRevision;
    if (status.updateRevision) out.updateRevision = status.updateRevision;
    out.collisionCount = status.collisionCount ?? 0;
    const conditions = ((set.status ?? {}) as StatefulSetStatus).conditions;
    if (conditions && conditions.length > 0) out.conditions = conditions;
    out.availableReplicas = status.availableReplicas ?? 0;
    try {
      this.writeStatus(R.statefulSet, set, out);
    } catch (error) {
      if (!(error instanceof ApiError && error.code === 404)) throw error;
    }
  }

  private newVersionedPod(
    set: KubeObject,
    ordinal: number,
    currentRevision: string,
    updateRevision: string,
  ): Slot {
    const spec = setSpec(set);
    const strategy = spec.updateStrategy;
    const start = spec.ordinals?.start ?? 0;
    const currentReplicas = ((set.status ?? {}) as StatefulSetStatus).currentReplicas ?? 0;
    const rolling = (strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
    const useCurrent =
      rolling &&
      currentRevision !== updateRevision &&
      (strategy?.rollingUpdate === undefined
        ? ordinal < start + currentReplicas
        : ordinal < start + (strategy.rollingUpdate.partition ?? 0));
    const knownCurrent = this.revisions.get(set.metadata.uid ?? '')?.get(currentRevision);
    const template = useCurrent && knownCurrent ? knownCurrent : spec.template;
    const revision = useCurrent && knownCurrent ? currentRevision : updateRevision;
    const pod = podFromTemplate(template, set);
    const name = `${set.metadata.name ?? ''}-${ordinal}`;
    pod.metadata.name = name;
    pod.metadata.labels = {
      ...(pod.metadata.labels ?? {}),
      [POD_NAME_LABEL]: name,
      [POD_INDEX_LABEL]: String(ordinal),
      [REVISION_LABEL]: revision,
    };
    const podSpecValue = pod.spec as PodSpec;
    podSpecValue.hostname = name;
    if (spec.serviceName) podSpecValue.subdomain = spec.serviceName;
    const claimVolumes = (spec.volumeClaimTemplates ?? []).map((claim) => ({
      name: claim.metadata?.name ?? '',
      persistentVolumeClaim: { claimName: this.claimName(set, claim, ordinal) },
    }));
    const claimed = new Set(claimVolumes.map((volume) => volume.name));
    const others = (podSpecValue.volumes ?? []).filter((volume) => !claimed.has(volume.name));
    if (claimVolumes.length + others.length > 0) podSpecValue.volumes = [...claimVolumes, ...others];
    return pod;
  }

  private claimName(set: KubeObject, claim: ClaimTemplate, ordinal: number): string {
    return `${claim.metadata?.name ?? ''}-${set.metadata.name ?? ''}-${ordinal}`;
  }

  private createPod(set: KubeObject, pod: Slot): void {
    const podName = pod.metadata.name ?? '';
    try {
      this.createClaims(set, pod);
      createObject(this.ctx, R.pod, pod, this.ctx.random.stream(`statefulset/${objectKey(set)}/${podName}`));
    } catch (error) {
      if (error instanceof ApiError && error.reason === 'AlreadyExists') throw error;
      if (!isNamespaceTerminating(error)) this.recordPodEvent(set, 'create', podName, error);
      throw error;
    }
    this.recordPodEvent(set, 'create', podName);
  }

  private deletePod(set: KubeObject, pod: Slot): void {
    const podName = pod.metadata.name ?? '';
    try {
      this.ctx.store.delete(R.pod, pod.metadata.namespace, podName, {
        preconditions: { uid: pod.metadata.uid },
      });
    } catch (error) {
      if (error instanceof ApiError && error.code === 404) return;
      this.recordPodEvent(set, 'delete', podName, error);
      throw error;
    }
    this.recordPodEvent(set, 'delete', podName);
  }

  /** The controller's `recordPodEvent`: Successful<Verb> or, with an error, Failed<Verb>. */
  private recordPodEvent(set: KubeObject, verb: 'create' | 'delete', podName: string, error?: unknown): void {
    const setName = set.metadata.name ?? '';
    const Verb = verb === 'create' ? 'Create' : 'Delete';
    if (error === undefined) {
      this.ctx.events.record(
        set,
        'Normal',
        `Successful${Verb}`,
        `${verb} Pod ${podName} in StatefulSet ${setName} successful`,
        COMPONENT,
      );
    } else {
      this.ctx.events.record(
        set,
        'Warning',
        `Failed${Verb}`,
        `${verb} Pod ${podName} in StatefulSet ${setName} failed error: ${errorMessage(error)}`,
        COMPONENT,
      );
    }
  }

  /** Creates the pod's missing claims; a claim still being deleted blocks the pod, as in reality. */
  private createClaims(set: KubeObject, pod: Slot): void {
    const spec = setSpec(set);
    const ordinal = ordinalOf(pod);
    const setName = set.metadata.name ?? '';
    const podName = pod.metadata.name ?? '';
    for (const template of spec.volumeClaimTemplates ?? []) {
      const name = this.claimName(set, template, ordinal);
      const existing = this.cache.get(R.pvc, set.metadata.namespace, name);
      if (existing) {
        if (existing.metadata.deletionTimestamp) {
          throw new ApiError(409, 'Conflict', `pvc ${name} is being deleted`);
        }
        continue;
      }
      const labels = { ...(template.metadata?.labels ?? {}), ...(spec.selector?.matchLabels ?? {}) };
      const metadata: KubeObject['metadata'] = { name, namespace: set.metadata.namespace };
      if (Object.keys(labels).length > 0) metadata.labels = labels;
      if (template.metadata?.annotations) metadata.annotations = { ...template.metadata.annotations };
      if (spec.persistentVolumeClaimRetentionPolicy?.whenDeleted === 'Delete') {
        metadata.ownerReferences = [this.ownerRef(set)];
      }
      const claim: KubeObject = {
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata,
        spec: structuredClone(template.spec ?? {}),
      };
      try {
        createObject(this.ctx, R.pvc, claim, Math.random);
      } catch (error) {
        if (error instanceof ApiError && error.reason === 'AlreadyExists') continue;
        if (!isNamespaceTerminating(error)) {
          this.ctx.events.record(
            set,
            'Warning',
            'FailedCreate',
            `create Claim ${name} for Pod ${podName} in StatefulSet ${setName} failed error: ${errorMessage(error)}`,
            COMPONENT,
          );
        }
        throw error;
      }
      this.ctx.events.record(
        set,
        'Normal',
        'SuccessfulCreate',
        `create Claim ${name} Pod ${podName} in StatefulSet ${setName} success`,
        COMPONENT,
      );
    }
  }

  /** With whenScaled: Delete, a condemned pod's claims become owned by the pod, so they go with it. */
  private updateClaimOwners(set: KubeObject, pod: Slot): void {
    if (setSpec(set).persistentVolumeClaimRetentionPolicy?.whenScaled !== 'Delete') return;
    const podUid = pod.metadata.uid ?? '';
    for (const template of setSpec(set).volumeClaimTemplates ?? []) {
      const claim = this.cache.get(
        R.pvc,
        set.metadata.namespace,
        this.claimName(set, template, ordinalOf(pod)),
      );
      if (!claim || (claim.metadata.ownerReferences ?? []).some((ref) => ref.uid === podUid)) continue;
      const copy = structuredClone(claim);
      const refs = (copy.metadata.ownerReferences ?? []).filter((ref) => ref.uid !== set.metadata.uid);
      refs.push({ apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name ?? '', uid: podUid });
      copy.metadata.ownerReferences = refs;
      this.ctx.store.update(R.pvc, copy);
    }
  }

  private ownerRef(set: KubeObject): OwnerReference {
    return {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      name: set.metadata.name ?? '',
      uid: set.metadata.uid ?? '',
    };
  }

  private remember(set: KubeObject, revision: string): void {
    const uid = set.metadata.uid ?? '';
    let history = this.revisions.get(uid);
    if (!history) {
      history = new Map();
      this.revisions.set(uid, history);
    }
    if (history.has(revision)) return;
    history.set(revision, structuredClone(setSpec(set).template));
    while (history.size > HISTORY_LIMIT + 1) {
      const oldest = history.keys().next().value;
      if (oldest === undefined) break;
      history.delete(oldest);
    }
  }

  private requeueForAvailability(
    key: string,
    set: KubeObject,
    pods: KubeObject[],
    status: StatefulSetStatus,
  ): void {
    const minReady = setSpec(set).minReadySeconds ?? 0;
    if (minReady <= 0 || (status.availableReplicas ?? 0) === (setSpec(set).replicas ?? 1)) return;
    let soonest = Infinity;
    for (const pod of pods) {
      const remaining = podAvailableIn(this.cache, this.ctx.clock, pod, minReady);
      if (remaining !== undefined && remaining > 0) soonest = Math.min(soonest, remaining);
    }
    if (soonest < Infinity) this.enqueueAfter(key, soonest + 1);
  }

  private enqueueSelecting(pod: KubeObject): void {
    const parent = parentName(pod);
    if (!parent) return;
    const set = this.cache.get(R.statefulSet, pod.metadata.namespace, parent);
    if (set && selectorFromSpec(setSpec(set).selector).matches(pod.metadata.labels))
      this.enqueue(objectKey(set));
  }
}
