/**
 * Base class of every error kubesoak raises on purpose.
 *
 * `code` is a stable string that scripts, logs and result records may rely on; `retryable` says
 * whether doing the same thing again can help (a refused connection can, a bad chart path cannot).
 * `hint` is the "how to fix it" half of the one-line message the CLI prints.
 */
export class KubesoakError extends Error {
  readonly code: string;
  readonly retryable: boolean;
  readonly hint: string | undefined;

  constructor(
    code: string,
    message: string,
    options: { retryable?: boolean; hint?: string; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.hint = options.hint;
  }

  /** The one line a person sees: what is wrong, then how to fix it. */
  get oneLine(): string {
    return this.hint ? `${this.message}: ${this.hint}` : this.message;
  }
}
