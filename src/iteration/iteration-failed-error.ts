import { KubesoakError } from '../errors/kubesoak-error.ts';

/**
 * An iteration did not pass. The CLI prints the result first, then this as its one stderr line,
 * and exits 1. `retryable` is true for `error` outcomes (kubesoak's infrastructure failed, another
 * attempt may pass), false for `failed` ones (the chart or cluster under test failed).
 */
export class IterationFailedError extends KubesoakError {
  constructor(outcome: 'failed' | 'error', category: string, summary: string) {
    super(`iteration-${outcome}`, `iteration ${outcome}: ${category}: ${summary}`, {
      retryable: outcome === 'error',
    });
  }
}
