import type { Command } from 'commander';
import { KubesoakError } from '../../errors/kubesoak-error.ts';
import type { CliIo } from '../cli-io.ts';
import type { WorkerRuntime } from '../worker-runtime.ts';

/**
 * `kubesoak demo`: the main job on the embedded simulated cluster. Until the simulated cluster and
 * the distributed runner exist it says exactly what is missing instead of pretending to run.
 */
export function registerDemoCommand(program: Command, _io: CliIo, _runtime?: WorkerRuntime): void {
  program
    .command('demo')
    .description('soak-test a bundled example chart on the embedded simulated cluster')
    .action(() => {
      throw new KubesoakError(
        'not-available',
        'kubesoak demo is not available in this build: it needs the simulated cluster (src/sim) and the distributed runner',
        { hint: 'follow the open issues in the tracker; `kubesoak tools` works today' },
      );
    });
}
