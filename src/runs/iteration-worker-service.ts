import { hostname } from 'node:os';
import { z } from 'zod';
import { KubesoakError } from '../errors/kubesoak-error.ts';
import type { Logger } from '../log/create-logger.ts';
import { chartLabel } from '../metrics/chart-label.ts';
import type { KubesoakMetrics } from '../metrics/kubesoak-metrics.ts';
import { recordTimings } from '../metrics/record-timings.ts';
import { BullmqIterationQueue, createIterationWorker } from './bullmq-iteration-queue.ts';
import type { IterationConsumer, IterationDelivery, IterationJobRef } from './bullmq-iteration-queue.ts';
import { IterationOutcome, RunsCategory } from './iteration-job.ts';
import type {
  IterationExecutor,
  IterationJob,
  IterationRecord,
  StoredIterationResult,
} from './iteration-job.ts';
import { durationField, redisConnectionFields, requireHashTagOnCluster } from './connection-options.ts';
import { openRedisConnection } from './redis-connection.ts';
import { runChannels, subscribeRunChannels } from './redis-run-channels.ts';
import { RedisRunStore } from './redis-run-store.ts';
import { isLiveState } from './run-model.ts';
import type { Run } from './run-model.ts';
import { DEFAULT_SNAPSHOT_CAP_BYTES, encodeResult } from './result-codec.ts';
import { CleanupStack, describeFailures } from '../lifecycle/cleanup-stack.ts';

/** The iteration was interrupted by this worker shutting down; BullMQ retries it elsewhere. */
export class IterationInterruptedError extends KubesoakError {
  constructor(job: IterationJobRef) {
    super(
      'iteration-interrupted',
      `iteration ${job.iteration} of run ${job.runId} interrupted by worker shutdown`,
      {
        retryable: true,
      },
    );
  }
}

/** How long close() waits for BullMQ after the iterations ended. */
const CLOSE_TIMEOUT_MS = 10_000;

const workerOptionsSchema = z
  .strictObject({
    ...redisConnectionFields,
    concurrency: z.number().int().min(1).default(4),
    workerId: z.string().min(1).default(`${hostname()}-${process.pid}`),
    /** 60 s: renewed every 30 s while the event loop runs; a dead worker's job is retried ~60-90 s later. */
    lockDuration: durationField.default(60_000),
    stalledInterval: durationField.default(30_000),
    maxStalledCount: z.number().int().min(0).default(1),
    /** How long in-flight iterations may run on after SIGTERM before they are aborted. */
    gracePeriod: durationField.default(300_000),
    /** Recreate the BullMQ worker when its connection has not been ready for this long. */
    recreateAfter: durationField.default(30_000),
    healthInterval: durationField.default(5_000),
    snapshotCapBytes: z.number().int().min(1024).default(DEFAULT_SNAPSHOT_CAP_BYTES),
    /** Job options of the iterations this worker enqueues on a refill: keep equal to the scheduler's. */
    attempts: z.number().int().min(1).default(3),
    backoff: durationField.default(1_000),
  })
  .superRefine(requireHashTagOnCluster);

/** Raw worker options (durations as ms or "60s"); validated by startIterationWorker. */
export type IterationWorkerRawOptions = z.input<typeof workerOptionsSchema>;

/** Frozen, validated worker configuration with durations in ms. */
export interface IterationWorkerConfig {
  readonly redisUrl: string;
  readonly prefix: string;
  readonly redisOptions: Readonly<Record<string, unknown>>;
  readonly redisCluster: readonly string[];
  readonly concurrency: number;
  readonly workerId: string;
  readonly lockDurationMs: number;
  readonly stalledIntervalMs: number;
  readonly maxStalledCount: number;
  readonly gracePeriodMs: number;
  readonly recreateAfterMs: number;
  readonly healthIntervalMs: number;
  readonly snapshotCapBytes: number;
  readonly attempts: number;
  readonly backoffMs: number;
}

