import { KubesoakError } from './kubesoak-error.ts';

/**
 * Bad input from the person or file driving kubesoak: an unknown flag, an invalid value, a config
 * file that does not validate. The CLI exits 2 for these and never retries them.
 */
export class UsageError extends KubesoakError {
  constructor(message: string, options: { code?: string; hint?: string; cause?: unknown } = {}) {
    super(options.code ?? 'usage', message, { retryable: false, hint: options.hint, cause: options.cause });
  }
}
