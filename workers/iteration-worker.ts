import { createLogger } from '../src/log/create-logger.ts';
import type { Logger } from '../src/log/create-logger.ts';
import type { IterationExecutor } from '../src/runs/iteration-job.ts';
import { startIterationWorker } from '../src/runs/iteration-worker-service.ts';
import type {
  IterationWorker,
  IterationWorkerDependencies,
  IterationWorkerRawOptions,
} from '../src/runs/iteration-worker-service.ts';

/** Exit code after a forced (second-signal) shutdown, as shells report SIGINT. */
const FORCED_EXIT_CODE = 130;

/**
 * A worker process: starts an iteration worker and owns the process's signals. The first SIGTERM
 * or SIGINT stops taking jobs and lets in-flight iterations finish within the grace period (then
 * aborts them, waits for their cleanup, and exits 0); a second signal aborts at once and exits 130.
 * Resolves with the worker; the process exits when it is shut down. `deps.metrics` is filled by
 * the worker (the caller serves it).
 */
export async function runIterationWorkerProcess(
  options: IterationWorkerRawOptions,
  executor: IterationExecutor,
  logger?: Logger,
  deps: IterationWorkerDependencies = {},
): Promise<IterationWorker> {
  const log = logger ?? (await createLogger({ base: { service: 'worker' } }));
  const worker = await startIterationWorker(options, executor, log, deps);
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals === 1) {
      log.info({ signal, active: worker.activeCount() }, 'shutting down: finishing in-flight iterations');
      // A second signal aborts the drain, which then ends this close too: it still exits 130.
      void worker.close().then(
        () => process.exit(signals > 1 ? FORCED_EXIT_CODE : 0),
        () => process.exit(signals > 1 ? FORCED_EXIT_CODE : 1),
      );
      return;
    }
    log.warn({ signal }, 'second signal: aborting in-flight iterations');
    // Cleanup of aborted iterations gets a moment; the exit does not wait for a hung one.
    const force = setTimeout(() => process.exit(FORCED_EXIT_CODE), 10_000);
    force.unref();
    void worker.close({ force: true }).finally(() => process.exit(FORCED_EXIT_CODE));
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return worker;
}
