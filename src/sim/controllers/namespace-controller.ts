import { ApiError } from '../api/api-error.ts';
import type { KubeObject } from '../api/kube-object.ts';
import { RESOURCE_TYPES } from '../api/resource-types.ts';
import { R } from '../resources.ts';
import { kubeTime } from '../store/object-store.ts';
import type { StoreEvent } from '../store/object-store.ts';
import { QueueController } from './queue-controller.ts';
import type { StatusCondition } from './workload-types.ts';

const KUBERNETES_FINALIZER = 'kubernetes';
const NAMESPACED_TYPES = RESOURCE_TYPES.filter((type) => type.namespaced);
const RETRY_MS = 5000;

/** The conditions the namespace deleter maintains, in its order, with their "all is well" forms. */
const CONDITION_TYPES = [
  {
    type: 'NamespaceDeletionDiscoveryFailure',
    reason: 'ResourcesDiscovered',
    message: 'All resources successfully discovered',
  },
  {
    type: 'NamespaceDeletionGroupVersionParsingFailure',
    reason: 'ParsedGroupVersions',
    message: 'All legacy kube types successfully parsed',
  },
  {
    type: 'NamespaceDeletionContentFailure',
    reason: 'ContentDeleted',
    message: 'All content successfully deleted, may be waiting on finalization',
  },
  {
    type: 'NamespaceContentRemaining',
    reason: 'ContentRemoved',
    message: 'All content successfully removed',
  },
  {
    type: 'NamespaceFinalizersRemaining',
    reason: 'ContentHasNoFinalizers',
    message: 'All content-preserving finalizers finished',
  },
] as const;

interface NamespaceStatus {
  phase?: string;
  conditions?: StatusCondition[];
}

/**
 * The namespace controller's deleter: for a namespace with a deletionTimestamp, deletes every
 * namespaced object in it (background propagation; pods gracefully, so the kubelet finishes them),
 * reports progress in the real status conditions (NamespaceContentRemaining "Some resources are
 * remaining: pods. has 2 resource instances", NamespaceFinalizersRemaining "Some content in the
 * namespace has finalizers remaining: example.com/x in 1 resource instances", …), and once nothing
 * is left removes the `kubernetes` finalizer, which removes the namespace unless other finalizers
 * hold it. Objects whose finalizers are never removed keep it Terminating, as on a real cluster.
 */
export class NamespaceController extends QueueController {
  protected initialKeys(): Iterable<string> {
    return this.cache
      .list(R.namespace)
      .filter((ns) => ns.metadata.deletionTimestamp)
      .map((ns) => ns.metadata.name ?? '');
  }

  protected onEvent(event: StoreEvent): void {
    const { resource, object } = event;
    if (resource === R.namespace) {
      if (object.metadata.deletionTimestamp && event.type !== 'DELETED')
        this.enqueue(object.metadata.name ?? '');
      return;
    }
    if (!resource.namespaced) return;
    const namespace = object.metadata.namespace ?? '';
    if (this.cache.get(R.namespace, undefined, namespace)?.metadata.deletionTimestamp)
      this.enqueue(namespace);
  }

