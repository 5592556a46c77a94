import { KubesoakError } from '../errors/kubesoak-error.ts';

/**
 * The awaited release or pods did not become ready: timed out or failed fast. The CLI prints it
 * as one line on stderr and exits 1. Retrying the same await rarely helps (a new iteration may).
 */
export class NotReadyError extends KubesoakError {
  constructor(reason: string) {
    super('not-ready', `not ready: ${reason}`, { retryable: false });
  }
}
