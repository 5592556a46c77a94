import type { Command } from 'commander';
import type { CliIo } from '../cli-io.ts';
import { globalOptions } from '../global-options.ts';
import { withRunsClient } from '../open-runs-client.ts';
import { integerOption } from '../option-parsers.ts';
import { formatRunTable, runJson } from '../run-output.ts';

/** `kubesoak runs`: the newest runs, live and ended. */
export function registerRunsCommand(program: Command, io: CliIo): void {
  program
    .command('runs')
    .description('list the newest runs, live and ended')
    .option('--limit <n>', 'how many runs (1-10000, default 20)', integerOption('--limit', 1, 10_000), 20)
    .action(async (options: { limit: number }, command: Command) => {
      const { json, config } = globalOptions(command);
      await withRunsClient(io, config, async (client) => {
        const runs = await client.list(options.limit);
        if (json) io.stdout.write(`${JSON.stringify({ runs: runs.map(runJson) })}\n`);
        else io.stdout.write(runs.length === 0 ? 'no runs\n' : formatRunTable(runs));
      });
    });
}
