import { randomUUID } from 'node:crypto';
import { ApiError } from '../api/api-error.ts';
import type { KubeObject } from '../api/kube-object.ts';
import type { ResourceType } from '../api/resource-types.ts';
import { apiVersionOf } from '../api/resource-types.ts';
import type { FieldSelector, LabelSelector } from './selectors.ts';

export const WatchEventType = {
  Added: 'ADDED',
  Modified: 'MODIFIED',
  Deleted: 'DELETED',
  Bookmark: 'BOOKMARK',
  Error: 'ERROR',
} as const;
export type WatchEventType = (typeof WatchEventType)[keyof typeof WatchEventType];

/** One change to the store, kept in history for watches that resume from a resourceVersion. */
export interface StoreEvent {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  readonly resource: ResourceType;
  readonly object: KubeObject;
  /** The object before a MODIFIED or DELETED, to compute selector transitions. */
  readonly previous: KubeObject | undefined;
  readonly resourceVersion: number;
}

export interface ListOptions {
  namespace?: string | undefined;
  labelSelector?: LabelSelector | undefined;
  fieldSelector?: FieldSelector | undefined;
}

export interface WatchOptions extends ListOptions {
  /** Start after this version; undefined/"0"/"" start with the current state as ADDED events. */
  resourceVersion?: string | undefined;
  /** Send the current state, then a BOOKMARK annotated k8s.io/initial-events-end. */
  sendInitialEvents?: boolean;
  allowBookmarks?: boolean;
}

export interface WatchSink {
  send(type: WatchEventType, object: unknown): void;
}

export interface DeleteOptions {
  gracePeriodSeconds?: number | undefined;
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan' | undefined;
  preconditions?: { uid?: string; resourceVersion?: string } | undefined;
}

type Listener = (event: StoreEvent) => void;

const HISTORY_LIMIT = 20_000;

/** RFC 3339 with second precision, as the API server writes timestamps. */
export function kubeTime(date: Date = new Date()): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

function keyOf(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}

function typeKey(resource: ResourceType): string {
  return `${resource.group}/${resource.plural}`;
}

/**
 * The in-memory etcd of the simulated cluster: objects by kind, a global resourceVersion, and a
 * bounded event history so watches can resume and get 410 Gone when they fall behind, exactly as
 * clients expect from a real API server.
 */
export class ObjectStore {
  private revision = 1;
  private readonly objects = new Map<string, Map<string, KubeObject>>();
  private readonly history: StoreEvent[] = [];
  private oldestRevision = 1;
  private readonly listeners = new Set<Listener>();
  private readonly watchers = new Set<{ resource: ResourceType; options: WatchOptions; sink: WatchSink }>();
  private readonly historyLimit: number;
  /** Watches refused with 410 Expired so far (for tests and fault-injection reports). */
  expiredWatchCount = 0;

  constructor(options: { historyLimit?: number } = {}) {
    this.historyLimit = options.historyLimit ?? HISTORY_LIMIT;
  }

  /** The current global resourceVersion. */
  get resourceVersion(): string {
    return String(this.revision);
  }

  /** Forgets watch history up to now so any watch from an older version gets 410 (fault injection). */
  compact(): void {
    this.history.length = 0;
    this.oldestRevision = this.revision;
  }

  /** Controllers subscribe to every change; returns the unsubscribe function. */
  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get(resource: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    const found = this.bucket(resource).get(keyOf(resource.namespaced ? namespace : undefined, name));
    return found ? clone(found) : undefined;
  }

  mustGet(resource: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const found = this.get(resource, namespace, name);
    if (!found) throw ApiError.notFound(resource.plural, name, resource.group);
    return found;
  }

  list(resource: ResourceType, options: ListOptions = {}): KubeObject[] {
    const items: KubeObject[] = [];
    for (const object of this.bucket(resource).values()) {
      if (this.matches(resource, object, options)) items.push(clone(object));
    }
    return items.sort((a, b) => {
      const ns = (a.metadata.namespace ?? '').localeCompare(b.metadata.namespace ?? '');
      return ns !== 0 ? ns : (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '');
    });
  }

