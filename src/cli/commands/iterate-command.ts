import type { Command } from 'commander';
import { HelmCli } from '../../helm/helm-cli.ts';
import { compileIterationConfig, loadPlanFile } from '../../iteration/iteration-config.ts';
import { IterationFailedError } from '../../iteration/iteration-failed-error.ts';
import { formatIterationResult } from '../../iteration/format-iteration-result.ts';
import { runIteration } from '../../iteration/run-iteration.ts';
import { KubeClusterClient } from '../../kube/kube-cluster-client.ts';
import { createLogger } from '../../log/create-logger.ts';
import type { CliIo } from '../cli-io.ts';
import { globalOptions } from '../global-options.ts';

interface IterateOptions {
  chart?: string;
  version?: string;
  chartVersion?: string;
  values: string[];
  set: string[];
  kubeconfig?: string;
  context?: string;
  timeout?: string;
  readyTimeout?: string;
  keepFailed?: string;
  helm?: string;
  plan?: string;
  release?: string;
}

const collect = (value: string, previous: string[]) => [...previous, value];

/**
 * `kubesoak iterate`: one soak iteration (namespace → install → await-ready → helm test →
 * cleanup) with its diagnosis. Exit 0 passed, 1 failed or error, 2 usage.
 */
export function registerIterateCommand(program: Command, io: CliIo): void {
  program
    .command('iterate')
    .description('run one soak iteration of a chart end to end and diagnose it')
    .option('--chart <chart>', 'chart directory, .tgz, repo/chart or oci:// reference')
    // Not --version: commander parses the program's -V/--version wherever it appears.
    .option('--version <version>', 'chart version (repo and OCI charts)')
    .option('--chart-version <version>', 'same as --version')
    .option('-f, --values <file>', 'values file (repeatable)', collect, [])
    .option('--set <key=value>', 'value override (repeatable)', collect, [])
    .option('--kubeconfig <file>', 'kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context (default: its current-context)')
    .option('--timeout <duration>', 'budget of the whole iteration, cleanup excluded (default 20m)')
    .option('--ready-timeout <duration>', 'how long to await readiness (default 5m)')
    .option('--keep-failed <duration>', "keep a failed iteration's namespace this long for debugging")
    .option('--helm <path>', 'helm binary (default: helm on PATH)')
    .option('--release <name>', 'release name (default soak)')
    .option('--plan <file>', 'YAML plan file; flags override its fields')
    .action(async (options: IterateOptions, command: Command) => {
      const { json, debug } = globalOptions(command);
      const given = (name: string) => command.getOptionValueSource(name) === 'cli';
      const raw: Record<string, unknown> = options.plan ? await loadPlanFile(options.plan) : {};
      if (options.chart !== undefined) raw.chart = options.chart;
      const chartVersion = options.version ?? options.chartVersion;
      if (chartVersion !== undefined) raw.version = chartVersion;
      if (given('values')) raw.values = options.values;
      if (given('set')) raw.set = options.set;
      if (options.kubeconfig !== undefined) raw.kubeconfig = options.kubeconfig;
      if (options.context !== undefined) raw.context = options.context;
      if (options.timeout !== undefined) raw.timeout = options.timeout;
      if (options.keepFailed !== undefined) raw.keepFailed = options.keepFailed;
      if (options.helm !== undefined) raw.helm = options.helm;
      if (options.release !== undefined) raw.release = options.release;
      if (options.readyTimeout !== undefined)
        raw.timeouts = {
          ...(raw.timeouts as Record<string, unknown> | undefined),
          ready: options.readyTimeout,
        };
      const config = compileIterationConfig(raw);
      const client = new KubeClusterClient({
        env: io.env,
        ...(config.kubeconfig === undefined ? {} : { kubeconfigPath: config.kubeconfig }),
        ...(config.context === undefined ? {} : { context: config.context }),
      });
      const helm = new HelmCli({
        binary: config.helm,
        // In-cluster (no kubeconfig file) helm finds the ServiceAccount itself; a --kube-context
        // would name client-node's synthetic "inClusterContext", which helm does not know.
        ...(client.kubeconfigPath ? { kubeconfig: client.kubeconfigPath, kubeContext: client.context } : {}),
        env: io.env,
      });
      const logger = await createLogger({
        level: debug ? 'debug' : 'warn',
        destination: io.stderr,
        pretty: false,
      });
      const controller = new AbortController();
      const stop = () => controller.abort(new Error('interrupted'));
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      let result;
      try {
        result = await runIteration(config, { client, helm, logger, signal: controller.signal });
      } finally {
        process.removeListener('SIGINT', stop);
        process.removeListener('SIGTERM', stop);
      }
      if (json) io.stdout.write(`${JSON.stringify(result)}\n`);
      else io.stdout.write(formatIterationResult(result));
      // run-cli prints it as the one stderr line (JSON with --json) and exits 1.
      if (result.outcome !== 'passed')
        throw new IterationFailedError(result.outcome, result.category ?? 'unknown', result.summary);
    });
}
