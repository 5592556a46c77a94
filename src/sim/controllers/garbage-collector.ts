import { ApiError } from '../api/api-error.ts';
import type { KubeObject, OwnerReference } from '../api/kube-object.ts';
import type { ResourceType } from '../api/resource-types.ts';
import { RESOURCE_TYPES } from '../api/resource-types.ts';
import type { StoreEvent } from '../store/object-store.ts';
import type { CachedEntry } from './object-cache.ts';
import { QueueController } from './queue-controller.ts';

const FOREGROUND = 'foregroundDeletion';
const ORPHAN = 'orphan';
/** Work on an object's owners (is it garbage?). */
const ATTEMPT = 'a:';
/** Work on an owner being deleted with foreground or orphan propagation. */
const OWNER = 'o:';

type Owner = { kind: 'present'; object: KubeObject } | { kind: 'absent' } | { kind: 'unresolvable' };

function hasFinalizer(object: KubeObject, finalizer: string): boolean {
  return (object.metadata.finalizers ?? []).includes(finalizer);
}

function isDeletingDependents(object: KubeObject): boolean {
  return object.metadata.deletionTimestamp !== undefined && hasFinalizer(object, FOREGROUND);
}

function typeOfRef(ref: OwnerReference): ResourceType | undefined {
  const slash = ref.apiVersion.indexOf('/');
  const group = slash < 0 ? '' : ref.apiVersion.slice(0, slash);
  // Any served version of the group names the same object.
  return RESOURCE_TYPES.find((type) => type.group === group && type.kind === ref.kind);
}

/**
 * The garbage collector: deletes objects whose owners (by ownerReferences uid) are all gone, with
 * background propagation (or the object's own orphan/foreground finalizer), drops references to
 * vanished owners from objects that still have a live one, runs foreground deletion (an owner with
 * the foregroundDeletion finalizer waits until its blockOwnerDeletion dependents are gone, deleting
 * them, then loses the finalizer) and orphaning (dependents lose their reference to the owner, then
 * the owner loses the orphan finalizer). Owners of kinds the simulated API does not serve are never
 * judged absent, as the real collector cannot resolve them either.
 */
export class GarbageCollector extends QueueController {
  protected *initialKeys(): Iterable<string> {
    for (const resource of RESOURCE_TYPES) {
      for (const object of this.cache.list(resource)) {
        const uid = object.metadata.uid ?? '';
        if ((object.metadata.ownerReferences ?? []).length > 0) yield `${ATTEMPT}${uid}`;
        if (
          object.metadata.deletionTimestamp &&
          (hasFinalizer(object, FOREGROUND) || hasFinalizer(object, ORPHAN))
        ) {
          yield `${OWNER}${uid}`;
        }
      }
    }
  }

  protected onEvent(event: StoreEvent): void {
    const { object } = event;
    const uid = object.metadata.uid ?? '';
    if (event.type === 'DELETED') {
      for (const dependent of this.cache.dependents(uid))
        this.enqueue(`${ATTEMPT}${dependent.object.metadata.uid ?? ''}`);
      for (const ref of object.metadata.ownerReferences ?? []) {
        const owner = this.cache.byUidLookup(ref.uid);
        if (owner && isDeletingDependents(owner.object)) this.enqueue(`${OWNER}${ref.uid}`);
      }
      return;
    }
    if (
      object.metadata.deletionTimestamp &&
      (hasFinalizer(object, FOREGROUND) || hasFinalizer(object, ORPHAN))
    ) {
      this.enqueue(`${OWNER}${uid}`);
    }
    for (const ref of object.metadata.ownerReferences ?? []) {
      const owner = this.cache.byUidLookup(ref.uid);
      if (!owner || isDeletingDependents(owner.object)) {
        this.enqueue(`${ATTEMPT}${uid}`);
        break;
      }
    }
  }

  protected reconcile(key: string): void {
    if (key.startsWith(OWNER)) this.processOwner(key.slice(OWNER.length));
    else this.attemptToDelete(key.slice(ATTEMPT.length));
  }

  private resolveOwner(ref: OwnerReference, dependent: CachedEntry): Owner {
    const type = typeOfRef(ref);
    if (!type) return { kind: 'unresolvable' };
    const found = this.cache.byUidLookup(ref.uid);
    if (!found || found.resource !== type || found.object.metadata.name !== ref.name)
      return { kind: 'absent' };
    if (type.namespaced) {
      // A namespaced owner must live in the dependent's namespace (cluster-scoped dependents cannot have one).
      if (
        !dependent.resource.namespaced ||
        found.object.metadata.namespace !== dependent.object.metadata.namespace
      ) {
        return { kind: 'absent' };
      }
    }
    return { kind: 'present', object: found.object };
  }