  /** Number of stored objects of a kind (cheap; for metrics and benchmarks). */
  count(resource: ResourceType): number {
    return this.bucket(resource).size;
  }

  create(resource: ResourceType, input: KubeObject): KubeObject {
    const object = clone(input);
    object.apiVersion = apiVersionOf(resource);
    object.kind = resource.kind;
    const meta = (object.metadata ??= {});
    if (resource.namespaced) {
      if (!meta.namespace)
        throw ApiError.badRequest('the namespace of the object does not match the namespace on the request');
    } else {
      delete meta.namespace;
    }
    if (!meta.name && meta.generateName)
      meta.name = this.generateName(resource, meta.namespace, meta.generateName);
    if (!meta.name) {
      throw ApiError.invalid(
        resource.kind,
        '',
        [{ field: 'metadata.name', message: 'Required value: name or generateName is required' }],
        resource.group,
      );
    }
    const key = keyOf(meta.namespace, meta.name);
    if (this.bucket(resource).has(key))
      throw ApiError.alreadyExists(resource.plural, meta.name, resource.group);
    meta.uid = randomUUID();
    meta.creationTimestamp = kubeTime();
    meta.generation = 1;
    delete meta.deletionTimestamp;
    meta.resourceVersion = this.nextRevision();
    this.bucket(resource).set(key, object);
    this.record('ADDED', resource, object, undefined);
    return clone(object);
  }

  /**
   * Replaces an object. With a resourceVersion in the input it is an optimistic-concurrency write
   * (409 Conflict when stale). `subresource: 'status'` changes only status; a main-resource update
   * keeps status and bumps generation when anything but metadata/status changed.
   */
  update(resource: ResourceType, input: KubeObject, options: { subresource?: 'status' } = {}): KubeObject {
    const meta = input.metadata ?? {};
    const namespace = resource.namespaced ? meta.namespace : undefined;
    const name = meta.name ?? '';
    const key = keyOf(namespace, name);
    const current = this.bucket(resource).get(key);
    if (!current) throw ApiError.notFound(resource.plural, name, resource.group);
    if (meta.resourceVersion && meta.resourceVersion !== current.metadata.resourceVersion) {
      throw ApiError.conflict(resource.plural, name, resource.group);
    }
    let next: KubeObject;
    if (options.subresource === 'status') {
      next = clone(current);
      next.status = clone(input.status);
    } else {
      next = clone(input);
      next.apiVersion = apiVersionOf(resource);
      next.kind = resource.kind;
      // Metadata the server owns cannot be changed by clients.
      next.metadata = {
        ...next.metadata,
        uid: current.metadata.uid,
        creationTimestamp: current.metadata.creationTimestamp,
        namespace,
        name,
        generation: current.metadata.generation,
      };
      if (current.metadata.deletionTimestamp) {
        next.metadata.deletionTimestamp = current.metadata.deletionTimestamp;
        if (current.metadata.deletionGracePeriodSeconds !== undefined) {
          next.metadata.deletionGracePeriodSeconds = current.metadata.deletionGracePeriodSeconds;
        }
      } else {
        delete next.metadata.deletionTimestamp;
      }
      if (!resource.namespaced) delete next.metadata.namespace;
      if (resource.subresources.includes('status')) next.status = clone(current.status);
      if (specChanged(current, next)) next.metadata.generation = (current.metadata.generation ?? 1) + 1;
    }
    if (JSON.stringify(stripVersion(next)) === JSON.stringify(stripVersion(current))) return clone(current);
    next.metadata.resourceVersion = this.nextRevision();
    if (next.metadata.deletionTimestamp && !isHeld(resource, next)) {
      this.bucket(resource).delete(key);
      this.record('DELETED', resource, next, current);
      return clone(next);
    }
    this.bucket(resource).set(key, next);
    this.record('MODIFIED', resource, next, current);
    return clone(next);
  }

