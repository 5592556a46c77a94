import type { Logger } from '../log/create-logger.ts';
import type { IterationExecutor } from '../runs/iteration-job.ts';
import type {
  IterationWorker,
  IterationWorkerDependencies,
  IterationWorkerRawOptions,
} from '../runs/iteration-worker-service.ts';

/**
 * What the CLI's composition root (src/cli/main.ts) hands the commands from workers/: src/ never
 * imports workers/, so `kubesoak worker` and `kubesoak demo` receive the worker side through this.
 */
export interface WorkerRuntime {
  /** The iteration engine as a job executor (workers/iteration-executor.ts). */
  createExecutor(options: { logger: Logger; env?: NodeJS.ProcessEnv }): IterationExecutor;
  /**
   * A worker process that owns SIGTERM/SIGINT: the first drains, the second forces
   * (workers/iteration-worker.ts).
   */
  runWorkerProcess(
    options: IterationWorkerRawOptions,
    executor: IterationExecutor,
    logger: Logger,
    deps?: IterationWorkerDependencies,
  ): Promise<IterationWorker>;
}
