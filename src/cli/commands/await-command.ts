import type { Command } from 'commander';
import { awaitReady } from '../../await/await-ready.ts';
import type { AwaitResult, AwaitTarget } from '../../await/await-ready.ts';
import { NotReadyError } from '../../await/not-ready-error.ts';
import { formatPodTable } from '../../await/pod-table.ts';
import { parseDuration } from '../../config/duration.ts';
import { UsageError } from '../../errors/usage-error.ts';
import { KubeClusterClient } from '../../kube/kube-cluster-client.ts';
import type { CliIo } from '../cli-io.ts';
import { globalOptions } from '../global-options.ts';

interface AwaitCommandOptions {
  namespace: string;
  release?: string;
  selector?: string;
  timeout: string;
  settle: string;
  unschedulableGrace: string;
  kubeconfig?: string;
  context?: string;
}

/**
 * `kubesoak await`: the await-ready step of an iteration on its own. Exit 0 when ready, 1 when not
 * (reason on stderr, pod table on stdout either way), 2 on usage errors.
 */
export function registerAwaitCommand(program: Command, io: CliIo): void {
  program
    .command('await')
    .description(
      "wait until a release's workloads and pods are ready (watch-based, fails fast on crash loops)",
    )
    .requiredOption('-n, --namespace <ns>', 'namespace of the release or pods')
    .option(
      '--release <name>',
      "wait for this release's Deployments, StatefulSets, DaemonSets, Jobs and pods",
    )
    .option('--selector <selector>', 'wait for the pods this label selector matches instead')
    .option('--timeout <duration>', 'give up after this long', '5m')
    .option('--settle <duration>', 'how long everything must stay ready without a restart', '3s')
    .option('--unschedulable-grace <duration>', 'how long a pod may stay Unschedulable', '30s')
    .option('--kubeconfig <file>', 'kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)')
    .option('--context <name>', 'kubeconfig context (default: its current-context)')
    .action(async (options: AwaitCommandOptions, command: Command) => {
      const { json } = globalOptions(command);
      if ((options.release === undefined) === (options.selector === undefined)) {
        throw new UsageError('give exactly one of --release NAME or --selector SELECTOR', {
          code: 'invalid-option',
        });
      }
      const timeoutMs = parseDuration(options.timeout, '--timeout');
      const settleMs = parseDuration(options.settle, '--settle');
      const unschedulableGraceMs = parseDuration(options.unschedulableGrace, '--unschedulable-grace');
      if (timeoutMs <= 0)
        throw new UsageError(`invalid --timeout "${options.timeout}"`, {
          code: 'invalid-duration',
          hint: 'give a duration greater than 0',
        });
      const client = new KubeClusterClient({
        env: io.env,
        ...(options.kubeconfig === undefined ? {} : { kubeconfigPath: options.kubeconfig }),
        ...(options.context === undefined ? {} : { context: options.context }),
      });
      const target: AwaitTarget = { namespace: options.namespace };
      if (options.release !== undefined) target.release = options.release;
      if (options.selector !== undefined) target.selector = options.selector;
      const controller = new AbortController();
      const stop = () => controller.abort(new Error('interrupted'));
      process.once('SIGINT', stop);
      let result: AwaitResult;
      try {
        result = await awaitReady(
          client,
          target,
          { timeoutMs, settleMs, unschedulableGraceMs },
          controller.signal,
        );
      } finally {
        process.removeListener('SIGINT', stop);
      }
      if (json) {
        io.stdout.write(`${JSON.stringify(result)}\n`);
      } else {
        if (result.pods.length > 0) io.stdout.write(formatPodTable(result.pods));
        else io.stdout.write(`No pods found in ${options.namespace} namespace.\n`);
      }
      if (result.ready) {
        if (!json) io.stderr.write(`kubesoak: ${result.reason} (${(result.elapsedMs / 1000).toFixed(1)}s)\n`);
        return;
      }
      // run-cli prints it as the one stderr line (JSON with --json) and exits 1.
      throw new NotReadyError(result.reason);
    });
}
