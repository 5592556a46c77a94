/** Outcomes of one iteration; counters on a run are kept per outcome. */
export const IterationOutcome = { passed: 'passed', failed: 'failed', error: 'error' } as const;
export type IterationOutcome = (typeof IterationOutcome)[keyof typeof IterationOutcome];

/** Categories the distributed layer itself assigns (the engine assigns its own for real failures). */
export const RunsCategory = {
  /** BullMQ gave up on the job (stalled more than allowed, or failed permanently). */
  workerLost: 'worker-lost',
  /** The executor threw instead of returning a record: a bug or an unexpected infrastructure error. */
  executorError: 'executor-error',
  /** Aborted by `cancel --now` or by a worker shutdown past its grace period. */
  aborted: 'aborted',
} as const;
export type RunsCategory = (typeof RunsCategory)[keyof typeof RunsCategory];

/** Largest chart archive shipped inline with a run (the .tgz, before base64). */
export const MAX_CHART_ARCHIVE_BYTES = 1024 * 1024;

/** The chart an iteration installs. */
export interface ChartRef {
  /** A path, a REPO/CHART reference or an OCI URL, as helm takes it. */
  ref: string;
  version?: string | undefined;
  /**
   * The chart itself as a base64 .tgz, when the submitter packaged a local directory: workers on
   * other machines install this instead of `ref` (which then only names where it came from).
   */
  archive?: string | undefined;
}

/** Everything a worker needs to run one iteration of a run, with no further Redis reads. */
export interface IterationJob {
  runId: string;
  runName: string;
  /** 0-based iteration number within the run. */
  iteration: number;
  /** 1-based attempt number, counted by kubesoak (BullMQ stall restarts do not count attempts). */
  attempt: number;
  /** Earlier attempts of this iteration, whose leftover namespaces the engine removes first. */
  previousAttempts: number[];
  chart: ChartRef;
  /** Contents of the values files, in order (not paths: workers run on other machines). */
  valuesFiles: string[];
  /** `--set key=value` pairs, in order. */
  setValues: string[];
  /** The iteration plan as submitted (opaque here; the engine validates it). */
  plan: Record<string, unknown>;
}

/** What the executor returns for one iteration; stored compressed as the iteration's result. */
export interface IterationRecord {
  outcome: IterationOutcome;
  category: string;
  failedStep?: string | undefined;
  evidence?: string[] | undefined;
  stepTimings?: Record<string, number> | undefined;
  nodes?: string[] | undefined;
  snapshot?: unknown;
  /** ISO 8601 timestamps. */
  startedAt: string;
  finishedAt: string;
}

/** A stored result: the record plus what the distributed layer knows about it. */
export interface StoredIterationResult extends IterationRecord {
  iteration: number;
  attempt: number;
  workerId: string;
  /** True when the snapshot was over the size cap and was replaced by a truncation marker. */
  snapshotTruncated?: boolean;
}

/** A stored result without its snapshot: what listings and followers move around. */
export type IterationSummary = Omit<StoredIterationResult, 'snapshot'>;

/**
 * Runs one iteration. It must honour `signal` (abort: stop, clean up, then resolve or reject) and
 * should resolve with a record for every outcome, including failures of the chart under test.
 */
export type IterationExecutor = (job: IterationJob, signal: AbortSignal) => Promise<IterationRecord>;
