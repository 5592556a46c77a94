import type { KubeObject } from '../api/kube-object.ts';
import type { ResourceType } from '../api/resource-types.ts';
import { RESOURCE_TYPES } from '../api/resource-types.ts';
import type { ObjectStore, StoreEvent } from '../store/object-store.ts';
import type { PodStatus } from './workload-types.ts';

/** An object in the cache with its kind. */
export interface CachedEntry {
  readonly resource: ResourceType;
  readonly object: KubeObject;
}

type Listener = (event: StoreEvent) => void;

function typeKey(resource: ResourceType): string {
  return `${resource.group}/${resource.plural}`;
}

function isReady(object: KubeObject | undefined): boolean {
  const status: PodStatus | undefined = object?.status;
  const conditions = status?.conditions ?? [];
  return conditions.some((condition) => condition.type === 'Ready' && condition.status === 'True');
}

function readyTransition(object: KubeObject): string | undefined {
  const status: PodStatus | undefined = object.status;
  const conditions = status?.conditions ?? [];
  return conditions.find((condition) => condition.type === 'Ready')?.lastTransitionTime;
}

/**
 * The controllers' shared informer: a copy of every stored object, indexed by namespace, uid and
 * owner uid, kept current from the store's synchronous change feed. Reads are O(namespace) instead of
 * a full store scan with cloning, which matters with thousands of soak iterations in one cluster.
 * Objects handed out are the cache's own: callers must clone before changing them.
 *
 * It also remembers, in monotonic real time, when each pod became Ready: availability
 * (minReadySeconds) is measured in simulated seconds, which second-precision condition timestamps
 * cannot resolve once time is scaled down.
 */
export class ObjectCache {
  private readonly store: ObjectStore;
  private readonly byType = new Map<string, Map<string, Map<string, KubeObject>>>();
  private readonly byUid = new Map<string, CachedEntry>();
  private readonly byOwner = new Map<string, Set<string>>();
  private readonly createdAt = new Map<string, number>();
  private readonly readySince = new Map<string, number>();
  private readonly listeners = new Set<Listener>();
  private unsubscribe: (() => void) | undefined;
  private users = 0;

  constructor(store: ObjectStore) {
    this.store = store;
  }

  /** Starts following the store on first use; pair every call with {@link release}. */
  acquire(): void {
    this.users += 1;
    if (this.users > 1) return;
    this.unsubscribe = this.store.subscribe((event) => this.apply(event));
    for (const resource of RESOURCE_TYPES) {
      for (const object of this.store.list(resource)) this.put(resource, object, undefined);
    }
  }

  /** Stops following the store once the last user is gone. */
  release(): void {
    if (this.users === 0) return;
    this.users -= 1;
    if (this.users > 0) return;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.byType.clear();
    this.byUid.clear();
    this.byOwner.clear();
    this.createdAt.clear();
    this.readySince.clear();
  }

  /** Receives every store event after the cache has applied it. */
  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get(resource: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.byType
      .get(typeKey(resource))
      ?.get(resource.namespaced ? (namespace ?? '') : '')
      ?.get(name);
  }

  /** Objects of a kind, in one namespace or all, in no particular order. */
  list(resource: ResourceType, namespace?: string): KubeObject[] {
    const namespaces = this.byType.get(typeKey(resource));
    if (!namespaces) return [];
    if (namespace !== undefined && resource.namespaced)
      return [...(namespaces.get(namespace)?.values() ?? [])];
    const all: KubeObject[] = [];
    for (const objects of namespaces.values()) all.push(...objects.values());
    return all;
  }

  /** How many objects of a kind a namespace holds. */
  namespaceCount(resource: ResourceType, namespace: string): number {
    return this.byType.get(typeKey(resource))?.get(namespace)?.size ?? 0;
  }

  byUidLookup(uid: string): CachedEntry | undefined {
    return this.byUid.get(uid);
  }

