import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { IterationExecutor } from '../../src/runs/iteration-job.ts';
import { startIterationWorker } from '../../src/runs/iteration-worker-service.ts';
import { RedisRunStore } from '../../src/runs/redis-run-store.ts';
import { startScheduler } from '../../src/runs/scheduler.ts';
import type { Scheduler } from '../../src/runs/scheduler.ts';
import { keysUnder, quietLogger, testPrefix, waitFor } from './runs-test-support.ts';

const redisUrl = inject('redisUrl');

/** Sleeps `ms` honouring the signal; records aborts. */
function slowExecutor(ms: number, aborted: string[]): IterationExecutor {
  return async (job, signal) => {
    const startedAt = new Date().toISOString();
    try {
      await sleep(ms, undefined, { signal });
    } catch (error) {
      aborted.push(`${job.iteration}/${job.attempt}`);
      throw error;
    }
    return { outcome: 'passed', category: 'passed', startedAt, finishedAt: new Date().toISOString() };
  };
}

describe.runIf(redisUrl)('graceful shutdown, cancel --now and retention', () => {
  const url = redisUrl ?? '';
  const logger = quietLogger();
  const prefix = testPrefix('lifecycle');
  let scheduler: Scheduler;
  beforeAll(async () => {
    scheduler = await startScheduler(
      { redisUrl: url, prefix, tickInterval: 200, backoff: 100, retentionInterval: 3_600_000 },
      logger,
    );
  });
  afterAll(async () => {
    await scheduler?.close();
  });

  it('a closing worker lets a short iteration finish within the grace period', async () => {
    const aborted: string[] = [];
    const worker = await startIterationWorker(
      { redisUrl: url, prefix, concurrency: 1, gracePeriod: 5_000 },
      slowExecutor(400, aborted),
      logger,
    );
    const run = await scheduler.submit({ chart: { ref: './c' }, iterations: 1, parallel: 1 });
    await waitFor('iteration started', () => Promise.resolve(worker.activeCount() === 1));
    await Promise.all([worker.close(), worker.close()]);
    expect(aborted).toEqual([]);
    expect((await scheduler.status(run.id))?.state).toBe('completed');
  });

  it('past the grace period in-flight iterations are aborted and retried elsewhere as attempt 2', async () => {
    const abortedA: string[] = [];
    const workerA = await startIterationWorker(
      { redisUrl: url, prefix, workerId: 'a', concurrency: 2, gracePeriod: 200 },
      slowExecutor(1_500, abortedA),
      logger,
    );
    const run = await scheduler.submit({ chart: { ref: './c' }, iterations: 2, parallel: 2 });
    await waitFor('both started on a', () => Promise.resolve(workerA.activeCount() === 2));
    await workerA.close();
    expect(abortedA.sort()).toEqual(['0/1', '1/1']);
    const workerB = await startIterationWorker(
      { redisUrl: url, prefix, workerId: 'b', concurrency: 2 },
      slowExecutor(10, []),
      logger,
    );
    try {
      await waitFor('completed', async () => (await scheduler.status(run.id))?.state === 'completed', 20_000);
      expect((await scheduler.status(run.id))?.counts).toEqual({ passed: 2, failed: 0, error: 0 });
      for (const iteration of [0, 1]) {
        expect(await scheduler.iteration(run.id, iteration)).toMatchObject({
          attempt: 2,
          workerId: 'b',
          outcome: 'passed',
        });
      }
    } finally {
      await workerB.close();
    }
  });

  it('cancel --now aborts running iterations (recorded error/aborted) and dispatches nothing more', async () => {
    const aborted: string[] = [];
    const worker = await startIterationWorker(
      { redisUrl: url, prefix, concurrency: 4 },
      slowExecutor(30_000, aborted),
      logger,
    );
    try {
      const run = await scheduler.submit({
        chart: { ref: './c' },
        iterations: 50,
        parallel: 3,
        name: 'cancel-me',
      });
      await waitFor('three running', () => Promise.resolve(worker.activeCount() === 3));
      const cancelled = await scheduler.cancel('cancel-me', { now: true });
      expect(cancelled?.state).toBe('cancelled');
      await waitFor('aborted', () => Promise.resolve(aborted.length === 3 && worker.activeCount() === 0));
      const final = await waitFor('drained', async () => {
        const current = await scheduler.status(run.id);
        return current?.counts.error === 3 ? current : undefined;
      });
      expect(final).toMatchObject({
        state: 'cancelled',
        dispatched: 3,
        active: 0,
        counts: { passed: 0, failed: 0, error: 3 },
      });
      expect(await scheduler.iteration(run.id, 0)).toMatchObject({ outcome: 'error', category: 'aborted' });
    } finally {
      await worker.close();
    }
  });

  it('a cancel lets the running iteration finish and starts none of the jobs already queued', async () => {
    const started: number[] = [];
    const executor: IterationExecutor = async (job) => {
      const startedAt = new Date().toISOString();
      started.push(job.iteration);
      await sleep(job.iteration === 0 ? 800 : 0);
      return { outcome: 'passed', category: 'passed', startedAt, finishedAt: new Date().toISOString() };
    };
    // One slot and P = 3: iterations 1 and 2 wait in the queue while 0 runs, so the worker has seen
    // the run live; only the cancel's message tells it not to trust that any more.
    const worker = await startIterationWorker({ redisUrl: url, prefix, concurrency: 1 }, executor, logger);
    try {
      const run = await scheduler.submit({ chart: { ref: './c' }, iterations: 10, parallel: 3 });
      await waitFor('iteration 0 running', () => Promise.resolve(started.length === 1));
      expect((await scheduler.cancel(run.id))?.state).toBe('cancelled');
      const final = await waitFor('queued jobs dropped', async () => {
        const current = await scheduler.status(run.id);
        return current?.active === 0 && current.counts.passed === 1 ? current : undefined;
      });
      expect(final).toMatchObject({
        state: 'cancelled',
        dispatched: 3,
        counts: { passed: 1, failed: 0, error: 0 },
      });
      expect(started).toEqual([0]);
      const redis = new Redis(url, { protocol: 2 });
      try {
        const store = new RedisRunStore(redis, prefix);
        expect([await store.attempts(run.id, 1), await store.attempts(run.id, 2)]).toEqual([0, 0]);
      } finally {
        await redis.quit();
      }
    } finally {
      await worker.close();
    }
  });

  it('retention deletes ended runs beyond the count with their results, never live ones', async () => {
    const live = await scheduler.submit({
      chart: { ref: './c' },
      iterations: 5,
      parallel: 1,
      name: 'still-live',
    });
    const redis = new Redis(url, { protocol: 2 });
    try {
      const store = new RedisRunStore(redis, prefix);
      const ended = (await scheduler.list()).filter(
        (run) => run.state !== 'queued' && run.state !== 'running',
      );
      expect(ended.length).toBeGreaterThanOrEqual(3);
      const deleted = await store.applyRetention({ maxAgeMs: 3_600_000, maxCount: 1 }, new Date());
      expect(deleted.sort()).toEqual(
        ended
          .slice(1)
          .map((run) => run.id)
          .sort(),
      );
      expect(await scheduler.status(ended[0]?.id ?? '')).toBeDefined();
      expect(await scheduler.status(live.id)).toBeDefined();
      const keys = await keysUnder(url, prefix);
      for (const id of deleted)
        expect(keys.filter((key) => key.includes(`:${id}`) && !key.includes(':iterations:'))).toEqual([]);
      const byAge = await store.applyRetention({ maxAgeMs: 0, maxCount: 100 }, new Date(Date.now() + 1_000));
      expect(byAge).toEqual([ended[0]?.id]);
      expect((await scheduler.status('still-live'))?.state).toMatch(/^(queued|running)$/);
    } finally {
      await scheduler.cancel(live.id);
      await redis.quit();
    }
  });
});
