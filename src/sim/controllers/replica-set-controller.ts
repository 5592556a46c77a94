import { ApiError } from '../api/api-error.ts';
import type { KubeObject } from '../api/kube-object.ts';
import { R } from '../resources.ts';
import { kubeTime } from '../store/object-store.ts';
import type { StoreEvent } from '../store/object-store.ts';
import { createObject, isNamespaceTerminating } from './object-create.ts';
import { claimObjects } from './owner-refs.ts';
import { podFromTemplate } from './pod-factory.ts';
import { isPodActive, isPodReady, podAvailableIn, podRestarts, podSpec, podStatus } from './pod-state.ts';
import { objectKey, QueueController, splitKey } from './queue-controller.ts';
import { selectorFromSpec } from './selector-spec.ts';
import type { LabelSelectorSpec, PodTemplateSpec, StatusCondition } from './workload-types.ts';

const COMPONENT = { component: 'replicaset-controller' };
/** The controller's `burstReplicas`: the most pods created or deleted in one sync. */
const BURST_REPLICAS = 500;
const PHASE_ORDINAL: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };
const DELETION_COST = 'controller.kubernetes.io/pod-deletion-cost';

interface ReplicaSetSpec {
  replicas?: number;
  minReadySeconds?: number;
  selector?: LabelSelectorSpec;
  template?: PodTemplateSpec;
}

interface ReplicaSetStatus {
  replicas?: number;
  conditions?: StatusCondition[];
}

