import { ApiError } from '../api/api-error.ts';
import type { KubeObject } from '../api/kube-object.ts';
import { R } from '../resources.ts';
import { kubeTime } from '../store/object-store.ts';
import type { StoreEvent } from '../store/object-store.ts';
import { createObject } from './object-create.ts';
import { claimObjects, controllerOf, controllerRef } from './owner-refs.ts';
import { objectKey, QueueController, splitKey } from './queue-controller.ts';
import { scaledValue } from './scaled-value.ts';
import { isEmptySelector, selectorFromSpec } from './selector-spec.ts';
import { computeTemplateHash, semanticEqual } from './template-hash.ts';
import type { IntOrString, LabelSelectorSpec, PodTemplateSpec, StatusCondition } from './workload-types.ts';

const COMPONENT = { component: 'deployment-controller' };
const HASH_LABEL = 'pod-template-hash';
const REVISION = 'deployment.kubernetes.io/revision';
const REVISION_HISTORY = 'deployment.kubernetes.io/revision-history';
const DESIRED_REPLICAS = 'deployment.kubernetes.io/desired-replicas';
const MAX_REPLICAS = 'deployment.kubernetes.io/max-replicas';
/** Annotations a Deployment does not pass on to its ReplicaSets. */
const ANNOTATIONS_TO_SKIP = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  REVISION,
  REVISION_HISTORY,
  DESIRED_REPLICAS,
  MAX_REPLICAS,
  'deprecated.deployment.rollback.to',
]);
const MAX_REVISION_HISTORY_CHARS = 2000;
/** progressDeadlineSeconds of MaxInt32 means "no deadline". */
const NO_DEADLINE = 2_147_483_647;

const Reason = {
  NewReplicaSet: 'NewReplicaSetCreated',
  FoundNewReplicaSet: 'FoundNewReplicaSet',
  ReplicaSetUpdated: 'ReplicaSetUpdated',
  NewReplicaSetAvailable: 'NewReplicaSetAvailable',
  TimedOut: 'ProgressDeadlineExceeded',
  Paused: 'DeploymentPaused',
  Resumed: 'DeploymentResumed',
  FailedRSCreate: 'ReplicaSetCreateError',
  MinimumReplicasAvailable: 'MinimumReplicasAvailable',
  MinimumReplicasUnavailable: 'MinimumReplicasUnavailable',
} as const;

interface DeploymentSpec {
  replicas?: number;
  selector?: LabelSelectorSpec;
  template?: PodTemplateSpec;
  strategy?: { type?: string; rollingUpdate?: { maxSurge?: IntOrString; maxUnavailable?: IntOrString } };
  minReadySeconds?: number;
  revisionHistoryLimit?: number;
  paused?: boolean;
  progressDeadlineSeconds?: number;
}

interface DeploymentStatus {
  observedGeneration?: number;
  replicas?: number;
  updatedReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  unavailableReplicas?: number;
  conditions?: StatusCondition[];
  collisionCount?: number;
}

interface ReplicaSetSpec {
  replicas?: number;
  minReadySeconds?: number;
  selector?: LabelSelectorSpec;
  template?: PodTemplateSpec;
}

interface ReplicaSetStatus {
  replicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  observedGeneration?: number;
  conditions?: StatusCondition[];
}

function dSpec(d: KubeObject): DeploymentSpec {
  return d.spec ?? {};
}

function dStatus(d: KubeObject): DeploymentStatus {
  return d.status ?? {};
}

function rsSpec(rs: KubeObject): ReplicaSetSpec {
  return rs.spec ?? {};
}

function rsStatus(rs: KubeObject): ReplicaSetStatus {
  return rs.status ?? {};
}

function replicasOf(d: KubeObject): number {
  return dSpec(d).replicas ?? 1;
}

function rsReplicas(rs: KubeObject): number {
  return rsSpec(rs).replicas ?? 1;
}

function sum(list: readonly KubeObject[], value: (rs: KubeObject) => number | undefined): number {
  return list.reduce((total, rs) => total + (value(rs) ?? 0), 0);
}

function active(list: readonly KubeObject[]): KubeObject[] {
  return list.filter((rs) => rsReplicas(rs) > 0);
}

function isRollingUpdate(d: KubeObject): boolean {
  return dSpec(d).strategy?.type !== 'Recreate';
}

function rollingParams(d: KubeObject): { maxSurge: IntOrString; maxUnavailable: IntOrString } {
  const rolling = dSpec(d).strategy?.rollingUpdate;
  return { maxSurge: rolling?.maxSurge ?? '25%', maxUnavailable: rolling?.maxUnavailable ?? '25%' };
}

