/**
 * A de-duplicating work queue, the simulated analogue of client-go's workqueue: a key enqueued many
 * times before it is processed is processed once, with the latest state. Work runs on a later
 * macrotask, never inside the store write that triggered it, so components never re-enter the store.
 */
const SLICE_MS = 4;

export class ReconcileQueue {
  private readonly pending = new Set<string>();
  private scheduled = false;
  private stopped = false;
  private readonly handler: (key: string) => void;
  private readonly onError: (key: string, error: unknown) => void;

  constructor(handler: (key: string) => void, onError?: (key: string, error: unknown) => void) {
    this.handler = handler;
    this.onError =
      onError ??
      ((key, error) =>
        process.emitWarning(
          `reconcile ${key} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
        ));
  }

  add(key: string): void {
    if (this.stopped) return;
    this.pending.add(key);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.drain());
    }
  }

  stop(): void {
    this.stopped = true;
    this.pending.clear();
  }

  private drain(): void {
    this.scheduled = false;
    // Work in slices of a few milliseconds: a burst of hundreds of keys must not hold the event loop
    // while API requests wait (the API's tail latency is the simulation's longest slice).
    const deadline = performance.now() + SLICE_MS;
    for (const key of this.pending) {
      if (this.stopped) return;
      this.pending.delete(key);
      try {
        this.handler(key);
      } catch (error) {
        this.onError(key, error);
      }
      if (performance.now() > deadline) break;
    }
    if (this.pending.size > 0 && !this.scheduled && !this.stopped) {
      this.scheduled = true;
      setImmediate(() => this.drain());
    }
  }
}
