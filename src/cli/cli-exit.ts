import type { ExitCode } from './exit-code.ts';

/**
 * Thrown by a command to end with a given exit code after it printed its own output (e.g. exit 1
 * after printing "not ready" and the pod table). Lives apart from run-cli.ts so commands can throw
 * it without an import cycle.
 */
export class CliExit extends Error {
  readonly exitCode: ExitCode;
  constructor(exitCode: ExitCode) {
    super(`exit ${exitCode}`);
    this.exitCode = exitCode;
  }
}
