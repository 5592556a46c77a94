import type { Command } from 'commander';
import { loadKubesoakConfig } from '../../config/kubesoak-config.ts';
import { KubeClusterClient } from '../../kube/kube-cluster-client.ts';
import { compileSchedulerConfig } from '../../runs/scheduler.ts';
import { redisRunActivity, runJanitor } from '../../runs/janitor.ts';
import { openRedisConnection } from '../../runs/redis-connection.ts';
import { RedisRunStore } from '../../runs/redis-run-store.ts';
import { CliExit } from '../cli-exit.ts';
import type { CliIo } from '../cli-io.ts';
import { ExitCode } from '../exit-code.ts';
import { globalOptions } from '../global-options.ts';
import { validatedOptions } from './service-options.ts';

interface JanitorCommandOptions {
  dryRun?: boolean;
  kubeconfig?: string;
  context?: string;
}

/**
 * `kubesoak janitor`: one janitor pass against KUBECONFIG's cluster and Redis, as the scheduler runs
 * it periodically. Only namespaces labelled app.kubernetes.io/managed-by=kubesoak are considered;
 * each deletion reads the namespace back and refuses one without the label. Exits 1 when a
 * deletion failed.
 */
export function registerJanitorCommand(program: Command, io: CliIo): void {
  program
    .command('janitor')
    .description(
      'delete leftover kubesoak namespaces once (ended runs, recorded or superseded attempts, expired)',
    )
    .option('--dry-run', 'print what would be deleted and why; delete nothing')
    .option('--kubeconfig <file>', 'kubeconfig file (default: $KUBECONFIG, ~/.kube/config, in-cluster)')
    .option('--context <name>', 'kubeconfig context (default: its current-context)')
    .action(async (options: JanitorCommandOptions, command: Command) => {
      const { json, config: file } = globalOptions(command);
      const config = await loadKubesoakConfig({ file, env: io.env });
      const scheduler = validatedOptions('scheduler', () =>
        compileSchedulerConfig({
          ...config.scheduler.options,
          redisUrl: config.redis.url,
          prefix: config.redis.prefix,
          redisOptions: { ...config.redis.options },
          redisCluster: [...config.redis.cluster],
        }),
      );
      const cluster = new KubeClusterClient({
        env: io.env,
        ...(options.kubeconfig === undefined ? {} : { kubeconfigPath: options.kubeconfig }),
        ...(options.context === undefined ? {} : { context: options.context }),
      });
      const dryRun = options.dryRun === true;
      const redis = await openRedisConnection(
        { url: config.redis.url, cluster: config.redis.cluster, redisOptions: config.redis.options },
        {
          role: 'producer',
          connectTimeoutMs: scheduler.connectTimeoutMs,
        },
      );
      let report;
      try {
        const store = new RedisRunStore(redis, config.redis.prefix);
        report = await runJanitor(
          cluster,
          redisRunActivity(store),
          { dryRun, now: new Date(), minAgeMs: scheduler.janitorMinAgeMs },
          AbortSignal.timeout(300_000),
        );
        await store.recordJanitorPass({
          managed: report.managed,
          expired: report.expired,
          deleted: dryRun ? 0 : report.actions.length,
        });
      } finally {
        await redis.quit().catch(() => redis.disconnect());
      }
      if (json) {
        io.stdout.write(`${JSON.stringify(report)}\n`);
      } else {
        const verb = dryRun ? 'would delete' : 'deleted';
        for (const action of report.actions)
          io.stdout.write(`${verb} ${action.namespace} (${action.reason})\n`);
        for (const error of report.errors)
          io.stdout.write(`failed to delete ${error.namespace}: ${error.message}\n`);
        io.stdout.write(
          `${report.managed} managed namespace(s) found, ${report.expired} expired; ` +
            `${report.actions.length} ${verb}${dryRun ? ' (dry run: nothing deleted)' : ''}\n`,
        );
      }
      if (report.errors.length > 0) throw new CliExit(ExitCode.failed);
    });
}