/** Compiles raw options once; throws a zod error naming the field. */
export function compileWorkerConfig(raw: IterationWorkerRawOptions): IterationWorkerConfig {
  const value = workerOptionsSchema.parse(raw);
  return Object.freeze({
    redisUrl: value.redisUrl,
    prefix: value.prefix,
    redisOptions: value.redisOptions,
    redisCluster: value.redisCluster,
    concurrency: value.concurrency,
    workerId: value.workerId,
    lockDurationMs: value.lockDuration,
    stalledIntervalMs: value.stalledInterval,
    maxStalledCount: value.maxStalledCount,
    gracePeriodMs: value.gracePeriod,
    recreateAfterMs: value.recreateAfter,
    healthIntervalMs: value.healthInterval,
    snapshotCapBytes: value.snapshotCapBytes,
    attempts: value.attempts,
    backoffMs: value.backoff,
  });
}

/** A running iteration worker. */
export interface IterationWorker {
  readonly config: IterationWorkerConfig;
  /** Iterations executing right now. */
  activeCount(): number;
  /**
   * Stops taking jobs, lets in-flight iterations finish within the grace period, then aborts them
   * (they are retried elsewhere) and waits for their cleanup. `force` aborts at once. Idempotent.
   */
  close(options?: { force?: boolean }): Promise<void>;
}

/** A run's spec as this worker read it, and whether its state may be trusted without asking Redis. */
interface CachedRun {
  run: Run;
  /** The `trust` epoch in which the run was last seen live; stale once the epoch moved on. */
  liveIn: number;
}

interface ActiveIteration {
  runId: string;
  controller: AbortController;
  /** Why it was aborted, if it was. */
  reason?: 'cancelled' | 'shutdown';
}

/** Optional collaborators of an iteration worker. */
export interface IterationWorkerDependencies {
  /**
   * Metrics this worker fills: its slots and busy slots, the duration of every iteration it
   * recorded and of their steps, and Redis latency (read at scrape time). Iteration counters are
   * the scheduler's (docs/metrics.md). The caller serves metrics.registry.
   */
  metrics?: KubesoakMetrics;
}

