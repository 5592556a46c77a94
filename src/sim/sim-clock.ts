import { insertInOrder } from './insert-in-order.ts';

/** A scheduled callback; cancel() is idempotent. */
export interface SimTimer {
  cancel(): void;
}

interface Entry {
  due: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/**
 * The simulated cluster's clock. Timestamps are wall-clock (clients compute AGE against their own
 * clock), but every simulated delay is multiplied by `timeScale`: at 0.01 a 30 s probe delay takes
 * 300 ms. Timers fire in (due time, creation order), from one Node timer, so equal inputs give the
 * same order of state changes.
 */
export class SimClock {
  readonly timeScale: number;
  private readonly queue: Entry[] = [];
  private seq = 0;
  private handle: NodeJS.Timeout | undefined;
  private armedFor = Infinity;
  private closed = false;

  constructor(timeScale = 1) {
    if (!(timeScale > 0)) throw new RangeError(`timeScale must be > 0, got ${timeScale}`);
    this.timeScale = timeScale;
  }

  now(): Date {
    return new Date();
  }

  /** Real milliseconds that a simulated duration takes. */
  scale(simMs: number): number {
    return simMs * this.timeScale;
  }

  /** Runs `fn` after `simMs` simulated milliseconds. */
  after(simMs: number, fn: () => void): SimTimer {
    const entry: Entry = {
      due: performance.now() + Math.max(0, simMs) * this.timeScale,
      seq: this.seq++,
      fn,
      cancelled: false,
    };
    if (this.closed) return { cancel: () => undefined };
    insertInOrder(this.queue, entry, (queued) => queued.due);
    this.arm();
    return {
      cancel: () => {
        entry.cancelled = true;
      },
    };
  }

  /** Pending timers (for tests and leak checks). */
  get pending(): number {
    return this.queue.filter((entry) => !entry.cancelled).length;
  }

  close(): void {
    this.closed = true;
    if (this.handle) clearTimeout(this.handle);
    this.handle = undefined;
    for (const entry of this.queue) entry.cancelled = true;
    this.queue.length = 0;
  }

  private arm(): void {
    const first = this.queue[0];
    if (!first || this.closed) return;
    if (this.handle && first.due >= this.armedFor) return;
    if (this.handle) clearTimeout(this.handle);
    this.armedFor = first.due;
    this.handle = setTimeout(() => this.fire(), Math.max(0, first.due - performance.now()));
  }

  private fire(): void {
    this.handle = undefined;
    this.armedFor = Infinity;
    const now = performance.now();
    // Fire in slices of a few milliseconds so a burst of due timers never stalls the API server.
    const deadline = now + 4;
    while (this.queue.length > 0 && (this.queue[0] as Entry).due <= now + 0.5) {
      if (performance.now() > deadline) {
        // A callback of this slice may have armed a timer already: replace it, or close() misses it.
        if (this.handle) clearTimeout(this.handle);
        this.handle = setTimeout(() => this.fire(), 0);
        this.armedFor = -Infinity;
        return;
      }
      const entry = this.queue.shift() as Entry;
      if (entry.cancelled) continue;
      try {
        entry.fn();
      } catch (error) {
        // A failing simulated component must not stop the clock for all others.
        process.emitWarning(
          `simulated cluster timer failed: ${error instanceof Error ? error.stack : String(error)}`,
        );
      }
    }
    this.arm();
  }
}
