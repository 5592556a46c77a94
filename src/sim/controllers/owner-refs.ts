import { ApiError } from '../api/api-error.ts';
import type { KubeObject, OwnerReference } from '../api/kube-object.ts';
import type { ResourceType } from '../api/resource-types.ts';
import type { ObjectStore } from '../store/object-store.ts';
import type { LabelSelector } from '../store/selectors.ts';

/** `metav1.NewControllerRef`: the reference a controller puts on what it creates. */
export function controllerRef(owner: KubeObject): OwnerReference {
  return {
    apiVersion: owner.apiVersion,
    kind: owner.kind,
    name: owner.metadata.name ?? '',
    uid: owner.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** The reference with `controller: true`, if any. */
export function controllerOf(object: KubeObject): OwnerReference | undefined {
  return object.metadata.ownerReferences?.find((ref) => ref.controller === true);
}

/** Whether `object` is controlled by the object with `uid`. */
export function isControlledBy(object: KubeObject, uid: string | undefined): boolean {
  return uid !== undefined && controllerOf(object)?.uid === uid;
}

function ignoreNotFound(action: () => KubeObject): KubeObject | undefined {
  try {
    return action();
  } catch (error) {
    if (error instanceof ApiError && error.code === 404) return undefined;
    throw error;
  }
}

/**
 * `ControllerRefManager.ClaimObjects`: of `candidates`, returns those `owner` controls and that match
 * its selector, adopting matching orphans (adding the controller reference) and releasing owned
 * objects that no longer match, as the real controllers do, so objects left behind by an orphaning
 * delete are picked up again by a re-created owner.
 */
export function claimObjects(
  store: ObjectStore,
  resource: ResourceType,
  owner: KubeObject,
  selector: LabelSelector,
  candidates: readonly KubeObject[],
  extraMatch: (object: KubeObject) => boolean = () => true,
): KubeObject[] {
  const ownerUid = owner.metadata.uid ?? '';
  const ownerDeleting = owner.metadata.deletionTimestamp !== undefined;
  const claimed: KubeObject[] = [];
  const matches = (object: KubeObject) => selector.matches(object.metadata.labels) && extraMatch(object);
  for (const object of candidates) {
    const ref = controllerOf(object);
    if (ref) {
      if (ref.uid !== ownerUid) continue;
      if (matches(object)) {
        claimed.push(object);
        continue;
      }
      if (ownerDeleting) continue;
      ignoreNotFound(() => {
        const copy = structuredClone(object);
        copy.metadata.ownerReferences = (copy.metadata.ownerReferences ?? []).filter(
          (r) => r.uid !== ownerUid,
        );
        if (copy.metadata.ownerReferences.length === 0) delete copy.metadata.ownerReferences;
        return store.update(resource, copy);
      });
      continue;
    }
    if (ownerDeleting || !matches(object) || object.metadata.deletionTimestamp) continue;
    if (resource.namespaced && owner.metadata.namespace !== object.metadata.namespace) continue;
    const adopted = ignoreNotFound(() => {
      const copy = structuredClone(object);
      copy.metadata.ownerReferences = [...(copy.metadata.ownerReferences ?? []), controllerRef(owner)];
      return store.update(resource, copy);
    });
    if (adopted) claimed.push(adopted);
  }
  return claimed;
}
