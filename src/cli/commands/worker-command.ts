import type { Command } from 'commander';
import { parseDuration } from '../../config/duration.ts';
import { loadKubesoakConfig } from '../../config/kubesoak-config.ts';
import { KubesoakError } from '../../errors/kubesoak-error.ts';
import { UsageError } from '../../errors/usage-error.ts';
import { KubeClusterClient } from '../../kube/kube-cluster-client.ts';
import { createLogger } from '../../log/create-logger.ts';
import { KubesoakMetrics } from '../../metrics/kubesoak-metrics.ts';
import { startMetricsServer } from '../../metrics/metrics-server.ts';
import { compileWorkerConfig } from '../../runs/iteration-worker-service.ts';
import type { CliIo } from '../cli-io.ts';
import { globalOptions } from '../global-options.ts';
import { integerOption } from '../option-parsers.ts';
import type { WorkerRuntime } from '../worker-runtime.ts';
import { validatedOptions } from './service-options.ts';

interface WorkerCommandOptions {
  concurrency?: number;
  metricsPort?: number;
  gracePeriod?: number;
  id?: string;
}

function durationOption(flag: string) {
  return (value: string): number => parseDuration(value, flag);
}

function idOption(value: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(value))
    throw new UsageError(`invalid --id "${value}"`, {
      code: 'invalid-option',
      hint: 'use letters, digits, ".", "_" and "-" (at most 128 characters)',
    });
  return value;
}

/**
 * `kubesoak worker`: executes iteration jobs from the shared queue with the iteration engine
 * (KUBECONFIG names the cluster) and serves /metrics. The first SIGTERM/SIGINT stops taking jobs
 * and lets in-flight iterations finish within the grace period; a second aborts them (the worker
 * runtime owns the signals and the exit).
 */
export function registerWorkerCommand(program: Command, io: CliIo, runtime?: WorkerRuntime): void {
  program
    .command('worker')
    .description('run a worker: execute soak iterations from the queue and serve /metrics')
    .option(
      '--concurrency <n>',
      'iterations at a time (default: worker.concurrency, else 4)',
      integerOption('--concurrency', 1, 1024),
    )
    .option(
      '--metrics-port <n>',
      'port of /metrics (default: metrics.port, else 9464; 0: a free one)',
      integerOption('--metrics-port', 0, 65_535),
    )
    .option(
      '--grace-period <duration>',
      'how long in-flight iterations may finish after SIGTERM, e.g. 5m (default: worker.gracePeriod, else 5m)',
      durationOption('--grace-period'),
    )
    .option('--id <id>', 'worker id stored with each result (default: HOSTNAME-PID)', idOption)
    .action(async (options: WorkerCommandOptions, command: Command) => {
      const global = globalOptions(command);
      const config = await loadKubesoakConfig({ file: global.config, env: io.env });
      const raw = {
        ...config.worker.options,
        redisUrl: config.redis.url,
        prefix: config.redis.prefix,
        redisOptions: { ...config.redis.options },
        redisCluster: [...config.redis.cluster],
        ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
        ...(options.gracePeriod === undefined ? {} : { gracePeriod: options.gracePeriod }),
        ...(options.id === undefined ? {} : { workerId: options.id }),
      };
      validatedOptions('worker', () => compileWorkerConfig(raw));
      if (!runtime)
        throw new KubesoakError('no-worker-runtime', 'this build of kubesoak has no worker runtime', {
          hint: 'run the kubesoak CLI (bin/kubesoak.js), which provides it',
        });
      const logger = await createLogger({
        base: { service: 'worker' },
        pretty: false,
        destination: io.stderr,
        ...(global.debug ? { level: 'debug' } : {}),
      });
      try {
        new KubeClusterClient({ env: io.env });
      } catch (error) {
        // Not fatal: a run's plan may name its own kubeconfig. Without either, iterations error.
        logger.warn(
          { err: error instanceof Error ? error.message : String(error) },
          'no usable kubeconfig (KUBECONFIG, ~/.kube/config, in-cluster): iterations will fail unless their plan names one',
        );
      }
      const metrics = new KubesoakMetrics();
      const metricsServer = await startMetricsServer({
        registry: metrics.registry,
        host: config.metrics.host,
        port: options.metricsPort ?? config.metrics.port,
      });
      try {
        await runtime.runWorkerProcess(raw, runtime.createExecutor({ logger, env: io.env }), logger, {
          metrics,
        });
      } catch (error) {
        await metricsServer.close();
        throw error;
      }
      // The runtime exits the process once the worker has shut down; /metrics serves until then.
      logger.info({ metrics: `${metricsServer.url}/metrics` }, 'worker ready');
    });
}
