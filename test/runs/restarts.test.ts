import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPrivateRedisServer } from '../../src/redis/private-redis-server.ts';
import type { PrivateRedisServer } from '../../src/redis/private-redis-server.ts';
import { startIterationWorker } from '../../src/runs/iteration-worker-service.ts';
import type { IterationWorker } from '../../src/runs/iteration-worker-service.ts';
import { startScheduler } from '../../src/runs/scheduler.ts';
import type { Scheduler } from '../../src/runs/scheduler.ts';
import { quietLogger, seededOutcome, testPrefix, trackingExecutor, waitFor } from './runs-test-support.ts';

describe('restarts mid-run', () => {
  const logger = quietLogger();
  let redis: PrivateRedisServer;
  beforeAll(async () => {
    redis = await startPrivateRedisServer({ appendOnly: true });
  });
  afterAll(async () => {
    await redis?.stop();
  });

  async function startWorkers(
    prefix: string,
    executor: ReturnType<typeof trackingExecutor>['executor'],
  ): Promise<IterationWorker[]> {
    return Promise.all(
      ['w1', 'w2'].map((workerId) =>
        startIterationWorker(
          {
            redisUrl: redis.url,
            prefix,
            workerId,
            concurrency: 4,
            lockDuration: 3_000,
            stalledInterval: 1_000,
            healthInterval: 500,
            recreateAfter: 3_000,
          },
          executor,
          logger,
        ),
      ),
    );
  }

  async function expectComplete(scheduler: Scheduler, runId: string, iterations: number): Promise<void> {
    const done = await waitFor(
      'run completed',
      async () => {
        const current = await scheduler.status(runId);
        return current?.state === 'completed' ? current : undefined;
      },
      60_000,
    );
    const failed = Array.from({ length: iterations }, (_, i) => seededOutcome(i)).filter(
      (o) => o === 'failed',
    ).length;
    expect(done.counts).toEqual({ passed: iterations - failed, failed, error: 0 });
    expect(done.active).toBe(0);
    for (let i = 0; i < iterations; i += 1)
      expect((await scheduler.iteration(runId, i))?.outcome).toBe(seededOutcome(i));
  }

  it('Redis restarted (appendonly) mid-run: the run completes with nothing lost or doubled', async () => {
    const prefix = testPrefix('redis-restart');
    const tracking = trackingExecutor(40);
    const scheduler = await startScheduler({ redisUrl: redis.url, prefix, tickInterval: 300 }, logger);
    const workers = await startWorkers(prefix, tracking.executor);
    try {
      const run = await scheduler.submit({ chart: { ref: './chart' }, iterations: 60, parallel: 6 });
      await waitFor('some results', async () => {
        const current = await scheduler.status(run.id);
        return (current?.counts.passed ?? 0) >= 10;
      });
      await redis.restart();
      await expectComplete(scheduler, run.id, 60);
      expect(tracking.maxConcurrent.get(run.id)).toBeLessThanOrEqual(6);
    } finally {
      for (const worker of workers.reverse()) await worker.close();
      await scheduler.close();
    }
  });

  it('scheduler restarted mid-run, then two schedulers at once: completes and never exceeds P', async () => {
    const prefix = testPrefix('sched-restart');
    const tracking = trackingExecutor(30);
    const workers = await startWorkers(prefix, tracking.executor);
    try {
      const first = await startScheduler({ redisUrl: redis.url, prefix, tickInterval: 300 }, logger);
      const run = await first.submit({ chart: { ref: './chart' }, iterations: 50, parallel: 4 });
      await waitFor('some results', async () => ((await first.status(run.id))?.counts.passed ?? 0) >= 5);
      await first.close();
      await sleep(300);
      const second = await startScheduler({ redisUrl: redis.url, prefix, tickInterval: 300 }, logger);
      const third = await startScheduler({ redisUrl: redis.url, prefix, tickInterval: 300 }, logger);
      try {
        await expectComplete(second, run.id, 50);
        expect(tracking.maxConcurrent.get(run.id)).toBeLessThanOrEqual(4);
        expect(tracking.jobs.filter((job) => job.runId === run.id)).toHaveLength(50);
      } finally {
        await third.close();
        await second.close();
      }
    } finally {
      for (const worker of workers.reverse()) await worker.close();
    }
  });
});
