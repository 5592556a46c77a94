/** Process exit codes shared by every kubesoak command. */
export const ExitCode = {
  /** The command did what was asked and the checked thing passed. */
  ok: 0,
  /** The checked thing failed (not ready, iteration failed, run had failures with --fail-on-failure). */
  failed: 1,
  /** Usage or configuration error: nothing was done. */
  usage: 2,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
