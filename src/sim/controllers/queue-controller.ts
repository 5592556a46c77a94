import { ApiError } from '../api/api-error.ts';
import type { KubeObject } from '../api/kube-object.ts';
import type { ResourceType } from '../api/resource-types.ts';
import { ReconcileQueue } from '../reconcile-queue.ts';
import type { SimTimer } from '../sim-clock.ts';
import type { SimComponent, SimContext } from '../sim-context.ts';
import type { StoreEvent } from '../store/object-store.ts';
import { ObjectCache } from './object-cache.ts';
import { controllerOf } from './owner-refs.ts';

/** Options every controller accepts. */
export interface ControllerOptions {
  /**
   * A cache shared with other controllers (the control plane passes one). Without it the
   * controller keeps its own.
   */
  cache?: ObjectCache;
}

const RETRY_BASE_MS = 5;
const RETRY_MAX_MS = 30_000;

/** `namespace/name`, or `name` for cluster-scoped objects: the work-queue key of an object. */
export function objectKey(object: KubeObject): string {
  const name = object.metadata.name ?? '';
  return object.metadata.namespace ? `${object.metadata.namespace}/${name}` : name;
}

/** Splits a key made by {@link objectKey}. */
export function splitKey(key: string): { namespace: string | undefined; name: string } {
  const slash = key.indexOf('/');
  return slash < 0
    ? { namespace: undefined, name: key }
    : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/**
 * The skeleton of a controller: store events (through the shared cache) are mapped to keys in a
 * de-duplicating queue, and `reconcile(key)` runs later, never inside the store write that caused
 * it. Failed reconciles are retried with exponential backoff like client-go's rate-limited queue;
 * delayed work goes through the sim clock so `stop()` leaves nothing scheduled.
 */
export abstract class QueueController implements SimComponent {
  protected readonly ctx: SimContext;
  protected readonly cache: ObjectCache;
  private queue: ReconcileQueue | undefined;
  private unsubscribe: (() => void) | undefined;
  private readonly timers = new Map<string, { timer: SimTimer; due: number }>();
  private readonly failures = new Map<string, number>();

  constructor(ctx: SimContext, options: ControllerOptions = {}) {
    this.ctx = ctx;
    this.cache = options.cache ?? new ObjectCache(ctx.store);
  }

  start(): void {
    if (this.queue) return;
    this.cache.acquire();
    this.queue = new ReconcileQueue((key) => this.run(key));
    this.unsubscribe = this.cache.subscribe((event) => this.onEvent(event));
    for (const key of this.initialKeys()) this.enqueue(key);
  }

  stop(): void {
    if (!this.queue) return;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.queue.stop();
    this.queue = undefined;
    for (const { timer } of this.timers.values()) timer.cancel();
    this.timers.clear();
    this.failures.clear();
    this.onStop();
    this.cache.release();
  }

  /** Maps a store change to the keys to reconcile. Runs inside the store write: enqueue only. */
  protected abstract onEvent(event: StoreEvent): void;

  /** Brings the object named by `key` to its desired state. */
  protected abstract reconcile(key: string): void;

  /** Keys to reconcile at start, for objects that existed before. */
  protected abstract initialKeys(): Iterable<string>;

  /** Drops in-memory state (override when there is some). */
  protected onStop(): void {}

  protected enqueue(key: string): void {
    this.queue?.add(key);
  }

  /**
   * Enqueues the controller (of `ownerKind`) of a changed dependent, before and after the change
   * (an owner that just lost the dependent must see it too); orphans are offered to `adopt`.
   */
  protected enqueueControllerOf(
    event: StoreEvent,
    ownerKind: string,
    adopt?: (orphan: KubeObject) => void,
  ): void {
    for (const dependent of event.previous ? [event.object, event.previous] : [event.object]) {
      const ref = controllerOf(dependent);
      if (ref?.kind === ownerKind) this.enqueue(`${dependent.metadata.namespace ?? ''}/${ref.name}`);
      else if (!ref && adopt && event.type !== 'DELETED') adopt(dependent);
    }
  }

  /** Reconciles `key` again after `simMs` simulated ms; the earliest pending request wins. */
  protected enqueueAfter(key: string, simMs: number): void {
    if (!this.queue) return;
    const due = performance.now() + this.ctx.clock.scale(simMs);
    const pending = this.timers.get(key);
    if (pending && pending.due <= due) return;
    pending?.timer.cancel();
    const timer = this.ctx.clock.after(simMs, () => {
      this.timers.delete(key);
      this.enqueue(key);
    });
    this.timers.set(key, { timer, due });
  }

  /** Writes `status` through the status subresource unless it is unchanged. */
  protected writeStatus(
    resource: ResourceType,
    object: KubeObject,
    status: Record<string, unknown>,
  ): KubeObject {
    const { namespace, name = '' } = object.metadata;
    // Exact comparison: empty values such as Job's `uncountedTerminatedPods: {}` are part of the
    // status real controllers write. The cache mirrors the store, so no read is needed to skip.
    const cached = this.cache.get(resource, namespace, name);
    if (cached && JSON.stringify(cached.status) === JSON.stringify(status)) return cached;
    const current = this.ctx.store.get(resource, namespace, name);
    if (!current) throw ApiError.notFound(resource.plural, name, resource.group);
    return this.ctx.store.update(resource, { ...current, status }, { subresource: 'status' });
  }

  private run(key: string): void {
    try {
      this.reconcile(key);
      this.failures.delete(key);
    } catch (error) {
      const attempt = (this.failures.get(key) ?? 0) + 1;
      this.failures.set(key, attempt);
      // Conflicts, vanished objects and terminating namespaces are the normal races of a
      // controller; anything else is a bug worth seeing.
      if (!(error instanceof ApiError)) {
        process.emitWarning(
          `${this.constructor.name} reconcile ${key} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
        );
      }
      this.enqueueAfter(key, Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** (attempt - 1)));
    }
  }
}

/** An unknown caught value as an Error, to rethrow it. */
export function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
