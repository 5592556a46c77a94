import type { Logger } from '../log/create-logger.ts';
import { ITERATION_QUEUE_NAME } from '../runs/bullmq-iteration-queue.ts';
import type { BullmqIterationQueue } from '../runs/bullmq-iteration-queue.ts';
import type { RedisRunStore } from '../runs/redis-run-store.ts';
import { isLiveState } from '../runs/run-model.ts';
import { chartLabel } from './chart-label.ts';
import type { KubesoakMetrics, RunState } from './kubesoak-metrics.ts';
import { runLabel } from './run-label.ts';

/** A scrape that cannot read Redis within this long serves the previous values. */
const COLLECT_TIMEOUT_MS = 5_000;

/**
 * Makes `metrics` read the scheduler's view from Redis at every scrape: iteration and node-failure
 * counters from the totals the record script keeps (so they equal the stored results across
 * worker crashes and scheduler restarts), run and run-iteration gauges, BullMQ's job counts, the
 * last janitor pass and a PING's latency. Nothing is counted in process memory. Returns a function
 * that stops it (call before closing the Redis connection).
 */
export function registerSchedulerCollector(
  metrics: KubesoakMetrics,
  sources: { store: RedisRunStore; queue: BullmqIterationQueue; logger: Logger },
): () => void {
  const { store, queue, logger } = sources;
  let stopped = false;
  let lastError = '';
  const collect = async () => {
    metrics.observeRedisLatency(await store.ping());
    const [runs, nodeFailures, janitor, jobs] = await Promise.all([
      store.summaries(),
      store.nodeFailures(),
      store.janitorStats(),
      queue.jobCounts(),
    ]);
    const results = await store.resultCounts(runs.map((run) => run.id));
    const byState: Partial<Record<RunState, number>> = {};
    for (const run of runs) byState[run.state] = (byState[run.state] ?? 0) + 1;
    metrics.setRunTotals(
      runs.map((run) => {
        const live = isLiveState(run.state);
        const recorded = run.counts.passed + run.counts.failed + run.counts.error;
        return {
          chart: chartLabel(run.chartRef),
          run: runLabel(run),
          live,
          results: results.get(run.id) ?? [],
          iterations: {
            // A cancelled run's remaining iterations will never run: they are not queued.
            queued: live ? Math.max(0, run.iterations - recorded - run.active) : 0,
            active: run.active,
            ...run.counts,
          },
        };
      }),
    );
    metrics.setRuns(byState);
    metrics.setNodeFailureTotals(nodeFailures);
    metrics.setManagedNamespaces(janitor.managed, janitor.expired);
    metrics.setJanitorDeletedTotal(janitor.deleted);
    metrics.setQueueJobs(ITERATION_QUEUE_NAME, jobs);
  };
  const unregister = metrics.onCollect(async () => {
    if (stopped) return;
    try {
      // One promise that always settles (no dangling timeout promise once collect() wins).
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('Redis did not answer in time')), COLLECT_TIMEOUT_MS);
        collect().then(
          () => {
            clearTimeout(timer);
            resolve();
          },
          (error: unknown) => {
            clearTimeout(timer);
            reject(error instanceof Error ? error : new Error(String(error)));
          },
        );
      });
      lastError = '';
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      // A Redis outage fails every scrape the same way: log it once.
      if (message !== lastError)
        logger.warn({ err: message }, 'metrics: reading Redis failed; serving the previous values');
      lastError = message;
    }
  });
  return () => {
    stopped = true;
    unregister();
  };
}
