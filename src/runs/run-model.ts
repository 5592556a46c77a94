import type { ChartRef } from './iteration-job.ts';

/** Life cycle of a run: queued → running → completed | cancelled. */
export const RunState = {
  queued: 'queued',
  running: 'running',
  completed: 'completed',
  cancelled: 'cancelled',
} as const;
export type RunState = (typeof RunState)[keyof typeof RunState];

/** Queued and running runs are live: they hold their name and get dispatched. */
export function isLiveState(state: RunState): boolean {
  return state === RunState.queued || state === RunState.running;
}

/** Per-outcome result counts of a run. */
export interface RunCounts {
  passed: number;
  failed: number;
  error: number;
}

/** What a submitter provides, after validation (see run-submission.ts). */
export interface RunSpec {
  name: string;
  note: string;
  chart: ChartRef;
  valuesFiles: string[];
  setValues: string[];
  plan: Record<string, unknown>;
  iterations: number;
  parallel: number;
  submitter: string;
}

/** A run as stored in Redis and reported by the API. */
export interface Run extends RunSpec {
  id: string;
  state: RunState;
  counts: RunCounts;
  /** Iterations handed to the queue so far (the dispatch cursor). */
  dispatched: number;
  /** Iterations dispatched but without a result yet. */
  active: number;
  /** ISO 8601 timestamps; startedAt when the first iteration was dispatched. */
  createdAt: string;
  startedAt?: string | undefined;
  finishedAt?: string | undefined;
  cancelledAt?: string | undefined;
}

/** Results recorded so far. */
export function recordedCount(run: Pick<Run, 'counts'>): number {
  return run.counts.passed + run.counts.failed + run.counts.error;
}
