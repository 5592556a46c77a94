import type { KubeObject } from '../api/kube-object.ts';
import { R } from '../resources.ts';
import type { StoreEvent } from '../store/object-store.ts';
import { isPodTerminal, podSpec } from './pod-state.ts';
import { PVC_PROTECTION_FINALIZER } from './pvc-binder.ts';
import { objectKey, QueueController, splitKey } from './queue-controller.ts';

function claimNames(pod: KubeObject): string[] {
  const names: string[] = [];
  for (const volume of podSpec(pod).volumes ?? []) {
    const claim = (volume as { persistentVolumeClaim?: { claimName?: string } }).persistentVolumeClaim;
    if (claim?.claimName) names.push(claim.claimName);
  }
  return names;
}

/** `podIsShutDown`: finished, or force-deleted and only waiting for its finalizers. */
function isShutDown(pod: KubeObject): boolean {
  return (
    isPodTerminal(pod) ||
    (pod.metadata.deletionTimestamp !== undefined && pod.metadata.deletionGracePeriodSeconds === 0)
  );
}

/**
 * The pvc-protection controller: a deleted claim keeps its kubernetes.io/pvc-protection finalizer
 * while a scheduled pod that is not shut down still mounts it, then loses it and goes.
 */
export class PvcProtectionController extends QueueController {
  protected initialKeys(): Iterable<string> {
    return this.cache
      .list(R.pvc)
      .filter((claim) => claim.metadata.deletionTimestamp)
      .map(objectKey);
  }

  protected onEvent(event: StoreEvent): void {
    const { resource, object } = event;
    if (resource === R.pvc) {
      if (event.type !== 'DELETED' && object.metadata.deletionTimestamp) this.enqueue(objectKey(object));
    } else if (resource === R.pod) {
      for (const name of claimNames(object)) {
        const claim = this.cache.get(R.pvc, object.metadata.namespace, name);
        if (claim?.metadata.deletionTimestamp) this.enqueue(objectKey(claim));
      }
    }
  }

  protected reconcile(key: string): void {
    const { namespace, name } = splitKey(key);
    const claim = this.cache.get(R.pvc, namespace, name);
    if (
      !claim?.metadata.deletionTimestamp ||
      !(claim.metadata.finalizers ?? []).includes(PVC_PROTECTION_FINALIZER)
    )
      return;
    const inUse = this.cache
      .list(R.pod, namespace)
      .some((pod) => !!podSpec(pod).nodeName && !isShutDown(pod) && claimNames(pod).includes(name));
    if (inUse) return;
    const copy = structuredClone(claim);
    const rest = (copy.metadata.finalizers ?? []).filter(
      (finalizer) => finalizer !== PVC_PROTECTION_FINALIZER,
    );
    if (rest.length > 0) copy.metadata.finalizers = rest;
    else delete copy.metadata.finalizers;
    this.ctx.store.update(R.pvc, copy);
  }
}
