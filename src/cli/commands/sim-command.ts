import type { Command } from 'commander';
import { startSimCluster } from '../../sim/sim-cluster.ts';
import type { CliIo } from '../cli-io.ts';
import { globalOptions } from '../global-options.ts';
import { integerOption, positiveNumberOption } from '../option-parsers.ts';
import { waitForShutdownSignal } from '../wait-for-shutdown.ts';

interface SimOptions {
  port: number;
  nodes: number;
  timeScale: number;
  seed: string;
  kubeconfigOut?: string;
}

/** `kubesoak sim`: run the simulated cluster until SIGINT/SIGTERM. */
export function registerSimCommand(program: Command, io: CliIo): void {
  program
    .command('sim')
    .description('run a simulated Kubernetes cluster that real helm, kubectl and client-node can use')
    .option('--port <n>', 'port to listen on (0: a free one)', integerOption('--port', 0, 65535), 0)
    .option('--nodes <n>', 'number of nodes', integerOption('--nodes', 1, 1000), 3)
    .option(
      '--time-scale <f>',
      'real time per simulated time (0.01: a 30s delay takes 300ms)',
      positiveNumberOption('--time-scale'),
      1,
    )
    .option('--seed <seed>', 'seed of every random draw', '1')
    .option('--kubeconfig-out <file>', 'write the kubeconfig here (default: a temp file)')
    .action(async (options: SimOptions, command: Command) => {
      const { json } = globalOptions(command);
      const cluster = await startSimCluster({
        port: options.port,
        nodes: options.nodes,
        timeScale: options.timeScale,
        seed: options.seed,
        ...(options.kubeconfigOut ? { kubeconfigPath: options.kubeconfigOut } : {}),
      });
      if (json) {
        io.stdout.write(
          `${JSON.stringify({ url: cluster.url, kubeconfig: cluster.kubeconfigPath, context: cluster.contextName })}\n`,
        );
      } else {
        io.stdout.write(
          [
            `simulated cluster listening on ${cluster.url} (${options.nodes} nodes, time scale ${options.timeScale})`,
            `kubeconfig: ${cluster.kubeconfigPath}`,
            `try: KUBECONFIG=${cluster.kubeconfigPath} kubectl get nodes -o wide`,
            'press Ctrl-C to stop',
            '',
          ].join('\n'),
        );
      }
      await waitForShutdownSignal();
      await cluster.stop();
    });
}
