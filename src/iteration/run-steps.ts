import { KubesoakError } from '../errors/kubesoak-error.ts';
import { ClusterApiError } from '../kube/cluster-api-error.ts';
import { HelmError } from '../helm/helm-error.ts';
import type { Step, StepContext } from './step.ts';

/** How a step ended. `skipped`: an earlier main step failed or the iteration was cancelled. */
export const StepStatus = {
  ok: 'ok',
  failed: 'failed',
  error: 'error',
  timeout: 'timeout',
  cancelled: 'cancelled',
  skipped: 'skipped',
} as const;
export type StepStatus = (typeof StepStatus)[keyof typeof StepStatus];

/** The record of one step, as the result and the classifier see it. */
export interface StepRecord {
  name: string;
  phase: 'main' | 'cleanup';
  status: StepStatus;
  /** Wall-clock start (ISO); durations come from the monotonic clock. */
  startedAt?: string;
  durationMs?: number;
  message?: string;
  /** Machine reason from the step (e.g. "crash-loop", "restarted-during-test"). */
  reason?: string;
  /** When the step threw: the error's stable code and origin. */
  error?: {
    code: string;
    retryable: boolean;
    source: 'helm' | 'api' | 'kubesoak' | 'other';
    kind?: string;
    status?: number;
  };
}

/** Hooks of {@link runSteps}. */
export interface RunStepsOptions {
  /** The iteration's signal: cancel or overall timeout. Cleanup steps do not inherit it. */
  signal: AbortSignal;
  /** Called after the main steps and before any cleanup, while the evidence still exists. */
  beforeCleanup?: (records: StepRecord[]) => Promise<void>;
  /** Called when the first main step fails. */
  onFailure?: () => void;
}

/**
 * Runs a plan: main steps in order until one does not succeed, cleanup steps that were reached
 * afterwards in reverse order, every one of them even when some fail. Each step gets its own
 * timeout; main steps also stop on the iteration's signal, cleanup steps only on their timeout,
 * so a cancelled iteration still cleans up.
 */
export async function runSteps(
  steps: readonly Step[],
  makeContext: (signal: AbortSignal) => StepContext,
  options: RunStepsOptions,
): Promise<StepRecord[]> {
  const records: StepRecord[] = [];
  const cleanups: Step[] = [];
  let stopped = false;
  for (const step of steps) {
    if (step.phase === 'cleanup') {
      if (!stopped) cleanups.push(step);
      continue;
    }
    if (stopped) {
      records.push({ name: step.name, phase: 'main', status: StepStatus.skipped });
      continue;
    }
    if (options.signal.aborted) {
      const timedOut = (options.signal.reason as { name?: unknown } | undefined)?.name === 'TimeoutError';
      records.push({
        name: step.name,
        phase: 'main',
        status: timedOut ? StepStatus.timeout : StepStatus.cancelled,
        message: timedOut ? 'the iteration ran out of time' : 'cancelled before it started',
      });
      stopped = true;
      options.onFailure?.();
      continue;
    }
    const record = await runOne(step, makeContext, options.signal);
    records.push(record);
    if (record.status !== StepStatus.ok) {
      stopped = true;
      options.onFailure?.();
    }
  }
  if (options.beforeCleanup) {
    try {
      await options.beforeCleanup(records);
    } catch {
      // Evidence collection is best effort; cleanup must run regardless.
    }
  }
  for (const step of cleanups.reverse()) records.push(await runOne(step, makeContext, undefined));
  return records;
}

async function runOne(
  step: Step,
  makeContext: (signal: AbortSignal) => StepContext,
  outer: AbortSignal | undefined,
): Promise<StepRecord> {
  const timeout = new AbortController();
  const timer = setTimeout(
    () => timeout.abort(new StepTimeoutError(step.name, step.timeoutMs)),
    step.timeoutMs,
  );
  const signal = outer ? AbortSignal.any([outer, timeout.signal]) : timeout.signal;
  const context = makeContext(signal);
  const startedAt = context.clock.wallTime().toISOString();
  const started = context.clock.now();
  const base = { name: step.name, phase: step.phase, startedAt };
  try {
    const result = await step.run(context);
    const durationMs = context.clock.now() - started;
    if (result.status === 'ok') return { ...base, status: StepStatus.ok, durationMs };
    return {
      ...base,
      status: StepStatus.failed,
      durationMs,
      ...(result.message ? { message: result.message } : {}),
      ...(result.reason ? { reason: result.reason } : {}),
    };
  } catch (error) {
    const durationMs = context.clock.now() - started;
    // AbortSignal.timeout (the iteration's overall budget) aborts with a TimeoutError.
    const outerTimedOut =
      outer?.aborted === true && (outer.reason as { name?: unknown } | undefined)?.name === 'TimeoutError';
    const status =
      timeout.signal.aborted || outerTimedOut
        ? StepStatus.timeout
        : outer?.aborted
          ? StepStatus.cancelled
          : error instanceof HelmError ||
              error instanceof ClusterApiError ||
              !(error instanceof KubesoakError)
            ? StepStatus.error
            : StepStatus.failed;
    const message =
      status === StepStatus.timeout
        ? outerTimedOut
          ? 'the iteration ran out of time'
          : `timed out after ${step.timeoutMs} ms`
        : error instanceof Error
          ? error.message
          : String(error);
    context.logger.debug({ step: step.name, err: error }, 'step ended with an error');
    return { ...base, status, durationMs, message, error: describeError(error) };
  } finally {
    clearTimeout(timer);
  }
}

/** A step ran past its own timeout. */
export class StepTimeoutError extends KubesoakError {
  constructor(step: string, timeoutMs: number) {
    super('step-timeout', `step ${step} timed out after ${timeoutMs} ms`, { retryable: true });
  }
}

function describeError(error: unknown): NonNullable<StepRecord['error']> {
  if (error instanceof HelmError)
    return { code: error.code, retryable: error.retryable, source: 'helm', kind: error.kind };
  if (error instanceof ClusterApiError)
    return {
      code: error.code,
      retryable: error.retryable,
      source: 'api',
      ...(error.reason ? { kind: error.reason } : {}),
      ...(error.status === undefined ? {} : { status: error.status }),
    };
  if (error instanceof KubesoakError)
    return { code: error.code, retryable: error.retryable, source: 'kubesoak' };
  return {
    code: error instanceof Error && error.name === 'AbortError' ? 'aborted' : 'internal',
    retryable: false,
    source: 'other',
  };
}