  private attemptToDelete(uid: string): void {
    const entry = this.cache.byUidLookup(uid);
    if (!entry) return;
    const { object, resource } = entry;
    if (isDeletingDependents(object)) {
      this.processOwner(uid);
      return;
    }
    if (object.metadata.deletionTimestamp) return;
    const refs = object.metadata.ownerReferences ?? [];
    if (refs.length === 0) return;
    const solid: OwnerReference[] = [];
    const dangling: OwnerReference[] = [];
    const waiting: OwnerReference[] = [];
    for (const ref of refs) {
      const owner = this.resolveOwner(ref, entry);
      if (owner.kind === 'absent') dangling.push(ref);
      else if (
        owner.kind === 'present' &&
        ref.blockOwnerDeletion === true &&
        isDeletingDependents(owner.object)
      )
        waiting.push(ref);
      else solid.push(ref);
    }
    if (solid.length > 0) {
      if (dangling.length + waiting.length === 0) return;
      const drop = new Set([...dangling, ...waiting].map((ref) => ref.uid));
      const copy = structuredClone(object);
      copy.metadata.ownerReferences = refs.filter((ref) => !drop.has(ref.uid));
      this.ignoreNotFound(() => this.ctx.store.update(resource, copy));
      return;
    }
    let policy: 'Background' | 'Foreground' | 'Orphan';
    if (waiting.length > 0 && this.cache.dependents(uid).length > 0) policy = 'Foreground';
    else if (hasFinalizer(object, ORPHAN)) policy = 'Orphan';
    else if (hasFinalizer(object, FOREGROUND)) policy = 'Foreground';
    else policy = 'Background';
    this.ignoreNotFound(() =>
      this.ctx.store.delete(resource, object.metadata.namespace, object.metadata.name ?? '', {
        propagationPolicy: policy,
        preconditions: { uid },
      }),
    );
  }

  /** Foreground: delete blocking dependents, release the owner when none is left. Orphan: unlink. */
  private processOwner(uid: string): void {
    const entry = this.cache.byUidLookup(uid);
    if (!entry || !entry.object.metadata.deletionTimestamp) return;
    const { object, resource } = entry;
    const dependents = this.cache.dependents(uid);
    if (hasFinalizer(object, ORPHAN)) {
      for (const dependent of dependents) {
        const copy = structuredClone(dependent.object);
        copy.metadata.ownerReferences = (copy.metadata.ownerReferences ?? []).filter(
          (ref) => ref.uid !== uid,
        );
        if (copy.metadata.ownerReferences.length === 0) delete copy.metadata.ownerReferences;
        this.ignoreNotFound(() => this.ctx.store.update(dependent.resource, copy));
      }
      this.removeFinalizer(resource, uid, ORPHAN);
      return;
    }
    if (!hasFinalizer(object, FOREGROUND)) return;
    const blocking = dependents.filter((dependent) =>
      (dependent.object.metadata.ownerReferences ?? []).some(
        (ref) => ref.uid === uid && ref.blockOwnerDeletion === true,
      ),
    );
    if (blocking.length === 0) {
      this.removeFinalizer(resource, uid, FOREGROUND);
      return;
    }
    for (const dependent of blocking) {
      if (!dependent.object.metadata.deletionTimestamp)
        this.attemptToDelete(dependent.object.metadata.uid ?? '');
    }
  }

  private removeFinalizer(resource: ResourceType, uid: string, finalizer: string): void {
    const entry = this.cache.byUidLookup(uid);
    if (!entry) return;
    const latest = this.ctx.store.get(
      resource,
      entry.object.metadata.namespace,
      entry.object.metadata.name ?? '',
    );
    if (!latest || latest.metadata.uid !== uid || !hasFinalizer(latest, finalizer)) return;
    const copy = structuredClone(latest);
    const remaining = (copy.metadata.finalizers ?? []).filter((entryName) => entryName !== finalizer);
    if (remaining.length > 0) copy.metadata.finalizers = remaining;
    else delete copy.metadata.finalizers;
    this.ignoreNotFound(() => this.ctx.store.update(resource, copy));
  }

  private ignoreNotFound(action: () => unknown): void {
    try {
      action();
    } catch (error) {
      // Gone already, or re-created under the same name (uid precondition): nothing to collect.
      if (error instanceof ApiError && (error.code === 404 || error.code === 409)) return;
      throw error;
    }
  }
}
