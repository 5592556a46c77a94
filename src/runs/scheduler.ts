import { z } from 'zod';
import { KubesoakError } from '../errors/kubesoak-error.ts';
import type { ClusterClient } from '../kube/cluster-client.ts';
import type { Logger } from '../log/create-logger.ts';
import type { KubesoakMetrics } from '../metrics/kubesoak-metrics.ts';
import { registerSchedulerCollector } from '../metrics/scheduler-collector.ts';
import { redisRunActivity, runJanitor } from './janitor.ts';
import type { JanitorReport } from './janitor.ts';
import { BullmqIterationQueue } from './bullmq-iteration-queue.ts';
import type { IterationJobRef } from './bullmq-iteration-queue.ts';
import { interleave, planDispatch } from './dispatch-plan.ts';
import { IterationOutcome, RunsCategory } from './iteration-job.ts';
import type { IterationSummary, StoredIterationResult } from './iteration-job.ts';
import { durationField, redisConnectionFields, requireHashTagOnCluster } from './connection-options.ts';
import { openRedisConnection } from './redis-connection.ts';
import { runChannels, subscribeRunChannels } from './redis-run-channels.ts';
import { RedisRunStore } from './redis-run-store.ts';
import { RedisRunsClient } from './redis-runs-client.ts';
import type { RunProgressView } from './redis-run-store.ts';
import { DEFAULT_SNAPSHOT_CAP_BYTES, encodeResult } from './result-codec.ts';
import { isLiveState } from './run-model.ts';
import type { Run } from './run-model.ts';
import { DEFAULT_MAX_ITERATIONS } from './run-submission.ts';
import type { RawSubmission } from './run-submission.ts';
import { CleanupStack, describeFailures } from '../lifecycle/cleanup-stack.ts';

/** Coalescing delay between a recorded result and the scheduler's next dispatch pass. */
const RESULT_PUMP_DELAY_MS = 100;

const schedulerOptionsSchema = z
  .strictObject({
    ...redisConnectionFields,
    maxIterations: z.number().int().min(1).default(DEFAULT_MAX_ITERATIONS),
    /** Attempts when a worker fails a job itself (e.g. interrupted by shutdown); stalls are separate. */
    attempts: z.number().int().min(1).default(3),
    backoff: durationField.default(1_000),
    /** Safety tick: repairs, worker-lost scan and top-up even when no result event arrives. */
    tickInterval: durationField.default(5_000),
    retentionInterval: durationField.default(600_000),
    /** Ended runs older than this are deleted with their results. */
    retentionMaxAge: durationField.default(30 * 24 * 3_600_000),
    /** At most this many ended runs are kept. */
    retentionMaxCount: z.number().int().min(0).default(1_000),
    snapshotCapBytes: z.number().int().min(1024).default(DEFAULT_SNAPSHOT_CAP_BYTES),
    connectTimeout: durationField.default(5_000),
    /** How often the janitor runs inside the scheduler (when a cluster client is given). */
    janitorInterval: durationField.default(60_000),
    janitorMinAge: durationField.default(120_000),
    janitorDryRun: z.boolean().default(false),
  })
  .superRefine(requireHashTagOnCluster);

/** Raw scheduler options; durations as ms or strings such as "5s". */
export type SchedulerRawOptions = z.input<typeof schedulerOptionsSchema>;

/** Frozen scheduler configuration, durations in ms. */
export interface SchedulerConfig {
  readonly redisUrl: string;
  readonly prefix: string;
  readonly redisOptions: Readonly<Record<string, unknown>>;
  readonly redisCluster: readonly string[];
  readonly maxIterations: number;
  readonly attempts: number;
  readonly backoffMs: number;
  readonly tickIntervalMs: number;
  readonly retentionIntervalMs: number;
  readonly retentionMaxAgeMs: number;
  readonly retentionMaxCount: number;
  readonly snapshotCapBytes: number;
  readonly connectTimeoutMs: number;
  readonly janitorIntervalMs: number;
  readonly janitorMinAgeMs: number;
  readonly janitorDryRun: boolean;
}

