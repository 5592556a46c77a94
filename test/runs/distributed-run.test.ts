import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startIterationWorker } from '../../src/runs/iteration-worker-service.ts';
import type { IterationWorker } from '../../src/runs/iteration-worker-service.ts';
import { startScheduler } from '../../src/runs/scheduler.ts';
import type { Scheduler } from '../../src/runs/scheduler.ts';
import { quietLogger, seededOutcome, testPrefix, trackingExecutor, waitFor } from './runs-test-support.ts';

const redisUrl = inject('redisUrl');

describe.runIf(redisUrl)('distributed runs: scheduler + two workers on one Redis', () => {
  const url = redisUrl ?? '';
  const prefix = testPrefix('dist');
  const logger = quietLogger();
  const tracking = trackingExecutor(15);
  let scheduler: Scheduler;
  const workers: IterationWorker[] = [];

  beforeAll(async () => {
    scheduler = await startScheduler({ redisUrl: url, prefix, tickInterval: 500 }, logger);
    for (const id of ['w1', 'w2']) {
      workers.push(
        await startIterationWorker(
          {
            redisUrl: url,
            prefix,
            workerId: id,
            concurrency: 6,
            lockDuration: 5_000,
            stalledInterval: 2_000,
          },
          tracking.executor,
          logger,
        ),
      );
    }
  });
  afterAll(async () => {
    for (const worker of workers.reverse()) await worker.close();
    await scheduler?.close();
  });

  it('40 iterations at P=8 end with exactly 40 results, never more than 8 active', async () => {
    const submitted = await scheduler.submit({
      chart: { ref: './chart' },
      iterations: 40,
      parallel: 8,
      name: 'forty',
    });
    const run = await waitFor('run completed', async () => {
      const current = await scheduler.status('forty');
      return current?.state === 'completed' ? current : undefined;
    });
    expect(run.id).toBe(submitted.id);
    const expectedFailed = Array.from({ length: 40 }, (_, i) => seededOutcome(i)).filter(
      (o) => o === 'failed',
    ).length;
    expect(run.counts).toEqual({ passed: 40 - expectedFailed, failed: expectedFailed, error: 0 });
    expect(run.dispatched).toBe(40);
    expect(run.active).toBe(0);
    expect(tracking.maxConcurrent.get(run.id)).toBeLessThanOrEqual(8);
    expect(tracking.maxConcurrent.get(run.id)).toBeGreaterThanOrEqual(4);
    // Every iteration has exactly one stored result, with attempt 1 and the worker that ran it.
    for (let i = 0; i < 40; i += 1) {
      const result = await scheduler.iteration(run.id, i);
      expect(result?.outcome).toBe(seededOutcome(i));
      expect(result?.attempt).toBe(1);
      expect(['w1', 'w2']).toContain(result?.workerId);
    }
    expect(await scheduler.iteration(run.id, 40)).toBeUndefined();
    const ranBy = new Set(
      await Promise.all(
        Array.from({ length: 40 }, async (_, i) => (await scheduler.iteration(run.id, i))?.workerId),
      ),
    );
    expect(ranBy.size).toBe(2);
    expect(tracking.jobs.filter((job) => job.runId === run.id)).toHaveLength(40);
  });

  it('two concurrent runs share the workers: both progress in the same window', async () => {
    const a = await scheduler.submit({
      chart: { ref: 'repo/a' },
      iterations: 30,
      parallel: 12,
      name: 'share-a',
    });
    const b = await scheduler.submit({
      chart: { ref: 'repo/b' },
      iterations: 30,
      parallel: 12,
      name: 'share-b',
    });
    await waitFor('both completed', async () => {
      const [ra, rb] = await Promise.all([scheduler.status(a.id), scheduler.status(b.id)]);
      return ra?.state === 'completed' && rb?.state === 'completed';
    });
    // 12 worker slots, 2 runs of P=12: with FIFO dispatch run a would take all 12 slots first.
    // Round-robin top-up gives each run slots from the start: b starts before a is half done.
    const startsA = (tracking.starts.get(a.id) ?? []).sort((x, y) => x - y);
    const startsB = (tracking.starts.get(b.id) ?? []).sort((x, y) => x - y);
    expect(startsA).toHaveLength(30);
    expect(startsB).toHaveLength(30);
    const aMiddle = startsA[14] ?? 0;
    const bMiddle = startsB[14] ?? 0;
    expect(startsB[0]).toBeLessThan(aMiddle);
    expect(startsA[0]).toBeLessThan(bMiddle);
    expect(tracking.maxConcurrent.get(a.id)).toBeLessThanOrEqual(12);
    expect(tracking.maxConcurrent.get(b.id)).toBeLessThanOrEqual(12);
  });

  it('names resolve like ids, list shows newest first, and a live name cannot be reused', async () => {
    const runs = await scheduler.list();
    expect(runs.map((run) => run.name).slice(0, 3)).toEqual(['share-b', 'share-a', 'forty']);
    // "forty" has completed, so its name may be used again; the newest run wins name lookups.
    const again = await scheduler.submit({
      chart: { ref: './chart' },
      iterations: 1000,
      parallel: 1,
      name: 'forty',
    });
    expect((await scheduler.status('forty'))?.id).toBe(again.id);
    await expect(
      scheduler.submit({ chart: { ref: './chart' }, iterations: 1, parallel: 1, name: 'forty' }),
    ).rejects.toThrow(/name: "forty" is already used by a live run/);
    const cancelled = await scheduler.cancel('forty', { now: true });
    expect(cancelled?.state).toBe('cancelled');
    await waitFor('cancelled run drained', async () =>
      (await scheduler.status(again.id))?.active === 0 ? true : undefined,
    );
    const final = await scheduler.status(again.id);
    expect(final?.dispatched).toBeLessThan(1000);
  });
});
