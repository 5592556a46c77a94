import type { Command } from 'commander';
import { loadScenario } from '../../sim/faults/load-scenario.ts';
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
  scenario?: string;
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
    .option('--scenario <file>', 'scenario YAML: seed, nodes and faults to inject (see docs/sim.md)')
    .action(async (options: SimOptions, command: Command) => {
      const { json } = globalOptions(command);
      const scenario = options.scenario ? await loadScenario(options.scenario) : undefined;
      // Flags given on the command line win over the scenario; their defaults do not.
      const given = (name: string) => command.getOptionValueSource(name) === 'cli';
      const useFlag = (name: string) => !scenario || given(name);
      const cluster = await startSimCluster({
        port: options.port,
        ...(useFlag('nodes') || scenario?.nodes === undefined ? { nodes: options.nodes } : {}),
        ...(useFlag('timeScale') || scenario?.timeScale === undefined
          ? { timeScale: options.timeScale }
          : {}),
        ...(useFlag('seed') || scenario?.seed === undefined ? { seed: options.seed } : {}),
        ...(options.kubeconfigOut ? { kubeconfigPath: options.kubeconfigOut } : {}),
        ...(scenario ? { scenario } : {}),
      });
      const nodeCount = cluster.nodes.pool.nodes.length;
      const timeScale = cluster.context.clock.timeScale;
      if (json) {
        io.stdout.write(
          `${JSON.stringify({ url: cluster.url, kubeconfig: cluster.kubeconfigPath, context: cluster.contextName })}\n`,
        );
      } else {
        io.stdout.write(
          [
            `simulated cluster listening on ${cluster.url} (${nodeCount} nodes, time scale ${timeScale})`,
            ...(options.scenario
              ? [`scenario: ${options.scenario} (${scenario?.faults?.length ?? 0} faults)`]
              : []),
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
