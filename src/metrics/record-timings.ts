import type { IterationRecord } from '../runs/iteration-job.ts';
import { IterationOutcome } from './kubesoak-metrics.ts';
import type { StepTiming } from './kubesoak-metrics.ts';

/**
 * The durations a stored iteration record contributes to the histograms: the whole iteration from
 * its timestamps and each timed step from `stepTimings` (ms). A record keeps one outcome only, so
 * the failed step gets the iteration's outcome and every other timed step counts as passed.
 */
export function recordTimings(record: IterationRecord): { durationSeconds: number; steps: StepTiming[] } {
  const started = Date.parse(record.startedAt);
  const finished = Date.parse(record.finishedAt);
  const durationSeconds =
    Number.isFinite(started) && Number.isFinite(finished) ? Math.max(0, (finished - started) / 1000) : 0;
  const steps = Object.entries(record.stepTimings ?? {})
    .filter(([, ms]) => Number.isFinite(ms))
    .map(([step, ms]) => ({
      step,
      durationSeconds: Math.max(0, ms / 1000),
      outcome: step === record.failedStep ? record.outcome : IterationOutcome.passed,
    }));
  return { durationSeconds, steps };
}
