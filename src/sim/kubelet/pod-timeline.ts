import type { SimClock, SimTimer } from '../sim-clock.ts';
import { insertInOrder } from '../insert-in-order.ts';

interface Entry {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/** A cancellable step on a {@link PodTimeline}. */
export interface TimelineHandle {
  cancel(): void;
}

/**
 * A pod's own simulated clock. Steps are ordered by simulated time, not by when the shared clock
 * happens to fire them: inside a step `now` is exactly the step's due time, so a chain of delays
 * (pull, start, probe, exit) lands on the same simulated instants in every run, even when real
 * timers fire late. Only one shared-clock timer is armed per pod at a time.
 */
export class PodTimeline {
  private readonly clock: SimClock;
  private readonly origin: number;
  private readonly queue: Entry[] = [];
  private seq = 0;
  private cursor = 0;
  private firing = false;
  // Until the first step runs, the pod's time is 0: whatever it does right after creation
  // happens at the same simulated instant in every run.
  private pinned = true;
  private armed: SimTimer | undefined;
  private armedFor = Infinity;
  private stopped = false;

  constructor(clock: SimClock) {
    this.clock = clock;
    this.origin = this.realSimNow();
  }

  /** Simulated ms since the timeline started: exact inside a step, caught up with real time otherwise. */
  get now(): number {
    if (this.firing || this.pinned) return this.cursor;
    return Math.max(this.cursor, this.realSimNow() - this.origin);
  }

  /** {@link now} on the shared simulated time axis (performance.now() / timeScale), to compare across pods. */
  get absolute(): number {
    return this.origin + this.now;
  }

  /** Runs `fn` `delayMs` simulated ms from now. */
  after(delayMs: number, fn: () => void): TimelineHandle {
    const entry: Entry = { at: this.now + Math.max(0, delayMs), seq: this.seq++, fn, cancelled: false };
    if (this.stopped) return { cancel: () => undefined };
    insertInOrder(this.queue, entry, (queued) => queued.at);
    this.arm();
    return {
      cancel: () => {
        entry.cancelled = true;
      },
    };
  }

  /** Cancels every pending step; the timeline accepts no more. */
  stop(): void {
    this.stopped = true;
    this.armed?.cancel();
    this.armed = undefined;
    for (const entry of this.queue) entry.cancelled = true;
    this.queue.length = 0;
  }

  private realSimNow(): number {
    return performance.now() / this.clock.timeScale;
  }

  private arm(): void {
    while (this.queue[0]?.cancelled) this.queue.shift();
    const first = this.queue[0];
    if (!first || this.stopped || this.firing) return;
    if (this.armed && this.armedFor <= first.at) return;
    this.armed?.cancel();
    this.armedFor = first.at;
    const realNow = this.realSimNow() - this.origin;
    this.armed = this.clock.after(first.at - realNow, () => this.fire());
  }

  private fire(): void {
    this.armed = undefined;
    this.armedFor = Infinity;
    const head = this.queue[0];
    if (!head) return;
    // Everything due at the same simulated instant runs now, in creation order.
    const due = head.at;
    this.firing = true;
    this.pinned = false;
    try {
      while (!this.stopped && this.queue.length > 0 && (this.queue[0] as Entry).at <= due) {
        const entry = this.queue.shift() as Entry;
        if (entry.cancelled) continue;
        this.cursor = entry.at;
        try {
          entry.fn();
        } catch (error) {
          // One failing step must not stall the pod's remaining steps.
          process.emitWarning(
            `simulated pod step failed: ${error instanceof Error ? error.stack : String(error)}`,
          );
        }
      }
    } finally {
      this.firing = false;
    }
    this.arm();
  }
}
