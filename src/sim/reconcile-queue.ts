/**
 * A de-duplicating work queue, the simulated analogue of client-go's workqueue: a key enqueued many
 * times before it is processed is processed once, with the latest state. Work runs on a later
 * macrotask, never inside the store write that triggered it, so components never re-enter the store.
 */
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
    const keys = [...this.pending];
    this.pending.clear();
    for (const key of keys) {
      if (this.stopped) return;
      try {
        this.handler(key);
      } catch (error) {
        this.onError(key, error);
      }
    }
  }
}