function spec(rs: KubeObject): ReplicaSetSpec {
  return rs.spec ?? {};
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The ReplicaSet controller: keeps `spec.replicas` active pods (`<rs>-<5 chars>`, controller
 * reference with blockOwnerDeletion), adopts matching orphans, deletes the surplus ranked as the real
 * controller ranks them (unscheduled, pending, not ready, cheap, doubled up, recently ready,
 * restarting, young first), records SuccessfulCreate/SuccessfulDelete/FailedCreate events, mirrors
 * creation failures in a ReplicaFailure condition, and writes status exactly as `calculateStatus`
 * does (replicas always present, the other counts omitted when zero).
 */
export class ReplicaSetController extends QueueController {
  private readonly streams = new Map<string, () => number>();

  protected initialKeys(): Iterable<string> {
    return this.cache.list(R.replicaSet).map(objectKey);
  }

  protected override onStop(): void {
    this.streams.clear();
  }

  protected onEvent(event: StoreEvent): void {
    const { resource, object } = event;
    if (resource === R.replicaSet) {
      if (event.type === 'DELETED') this.streams.delete(object.metadata.uid ?? '');
      this.enqueue(objectKey(object));
    } else if (resource === R.pod) {
      this.enqueueControllerOf(event, 'ReplicaSet', (orphan) => this.enqueueSelecting(orphan));
    } else if (resource === R.serviceAccount && event.type === 'ADDED') {
      // Pod creation waits for the service account (admission), so retry short sets at once.
      for (const rs of this.cache.list(R.replicaSet, object.metadata.namespace)) {
        if (((rs.status as ReplicaSetStatus | undefined)?.replicas ?? 0) < (spec(rs).replicas ?? 1)) {
          this.enqueue(objectKey(rs));
        }
      }
    }
  }

  protected reconcile(key: string): void {
    const { namespace, name } = splitKey(key);
    const rs = this.cache.get(R.replicaSet, namespace, name);
    if (!rs) return;
    const selector = selectorFromSpec(spec(rs).selector);
    const active = this.cache.list(R.pod, namespace).filter(isPodActive);
    const pods = claimObjects(this.ctx.store, R.pod, rs, selector, active);
    let manageError: Error | undefined;
    if (!rs.metadata.deletionTimestamp) manageError = this.manageReplicas(rs, pods);
    const updated = this.writeStatus(R.replicaSet, rs, this.calculateStatus(rs, pods, manageError));
    this.requeueForAvailability(key, updated, pods);
    if (manageError) throw manageError;
  }

  private manageReplicas(rs: KubeObject, pods: KubeObject[]): Error | undefined {
    const desired = spec(rs).replicas ?? 1;
    const diff = pods.length - desired;
    if (diff < 0) {
      const random = this.streamFor(rs);
      for (let index = 0; index < Math.min(-diff, BURST_REPLICAS); index += 1) {
        try {
          const pod = createObject(this.ctx, R.pod, podFromTemplate(spec(rs).template, rs), random);
          this.ctx.events.record(
            rs,
            'Normal',
            'SuccessfulCreate',
            `Created pod: ${pod.metadata.name ?? ''}`,
            COMPONENT,
          );
        } catch (error) {
          if (!isNamespaceTerminating(error)) {
            this.ctx.events.record(
              rs,
              'Warning',
              'FailedCreate',
              `Error creating: ${errorMessage(error)}`,
              COMPONENT,
            );
          }
          return error instanceof Error ? error : new Error(String(error));
        }
      }
      return undefined;
    }
    if (diff > 0) {
      const victims = diff < pods.length ? this.rankForDeletion(pods) : pods;
      for (const pod of victims.slice(0, Math.min(diff, BURST_REPLICAS))) {
        const podName = pod.metadata.name ?? '';
        try {
          this.ctx.store.delete(R.pod, pod.metadata.namespace, podName);
          this.ctx.events.record(rs, 'Normal', 'SuccessfulDelete', `Deleted pod: ${podName}`, COMPONENT);
        } catch (error) {
          if (error instanceof ApiError && error.code === 404) continue;
          this.ctx.events.record(
            rs,
            'Warning',
            'FailedDelete',
            `Error deleting: ${errorMessage(error)}`,
            COMPONENT,
          );
          return error instanceof Error ? error : new Error(String(error));
        }
      }
    }
    return undefined;
  }

  /** ActivePodsWithRanks ordering, cheapest to lose first. */
  private rankForDeletion(pods: KubeObject[]): KubeObject[] {
    const readyOnNode = new Map<string, number>();
    for (const pod of pods) {
      const node = podSpec(pod).nodeName;
      if (node && isPodReady(pod)) readyOnNode.set(node, (readyOnNode.get(node) ?? 0) + 1);
    }
    const rank = (pod: KubeObject) => {
      const node = podSpec(pod).nodeName;
      return node ? (readyOnNode.get(node) ?? 0) - (isPodReady(pod) ? 1 : 0) : 0;
    };
    const cost = (pod: KubeObject) => Number(pod.metadata.annotations?.[DELETION_COST] ?? 0) || 0;
    return [...pods].sort((a, b) => {
      const nodeA = podSpec(a).nodeName ?? '';
      const nodeB = podSpec(b).nodeName ?? '';
      if (nodeA !== nodeB && (nodeA === '' || nodeB === '')) return nodeA === '' ? -1 : 1;
      const phaseA = PHASE_ORDINAL[podStatus(a).phase ?? ''] ?? 0;
      const phaseB = PHASE_ORDINAL[podStatus(b).phase ?? ''] ?? 0;
      if (phaseA !== phaseB) return phaseA - phaseB;
      if (isPodReady(a) !== isPodReady(b)) return isPodReady(a) ? 1 : -1;
      if (cost(a) !== cost(b)) return cost(a) - cost(b);
      if (rank(a) !== rank(b)) return rank(b) - rank(a);
      if (isPodReady(a) && isPodReady(b)) {
        const sinceA = this.cache.podReadySince(a) ?? 0;
        const sinceB = this.cache.podReadySince(b) ?? 0;
        if (sinceA !== sinceB) return sinceB - sinceA;
      }
      if (podRestarts(a) !== podRestarts(b)) return podRestarts(b) - podRestarts(a);
      return -this.cache.compareCreation(a, b);
    });
  }

  private calculateStatus(
    rs: KubeObject,
    pods: KubeObject[],
    manageError: Error | undefined,
  ): Record<string, unknown> {
    const templateLabels = Object.entries(spec(rs).template?.metadata?.labels ?? {});
    const minReady = spec(rs).minReadySeconds ?? 0;
    let fullyLabeled = 0;
    let ready = 0;
    let available = 0;
    for (const pod of pods) {
      if (templateLabels.every(([label, value]) => pod.metadata.labels?.[label] === value)) fullyLabeled += 1;
      if (isPodReady(pod)) {
        ready += 1;
        if (podAvailableIn(this.cache, this.ctx.clock, pod, minReady) === 0) available += 1;
      }
    }
    const previous = (rs.status ?? {}) as ReplicaSetStatus;
    let conditions = previous.conditions ?? [];
    const failure = conditions.find((condition) => condition.type === 'ReplicaFailure');
    if (manageError && !failure) {
      const reason = pods.length < (spec(rs).replicas ?? 1) ? 'FailedCreate' : 'FailedDelete';
      conditions = [
        ...conditions,
        {
          type: 'ReplicaFailure',
          status: 'True',
          lastTransitionTime: kubeTime(this.ctx.clock.now()),
          reason,
          message: manageError.message,
        },
      ];
    } else if (!manageError && failure) {
      conditions = conditions.filter((condition) => condition.type !== 'ReplicaFailure');
    }
    const status: Record<string, unknown> = { replicas: pods.length };
    if (fullyLabeled) status.fullyLabeledReplicas = fullyLabeled;
    if (ready) status.readyReplicas = ready;
    if (available) status.availableReplicas = available;
    if (rs.metadata.generation) status.observedGeneration = rs.metadata.generation;
    if (conditions.length > 0) status.conditions = conditions;
    return status;
  }

  /** Resync when a Ready pod will have been ready for minReadySeconds. */
  private requeueForAvailability(key: string, rs: KubeObject, pods: KubeObject[]): void {
    const minReady = spec(rs).minReadySeconds ?? 0;
    if (minReady <= 0) return;
    let soonest = Infinity;
    for (const pod of pods) {
      const remaining = podAvailableIn(this.cache, this.ctx.clock, pod, minReady);
      if (remaining !== undefined && remaining > 0) soonest = Math.min(soonest, remaining);
    }
    if (soonest < Infinity) this.enqueueAfter(key, soonest + 1);
  }

  private streamFor(rs: KubeObject): () => number {
    const uid = rs.metadata.uid ?? '';
    let stream = this.streams.get(uid);
    if (!stream) {
      // Seeded by name, not uid, so a run repeats its pod names.
      stream = this.ctx.random.stream(`replicaset/${objectKey(rs)}`);
      this.streams.set(uid, stream);
    }
    return stream;
  }

  private enqueueSelecting(pod: KubeObject): void {
    for (const rs of this.cache.list(R.replicaSet, pod.metadata.namespace)) {
      if (selectorFromSpec(spec(rs).selector).matches(pod.metadata.labels)) this.enqueue(objectKey(rs));
    }
  }
}
