import type { Command } from 'commander';
import { isLiveState } from '../../runs/run-model.ts';
import type { CliIo } from '../cli-io.ts';
import { globalOptions } from '../global-options.ts';
import { withRunsClient } from '../open-runs-client.ts';
import { runJson, RunNotFoundError } from '../run-output.ts';

/**
 * `kubesoak cancel RUN [--now]`: stops dispatching; with --now also aborts running iterations.
 * Cancelling an ended run changes nothing and still exits 0.
 */
export function registerCancelCommand(program: Command, io: CliIo): void {
  program
    .command('cancel')
    .description('cancel a run: no new iterations start; --now also aborts the running ones')
    .argument('<run>', 'run id or name')
    .option('--now', 'abort running iterations too (they clean up and are recorded as error/aborted)')
    .action(async (ref: string, options: { now?: boolean }, command: Command) => {
      const { json, config } = globalOptions(command);
      await withRunsClient(io, config, async (client) => {
        const before = await client.status(ref);
        if (!before) throw new RunNotFoundError(ref);
        const run = (await client.cancel(before.id, { now: options.now === true })) ?? before;
        if (json) {
          io.stdout.write(`${JSON.stringify(runJson(run))}\n`);
          return;
        }
        if (!isLiveState(before.state)) {
          io.stdout.write(`run ${run.name} (${run.id}) had already ended: ${run.state}\n`);
          return;
        }
        const active =
          run.active === 0
            ? 'no iteration is active'
            : options.now
              ? `${run.active} active iteration(s) are being aborted`
              : `${run.active} active iteration(s) will finish`;
        io.stdout.write(`cancelled run ${run.name} (${run.id}): ${active}\n`);
      });
    });
}
