import type { KubeObject } from './api/kube-object.ts';
import { RESOURCE_TYPES } from './api/resource-types.ts';
import { R } from './resources.ts';
import { kubeTime } from './store/object-store.ts';
import type { ObjectStore } from './store/object-store.ts';

const EVENTS = RESOURCE_TYPES.find((type) => type.plural === 'events' && type.group === '');

export interface EventSource {
  component: string;
  host?: string;
}

/**
 * Writes core/v1 Events the way client-go's recorder does: one Event per (object, reason, message),
 * counted up on repeats (count, lastTimestamp) instead of duplicated, so `kubectl describe` shows
 * "x3 over 40s" like a real cluster.
 */
export class EventRecorder {
  private readonly store: ObjectStore;
  private readonly seen = new Map<string, string>();
  private lastNanos = 0n;

  constructor(store: ObjectStore) {
    this.store = store;
  }

  record(
    involved: KubeObject,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
    source: EventSource,
    fieldPath?: string,
  ): void {
    if (!EVENTS) return;
    const namespace = involved.metadata.namespace ?? 'default';
    // The API server refuses events in a terminating namespace (403); the recorder drops them.
    if (this.store.get(R.namespace, undefined, namespace)?.metadata.deletionTimestamp) return;
    const key = `${namespace}/${involved.metadata.uid ?? ''}/${fieldPath ?? ''}/${reason}/${message}`;
    const now = kubeTime();
    const existingName = this.seen.get(key);
    if (existingName) {
      const existing = this.store.get(EVENTS, namespace, existingName);
      if (existing) {
        existing.count = ((existing.count as number | undefined) ?? 1) + 1;
        existing.lastTimestamp = now;
        this.store.update(EVENTS, existing);
        return;
      }
    }
    // client-go names events <object>.<hex UnixNano>: names then sort in the order things happened,
    // which is what `kubectl describe` shows among events of the same second.
    let nanos = BigInt(Date.now()) * 1_000_000n;
    if (nanos <= this.lastNanos) nanos = this.lastNanos + 1n;
    this.lastNanos = nanos;
    const name = `${involved.metadata.name ?? 'unknown'}.${nanos.toString(16)}`;
    this.seen.set(key, name);
    try {
      this.store.create(EVENTS, {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name, namespace },
        involvedObject: {
          kind: involved.kind,
          namespace: involved.metadata.namespace,
          name: involved.metadata.name,
          uid: involved.metadata.uid,
          apiVersion: involved.apiVersion,
          resourceVersion: involved.metadata.resourceVersion,
          ...(fieldPath ? { fieldPath } : {}),
        },
        reason,
        message,
        source: { component: source.component, ...(source.host ? { host: source.host } : {}) },
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
        type,
        eventTime: null,
        reportingComponent: source.component,
        reportingInstance: source.host ?? '',
      });
    } catch {
      // The namespace is gone or terminating: a real recorder drops the event too.
      this.seen.delete(key);
    }
  }

  /** Forgets dedupe keys of a namespace (it was deleted). */
  forgetNamespace(namespace: string): void {
    for (const key of this.seen.keys()) if (key.startsWith(`${namespace}/`)) this.seen.delete(key);
  }
}