/** Compiles raw options once; throws a zod error naming the field. */
export function compileSchedulerConfig(raw: SchedulerRawOptions): SchedulerConfig {
  const value = schedulerOptionsSchema.parse(raw);
  return Object.freeze({
    redisUrl: value.redisUrl,
    prefix: value.prefix,
    redisOptions: value.redisOptions,
    redisCluster: value.redisCluster,
    maxIterations: value.maxIterations,
    attempts: value.attempts,
    backoffMs: value.backoff,
    tickIntervalMs: value.tickInterval,
    retentionIntervalMs: value.retentionInterval,
    retentionMaxAgeMs: value.retentionMaxAge,
    retentionMaxCount: value.retentionMaxCount,
    snapshotCapBytes: value.snapshotCapBytes,
    connectTimeoutMs: value.connectTimeout,
    janitorIntervalMs: value.janitorInterval,
    janitorMinAgeMs: value.janitorMinAge,
    janitorDryRun: value.janitorDryRun,
  });
}

/** The scheduler service: accepts runs and keeps the shared queue topped up within each run's P. */
export interface Scheduler {
  readonly config: SchedulerConfig;
  /** Validates completely, then stores the run; throws InvalidSubmissionError / RunNameTakenError. */
  submit(raw: RawSubmission): Promise<Run>;
  /** Stops dispatching; `now` also aborts the run's active iterations. Undefined if unknown. */
  cancel(idOrName: string, options?: { now?: boolean }): Promise<Run | undefined>;
  status(idOrName: string): Promise<Run | undefined>;
  list(limit?: number): Promise<Run[]>;
  iteration(idOrName: string, iteration: number): Promise<StoredIterationResult | undefined>;
  /** Recorded results among `iterations`, without snapshots; undefined if the run is unknown. */
  results(idOrName: string, iterations: readonly number[]): Promise<IterationSummary[] | undefined>;
  /** The queued and running runs. */
  live(): Promise<Run[]>;
  /** A run's state and counts without its spec (what followers poll); undefined if unknown. */
  progress(idOrName: string): Promise<RunProgressView | undefined>;
  /** One dispatch pass plus repairs, worker-lost recording and (when due) retention. */
  tick(): Promise<void>;
  /** Runs the janitor once now; throws when the scheduler has no cluster client. */
  janitor(options?: { dryRun?: boolean }): Promise<JanitorReport>;
  close(): Promise<void>;
}

/** Optional collaborators of a scheduler. */
export interface SchedulerDependencies {
  /** Enables the janitor (periodically, and through Scheduler.janitor). */
  cluster?: ClusterClient;
  /**
   * Metrics to fill from Redis at every scrape (iteration and node-failure counters, run, queue
   * and janitor gauges); the caller serves metrics.registry (src/metrics/metrics-server.ts).
   */
  metrics?: KubesoakMetrics;
}

/**
 * Starts a scheduler. All state lives in Redis, so any number of schedulers may run against one
 * prefix and a restarted one continues where the last left off: dispatch goes through an atomic
 * reserve of the run's cursor, so two of them never exceed P between them.
 */