  protected reconcile(name: string): void {
    const ns = this.ctx.store.get(R.namespace, undefined, name);
    if (!ns?.metadata.deletionTimestamp) return;
    const finalizers = (ns.spec as { finalizers?: string[] } | undefined)?.finalizers ?? [];
    if (!finalizers.includes(KUBERNETES_FINALIZER)) return;

    const remaining = new Map<string, number>();
    const byFinalizer = new Map<string, number>();
    const failures: string[] = [];
    let graceEstimate = 0;
    for (const type of NAMESPACED_TYPES) {
      for (const object of this.cache.list(type, name)) {
        if (object.metadata.deletionTimestamp) continue;
        try {
          this.ctx.store.delete(type, name, object.metadata.name ?? '', { propagationPolicy: 'Background' });
        } catch (error) {
          if (error instanceof ApiError && error.code === 404) continue;
          failures.push(error instanceof Error ? error.message : String(error));
        }
      }
      const left = this.cache.list(type, name);
      if (left.length === 0) continue;
      remaining.set(`${type.plural}.${type.group}`, left.length);
      for (const object of left) {
        for (const finalizer of object.metadata.finalizers ?? [])
          byFinalizer.set(finalizer, (byFinalizer.get(finalizer) ?? 0) + 1);
        graceEstimate = Math.max(graceEstimate, object.metadata.deletionGracePeriodSeconds ?? 0);
      }
    }

    this.updateConditions(ns, remaining, byFinalizer, failures);
    if (remaining.size > 0 || failures.length > 0) {
      this.enqueueAfter(name, graceEstimate > 0 ? (graceEstimate / 2 + 1) * 1000 : RETRY_MS);
      return;
    }
    this.finalize(name);
  }

  private updateConditions(
    ns: KubeObject,
    remaining: Map<string, number>,
    byFinalizer: Map<string, number>,
    failures: string[],
  ): void {
    const failing = new Map<string, { reason: string; message: string }>();
    if (failures.length > 0) {
      failing.set('NamespaceDeletionContentFailure', {
        reason: 'ContentDeletionFailed',
        message: `Failed to delete all resource types, ${failures.length} remaining: ${failures.join(', ')}`,
      });
    }
    if (remaining.size > 0) {
      const parts = [...remaining]
        .map(([resource, count]) => `${resource} has ${count} resource instances`)
        .sort();
      failing.set('NamespaceContentRemaining', {
        reason: 'SomeResourcesRemain',
        message: `Some resources are remaining: ${parts.join(', ')}`,
      });
    }
    if (byFinalizer.size > 0) {
      const parts = [...byFinalizer]
        .map(([finalizer, count]) => `${finalizer} in ${count} resource instances`)
        .sort();
      failing.set('NamespaceFinalizersRemaining', {
        reason: 'SomeFinalizersRemain',
        message: `Some content in the namespace has finalizers remaining: ${parts.join(', ')}`,
      });
    }
    const status = (ns.status ?? {}) as NamespaceStatus;
    const now = kubeTime(this.ctx.clock.now());
    const conditions = (status.conditions ?? []).map((condition) => ({ ...condition }));
    for (const { type, reason, message } of CONDITION_TYPES) {
      const failure = failing.get(type);
      const wanted = failure ? { status: 'True', ...failure } : { status: 'False', reason, message };
      const existing = conditions.find((condition) => condition.type === type);
      if (!existing) {
        conditions.push({
          type,
          status: wanted.status,
          lastTransitionTime: now,
          reason: wanted.reason,
          message: wanted.message,
        });
      } else if (
        existing.status !== wanted.status ||
        existing.reason !== wanted.reason ||
        existing.message !== wanted.message
      ) {
        Object.assign(existing, {
          status: wanted.status,
          lastTransitionTime: now,
          reason: wanted.reason,
          message: wanted.message,
        });
      }
    }
    this.writeStatus(R.namespace, ns, { phase: status.phase ?? 'Terminating', conditions });
  }

  /** Drops the `kubernetes` finalizer; with no finalizer left the namespace is gone. */
  private finalize(name: string): void {
    const ns = this.ctx.store.get(R.namespace, undefined, name);
    if (!ns) return;
    const spec = (ns.spec ?? {}) as { finalizers?: string[] };
    const rest = (spec.finalizers ?? []).filter((finalizer) => finalizer !== KUBERNETES_FINALIZER);
    if (rest.length === 0 && (ns.metadata.finalizers ?? []).length === 0) {
      this.ctx.store.forceRemove(R.namespace, undefined, name);
      this.ctx.events.forgetNamespace(name);
      return;
    }
    this.ctx.store.update(R.namespace, { ...ns, spec: { ...spec, finalizers: rest } });
  }
}
