import type { EventRecorder } from './event-recorder.ts';
import type { PodLogStore } from './pod-log-store.ts';
import type { SeededRandom } from './seeded-random.ts';
import type { SimClock } from './sim-clock.ts';
import type { ObjectStore } from './store/object-store.ts';

/** What every simulated component (controllers, scheduler, kubelets) works with. */
export interface SimContext {
  readonly store: ObjectStore;
  readonly clock: SimClock;
  readonly events: EventRecorder;
  readonly logs: PodLogStore;
  readonly random: SeededRandom;
}

/** A simulated control-plane or node component. */
export interface SimComponent {
  start(): void;
  stop(): void;
}