export async function startScheduler(
  raw: SchedulerRawOptions,
  logger: Logger,
  deps: SchedulerDependencies = {},
): Promise<Scheduler> {
  const config = compileSchedulerConfig(raw);
  const log = logger.child({ component: 'scheduler' });
  const cleanups = new CleanupStack();
  const runCleanups = async () => {
    const failures = await cleanups.run();
    if (failures.length > 0) log.warn({ errors: describeFailures(failures) }, 'scheduler cleanup errors');
  };
  try {
    const target = { url: config.redisUrl, cluster: config.redisCluster, redisOptions: config.redisOptions };
    const redis = await openRedisConnection(target, {
      role: 'producer',
      connectTimeoutMs: config.connectTimeoutMs,
    });
    cleanups.push('redis connection', async () => void (await redis.quit().catch(() => redis.disconnect())));
    const store = new RedisRunStore(redis, config.prefix);
    // Reads, submits and cancels go through the same code as the CLI's direct-Redis mode.
    const runs = RedisRunsClient.over(redis, {
      redisUrl: config.redisUrl,
      prefix: config.prefix,
      maxIterations: config.maxIterations,
    });
    const queue = new BullmqIterationQueue(redis, {
      prefix: config.prefix,
      attempts: config.attempts,
      backoffMs: config.backoffMs,
    });
    cleanups.push('queue', () => queue.close());
    if (deps.metrics) {
      const stop = registerSchedulerCollector(deps.metrics, { store, queue, logger: log });
      cleanups.push('metrics collector', () => Promise.resolve(stop()));
    }

    let closed = false;
    let rotation = 0;
    let pumping: Promise<void> | undefined;
    let again = false;
    let lastError = '';

    const dispatch = async (): Promise<void> => {
      const live = await store.progress(await store.liveRunIds());
      const order = planDispatch(
        live.filter((run) => isLiveState(run.state)).map((run) => ({ ...run, runId: run.id })),
        Number.POSITIVE_INFINITY,
        rotation,
      );
      rotation += 1;
      if (order.length === 0) return;
      const wanted = new Map<string, number>();
      for (const id of order) wanted.set(id, (wanted.get(id) ?? 0) + 1);
      const now = new Date();
      const perRun = await Promise.all(
        [...wanted].map(async ([runId, count]) =>
          (await store.reserve(runId, count, now)).map((iteration): IterationJobRef => ({
            runId,
            iteration,
          })),
        ),
      );
      // If add fails after the reserve, the safety tick's repair re-adds the missing jobs.
      await queue.add(interleave(perRun));
    };

    const pump = (): Promise<void> => {
      if (closed) return Promise.resolve();
      if (pumping) {
        again = true;
        return pumping;
      }
      pumping = (async () => {
        do {
          again = false;
          try {
            await dispatch();
            lastError = '';
          } catch (error) {
            const message = error instanceof Error ? error.message : String(error);
            // Redis outages repeat the same error on every pass; log it once.
            if (message !== lastError)
              log.warn({ err: message }, 'dispatch failed; retrying on the next event or tick');
            lastError = message;
            again = false;
          }
        } while (again && !closed);
        pumping = undefined;
      })();
      return pumping;
    };

    /** Jobs reserved but never added (a crash or Redis error between reserve and add). */
    const repair = async () => {
      for (const runId of await store.liveRunIds()) {
        const missing: IterationJobRef[] = [];
        for (const iteration of await store.inflight(runId)) {
          const ref = { runId, iteration };
          // Order matters: a job is removed only after its result was recorded, so "no job" read
          // before "no result" means the job was never added.
          if (!(await queue.exists(ref)) && !(await store.hasResult(runId, iteration))) missing.push(ref);
        }
        if (missing.length > 0) {
          log.info(
            { run: runId, iterations: missing.map((ref) => ref.iteration) },
            're-adding jobs missing from the queue',
          );
          await queue.add(missing);
        }
      }
    };

    const recordWorkerLost = async () => {
      for (const failed of await queue.failed(500)) {
        const attempt = await store.attempts(failed.runId, failed.iteration);
        const at = new Date().toISOString();
        const result: StoredIterationResult = {
          outcome: IterationOutcome.error,
          category: RunsCategory.workerLost,
          evidence: [failed.reason],
          startedAt: at,
          finishedAt: at,
          iteration: failed.iteration,
          attempt,
          workerId: 'scheduler',
        };
        const { isNew, next } = await store.record(
          failed.runId,
          failed.iteration,
          result,
          encodeResult(result, config.snapshotCapBytes),
          new Date(),
        );
        await queue.add(next.map((iteration) => ({ runId: failed.runId, iteration })));
        if (isNew)
          log.warn(
            { run: failed.runId, iteration: failed.iteration, reason: failed.reason },
            'iteration recorded as worker-lost',
          );
        await queue.remove(failed.jobId);
      }
    };

    const janitorAbort = new AbortController();
    cleanups.push('janitor', () => Promise.resolve(janitorAbort.abort()));
    const janitor = async (dryRun: boolean): Promise<JanitorReport> => {
      if (!deps.cluster)
        throw new KubesoakError('janitor-no-cluster', 'the janitor needs a Kubernetes cluster client', {
          retryable: false,
        });
      const report = await runJanitor(
        deps.cluster,
        redisRunActivity(store),
        { dryRun, now: new Date(), minAgeMs: config.janitorMinAgeMs },
        janitorAbort.signal,
      );
      await store.recordJanitorPass({
        managed: report.managed,
        expired: report.expired,
        deleted: dryRun ? 0 : report.actions.length,
      });
      if (report.actions.length > 0 || report.errors.length > 0) log.info({ ...report }, 'janitor pass');
      return report;
    };

    let lastRetention = 0;
    let lastJanitor = 0;
    const tick = async () => {
      if (closed) return;
      try {
        await recordWorkerLost();
        await repair();
        if (Date.now() - lastRetention >= config.retentionIntervalMs) {
          lastRetention = Date.now();
          const deleted = await store.applyRetention(
            { maxAgeMs: config.retentionMaxAgeMs, maxCount: config.retentionMaxCount },
            new Date(),
          );
          if (deleted.length > 0) log.info({ runs: deleted.length }, 'retention deleted ended runs');
        }
        if (deps.cluster && Date.now() - lastJanitor >= config.janitorIntervalMs) {
          lastJanitor = Date.now();
          await janitor(config.janitorDryRun);
        }
      } catch (error) {
        log.warn({ err: error instanceof Error ? error.message : String(error) }, 'scheduler tick failed');
      }
      await pump();
    };

    const subscriber = await openRedisConnection(target, {
      role: 'worker',
      connectTimeoutMs: config.connectTimeoutMs,
    });
    // Workers refill a finished slot themselves; the scheduler hears only of completed runs (and
    // coalesces those), as a run ending is what may change the round-robin.
    let pumpTimer: NodeJS.Timeout | undefined;
    cleanups.push('pump timer', () => Promise.resolve(clearTimeout(pumpTimer)));
    cleanups.push(
      'result subscription',
      await subscribeRunChannels(subscriber, [runChannels(config.prefix).results], () => {
        pumpTimer ??= setTimeout(() => {
          pumpTimer = undefined;
          void pump();
        }, RESULT_PUMP_DELAY_MS);
      }),
    );

    let ticking: Promise<void> = tick();
    const timer = setInterval(() => {
      ticking = ticking.then(tick);
    }, config.tickIntervalMs);
    cleanups.push('tick loop', async () => {
      clearInterval(timer);
      await ticking;
      await pumping;
    });
    log.info({ prefix: config.prefix }, 'scheduler started');

    return {
      config,
      async submit(raw) {
        // The client's hint on the results channel reaches this scheduler too; pumping now saves
        // the round trip.
        const run = await runs.submit(raw);
        log.info(
          { run: run.id, name: run.name, iterations: run.iterations, parallel: run.parallel },
          'run submitted',
        );
        void pump();
        return run;
      },
      cancel: (idOrName, options = {}) => runs.cancel(idOrName, { now: options.now ?? false }),
      status: (idOrName) => runs.status(idOrName),
      list: (limit = 100) => runs.list(limit),
      iteration: (idOrName, iteration) => runs.iteration(idOrName, iteration),
      results: (idOrName, iterations) => runs.results(idOrName, iterations),
      progress: (idOrName) => runs.progress(idOrName),
      live: () => runs.live(),
      tick: () => (ticking = ticking.then(tick)),
      janitor: (options = {}) => janitor(options.dryRun ?? false),
      async close() {
        if (closed) return;
        closed = true;
        await runCleanups();
      },
    };
  } catch (error) {
    await runCleanups();
    throw error;
  }
}
