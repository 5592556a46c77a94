import { CleanupStack, describeFailures } from '../../lifecycle/cleanup-stack.ts';
import type { Command } from 'commander';
import { loadKubesoakConfig, parseHostPort } from '../../config/kubesoak-config.ts';
import { KubesoakError } from '../../errors/kubesoak-error.ts';
import { UsageError } from '../../errors/usage-error.ts';
import type { ClusterClient } from '../../kube/cluster-client.ts';
import { KubeClusterClient } from '../../kube/kube-cluster-client.ts';
import { createLogger } from '../../log/create-logger.ts';
import { KubesoakMetrics } from '../../metrics/kubesoak-metrics.ts';
import { startMetricsServer } from '../../metrics/metrics-server.ts';
import { startSchedulerHttp } from '../../runs/scheduler-http.ts';
import { compileSchedulerConfig, startScheduler } from '../../runs/scheduler.ts';
import type { CliIo } from '../cli-io.ts';
import { globalOptions } from '../global-options.ts';
import { integerOption } from '../option-parsers.ts';
import { waitForShutdownSignal } from '../wait-for-shutdown.ts';
import { validatedOptions } from './service-options.ts';

interface SchedulerCommandOptions {
  listen?: string;
  metricsPort?: number;
  /** commander's --no-janitor. */
  janitor: boolean;
}

/** Exit code after a forced (second-signal) shutdown, as shells report SIGINT. */
const FORCED_EXIT_CODE = 130;

/**
 * `kubesoak scheduler`: the HTTP API (docs/api.md), dispatch of iteration jobs within each run's P,
 * the janitor (with a kubeconfig) and /metrics, until SIGTERM/SIGINT; the first signal stops
 * accepting and closes cleanly, a second exits at once. Logs NDJSON on stderr.
 */
export function registerSchedulerCommand(program: Command, io: CliIo): void {
  program
    .command('scheduler')
    .description('run the scheduler: HTTP API, dispatch to workers over Redis, janitor and /metrics')
    .option(
      '--listen <host:port>',
      'where the HTTP API listens (default: scheduler.listen, else 127.0.0.1:8080)',
    )
    .option(
      '--metrics-port <n>',
      'port of /metrics (default: metrics.port, else 9464; 0: a free one)',
      integerOption('--metrics-port', 0, 65_535),
    )
    .option('--no-janitor', 'do not delete leftover namespaces from this scheduler')
    .action(async (options: SchedulerCommandOptions, command: Command) => {
      const global = globalOptions(command);
      const config = await loadKubesoakConfig({ file: global.config, env: io.env });
      const listen =
        options.listen === undefined
          ? config.scheduler.listen
          : parseHostPort(options.listen, 'command line', '--listen');
      const raw = {
        ...config.scheduler.options,
        redisUrl: config.redis.url,
        prefix: config.redis.prefix,
        redisOptions: { ...config.redis.options },
        redisCluster: [...config.redis.cluster],
      };
      validatedOptions('scheduler', () => compileSchedulerConfig(raw));
      const logger = await createLogger({
        base: { service: 'scheduler' },
        pretty: false,
        destination: io.stderr,
        ...(global.debug ? { level: 'debug' } : {}),
      });
      let cluster: ClusterClient | undefined;
      if (options.janitor) {
        try {
          cluster = new KubeClusterClient({ env: io.env });
        } catch (error) {
          if (!(error instanceof UsageError) || error.code !== 'no-kubeconfig') throw error;
          logger.warn(
            'no kubeconfig found (KUBECONFIG, ~/.kube/config, in-cluster): running without the janitor',
          );
        }
      }

      const cleanups = new CleanupStack();
      const closeAll = async () => {
        const failures = await cleanups.run();
        if (failures.length > 0) logger.warn({ errors: describeFailures(failures) }, 'shutdown errors');
      };
      try {
        const metrics = new KubesoakMetrics();
        const metricsServer = await startMetricsServer({
          registry: metrics.registry,
          host: config.metrics.host,
          port: options.metricsPort ?? config.metrics.port,
        });
        cleanups.push('metrics server', () => metricsServer.close());
        const scheduler = await startScheduler(raw, logger, { metrics, ...(cluster ? { cluster } : {}) });
        cleanups.push('scheduler', () => scheduler.close());
        const http = await startSchedulerHttp(scheduler, listen, logger).catch((error: unknown) => {
          const code = (error as NodeJS.ErrnoException).code;
          if (code !== 'EADDRINUSE' && code !== 'EACCES' && code !== 'EADDRNOTAVAIL') throw error;
          throw new KubesoakError(
            'listen-failed',
            `cannot listen on ${listen.host}:${listen.port}: ${code}`,
            {
              hint: 'pass another --listen HOST:PORT (or scheduler.listen in the config)',
              cause: error,
            },
          );
        });
        cleanups.push('HTTP API', () => http.close());
        logger.info(
          { api: http.url, metrics: `${metricsServer.url}/metrics`, janitor: cluster !== undefined },
          'scheduler ready',
        );
        const signal = await waitForShutdownSignal(() => {
          logger.warn('second signal: exiting now');
          process.exit(FORCED_EXIT_CODE);
        });
        logger.info({ signal }, 'shutting down: no longer accepting runs');
      } finally {
        await closeAll();
      }
      logger.info('scheduler stopped');
    });
}