  /**
   * What the pods/binding subresource does, in one write: spec.nodeName plus PodScheduled=True,
   * without bumping metadata.generation, so no watcher sees a bound pod still marked unscheduled.
   */
  bindPod(
    pods: ResourceType,
    namespace: string,
    name: string,
    nodeName: string,
    at: Date = new Date(),
  ): KubeObject {
    const key = keyOf(namespace, name);
    const current = this.bucket(pods).get(key);
    if (!current) throw ApiError.notFound(pods.plural, name);
    const spec = (current.spec ?? {}) as { nodeName?: string };
    if (spec.nodeName) {
      throw new ApiError(
        409,
        'Conflict',
        `Operation cannot be fulfilled on pods/binding "${name}": pod ${name} is already assigned to node "${spec.nodeName}"`,
      );
    }
    if (current.metadata.deletionTimestamp) {
      throw new ApiError(
        409,
        'Conflict',
        `Operation cannot be fulfilled on pods/binding "${name}": pod ${name} is being deleted, cannot be assigned to a host`,
      );
    }
    const next = clone(current);
    next.spec = { ...next.spec, nodeName };
    const status = { ...(next.status ?? {}) } as {
      phase?: string;
      conditions?: Array<Record<string, unknown>>;
    };
    status.conditions = [
      ...(status.conditions ?? []).filter((condition) => condition.type !== 'PodScheduled'),
      { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: kubeTime(at) },
    ];
    status.phase ??= 'Pending';
    next.status = status;
    next.metadata.resourceVersion = this.nextRevision();
    this.bucket(pods).set(key, next);
    this.record('MODIFIED', pods, next, current);
    return clone(next);
  }

  /**
   * Deletes an object as the API server does: objects with finalizers (or bound pods with a grace
   * period) get a deletionTimestamp and stay until their finalizers are removed (or the kubelet
   * confirms); others go at once. Returns the object as the DELETE response shows it.
   */
  delete(
    resource: ResourceType,
    namespace: string | undefined,
    name: string,
    options: DeleteOptions = {},
  ): { object: KubeObject; gone: boolean } {
    const key = keyOf(resource.namespaced ? namespace : undefined, name);
    const current = this.bucket(resource).get(key);
    if (!current) throw ApiError.notFound(resource.plural, name, resource.group);
    if (options.preconditions?.uid && options.preconditions.uid !== current.metadata.uid) {
      throw new ApiError(
        409,
        'Conflict',
        `Precondition failed: UID in precondition: ${options.preconditions.uid}, UID in object meta: ${current.metadata.uid}`,
      );
    }
    if (
      options.preconditions?.resourceVersion &&
      options.preconditions.resourceVersion !== current.metadata.resourceVersion
    ) {
      throw ApiError.conflict(resource.plural, name, resource.group);
    }
    const next = clone(current);
    const finalizers = new Set(next.metadata.finalizers ?? []);
    if (options.propagationPolicy === 'Foreground') finalizers.add('foregroundDeletion');
    if (options.propagationPolicy === 'Orphan') finalizers.add('orphan');
    if (resource.kind === 'Namespace') {
      next.spec = { ...next.spec, finalizers: ['kubernetes'] };
      next.status = { ...next.status, phase: 'Terminating' };
    }
    const grace = resource.kind === 'Pod' ? podGrace(next, options.gracePeriodSeconds) : 0;
    const namespaceHasFinalizer = resource.kind === 'Namespace';
    if (finalizers.size === 0 && grace === 0 && !namespaceHasFinalizer) {
      this.bucket(resource).delete(key);
      next.metadata.resourceVersion = this.nextRevision();
      this.record('DELETED', resource, next, current);
      return { object: clone(next), gone: true };
    }
    if (!next.metadata.deletionTimestamp) {
      next.metadata.deletionTimestamp = kubeTime(new Date(Date.now() + grace * 1000));
      if (resource.kind === 'Pod') next.metadata.deletionGracePeriodSeconds = grace;
    } else if (resource.kind === 'Pod' && grace < (next.metadata.deletionGracePeriodSeconds ?? Infinity)) {
      // A shorter grace period on a second delete wins, as in the real API.
      next.metadata.deletionGracePeriodSeconds = grace;
      if (grace === 0 && finalizers.size === 0) {
        this.bucket(resource).delete(key);
        next.metadata.resourceVersion = this.nextRevision();
        this.record('DELETED', resource, next, current);
        return { object: clone(next), gone: true };
      }
    }
    next.metadata.finalizers = [...finalizers];
    if (next.metadata.finalizers.length === 0) delete next.metadata.finalizers;
    next.metadata.resourceVersion = this.nextRevision();
    this.bucket(resource).set(key, next);
    this.record('MODIFIED', resource, next, current);
    return { object: clone(next), gone: false };
  }

