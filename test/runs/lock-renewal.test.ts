import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { IterationWorker } from '../../src/runs/iteration-worker-service.ts';
import { startIterationWorker } from '../../src/runs/iteration-worker-service.ts';
import { startScheduler } from '../../src/runs/scheduler.ts';
import type { Scheduler } from '../../src/runs/scheduler.ts';
import { quietLogger, testPrefix, trackingExecutor, waitFor } from './runs-test-support.ts';

const redisUrl = inject('redisUrl');

/**
 * Iterations last tens of minutes while a dead worker must be noticed within about a minute, so the
 * lock is short and renewed while the iteration runs. Scaled down: iterations of 5 lock durations,
 * with stall checks every half lock, run once each and are never taken for stalled.
 */
describe.runIf(redisUrl)('lock renewal for iterations longer than the lock', () => {
  const url = redisUrl ?? '';
  const prefix = testPrefix('locks');
  const logger = quietLogger();
  let scheduler: Scheduler;
  let workers: IterationWorker[] = [];

  beforeAll(async () => {
    scheduler = await startScheduler({ redisUrl: url, prefix, tickInterval: 200 }, logger);
  });
  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.close({ force: true })));
    await scheduler?.close();
  });

  it('an iteration of 5 lock durations runs once, on its first attempt, on either of two workers', async () => {
    const tracking = trackingExecutor(5_000);
    const options = { redisUrl: url, prefix, concurrency: 2, lockDuration: 1_000, stalledInterval: 500 };
    workers = await Promise.all(
      ['a', 'b'].map((id) =>
        startIterationWorker({ ...options, workerId: `lock-${id}` }, tracking.executor, logger),
      ),
    );
    const run = await scheduler.submit({ chart: { ref: './chart' }, iterations: 3, parallel: 3 });
    const done = await waitFor(
      'run completed',
      async () => {
        const current = await scheduler.status(run.id);
        return current?.state === 'completed' ? current : undefined;
      },
      30_000,
    );
    expect(done.counts.passed + done.counts.failed + done.counts.error).toBe(3);
    // A lost lock would have handed the iteration to the other worker: a second start, attempt 2.
    expect(tracking.jobs.map((job) => `${job.iteration}/${job.attempt}`).sort()).toEqual([
      '0/1',
      '1/1',
      '2/1',
    ]);
    for (let i = 0; i < 3; i += 1) expect((await scheduler.iteration(run.id, i))?.attempt).toBe(1);
  }, 40_000);
});
