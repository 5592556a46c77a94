import type { KubeObject } from '../kube/cluster-client.ts';
import type { EventRow } from './debug-snapshot.ts';
import { podShape } from './debug-snapshot.ts';

/** When a pod reached each phase of its start-up (ISO wall-clock times; absent: not reached). */
export interface PodTimeline {
  pod: string;
  node?: string;
  created?: string;
  scheduled?: string;
  /** The last image Pulled event of the pod. */
  imagesPulled?: string;
  initialized?: string;
  ready?: string;
}

/** Derives a pod's timeline from its conditions (transition times) and its events. Pure. */
export function podTimeline(pod: KubeObject, events: readonly EventRow[]): PodTimeline {
  const shape = podShape(pod);
  const name = pod.metadata.name ?? '';
  const when = (type: string) => {
    const condition = shape.status?.conditions?.find((c) => c.type === type);
    return condition?.status === 'True' ? condition.lastTransitionTime : undefined;
  };
  const own = events.filter((event) => event.object === `Pod/${name}`);
  const scheduledEvent = own.find((event) => event.reason === 'Scheduled')?.time;
  const pulled = own
    .filter((event) => event.reason === 'Pulled')
    .map((event) => event.time)
    .filter((time) => time !== undefined);
  const timeline: PodTimeline = { pod: name };
  if (shape.spec?.nodeName) timeline.node = shape.spec.nodeName;
  if (pod.metadata.creationTimestamp) timeline.created = pod.metadata.creationTimestamp;
  const scheduled = when('PodScheduled') ?? scheduledEvent;
  if (scheduled) timeline.scheduled = scheduled;
  const lastPull = pulled.sort().at(-1);
  if (lastPull) timeline.imagesPulled = lastPull;
  const initialized = when('Initialized');
  if (initialized) timeline.initialized = initialized;
  const ready = when('Ready');
  if (ready) timeline.ready = ready;
  return timeline;
}
