/** Where a command writes. Tests pass buffers; the real CLI passes the process streams. */
export interface CliIo {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  readonly env: NodeJS.ProcessEnv;
}

/** Options every command accepts. */
export interface GlobalOptions {
  /** Print stack traces and debug logs. */
  debug: boolean;
  /** Machine-readable JSON on stdout instead of text. */
  json: boolean;
  /** --config FILE, if given (commands fall back to $KUBESOAK_CONFIG). */
  config?: string | undefined;
}