  /** Objects listing `ownerUid` in their ownerReferences. */
  dependents(ownerUid: string): CachedEntry[] {
    const entries: CachedEntry[] = [];
    for (const uid of this.byOwner.get(ownerUid) ?? []) {
      const entry = this.byUid.get(uid);
      if (entry) entries.push(entry);
    }
    return entries;
  }

  /**
   * Orders objects as the controllers' "by creation timestamp" sorts do, breaking the ties of
   * second-precision timestamps by the order the store created them in, then by name.
   */
  compareCreation(a: KubeObject, b: KubeObject): number {
    const byTime = (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '');
    if (byTime !== 0) return byTime;
    const byOrder =
      (this.createdAt.get(a.metadata.uid ?? '') ?? 0) - (this.createdAt.get(b.metadata.uid ?? '') ?? 0);
    if (byOrder !== 0) return byOrder;
    return (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '');
  }

  /** `performance.now()` when the pod last became Ready, or undefined when it is not Ready. */
  podReadySince(pod: KubeObject): number | undefined {
    return this.readySince.get(pod.metadata.uid ?? '');
  }

  private apply(event: StoreEvent): void {
    if (event.type === 'DELETED') this.remove(event.resource, event.object);
    else this.put(event.resource, event.object, event);
    for (const listener of this.listeners) listener(event);
  }

  private put(resource: ResourceType, input: KubeObject, event: StoreEvent | undefined): void {
    const object = structuredClone(input);
    const uid = object.metadata.uid ?? '';
    const namespace = resource.namespaced ? (object.metadata.namespace ?? '') : '';
    const key = typeKey(resource);
    let namespaces = this.byType.get(key);
    if (!namespaces) {
      namespaces = new Map();
      this.byType.set(key, namespaces);
    }
    let objects = namespaces.get(namespace);
    if (!objects) {
      objects = new Map();
      namespaces.set(namespace, objects);
    }
    const previous = this.byUid.get(uid)?.object;
    if (previous) this.unindexOwners(previous);
    objects.set(object.metadata.name ?? '', object);
    this.byUid.set(uid, { resource, object });
    for (const ref of object.metadata.ownerReferences ?? []) {
      let set = this.byOwner.get(ref.uid);
      if (!set) {
        set = new Set();
        this.byOwner.set(ref.uid, set);
      }
      set.add(uid);
    }
    if (event?.type === 'ADDED') this.createdAt.set(uid, event.resourceVersion);
    if (resource.kind === 'Pod') this.trackReadiness(object, previous, event === undefined);
  }

  private remove(resource: ResourceType, object: KubeObject): void {
    const uid = object.metadata.uid ?? '';
    const namespace = resource.namespaced ? (object.metadata.namespace ?? '') : '';
    const namespaces = this.byType.get(typeKey(resource));
    const objects = namespaces?.get(namespace);
    objects?.delete(object.metadata.name ?? '');
    if (objects && objects.size === 0) namespaces?.delete(namespace);
    const previous = this.byUid.get(uid)?.object;
    if (previous) this.unindexOwners(previous);
    this.byUid.delete(uid);
    this.createdAt.delete(uid);
    this.readySince.delete(uid);
  }

  private unindexOwners(object: KubeObject): void {
    const uid = object.metadata.uid ?? '';
    for (const ref of object.metadata.ownerReferences ?? []) {
      const set = this.byOwner.get(ref.uid);
      set?.delete(uid);
      if (set && set.size === 0) this.byOwner.delete(ref.uid);
    }
  }

  private trackReadiness(pod: KubeObject, previous: KubeObject | undefined, initial: boolean): void {
    const uid = pod.metadata.uid ?? '';
    if (!isReady(pod)) {
      this.readySince.delete(uid);
      return;
    }
    if (this.readySince.has(uid) && isReady(previous)) return;
    let since = performance.now();
    const transition = readyTransition(pod);
    if (initial && transition) {
      // Pods Ready before the cache started: their age is only known from the wall clock.
      since -= Math.max(0, Date.now() - Date.parse(transition));
    }
    this.readySince.set(uid, since);
  }
}