  /** Removes an object now, whatever its finalizers (kubelet's final delete, namespace controller). */
  forceRemove(resource: ResourceType, namespace: string | undefined, name: string): void {
    const key = keyOf(resource.namespaced ? namespace : undefined, name);
    const current = this.bucket(resource).get(key);
    if (!current) return;
    const next = clone(current);
    next.metadata.deletionTimestamp ??= kubeTime();
    next.metadata.resourceVersion = this.nextRevision();
    this.bucket(resource).delete(key);
    this.record('DELETED', resource, next, current);
  }

  /**
   * Starts a watch. Replays history after `resourceVersion`, or the current state as ADDED events,
   * then streams changes. Returns a stop function. Throws ApiError 410 Expired when the version
   * aged out of the history.
   */
  watch(resource: ResourceType, options: WatchOptions, sink: WatchSink): () => void {
    const requested = options.resourceVersion;
    const fromState =
      requested === undefined || requested === '' || requested === '0' || options.sendInitialEvents === true;
    if (!fromState) {
      const version = Number(requested);
      if (!Number.isFinite(version)) throw ApiError.badRequest(`invalid resource version: ${requested}`);
      if (version < this.oldestRevision - 1) {
        // The caller sends this as an ERROR event and ends the watch, as the API server does.
        this.expiredWatchCount += 1;
        throw ApiError.expired(String(requested), this.oldestRevision);
      }
      for (const event of this.history) {
        if (event.resourceVersion > version && typeKey(event.resource) === typeKey(resource)) {
          this.deliver(event, resource, options, sink);
        }
      }
    } else {
      for (const object of this.list(resource, options)) sink.send('ADDED', object);
      if (options.sendInitialEvents) {
        sink.send('BOOKMARK', {
          kind: resource.kind,
          apiVersion: apiVersionOf(resource),
          metadata: {
            resourceVersion: this.resourceVersion,
            annotations: { 'k8s.io/initial-events-end': 'true' },
          },
        });
      }
    }
    const watcher = { resource, options, sink };
    this.watchers.add(watcher);
    return () => this.watchers.delete(watcher);
  }

  /** Sends a BOOKMARK with the current version to every watcher that allows them. */
  bookmark(): void {
    for (const watcher of this.watchers) {
      if (!watcher.options.allowBookmarks) continue;
      watcher.sink.send('BOOKMARK', {
        kind: watcher.resource.kind,
        apiVersion: apiVersionOf(watcher.resource),
        metadata: { resourceVersion: this.resourceVersion },
      });
    }
  }

  /** Number of open watches (for tests and metrics). */
  get watchCount(): number {
    return this.watchers.size;
  }

  private deliver(event: StoreEvent, resource: ResourceType, options: ListOptions, sink: WatchSink): void {
    const now = this.matches(resource, event.object, options);
    const before = event.previous ? this.matches(resource, event.previous, options) : false;
    if (event.type === 'ADDED') {
      if (now) sink.send('ADDED', event.object);
    } else if (event.type === 'DELETED') {
      if (now || before) sink.send('DELETED', event.object);
    } else if (now && before) {
      sink.send('MODIFIED', event.object);
    } else if (now) {
      sink.send('ADDED', event.object);
    } else if (before) {
      sink.send('DELETED', event.object);
    }
  }

