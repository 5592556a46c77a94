import type { Command } from 'commander';
import { UsageError } from '../../errors/usage-error.ts';
import type { CliIo } from '../cli-io.ts';
import { followAndGate } from '../follow-run.ts';
import { globalOptions } from '../global-options.ts';
import { withRunsClient } from '../open-runs-client.ts';
import { formatRunStatus, formatRunTable, runJson, RunNotFoundError } from '../run-output.ts';

interface WaitOptions {
  wait?: boolean;
  failOnFailure?: boolean;
}

/**
 * `kubesoak status [RUN]`: one run in full (id or name), or without RUN the live runs; with
 * --wait follows RUN live (how to resume following after Ctrl-C). Exit 0, 2 for an unknown run, 1
 * with --fail-on-failure when an iteration failed.
 */
export function registerStatusCommand(program: Command, io: CliIo): void {
  program
    .command('status')
    .description('show a run (id or name) or, without RUN, the queued and running runs')
    .argument('[run]', 'run id or name')
    .option('--wait', 'follow the run live until it ends (as `submit --wait`)')
    .option('--fail-on-failure', 'with --wait: exit 1 if any iteration failed or errored')
    .action(async (ref: string | undefined, options: WaitOptions, command: Command) => {
      const { json, config } = globalOptions(command);
      if ((options.wait || options.failOnFailure) && ref === undefined)
        throw new UsageError('--wait and --fail-on-failure need a RUN', { code: 'invalid-option' });
      if (options.failOnFailure && !options.wait)
        throw new UsageError('--fail-on-failure needs --wait', { code: 'invalid-option' });
      await withRunsClient(io, config, async (client) => {
        if (ref !== undefined && options.wait) {
          await followAndGate(client, ref, io, { json, failOnFailure: options.failOnFailure === true });
          return;
        }
        if (ref === undefined) {
          const runs = await client.live();
          if (json) io.stdout.write(`${JSON.stringify({ runs: runs.map(runJson) })}\n`);
          else io.stdout.write(runs.length === 0 ? 'no live runs\n' : formatRunTable(runs));
          return;
        }
        const run = await client.status(ref);
        if (!run) throw new RunNotFoundError(ref);
        io.stdout.write(json ? `${JSON.stringify(runJson(run))}\n` : formatRunStatus(run));
      });
    });
}
