import { Command } from 'commander';
import { VERSION } from '../version.ts';
import type { CliIo } from './cli-io.ts';
import type { WorkerRuntime } from './worker-runtime.ts';
import { registerAwaitCommand } from './commands/await-command.ts';
import { registerDemoCommand } from './commands/demo-command.ts';
import { registerIterateCommand } from './commands/iterate-command.ts';
import { registerJanitorCommand } from './commands/janitor-command.ts';
import { registerSchedulerCommand } from './commands/scheduler-command.ts';
import { registerWorkerCommand } from './commands/worker-command.ts';
import { registerSimCommand } from './commands/sim-command.ts';
import { registerToolsCommand } from './commands/tools-command.ts';
import { registerCancelCommand } from './commands/cancel-command.ts';
import { registerRunsCommand } from './commands/runs-command.ts';
import { registerShowCommand } from './commands/show-command.ts';
import { registerStatusCommand } from './commands/status-command.ts';
import { registerSubmitCommand } from './commands/submit-command.ts';

/**
 * Builds the `kubesoak` command tree. Commands register themselves into help groups so that
 * `kubesoak --help` reads as a map of the product rather than an alphabetical list.
 */
export function buildProgram(io: CliIo, runtime?: WorkerRuntime): Command {
  const program = new Command('kubesoak');
  program
    .description(
      'Soak-test Helm charts on Kubernetes: run install → await-ready → helm test → cleanup hundreds ' +
        'of times in parallel, and learn how often it fails, why, and on which node.',
    )
    .version(VERSION, '-V, --version', 'print the kubesoak version')
    .option('--debug', 'print stack traces and debug logs')
    .option('--json', 'print machine-readable JSON on stdout')
    .option('--config <file>', 'kubesoak config file (default: $KUBESOAK_CONFIG)')
    .helpOption('-h, --help', 'show help for a command')
    .showSuggestionAfterError(true)
    .showHelpAfterError('(run `kubesoak --help` for usage)')
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: (text, write) => write(`kubesoak: ${text.replace(/^error: /, '')}`),
    })
    .exitOverride()
    // Program options only before the subcommand, so a subcommand may own a flag the program also
    // has (`kubesoak iterate --version 1.2` is the chart version, `kubesoak --version` ours).
    .enablePositionalOptions()
    .addHelpText(
      'after',
      [
        '',
        'Exit codes: 0 success, 1 the checked thing failed, 2 usage or configuration error.',
        'Environment: REDIS_URL, KUBECONFIG, KUBESOAK_URL (see README.md).',
      ].join('\n'),
    );
  // Subcommands inherit output, exitOverride and help settings from here on.
  program.commandsGroup('Getting started:');
  registerDemoCommand(program, io, runtime);
  program.commandsGroup('Soak runs:');
  registerSubmitCommand(program, io);
  registerStatusCommand(program, io);
  registerRunsCommand(program, io);
  registerShowCommand(program, io);
  registerCancelCommand(program, io);
  program.commandsGroup('Services:');
  registerSchedulerCommand(program, io);
  registerWorkerCommand(program, io, runtime);
  registerJanitorCommand(program, io);
  program.commandsGroup('Single iteration:');
  registerAwaitCommand(program, io);
  registerIterateCommand(program, io);
  program.commandsGroup('Simulated cluster:');
  registerSimCommand(program, io);
  program.commandsGroup('Setup:');
  registerToolsCommand(program, io);
  // --debug and --json work after the subcommand too: every command accepts them itself.
  for (const command of program.commands) acceptGlobalFlags(command);
  return program;
}

function acceptGlobalFlags(command: Command): void {
  // No defaults: an unset flag must not override the same flag given before the subcommand.
  if (!command.options.some((option) => option.long === '--debug')) {
    command.option('--debug', 'print stack traces and debug logs');
  }
  if (!command.options.some((option) => option.long === '--json')) {
    command.option('--json', 'print machine-readable JSON on stdout');
  }
  if (!command.options.some((option) => option.long === '--config')) {
    command.option('--config <file>', 'kubesoak config file (default: $KUBESOAK_CONFIG)');
  }
  for (const sub of command.commands) acceptGlobalFlags(sub);
}
