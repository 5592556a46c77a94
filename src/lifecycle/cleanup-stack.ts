/** One failed cleanup: what it was for and why it failed. */
export interface CleanupFailure {
  what: string;
  error: unknown;
}

/**
 * Cleanups registered as resources are acquired, run last-in-first-out: a resource is released
 * before the ones it was built on. Every cleanup runs even when an earlier one fails, and each runs
 * once: a second run() (close() called twice) finds the stack empty.
 */
export class CleanupStack {
  readonly #cleanups: Array<{ what: string; run: () => Promise<void> | void }> = [];

  /** Registers a cleanup; `what` names it in the failures run() reports. */
  push(what: string, run: () => Promise<void> | void): void {
    this.#cleanups.push({ what, run });
  }

  /** How many cleanups are pending. */
  get size(): number {
    return this.#cleanups.length;
  }

  /** Runs every pending cleanup, newest first; never rejects, resolves with the failures. */
  async run(): Promise<CleanupFailure[]> {
    const failures: CleanupFailure[] = [];
    for (const cleanup of this.#cleanups.splice(0).reverse()) {
      try {
        await cleanup.run();
      } catch (error) {
        failures.push({ what: cleanup.what, error });
      }
    }
    return failures;
  }
}

/** Failures as log-friendly strings. */
export function describeFailures(failures: readonly CleanupFailure[]): string[] {
  return failures.map(
    ({ what, error }) => `${what}: ${error instanceof Error ? error.message : String(error)}`,
  );
}
