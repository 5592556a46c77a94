import type { KubeObject } from '../api/kube-object.ts';
import { R } from '../resources.ts';
import type { StoreEvent } from '../store/object-store.ts';
import { objectKey, QueueController, splitKey } from './queue-controller.ts';
import { DEFAULT_STORAGE_CLASS } from './pvc-defaults.ts';

/** Where the simulated dynamic provisioner says volumes come from (kind's local-path). */
export const SIM_PROVISIONER = 'rancher.io/local-path';
/** Added by the StorageObjectInUseProtection admission plugin; see PvcProtectionController. */
export const PVC_PROTECTION_FINALIZER = 'kubernetes.io/pvc-protection';

interface PvcSpec {
  accessModes?: string[];
  resources?: { requests?: Record<string, string> };
  storageClassName?: string;
  volumeName?: string;
  volumeMode?: string;
}

/**
 * Stands in for the PV controller and a dynamic provisioner: every claim is bound at once to a
 * volume `pvc-<uid>` (which the simulated API does not serve), with the annotations, finalizer,
 * storageClassName ("standard" when unset) and status (phase Bound, accessModes, capacity) of a
 * claim bound on a kind cluster. Claims with an explicit empty storageClassName are bound too,
 * where a real cluster without matching PersistentVolumes would leave them Pending.
 */
export class PvcBinder extends QueueController {
  protected initialKeys(): Iterable<string> {
    return this.cache.list(R.pvc).map(objectKey);
  }

  protected onEvent(event: StoreEvent): void {
    if (event.resource === R.pvc && event.type !== 'DELETED') this.enqueue(objectKey(event.object));
  }

  protected reconcile(key: string): void {
    const { namespace, name } = splitKey(key);
    const claim = this.cache.get(R.pvc, namespace, name);
    if (!claim || claim.metadata.deletionTimestamp) return;
    const spec = (claim.spec ?? {}) as PvcSpec;
    const phase = (claim.status as { phase?: string } | undefined)?.phase;
    if (phase === 'Bound' && spec.volumeName) return;
    const bound = this.bindSpec(claim);
    const boundSpec = (bound.spec ?? {}) as PvcSpec;
    const status: Record<string, unknown> = { phase: 'Bound' };
    if (boundSpec.accessModes) status.accessModes = [...boundSpec.accessModes];
    const storage = boundSpec.resources?.requests?.storage;
    if (storage !== undefined) status.capacity = { storage };
    this.writeStatus(R.pvc, bound, status);
  }

  private bindSpec(claim: KubeObject): KubeObject {
    const copy = structuredClone(claim);
    const spec = (copy.spec ?? {}) as PvcSpec;
    spec.volumeName ??= `pvc-${claim.metadata.uid ?? ''}`;
    spec.storageClassName ??= DEFAULT_STORAGE_CLASS;
    spec.volumeMode ??= 'Filesystem';
    copy.spec = spec as Record<string, unknown>;
    copy.metadata.annotations = {
      ...(copy.metadata.annotations ?? {}),
      'pv.kubernetes.io/bind-completed': 'yes',
      'pv.kubernetes.io/bound-by-controller': 'yes',
      'volume.beta.kubernetes.io/storage-provisioner': SIM_PROVISIONER,
      'volume.kubernetes.io/storage-provisioner': SIM_PROVISIONER,
    };
    const finalizers = copy.metadata.finalizers ?? [];
    if (!finalizers.includes(PVC_PROTECTION_FINALIZER))
      copy.metadata.finalizers = [...finalizers, PVC_PROTECTION_FINALIZER];
    return this.ctx.store.update(R.pvc, copy);
  }
}
