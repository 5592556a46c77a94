import { CommanderError } from 'commander';
import { KubesoakError } from '../errors/kubesoak-error.ts';
import { UsageError } from '../errors/usage-error.ts';
import { CliExit } from './cli-exit.ts';
import type { CliIo } from './cli-io.ts';
import { ExitCode } from './exit-code.ts';
import { buildProgram } from './program.ts';
import type { WorkerRuntime } from './worker-runtime.ts';

/**
 * Runs the CLI for `argv` (without node and script) and resolves with the exit code. `runtime` is
 * the worker side (only the composition root and tests provide it; `worker` and `demo` need it). Every error
 * becomes one line on stderr — what is wrong and how to fix it — and a stack trace only with --debug.
 */
export async function runCli(argv: readonly string[], io: CliIo, runtime?: WorkerRuntime): Promise<ExitCode> {
  const program = buildProgram(io, runtime);
  const debug = argv.includes('--debug');
  const json = argv.includes('--json');
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return ExitCode.ok;
  } catch (error) {
    if (error instanceof CliExit) return error.exitCode;
    if (error instanceof CommanderError) {
      // Commander already printed its message (or the help/version text).
      if (error.exitCode === 0) return ExitCode.ok;
      return ExitCode.usage;
    }
    return reportError(error, io, { debug, json });
  }
}

function reportError(error: unknown, io: CliIo, options: { debug: boolean; json: boolean }): ExitCode {
  const known = error instanceof KubesoakError;
  const exitCode: ExitCode = error instanceof UsageError ? ExitCode.usage : ExitCode.failed;
  const message = known
    ? error.oneLine
    : `unexpected error: ${error instanceof Error ? error.message : String(error)}` +
      (options.debug ? '' : ' (run with --debug for details)');
  if (options.json) {
    const code = known ? error.code : 'internal';
    io.stderr.write(`${JSON.stringify({ error: { code, message, exitCode } })}\n`);
  } else {
    io.stderr.write(`kubesoak: ${message}\n`);
  }
  if (options.debug && error instanceof Error && error.stack) io.stderr.write(`${error.stack}\n`);
  return exitCode;
}
