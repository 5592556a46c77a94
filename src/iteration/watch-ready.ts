import { awaitReady } from '../await/await-ready.ts';
import type { AwaitReadyFunction } from './await-ready-function.ts';

/** Fail-fast reasons of src/await, as the short words the iteration records. */
const REASONS: Readonly<Record<string, string>> = {
  CrashLoopBackOff: 'crash-loop',
  ImagePullBackOff: 'image-pull',
  ErrImagePull: 'image-pull',
  InvalidImageName: 'image-pull',
  OOMKilled: 'oom-killed',
  CreateContainerConfigError: 'container-config',
  CreateContainerError: 'container-config',
  Unschedulable: 'unschedulable',
  Evicted: 'evicted',
  PodFailed: 'pod-failed',
  JobFailed: 'job-failed',
};

/**
 * The iteration's default readiness check: the watch-based awaitReady of src/await/ (settle window,
 * fail-fast reasons), adapted to the AwaitReadyFunction seam.
 */
export function watchReady(settings: { settleMs: number; unschedulableGraceMs: number }): AwaitReadyFunction {
  return async (client, target, options, signal) => {
    const result = await awaitReady(
      client,
      { namespace: target.namespace, release: target.release, workloads: target.workloads },
      {
        timeoutMs: options.timeoutMs,
        settleMs: settings.settleMs,
        unschedulableGraceMs: settings.unschedulableGraceMs,
      },
      signal,
    );
    if (result.ready) return { ready: true };
    const reason = result.failFast
      ? (REASONS[result.failFast.reason] ?? result.failFast.reason)
      : result.timedOut
        ? 'timeout'
        : 'not-ready';
    return { ready: false, reason, message: result.reason };
  };
}