  private matches(resource: ResourceType, object: KubeObject, options: ListOptions): boolean {
    if (resource.namespaced && options.namespace && object.metadata.namespace !== options.namespace)
      return false;
    if (options.labelSelector && !options.labelSelector.matches(object.metadata.labels)) return false;
    if (options.fieldSelector && !options.fieldSelector.matches(object)) return false;
    return true;
  }

  private record(
    type: StoreEvent['type'],
    resource: ResourceType,
    object: KubeObject,
    previous: KubeObject | undefined,
  ): void {
    // No copies: the store never mutates an object after storing it (every write builds a new one),
    // so history, watchers and listeners can share it. Listeners must treat it as read-only.
    const event: StoreEvent = Object.freeze({
      type,
      resource,
      object,
      previous,
      resourceVersion: Number(object.metadata.resourceVersion),
    });
    this.history.push(event);
    if (this.history.length > this.historyLimit) {
      const dropped = this.history.splice(0, this.history.length - this.historyLimit);
      this.oldestRevision = (dropped[dropped.length - 1]?.resourceVersion ?? this.oldestRevision) + 1;
    }
    for (const watcher of this.watchers) {
      if (typeKey(watcher.resource) === typeKey(resource))
        this.deliver(event, watcher.resource, watcher.options, watcher.sink);
    }
    for (const listener of this.listeners) listener(event);
  }

  private nextRevision(): string {
    this.revision += 1;
    return String(this.revision);
  }

  private bucket(resource: ResourceType): Map<string, KubeObject> {
    const key = typeKey(resource);
    let bucket = this.objects.get(key);
    if (!bucket) {
      bucket = new Map();
      this.objects.set(key, bucket);
    }
    return bucket;
  }

  private generateName(resource: ResourceType, namespace: string | undefined, prefix: string): string {
    const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
    for (;;) {
      let suffix = '';
      for (let index = 0; index < 5; index += 1)
        suffix += alphabet[Math.floor(Math.random() * alphabet.length)];
      const name = `${prefix}${suffix}`;
      if (!this.bucket(resource).has(keyOf(namespace, name))) return name;
    }
  }
}

function stripVersion(object: KubeObject): KubeObject {
  return {
    ...object,
    metadata: { ...object.metadata, resourceVersion: undefined, managedFields: undefined },
  };
}

function specChanged(current: KubeObject, next: KubeObject): boolean {
  const strip = (object: KubeObject) => {
    const { metadata: _metadata, status: _status, ...rest } = object;
    return JSON.stringify(rest);
  };
  return strip(current) !== strip(next);
}

function podGrace(pod: KubeObject, requested: number | undefined): number {
  const spec = pod.spec as { nodeName?: string; terminationGracePeriodSeconds?: number } | undefined;
  const phase = (pod.status as { phase?: string } | undefined)?.phase;
  // Unbound or finished pods have nothing to stop: the API server deletes them at once.
  if (!spec?.nodeName || phase === 'Succeeded' || phase === 'Failed') return 0;
  return Math.max(0, requested ?? spec.terminationGracePeriodSeconds ?? 30);
}

/**
 * Whether an object marked for deletion must stay: metadata finalizers, a namespace's own
 * spec.finalizers (the namespace controller removes "kubernetes" once it is empty), or a pod the
 * kubelet has not finished stopping.
 */
function isHeld(resource: ResourceType, object: KubeObject): boolean {
  if ((object.metadata.finalizers ?? []).length > 0) return true;
  if (resource.kind === 'Namespace') {
    return ((object.spec as { finalizers?: string[] } | undefined)?.finalizers ?? []).length > 0;
  }
  return resource.kind === 'Pod' && (object.metadata.deletionGracePeriodSeconds ?? 0) > 0;
}
