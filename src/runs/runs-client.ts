import type { IterationSummary, StoredIterationResult } from './iteration-job.ts';
import type { RunProgressView } from './redis-run-store.ts';
import type { Run } from './run-model.ts';
import type { RawSubmission } from './run-submission.ts';

/** Most iterations one `results` call may ask for (the HTTP API's limit too). */
export const MAX_RESULTS_PER_REQUEST = 1000;

/**
 * What the CLI (and `kubesoak demo`) needs from wherever runs live: the scheduler's HTTP API
 * (HttpRunsClient, when KUBESOAK_URL is set) or Redis directly (RedisRunsClient). Every `ref` is
 * a run id or a run name (the newest run with that name). An unknown run gives undefined.
 */
export interface RunsClient {
  /** Where this client talks to, for messages (a URL without credentials). */
  readonly target: string;
  /** Validates completely, then stores the run; throws InvalidSubmissionError / RunNameTakenError. */
  submit(raw: RawSubmission): Promise<Run>;
  status(ref: string): Promise<Run | undefined>;
  /** State, counts and timestamps only: cheap to poll (no values files, no chart archive). */
  progress(ref: string): Promise<RunProgressView | undefined>;
  /** The newest runs first. */
  list(limit: number): Promise<Run[]>;
  /** The queued and running runs, oldest first. */
  live(): Promise<Run[]>;
  /** One iteration's stored result, snapshot included (0-based iteration). */
  iteration(ref: string, iteration: number): Promise<StoredIterationResult | undefined>;
  /**
   * The recorded results among `iterations` (at most MAX_RESULTS_PER_REQUEST), by iteration and
   * without snapshots; iterations without a result are left out.
   */
  results(ref: string, iterations: readonly number[]): Promise<IterationSummary[] | undefined>;
  /** Stops dispatching; `now` also aborts the run's active iterations. */
  cancel(ref: string, options: { now: boolean }): Promise<Run | undefined>;
  /** Idempotent. */
  close(): Promise<void>;
}