/** Starts a worker that executes iteration jobs from the shared queue with `executor`. */
export async function startIterationWorker(
  raw: IterationWorkerRawOptions,
  executor: IterationExecutor,
  logger: Logger,
  deps: IterationWorkerDependencies = {},
): Promise<IterationWorker> {
  const config = compileWorkerConfig(raw);
  const log = logger.child({ worker: config.workerId });
  const cleanups = new CleanupStack();
  const runLifo = async () => {
    const failures = await cleanups.run();
    if (failures.length > 0) log.warn({ errors: describeFailures(failures) }, 'worker cleanup errors');
  };
  try {
    const target = { url: config.redisUrl, cluster: config.redisCluster, redisOptions: config.redisOptions };
    const storeConnection = await openRedisConnection(target, { role: 'worker' });
    cleanups.push(
      'store connection',
      async () => void (await storeConnection.quit().catch(() => storeConnection.disconnect())),
    );
    const store = new RedisRunStore(storeConnection, config.prefix);
    const queue = new BullmqIterationQueue(storeConnection, {
      prefix: config.prefix,
      attempts: config.attempts,
      backoffMs: config.backoffMs,
    });
    cleanups.push('queue', () => queue.close());
    const active = new Map<string, ActiveIteration>();
    const runs = new Map<string, CachedRun>();
    // The first start of a job needs no Redis call when the run is known to be live: its
    // reservation counted the attempt. "Known" means seen live since the last event that could
    // have ended it unseen: a run-ended or cancel message (any run), or the subscriber's
    // connection dropping (messages are lost while it is away). Each of those moves the epoch on.
    // What slips through (a job taken just as its run is cancelled) runs once and is recorded,
    // as an iteration that had started just before the cancel would be.
    let trust = 0;
    const { metrics } = deps;
    if (metrics) {
      const untrack = metrics.trackWorkerSlots(() => ({ total: config.concurrency, busy: active.size }));
      const unregister = metrics.onCollect(async () => {
        if (storeConnection.status === 'ready') metrics.observeRedisLatency(await store.ping());
      });
      cleanups.push('metrics slots', () => Promise.resolve(unregister()));
      cleanups.push('metrics tracking', () => Promise.resolve(untrack()));
    }

    const subscriber = await openRedisConnection(target, { role: 'worker' });
    const distrust = () => void (trust += 1);
    subscriber.on('close', distrust);
    subscriber.on('ready', distrust);
    cleanups.push('subscriber listeners', () =>
      Promise.resolve(void subscriber.off('close', distrust).off('ready', distrust)),
    );
    const channels = runChannels(config.prefix);
    cleanups.push(
      'run subscription',
      await subscribeRunChannels(subscriber, [channels.cancel, channels.results], (channel, runId) => {
        distrust();
        if (channel !== channels.cancel) return;
        for (const iteration of active.values()) {
          if (iteration.runId !== runId || iteration.controller.signal.aborted) continue;
          iteration.reason = 'cancelled';
          iteration.controller.abort(new Error(`run ${runId} cancelled`));
        }
      }),
    );

    const processor = async (
      ref: IterationJobRef,
      bullSignal: AbortSignal,
      delivery: IterationDelivery,
    ): Promise<void> => {
      let cached = runs.get(ref.runId);
      if (!cached) {
        const before = trust;
        const read = await store.get(ref.runId);
        if (!read) return;
        // The spec never changes; a small cache saves a read per iteration.
        if (runs.size >= 64) runs.clear();
        cached = { run: read, liveIn: isLiveState(read.state) ? before : -1 };
        runs.set(ref.runId, cached);
        // Zero buckets before the first observation, so rate() sees that observation too.
        if (metrics) startChart(metrics, read, log);
      }
      const { run } = cached;
      let attempt = 1;
      const trusted = cached.liveIn === trust && subscriber.status === 'ready';
      if (!(delivery.firstCountedStart && trusted)) {
        // A restart (stall, retry), or a run that may have ended: the script decides and counts.
        const before = trust;
        const start = await store.beginAttempt(ref.runId, ref.iteration, delivery.firstCountedStart);
        if (start.kind === 'skip') return;
        attempt = start.attempt;
        cached.liveIn = before;
      }
      const job: IterationJob = {
        runId: run.id,
        runName: run.name,
        iteration: ref.iteration,
        attempt,
        previousAttempts: Array.from({ length: attempt - 1 }, (_, index) => index + 1),
        chart: run.chart,
        valuesFiles: run.valuesFiles,
        setValues: run.setValues,
        plan: run.plan,
      };
      const key = `${ref.runId}.${ref.iteration}`;
      const entry: ActiveIteration = { runId: ref.runId, controller: new AbortController() };
      const onBullAbort = () => {
        entry.reason ??= 'cancelled';
        entry.controller.abort(bullSignal.reason);
      };
      bullSignal.addEventListener('abort', onBullAbort, { once: true });
      active.set(key, entry);
      const startedAt = new Date().toISOString();
      let record: IterationRecord;
      try {
        record = await executor(job, entry.controller.signal);
      } catch (error) {
        record = {
          outcome: IterationOutcome.error,
          category: entry.reason ? RunsCategory.aborted : RunsCategory.executorError,
          evidence: [error instanceof Error ? error.message : String(error)],
          startedAt,
          finishedAt: new Date().toISOString(),
        };
      } finally {
        active.delete(key);
        bullSignal.removeEventListener('abort', onBullAbort);
      }
      // A shutdown abort says nothing about the chart: let BullMQ retry it on another worker.
      if (entry.reason === 'shutdown') throw new IterationInterruptedError(ref);
      if (entry.reason === 'cancelled')
        record = { ...record, outcome: IterationOutcome.error, category: RunsCategory.aborted };
      const stored: StoredIterationResult = {
        ...record,
        iteration: ref.iteration,
        attempt,
        workerId: config.workerId,
      };
      const { isNew, next } = await store.record(
        ref.runId,
        ref.iteration,
        stored,
        encodeResult(stored, config.snapshotCapBytes),
        new Date(),
      );
      if (!isNew) log.info({ run: ref.runId, iteration: ref.iteration }, 'duplicate result ignored');
      else if (metrics) observeDurations(metrics, run, record, log);
      // Awaited so the next job is waiting when BullMQ asks for one on completing this job; should
      // the add fail (or the process die first), the scheduler's repair re-adds the reservation.
      if (next.length > 0) await queue.add(next.map((iteration) => ({ runId: ref.runId, iteration })));
    };

    let consumer: IterationConsumer = createIterationWorker(target, workerOptions(config), processor);
    let unhealthySince: number | undefined;
    let recreating: Promise<void> | undefined;
    let closing = false;
    const health = setInterval(() => {
      if (closing || recreating) return;
      if (consumer.healthy()) {
        unhealthySince = undefined;
        return;
      }
      unhealthySince ??= Date.now();
      if (Date.now() - unhealthySince < config.recreateAfterMs || storeConnection.status !== 'ready') return;
      // BullMQ's advice for a worker whose connection never came back ready: replace it (#3185).
      log.warn('worker connection not ready; recreating the BullMQ worker');
      unhealthySince = undefined;
      const old = consumer;
      consumer = createIterationWorker(target, workerOptions(config), processor);
      recreating = old
        .close(true)
        .catch(() => undefined)
        .finally(() => (recreating = undefined));
    }, config.healthIntervalMs);
    cleanups.push('health check', () => Promise.resolve(clearInterval(health)));

    let closed: Promise<void> | undefined;
    const abortAll = (reason: 'shutdown') => {
      for (const iteration of active.values()) {
        if (iteration.controller.signal.aborted) continue;
        iteration.reason = reason;
        iteration.controller.abort(new Error('worker shutting down'));
      }
    };
    log.info({ concurrency: config.concurrency }, 'iteration worker started');
    return {
      config,
      activeCount: () => active.size,
      close(options = {}) {
        if (options.force) abortAll('shutdown');
        if (closed) return closed;
        closing = true;
        closed = (async () => {
          await recreating;
          const draining = consumer.close();
          const outcome = await new Promise<'drained' | 'timeout'>((resolve) => {
            const timer = setTimeout(() => resolve('timeout'), options.force ? 0 : config.gracePeriodMs);
            draining.then(
              () => {
                clearTimeout(timer);
                resolve('drained');
              },
              () => {
                clearTimeout(timer);
                resolve('drained');
              },
            );
          });
          if (outcome === 'timeout') {
            log.warn({ active: active.size }, 'grace period over; aborting in-flight iterations');
            abortAll('shutdown');
          }
          // BullMQ's close waits for its connections; with Redis away that could be forever.
          const stuck = await new Promise<boolean>((resolve) => {
            const timer = setTimeout(() => resolve(true), CLOSE_TIMEOUT_MS);
            const done = () => {
              clearTimeout(timer);
              resolve(false);
            };
            draining.then(done, (error: unknown) => {
              log.warn({ err: error }, 'worker close failed');
              done();
            });
          });
          if (stuck) {
            log.warn('worker did not close in time; forcing');
            await consumer.close(true).catch(() => undefined);
          }
          await runLifo();
          log.info('iteration worker stopped');
        })();
        return closed;
      },
    };
  } catch (error) {
    await runLifo();
    throw error;
  }
}

function startChart(metrics: KubesoakMetrics, run: Run, log: Logger): void {
  try {
    metrics.startChart(chartLabel(run.chart.ref));
  } catch (error) {
    log.warn({ err: error instanceof Error ? error.message : String(error) }, 'metrics: chart label refused');
  }
}

function observeDurations(metrics: KubesoakMetrics, run: Run, record: IterationRecord, log: Logger): void {
  try {
    const chart = chartLabel(run.chart.ref);
    metrics.observeIteration({ chart, outcome: record.outcome, ...recordTimings(record) });
  } catch (error) {
    // Metrics must never fail an iteration that is already recorded.
    log.warn(
      { err: error instanceof Error ? error.message : String(error) },
      'metrics: observing durations failed',
    );
  }
}

function workerOptions(config: IterationWorkerConfig) {
  return {
    prefix: config.prefix,
    concurrency: config.concurrency,
    lockDurationMs: config.lockDurationMs,
    stalledIntervalMs: config.stalledIntervalMs,
    maxStalledCount: config.maxStalledCount,
  };
}