/** `deploymentutil.ResolveFenceposts`: surge rounds up, unavailability down, never both 0. */
function resolveFenceposts(d: KubeObject): { surge: number; unavailable: number } {
  const { maxSurge, maxUnavailable } = rollingParams(d);
  const desired = replicasOf(d);
  const surge = scaledValue(maxSurge, desired, true);
  let unavailable = scaledValue(maxUnavailable, desired, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}

function maxUnavailable(d: KubeObject): number {
  if (!isRollingUpdate(d) || replicasOf(d) === 0) return 0;
  return Math.min(resolveFenceposts(d).unavailable, replicasOf(d));
}

function maxSurge(d: KubeObject): number {
  return isRollingUpdate(d) ? resolveFenceposts(d).surge : 0;
}

function progressDeadline(d: KubeObject): number {
  return dSpec(d).progressDeadlineSeconds ?? 600;
}

function hasProgressDeadline(d: KubeObject): boolean {
  return progressDeadline(d) !== NO_DEADLINE;
}

function revisionOf(rs: KubeObject): number {
  const value = Number.parseInt(rs.metadata.annotations?.[REVISION] ?? '', 10);
  return Number.isNaN(value) ? 0 : value;
}

function condition(conditions: StatusCondition[] | undefined, type: string): StatusCondition | undefined {
  return conditions?.find((entry) => entry.type === type);
}

/** `deploymentutil.SetDeploymentCondition`: same status and reason is no change. */
function setCondition(status: DeploymentStatus, next: StatusCondition): void {
  const current = condition(status.conditions, next.type);
  if (current && current.status === next.status && current.reason === next.reason) return;
  if (current && current.status === next.status) next.lastTransitionTime = current.lastTransitionTime;
  status.conditions = [...(status.conditions ?? []).filter((entry) => entry.type !== next.type), next];
}

function removeCondition(status: DeploymentStatus, type: string): void {
  status.conditions = (status.conditions ?? []).filter((entry) => entry.type !== type);
}

function equalIgnoreHash(a: PodTemplateSpec | undefined, b: PodTemplateSpec | undefined): boolean {
  const strip = (template: PodTemplateSpec | undefined) => {
    const copy = structuredClone(template ?? {});
    if (copy.metadata?.labels) delete copy.metadata.labels[HASH_LABEL];
    return copy;
  };
  return semanticEqual(strip(a), strip(b));
}

function replicasAnnotationsNeedUpdate(rs: KubeObject, desired: number, max: number): boolean {
  const annotations = rs.metadata.annotations ?? {};
  return annotations[DESIRED_REPLICAS] !== String(desired) || annotations[MAX_REPLICAS] !== String(max);
}

function setReplicasAnnotations(rs: KubeObject, desired: number, max: number): boolean {
  const annotations = (rs.metadata.annotations ??= {});
  let changed = false;
  if (annotations[DESIRED_REPLICAS] !== String(desired)) {
    annotations[DESIRED_REPLICAS] = String(desired);
    changed = true;
  }
  if (annotations[MAX_REPLICAS] !== String(max)) {
    annotations[MAX_REPLICAS] = String(max);
    changed = true;
  }
  return changed;
}

/**
 * The Deployment controller, following kube-controller-manager's deployment package: ReplicaSets
 * `<deployment>-<pod-template-hash>` with the hash label on selector and template, revision /
 * desired-replicas / max-replicas annotations and copied deployment annotations, rolling updates
 * within maxSurge/maxUnavailable (25%/25% by default, unhealthy old replicas cleaned first),
 * Recreate (old pods gone before the new ReplicaSet scales up), proportional scaling during a
 * rollout, paused deployments, revision history cleanup, and the status (counts omitted when zero,
 * Available and Progressing conditions with their real reasons, messages and timestamps,
 * ProgressDeadlineExceeded after progressDeadlineSeconds of simulated time without progress).
 * Events: ScalingReplicaSet "Scaled up replica set web-5d4f8b6c9 from 0 to 3".
 */
export class DeploymentController extends QueueController {
  /** When (monotonic real ms) each deployment last made progress, keyed by uid. */
  private readonly progressMarks = new Map<string, { lastUpdateTime: string | undefined; at: number }>();

  protected initialKeys(): Iterable<string> {
    return this.cache.list(R.deployment).map(objectKey);
  }

  protected override onStop(): void {
    this.progressMarks.clear();
  }

  protected onEvent(event: StoreEvent): void {
    const { resource, object } = event;
    if (resource === R.deployment) {
      if (event.type === 'DELETED') this.progressMarks.delete(object.metadata.uid ?? '');
      this.enqueue(objectKey(object));
    } else if (resource === R.replicaSet) {
      this.enqueueControllerOf(event, 'Deployment', (orphan) => this.enqueueSelecting(orphan));
    } else if (resource === R.pod && event.type === 'DELETED') {
      // Recreate waits for every old pod to be gone.
      const rsRef = controllerOf(object);
      if (rsRef?.kind !== 'ReplicaSet') return;
      const rs = this.cache.get(R.replicaSet, object.metadata.namespace, rsRef.name);
      const ref = rs ? controllerOf(rs) : undefined;
      if (ref?.kind === 'Deployment') this.enqueue(`${object.metadata.namespace ?? ''}/${ref.name}`);
    }
  }

  protected reconcile(key: string): void {
    const { namespace, name } = splitKey(key);
    const cached = this.cache.get(R.deployment, namespace, name);
    if (!cached) return;
    const d = structuredClone(cached);
    if (isEmptySelector(dSpec(d).selector)) {
      this.ctx.events.record(
        d,
        'Warning',
        'SelectingAll',
        'This deployment is selecting all pods. A non-empty selector is required.',
        COMPONENT,
      );
      if ((dStatus(d).observedGeneration ?? 0) < (d.metadata.generation ?? 0)) {
        this.persist(d, { ...dStatus(d), observedGeneration: d.metadata.generation });
      }
      return;
    }
    const rsList = this.replicaSetsFor(d);
    if (d.metadata.deletionTimestamp) {
      const { newRS, oldRSs } = this.getAllReplicaSetsAndSyncRevision(d, rsList, false);
      this.syncDeploymentStatus(d, [...oldRSs, ...(newRS ? [newRS] : [])], newRS);
      return;
    }
    this.checkPausedConditions(d);
    if (dSpec(d).paused || this.isScalingEvent(d, rsList)) {
      this.sync(d, rsList);
    } else if (isRollingUpdate(d)) {
      this.rolloutRolling(d, rsList);
    } else {
      this.rolloutRecreate(d, rsList);
    }
  }

  /** `getReplicaSetsForDeployment`: claimed ReplicaSets, oldest first. */
  private replicaSetsFor(d: KubeObject): KubeObject[] {
    const candidates = this.cache.list(R.replicaSet, d.metadata.namespace);
    const claimed = claimObjects(
      this.ctx.store,
      R.replicaSet,
      d,
      selectorFromSpec(dSpec(d).selector),
      candidates,
    );
    return this.sortByCreation(claimed);
  }

  private sortByCreation(list: KubeObject[]): KubeObject[] {
    return [...list].sort((a, b) => this.cache.compareCreation(a, b));
  }

  /** The cached (hence latest) version of each ReplicaSet, dropping deleted ones. */
  private fresh(list: readonly KubeObject[]): KubeObject[] {
    const out: KubeObject[] = [];
    for (const rs of list) {
      const latest = this.cache.get(R.replicaSet, rs.metadata.namespace, rs.metadata.name ?? '');
      if (latest && latest.metadata.uid === rs.metadata.uid) out.push(latest);
    }
    return out;
  }

  private freshOne(rs: KubeObject | undefined): KubeObject | undefined {
    return rs ? this.fresh([rs])[0] : undefined;
  }

  private getAllReplicaSetsAndSyncRevision(
    d: KubeObject,
    rsList: KubeObject[],
    createIfNotExisted: boolean,
  ): { newRS: KubeObject | undefined; oldRSs: KubeObject[] } {
    const current = this.fresh(rsList);
    const existing = current.find((rs) => equalIgnoreHash(rsSpec(rs).template, dSpec(d).template));
    const oldRSs = current.filter((rs) => rs !== existing);
    const newRS = this.getNewReplicaSet(d, existing, oldRSs, createIfNotExisted);
    return { newRS, oldRSs: this.fresh(oldRSs) };
  }

  private getNewReplicaSet(
    d: KubeObject,
    existing: KubeObject | undefined,
    oldRSs: KubeObject[],
    createIfNotExisted: boolean,
  ): KubeObject | undefined {
    const maxOldRevision = oldRSs.reduce((max, rs) => Math.max(max, revisionOf(rs)), 0);
    const newRevision = String(maxOldRevision + 1);
    if (existing) {
      const rsCopy = structuredClone(existing);
      const annotationsUpdated = this.setNewReplicaSetAnnotations(d, rsCopy, newRevision, true);
      const minReadySecondsNeedsUpdate =
        (rsSpec(rsCopy).minReadySeconds ?? 0) !== (dSpec(d).minReadySeconds ?? 0);
      if (annotationsUpdated || minReadySecondsNeedsUpdate) {
        const specCopy = rsSpec(rsCopy);
        if (dSpec(d).minReadySeconds) specCopy.minReadySeconds = dSpec(d).minReadySeconds;
        else delete specCopy.minReadySeconds;
        return this.ctx.store.update(R.replicaSet, rsCopy);
      }
      let needsUpdate = this.setDeploymentRevision(d, rsCopy.metadata.annotations?.[REVISION] ?? '');
      const status = dStatus(d);
      if (hasProgressDeadline(d) && !condition(status.conditions, 'Progressing')) {
        const cond = this.newCondition(
          'Progressing',
          'True',
          Reason.FoundNewReplicaSet,
          `Found new replica set "${rsCopy.metadata.name ?? ''}"`,
        );
        setCondition(status, cond);
        this.markProgress(d, cond);
        needsUpdate = true;
      }
      if (needsUpdate) this.persist(d, status);
      return rsCopy;
    }
    if (!createIfNotExisted) return undefined;

    const status = dStatus(d);
    const hash = computeTemplateHash(dSpec(d).template ?? {}, status.collisionCount);
    const template = structuredClone(dSpec(d).template ?? {});
    template.metadata ??= {};
    template.metadata.labels = { ...(template.metadata.labels ?? {}), [HASH_LABEL]: hash };
    const selector = structuredClone(dSpec(d).selector ?? {});
    selector.matchLabels = { ...(selector.matchLabels ?? {}), [HASH_LABEL]: hash };
    const rsName = `${d.metadata.name ?? ''}-${hash}`;
    const newSpec: ReplicaSetSpec = { replicas: 0 };
    if (dSpec(d).minReadySeconds) newSpec.minReadySeconds = dSpec(d).minReadySeconds;
    newSpec.selector = selector;
    newSpec.template = template;
    const newRS: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: rsName,
        namespace: d.metadata.namespace,
        labels: { ...template.metadata.labels },
        ownerReferences: [controllerRef(d)],
      },
      spec: newSpec as Record<string, unknown>,
    };
    const newReplicas = this.newRSNewReplicas(d, [...oldRSs, newRS], newRS);
    newSpec.replicas = newReplicas;
    this.setNewReplicaSetAnnotations(d, newRS, newRevision, false);
    let created: KubeObject;
    let alreadyExists = false;
    try {
      created = createObject(this.ctx, R.replicaSet, newRS, Math.random);
    } catch (error) {
      if (error instanceof ApiError && error.reason === 'AlreadyExists') {
        const found = this.ctx.store.get(R.replicaSet, d.metadata.namespace, rsName);
        if (
          found &&
          controllerOf(found)?.uid === d.metadata.uid &&
          equalIgnoreHash(rsSpec(found).template, dSpec(d).template)
        ) {
          created = found;
          alreadyExists = true;
        } else {
          // A hash collision with a ReplicaSet that is not ours: bump collisionCount for a new name.
          this.persist(d, { ...status, collisionCount: (status.collisionCount ?? 0) + 1 });
          throw error;
        }
      } else if (error instanceof ApiError && error.code === 403) {
        throw error;
      } else {
        const message = `Failed to create new replica set "${rsName}": ${error instanceof Error ? error.message : String(error)}`;
        if (hasProgressDeadline(d)) {
          setCondition(status, this.newCondition('Progressing', 'False', Reason.FailedRSCreate, message));
          this.persist(d, status);
        }
        this.ctx.events.record(d, 'Warning', Reason.FailedRSCreate, message, COMPONENT);
        throw error;
      }
    }
    if (!alreadyExists && newReplicas > 0) {
      this.ctx.events.record(
        d,
        'Normal',
        'ScalingReplicaSet',
        `Scaled up replica set ${rsName} from 0 to ${newReplicas}`,
        COMPONENT,
      );
    }
    let needsUpdate = this.setDeploymentRevision(d, newRevision);
    if (!alreadyExists && hasProgressDeadline(d)) {
      const cond = this.newCondition(
        'Progressing',
        'True',
        Reason.NewReplicaSet,
        `Created new replica set "${rsName}"`,
      );
      setCondition(status, cond);
      this.markProgress(d, cond);
      needsUpdate = true;
    }
    if (needsUpdate) this.persist(d, status);
    return created;
  }

  /** `SetNewReplicaSetAnnotations`; mutates `rs`, returns whether anything changed. */
  private setNewReplicaSetAnnotations(
    d: KubeObject,
    rs: KubeObject,
    newRevision: string,
    exists: boolean,
  ): boolean {
    const annotations = (rs.metadata.annotations ??= {});
    let changed = false;
    for (const [key, value] of Object.entries(d.metadata.annotations ?? {})) {
      if (ANNOTATIONS_TO_SKIP.has(key) || annotations[key] === value) continue;
      annotations[key] = value;
      changed = true;
    }
    const oldRevision = annotations[REVISION];
    const oldRevisionNumber = oldRevision === undefined ? 0 : Number.parseInt(oldRevision, 10);
    if (Number.isNaN(oldRevisionNumber)) return false;
    const newRevisionNumber = Number.parseInt(newRevision, 10);
    if (oldRevisionNumber < newRevisionNumber) {
      annotations[REVISION] = newRevision;
      changed = true;
      if (oldRevision !== undefined) {
        // Rolling back to this ReplicaSet: keep the revisions it had before.
        const history = annotations[REVISION_HISTORY] ?? '';
        const revisions = history === '' ? [] : history.split(',');
        revisions.push(oldRevision);
        while (revisions.join(',').length > MAX_REVISION_HISTORY_CHARS && revisions.length > 1)
          revisions.shift();
        annotations[REVISION_HISTORY] = revisions.join(',');
      }
    }
    if (!exists && setReplicasAnnotations(rs, replicasOf(d), replicasOf(d) + maxSurge(d))) changed = true;
    return changed;
  }

  /** `SetDeploymentRevision`: the deployment carries its newest ReplicaSet's revision. */
  private setDeploymentRevision(d: KubeObject, revision: string): boolean {
    const annotations = (d.metadata.annotations ??= {});
    if (annotations[REVISION] === revision) return false;
    annotations[REVISION] = revision;
    return true;
  }

  /** `NewRSNewReplicas`. */
  private newRSNewReplicas(d: KubeObject, allRSs: KubeObject[], newRS: KubeObject): number {
    if (!isRollingUpdate(d)) return replicasOf(d);
    const surge = scaledValue(rollingParams(d).maxSurge, replicasOf(d), true);
    const current = sum(allRSs, rsReplicas);
    const maxTotal = replicasOf(d) + surge;
    if (current >= maxTotal) return rsReplicas(newRS);
    const scaleUp = Math.min(maxTotal - current, replicasOf(d) - rsReplicas(newRS));
    return rsReplicas(newRS) + scaleUp;
  }

  private scaleAndRecord(rs: KubeObject, newScale: number, d: KubeObject): boolean {
    if (rsReplicas(rs) === newScale) return false;
    return this.scaleReplicaSet(rs, newScale, d, rsReplicas(rs) < newScale ? 'up' : 'down');
  }

  private scaleReplicaSet(rs: KubeObject, newScale: number, d: KubeObject, operation: string): boolean {
    const latest = this.freshOne(rs) ?? rs;
    const oldScale = rsReplicas(latest);
    const sizeNeedsUpdate = oldScale !== newScale;
    const max = replicasOf(d) + maxSurge(d);
    if (!sizeNeedsUpdate && !replicasAnnotationsNeedUpdate(latest, replicasOf(d), max)) return false;
    const copy = structuredClone(latest);
    rsSpec(copy).replicas = newScale;
    setReplicasAnnotations(copy, replicasOf(d), max);
    this.ctx.store.update(R.replicaSet, copy);
    if (!sizeNeedsUpdate) return false;
    this.ctx.events.record(
      d,
      'Normal',
      'ScalingReplicaSet',
      `Scaled ${operation} replica set ${latest.metadata.name ?? ''} from ${oldScale} to ${newScale}`,
      COMPONENT,
    );
    return true;
  }

  private rolloutRolling(d: KubeObject, rsList: KubeObject[]): void {
    const { newRS, oldRSs } = this.getAllReplicaSetsAndSyncRevision(d, rsList, true);
    if (!newRS) return;
    if (this.reconcileNewReplicaSet(d, [...oldRSs, newRS], newRS)) {
      this.syncRolloutStatus(d, oldRSs, newRS);
      return;
    }
    if (this.reconcileOldReplicaSets(d, oldRSs, newRS)) {
      this.syncRolloutStatus(d, oldRSs, newRS);
      return;
    }
    if (this.deploymentComplete(d, dStatus(d))) this.cleanupDeployment(d, oldRSs);
    this.syncRolloutStatus(d, oldRSs, newRS);
  }

  private reconcileNewReplicaSet(d: KubeObject, allRSs: KubeObject[], newRS: KubeObject): boolean {
    const desired = replicasOf(d);
    if (rsReplicas(newRS) === desired) return false;
    if (rsReplicas(newRS) > desired) return this.scaleAndRecord(newRS, desired, d);
    return this.scaleAndRecord(newRS, this.newRSNewReplicas(d, allRSs, newRS), d);
  }

  private reconcileOldReplicaSets(d: KubeObject, oldRSs: KubeObject[], newRS: KubeObject): boolean {
    const activeOld = active(this.fresh(oldRSs));
    if (sum(activeOld, rsReplicas) === 0) return false;
    const latestNew = this.freshOne(newRS) ?? newRS;
    const allPods = sum([...activeOld, latestNew], rsReplicas);
    const minAvailable = replicasOf(d) - maxUnavailable(d);
    const newUnavailable = rsReplicas(latestNew) - (rsStatus(latestNew).availableReplicas ?? 0);
    const maxScaledDown = allPods - minAvailable - newUnavailable;
    if (maxScaledDown <= 0) return false;
    const cleaned = this.cleanupUnhealthyReplicas(d, activeOld, maxScaledDown);
    const scaledDown = this.scaleDownOldReplicaSetsForRollingUpdate(d, this.fresh(activeOld), latestNew);
    return cleaned + scaledDown > 0;
  }

  /** Old replicas that are not available go first, so a broken rollout can be fixed forward. */
  private cleanupUnhealthyReplicas(d: KubeObject, oldRSs: KubeObject[], maxCleanup: number): number {
    let total = 0;
    for (const rs of this.sortByCreation(oldRSs)) {
      if (total >= maxCleanup) break;
      const replicas = rsReplicas(rs);
      const available = rsStatus(rs).availableReplicas ?? 0;
      if (replicas === 0 || replicas === available) continue;
      const count = Math.min(maxCleanup - total, replicas - available);
      this.scaleAndRecord(rs, replicas - count, d);
      total += count;
    }
    return total;
  }

  private scaleDownOldReplicaSetsForRollingUpdate(
    d: KubeObject,
    oldRSs: KubeObject[],
    newRS: KubeObject,
  ): number {
    const minAvailable = replicasOf(d) - maxUnavailable(d);
    const availablePods = sum([...oldRSs, newRS], (rs) => rsStatus(rs).availableReplicas);
    if (availablePods <= minAvailable) return 0;
    const toScaleDown = availablePods - minAvailable;
    let total = 0;
    for (const rs of this.sortByCreation(oldRSs)) {
      if (total >= toScaleDown) break;
      if (rsReplicas(rs) === 0) continue;
      const count = Math.min(rsReplicas(rs), toScaleDown - total);
      this.scaleAndRecord(rs, rsReplicas(rs) - count, d);
      total += count;
    }
    return total;
  }

  private rolloutRecreate(d: KubeObject, rsList: KubeObject[]): void {
    let { newRS, oldRSs } = this.getAllReplicaSetsAndSyncRevision(d, rsList, false);
    let scaledDown = false;
    for (const rs of active(oldRSs)) if (this.scaleAndRecord(rs, 0, d)) scaledDown = true;
    if (scaledDown || this.oldPodsRunning(d, newRS, this.fresh(oldRSs))) {
      this.syncRolloutStatus(d, oldRSs, newRS);
      return;
    }
    if (!newRS) ({ newRS, oldRSs } = this.getAllReplicaSetsAndSyncRevision(d, rsList, true));
    if (!newRS) return;
    this.scaleAndRecord(newRS, replicasOf(d), d);
    if (this.deploymentComplete(d, dStatus(d))) this.cleanupDeployment(d, oldRSs);
    this.syncRolloutStatus(d, oldRSs, newRS);
  }

  /** Whether an old ReplicaSet still reports pods or still has a non-terminal pod. */
  private oldPodsRunning(d: KubeObject, newRS: KubeObject | undefined, oldRSs: KubeObject[]): boolean {
    if (sum(oldRSs, (rs) => rsStatus(rs).replicas) > 0) return true;
    const selector = selectorFromSpec(dSpec(d).selector);
    const rsUids = new Set(this.cache.list(R.replicaSet, d.metadata.namespace).map((rs) => rs.metadata.uid));
    for (const pod of this.cache.list(R.pod, d.metadata.namespace)) {
      const ref = controllerOf(pod);
      if (!ref || !rsUids.has(ref.uid) || ref.uid === newRS?.metadata.uid) continue;
      if (!selector.matches(pod.metadata.labels)) continue;
      const phase = (pod.status as { phase?: string } | undefined)?.phase;
      if (phase !== 'Succeeded' && phase !== 'Failed') return true;
    }
    return false;
  }

  private isScalingEvent(d: KubeObject, rsList: KubeObject[]): boolean {
    const { newRS, oldRSs } = this.getAllReplicaSetsAndSyncRevision(d, rsList, false);
    for (const rs of active([...oldRSs, ...(newRS ? [newRS] : [])])) {
      const desired = rs.metadata.annotations?.[DESIRED_REPLICAS];
      if (desired === undefined || Number.isNaN(Number.parseInt(desired, 10))) continue;
      if (Number.parseInt(desired, 10) !== replicasOf(d)) return true;
    }
    return false;
  }

  /** Scaling events and paused deployments: resize without rolling. */
  private sync(d: KubeObject, rsList: KubeObject[]): void {
    const { newRS, oldRSs } = this.getAllReplicaSetsAndSyncRevision(d, rsList, false);
    this.scale(d, newRS, oldRSs);
    if (dSpec(d).paused) this.cleanupDeployment(d, oldRSs);
    this.syncDeploymentStatus(d, this.fresh([...oldRSs, ...(newRS ? [newRS] : [])]), this.freshOne(newRS));
  }

  /** Proportional scaling (`dc.scale`). */
  private scale(d: KubeObject, newRS: KubeObject | undefined, oldRSs: KubeObject[]): void {
    const desired = replicasOf(d);
    const activeAll = active([...oldRSs, ...(newRS ? [newRS] : [])]);
    let activeOrLatest: KubeObject | undefined;
    if (activeAll.length === 0) {
      activeOrLatest = newRS ?? this.sortByCreation(oldRSs).at(-1);
    } else if (activeAll.length === 1) {
      activeOrLatest = activeAll[0];
    }
    if (activeOrLatest) {
      if (rsReplicas(activeOrLatest) !== desired) this.scaleAndRecord(activeOrLatest, desired, d);
      return;
    }
    if (newRS && this.isSaturated(d, newRS)) {
      for (const old of active(oldRSs)) this.scaleAndRecord(old, 0, d);
      return;
    }
    if (!isRollingUpdate(d)) return;
    const allowed = desired > 0 ? desired + maxSurge(d) : 0;
    const toAdd = allowed - sum(activeAll, rsReplicas);
    let ordered: KubeObject[];
    let operation = '';
    if (toAdd > 0) {
      // Larger first; among equals the newer scales up first.
      ordered = [...activeAll].sort(
        (a, b) => rsReplicas(b) - rsReplicas(a) || -this.cache.compareCreation(a, b),
      );
      operation = 'up';
    } else {
      // Larger first; among equals the older scales down first.
      ordered = [...activeAll].sort(
        (a, b) => rsReplicas(b) - rsReplicas(a) || this.cache.compareCreation(a, b),
      );
      if (toAdd < 0) operation = 'down';
    }
    let added = 0;
    const sizes = new Map<KubeObject, number>();
    for (const rs of ordered) {
      if (toAdd === 0) {
        sizes.set(rs, rsReplicas(rs));
        continue;
      }
      const proportion = this.proportion(rs, d, toAdd, added);
      sizes.set(rs, rsReplicas(rs) + proportion);
      added += proportion;
    }
    ordered.forEach((rs, index) => {
      let size = sizes.get(rs) ?? rsReplicas(rs);
      if (index === 0 && toAdd !== 0) size = Math.max(0, size + toAdd - added);
      this.scaleReplicaSet(rs, size, d, operation);
    });
  }

  private proportion(rs: KubeObject, d: KubeObject, toAdd: number, added: number): number {
    if (rsReplicas(rs) === 0 || toAdd === 0 || toAdd === added) return 0;
    let fraction: number;
    if (replicasOf(d) === 0) {
      fraction = -rsReplicas(rs);
    } else {
      const deploymentReplicas = replicasOf(d) + maxSurge(d);
      const annotated = Number.parseInt(rs.metadata.annotations?.[MAX_REPLICAS] ?? '', 10);
      const base = Number.isNaN(annotated) ? (dStatus(d).replicas ?? 0) : annotated;
      fraction = Math.round((rsReplicas(rs) * deploymentReplicas) / base) - rsReplicas(rs);
    }
    const allowed = toAdd - added;
    return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
  }

  private isSaturated(d: KubeObject, rs: KubeObject): boolean {
    const desired = Number.parseInt(rs.metadata.annotations?.[DESIRED_REPLICAS] ?? '', 10);
    return (
      rsReplicas(rs) === replicasOf(d) &&
      desired === replicasOf(d) &&
      (rsStatus(rs).availableReplicas ?? 0) === replicasOf(d)
    );
  }

  /** Deletes the oldest fully scaled-down ReplicaSets beyond revisionHistoryLimit. */
  private cleanupDeployment(d: KubeObject, oldRSs: KubeObject[]): void {
    const limit = dSpec(d).revisionHistoryLimit ?? 10;
    const cleanable = this.fresh(oldRSs).filter((rs) => !rs.metadata.deletionTimestamp);
    const diff = cleanable.length - limit;
    if (diff <= 0) return;
    cleanable.sort((a, b) => revisionOf(a) - revisionOf(b) || this.cache.compareCreation(a, b));
    for (const rs of cleanable.slice(0, diff)) {
      const status = rsStatus(rs);
      if ((status.replicas ?? 0) !== 0 || rsReplicas(rs) !== 0) continue;
      if ((rs.metadata.generation ?? 0) > (status.observedGeneration ?? 0)) continue;
      try {
        this.ctx.store.delete(R.replicaSet, rs.metadata.namespace, rs.metadata.name ?? '');
      } catch (error) {
        if (!(error instanceof ApiError && error.code === 404)) throw error;
      }
    }
  }

  private checkPausedConditions(d: KubeObject): void {
    if (!hasProgressDeadline(d)) return;
    const status = dStatus(d);
    const cond = condition(status.conditions, 'Progressing');
    if (cond?.reason === Reason.TimedOut) return;
    const pausedCondExists = cond?.reason === Reason.Paused;
    if (dSpec(d).paused && !pausedCondExists) {
      setCondition(
        status,
        this.newCondition('Progressing', 'Unknown', Reason.Paused, 'Deployment is paused'),
      );
    } else if (!dSpec(d).paused && pausedCondExists) {
      const resumed = this.newCondition('Progressing', 'Unknown', Reason.Resumed, 'Deployment is resumed');
      setCondition(status, resumed);
      this.markProgress(d, resumed);
    } else {
      return;
    }
    this.persist(d, status);
  }

  private calculateStatus(
    d: KubeObject,
    allRSs: KubeObject[],
    newRS: KubeObject | undefined,
  ): DeploymentStatus {
    const available = sum(allRSs, (rs) => rsStatus(rs).availableReplicas);
    const unavailable = Math.max(0, sum(allRSs, rsReplicas) - available);
    const previous = dStatus(d);
    const status: DeploymentStatus = {};
    if (d.metadata.generation) status.observedGeneration = d.metadata.generation;
    const replicas = sum(allRSs, (rs) => rsStatus(rs).replicas);
    if (replicas) status.replicas = replicas;
    const updated = newRS ? (rsStatus(newRS).replicas ?? 0) : 0;
    if (updated) status.updatedReplicas = updated;
    const ready = sum(allRSs, (rs) => rsStatus(rs).readyReplicas);
    if (ready) status.readyReplicas = ready;
    if (available) status.availableReplicas = available;
    if (unavailable) status.unavailableReplicas = unavailable;
    status.conditions = (previous.conditions ?? []).map((entry) => ({ ...entry }));
    if (previous.collisionCount !== undefined) status.collisionCount = previous.collisionCount;
    if (available >= replicasOf(d) - maxUnavailable(d)) {
      setCondition(
        status,
        this.newCondition(
          'Available',
          'True',
          Reason.MinimumReplicasAvailable,
          'Deployment has minimum availability.',
        ),
      );
    } else {
      setCondition(
        status,
        this.newCondition(
          'Available',
          'False',
          Reason.MinimumReplicasUnavailable,
          'Deployment does not have minimum availability.',
        ),
      );
    }
    return status;
  }

  private syncDeploymentStatus(d: KubeObject, allRSs: KubeObject[], newRS: KubeObject | undefined): void {
    this.persist(d, this.calculateStatus(d, allRSs, newRS));
  }

  private syncRolloutStatus(d: KubeObject, oldRSs: KubeObject[], newRSInput: KubeObject | undefined): void {
    const newRS = this.freshOne(newRSInput);
    const allRSs = this.fresh([...oldRSs, ...(newRS ? [newRS] : [])]);
    const status = this.calculateStatus(d, allRSs, newRS);
    if (!hasProgressDeadline(d)) removeCondition(status, 'Progressing');
    const currentCond = condition(dStatus(d).conditions, 'Progressing');
    const isComplete =
      (status.replicas ?? 0) === (status.updatedReplicas ?? 0) &&
      currentCond?.reason === Reason.NewReplicaSetAvailable;
    const rsName = newRS?.metadata.name ?? '';
    if (hasProgressDeadline(d) && !isComplete) {
      if (this.deploymentComplete(d, status)) {
        const message = newRS
          ? `ReplicaSet "${rsName}" has successfully progressed.`
          : `Deployment "${d.metadata.name ?? ''}" has successfully progressed.`;
        setCondition(
          status,
          this.newCondition('Progressing', 'True', Reason.NewReplicaSetAvailable, message),
        );
      } else if (this.deploymentProgressing(d, status)) {
        const message = newRS
          ? `ReplicaSet "${rsName}" is progressing.`
          : `Deployment "${d.metadata.name ?? ''}" is progressing.`;
        const cond = this.newCondition('Progressing', 'True', Reason.ReplicaSetUpdated, message);
        // Progress refreshes lastUpdateTime even with an unchanged reason, unlike setCondition.
        if (currentCond) {
          if (currentCond.status === 'True' && currentCond.lastTransitionTime) {
            cond.lastTransitionTime = currentCond.lastTransitionTime;
          }
          removeCondition(status, 'Progressing');
        }
        status.conditions = [...(status.conditions ?? []), cond];
        this.markProgress(d, cond);
      } else if (this.deploymentTimedOut(d, status)) {
        const message = newRS
          ? `ReplicaSet "${rsName}" has timed out progressing.`
          : `Deployment "${d.metadata.name ?? ''}" has timed out progressing.`;
        setCondition(status, this.newCondition('Progressing', 'False', Reason.TimedOut, message));
      }
    }
    const failure = this.replicaFailure(allRSs, newRS);
    if (failure) setCondition(status, failure);
    else removeCondition(status, 'ReplicaFailure');
    this.persist(d, status);
    this.requeueStuckDeployment(d, status);
  }

  /** A ReplicaSet's ReplicaFailure condition, the new ReplicaSet's first. */
  private replicaFailure(allRSs: KubeObject[], newRS: KubeObject | undefined): StatusCondition | undefined {
    for (const rs of newRS ? [newRS, ...allRSs] : allRSs) {
      const found = condition(rsStatus(rs).conditions, 'ReplicaFailure');
      if (!found) continue;
      const out: StatusCondition = { type: 'ReplicaFailure', status: found.status };
      if (found.lastTransitionTime) {
        out.lastUpdateTime = found.lastTransitionTime;
        out.lastTransitionTime = found.lastTransitionTime;
      }
      if (found.reason) out.reason = found.reason;
      if (found.message) out.message = found.message;
      return out;
    }
    return undefined;
  }

  private deploymentComplete(d: KubeObject, status: DeploymentStatus): boolean {
    const desired = replicasOf(d);
    return (
      (status.updatedReplicas ?? 0) === desired &&
      (status.replicas ?? 0) === desired &&
      (status.availableReplicas ?? 0) === desired &&
      (status.observedGeneration ?? 0) >= (d.metadata.generation ?? 0)
    );
  }

  private deploymentProgressing(d: KubeObject, status: DeploymentStatus): boolean {
    const old = dStatus(d);
    const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
    const newOld = (status.replicas ?? 0) - (status.updatedReplicas ?? 0);
    return (
      (status.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) ||
      newOld < oldOld ||
      (status.readyReplicas ?? 0) > (old.readyReplicas ?? 0) ||
      (status.availableReplicas ?? 0) > (old.availableReplicas ?? 0)
    );
  }

  private deploymentTimedOut(d: KubeObject, status: DeploymentStatus): boolean {
    const cond = condition(status.conditions, 'Progressing');
    if (!cond || cond.reason === Reason.NewReplicaSetAvailable) return false;
    if (cond.reason === Reason.TimedOut) return true;
    return this.simMsSinceProgress(d, cond) > progressDeadline(d) * 1000;
  }

  private requeueStuckDeployment(d: KubeObject, status: DeploymentStatus): void {
    const cond = condition(status.conditions, 'Progressing');
    if (!hasProgressDeadline(d) || !cond) return;
    if (
      this.deploymentComplete(d, status) ||
      cond.reason === Reason.TimedOut ||
      cond.reason === Reason.NewReplicaSetAvailable
    ) {
      return;
    }
    const remaining = progressDeadline(d) * 1000 - this.simMsSinceProgress(d, cond);
    this.enqueueAfter(objectKey(d), Math.max(0, remaining) + 1000);
  }

  /** Simulated ms since the Progressing condition last recorded progress. */
  private simMsSinceProgress(d: KubeObject, cond: StatusCondition): number {
    const uid = d.metadata.uid ?? '';
    let mark = this.progressMarks.get(uid);
    if (!mark || mark.lastUpdateTime !== cond.lastUpdateTime) {
      mark = { lastUpdateTime: cond.lastUpdateTime, at: performance.now() };
      this.progressMarks.set(uid, mark);
    }
    return (performance.now() - mark.at) / this.ctx.clock.timeScale;
  }

  private markProgress(d: KubeObject, cond: StatusCondition): void {
    this.progressMarks.set(d.metadata.uid ?? '', {
      lastUpdateTime: cond.lastUpdateTime,
      at: performance.now(),
    });
  }

  private newCondition(type: string, status: string, reason: string, message: string): StatusCondition {
    const now = kubeTime(this.ctx.clock.now());
    return { type, status, lastUpdateTime: now, lastTransitionTime: now, reason, message };
  }

  /**
   * Writes the deployment's status, and first its revision annotation: the real controller sets
   * it through UpdateStatus, which the Deployment status strategy lets through; the simulated store's
   * status subresource ignores metadata, so it takes a metadata-only update.
   */
  private persist(d: KubeObject, status: DeploymentStatus): void {
    const { namespace, name = '' } = d.metadata;
    const current = this.ctx.store.get(R.deployment, namespace, name);
    if (!current) throw ApiError.notFound('deployments', name, 'apps');
    const wanted = d.metadata.annotations?.[REVISION];
    if (wanted !== undefined && current.metadata.annotations?.[REVISION] !== wanted) {
      this.ctx.store.update(R.deployment, {
        ...current,
        metadata: {
          ...current.metadata,
          annotations: { ...(current.metadata.annotations ?? {}), [REVISION]: wanted },
        },
      });
    }
    const ordered: Record<string, unknown> = {};
    for (const field of [
      'observedGeneration',
      'replicas',
      'updatedReplicas',
      'readyReplicas',
      'availableReplicas',
      'unavailableReplicas',
      'conditions',
      'collisionCount',
    ] as const) {
      const value = status[field];
      if (value === undefined || (Array.isArray(value) && value.length === 0)) continue;
      ordered[field] = value;
    }
    // A copy: `d` is this sync's working object and the written one may be the cache's.
    const written = structuredClone(this.writeStatus(R.deployment, d, ordered));
    d.status = written.status;
    d.metadata = {
      ...written.metadata,
      annotations: { ...(written.metadata.annotations ?? {}), ...(d.metadata.annotations ?? {}) },
    };
  }

  private enqueueSelecting(rs: KubeObject): void {
    for (const d of this.cache.list(R.deployment, rs.metadata.namespace)) {
      if (selectorFromSpec(dSpec(d).selector).matches(rs.metadata.labels)) this.enqueue(objectKey(d));
    }
  }
}
