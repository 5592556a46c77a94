// npm run bench:queue — no-op iterations per second through kubesoak's scheduler + workers against
// a raw BullMQ add/process loop on the same private Redis in the same run, plus Redis memory per
// 10,000 stored results. Both sides use two BullMQ workers with the same total concurrency.
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { startPrivateRedisServer } from '../src/redis/private-redis-server.ts';
import type { IterationExecutor, IterationRecord } from '../src/runs/iteration-job.ts';
import { startIterationWorker } from '../src/runs/iteration-worker-service.ts';
import { startScheduler } from '../src/runs/scheduler.ts';
import type { Scheduler } from '../src/runs/scheduler.ts';
import { mib, percentile } from './bench-stats.ts';

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 5_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const MEMORY_RESULTS = Number(process.env.BENCH_MEMORY_RESULTS ?? 10_000);
const logger = pino({ level: 'warn' });

const redis = await startPrivateRedisServer();
const admin = new Redis(redis.url, { protocol: 2 });

async function usedMemory(): Promise<number> {
  const info = await admin.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? Number.NaN);
}

async function waitUntil(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 5));
}

/** Raw BullMQ: addBulk every job, two workers process them with a no-op. */
async function rawBullmq(n: number): Promise<number> {
  const connection = { url: redis.url, protocol: 2 as const, maxRetriesPerRequest: null };
  const prefix = `raw-${n}-${Date.now()}`;
  const queue = new Queue('raw', { connection, prefix });
  let done = 0;
  const workers = [0, 1].map(
    () =>
      new Worker('raw', () => Promise.resolve({ ok: true }), {
        connection,
        prefix,
        concurrency: CONCURRENCY / 2,
        removeOnComplete: { count: 1000 },
      }),
  );
  for (const worker of workers) worker.on('completed', () => (done += 1));
  await Promise.all(workers.map((worker) => worker.waitUntilReady()));
  const start = performance.now();
  for (let offset = 0; offset < n; offset += 1000) {
    const batch = Array.from({ length: Math.min(1000, n - offset) }, (_, i) => ({
      name: 'job',
      data: { run: 'raw', iteration: offset + i },
      opts: { jobId: `raw.${offset + i}`, removeOnComplete: { count: 1000 } },
    }));
    await queue.addBulk(batch);
  }
  await waitUntil(() => Promise.resolve(done >= n));
  const elapsed = performance.now() - start;
  for (const worker of workers) await worker.close();
  await queue.close();
  return (n / elapsed) * 1000;
}

const passed = (): IterationRecord => {
  const at = new Date().toISOString();
  return { outcome: 'passed', category: 'passed', startedAt: at, finishedAt: at };
};

/** A realistic small record: what a passing iteration of the engine returns (no snapshot). */
const realistic: IterationExecutor = () => {
  const at = new Date().toISOString();
  return Promise.resolve({
    outcome: 'passed',
    category: 'passed',
    stepTimings: {
      namespace: 41,
      install: 6120,
      'await-ready': 38210,
      'helm-test': 5230,
      uninstall: 2100,
      'delete-namespace': 610,
    },
    nodes: ['node-1', 'node-2', 'node-3'],
    evidence: [],
    startedAt: at,
    finishedAt: at,
  });
};

async function throughKubesoak(
  n: number,
  executor: IterationExecutor,
  prefix: string,
): Promise<{ perSecond: number; scheduler: Scheduler; runId: string; close: () => Promise<void> }> {
  const scheduler = await startScheduler({ redisUrl: redis.url, prefix, tickInterval: 1_000 }, logger);
  const workers = await Promise.all(
    ['w1', 'w2'].map((workerId) =>
      startIterationWorker(
        { redisUrl: redis.url, prefix, workerId, concurrency: CONCURRENCY / 2 },
        executor,
        logger,
      ),
    ),
  );
  const start = performance.now();
  const run = await scheduler.submit({
    chart: { ref: 'bench/noop' },
    iterations: n,
    parallel: CONCURRENCY,
    name: 'bench',
  });
  await waitUntil(async () => (await scheduler.status(run.id))?.state === 'completed');
  const elapsed = performance.now() - start;
  return {
    perSecond: (n / elapsed) * 1000,
    scheduler,
    runId: run.id,
    close: async () => {
      for (const worker of workers.reverse()) await worker.close();
      await scheduler.close();
    },
  };
}

try {
  // Warm-up: JIT, script loading, connections.
  await rawBullmq(500);
  const warm = await throughKubesoak(500, () => Promise.resolve(passed()), 'warm');
  await warm.close();

  // Alternating rounds, so load from other processes on the machine hits both sides alike.
  const rawRates: number[] = [];
  const kubesoakRates: number[] = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    rawRates.push(await rawBullmq(ITERATIONS));
    const kubesoak = await throughKubesoak(ITERATIONS, () => Promise.resolve(passed()), `bench-${round}`);
    kubesoakRates.push(kubesoak.perSecond);
    await kubesoak.close();
  }
  const raw = { median: percentile(rawRates, 50), best: Math.max(...rawRates) };
  const ours = { median: percentile(kubesoakRates, 50), best: Math.max(...kubesoakRates) };

  await admin.flushall();
  const before = await usedMemory();
  const memoryRun = await throughKubesoak(MEMORY_RESULTS, realistic, 'memory');
  const after = await usedMemory();
  const resultsKey = await admin.memory('USAGE', `memory:results:${memoryRun.runId}`, 'SAMPLES', 0);
  const sample = await admin.hgetBuffer(`memory:results:${memoryRun.runId}`, '0');
  await memoryRun.close();

  const rate = (value: number) => value.toFixed(0).padStart(6);
  console.log(
    `queue benchmark: ${ITERATIONS} no-op iterations × ${ROUNDS} rounds, 2 workers × concurrency ${CONCURRENCY / 2}, P=${CONCURRENCY}`,
  );
  console.log('per second                 median   best');
  console.log('raw BullMQ add/process    ', rate(raw.median), rate(raw.best));
  console.log('kubesoak scheduler+worker ', rate(ours.median), rate(ours.best));
  console.log(
    'ratio kubesoak/raw        ',
    (ours.median / raw.median).toFixed(2).padStart(6),
    (ours.best / raw.best).toFixed(2).padStart(6),
    ' (target ≥ 0.50)',
  );
  console.log(
    `Redis memory for ${MEMORY_RESULTS} results (realistic record, no snapshot): ${mib(after - before)} total ` +
      `(${((after - before) / MEMORY_RESULTS).toFixed(0)} B/result incl. BullMQ's 1,000 kept completed jobs); ` +
      `results hash ${mib(Number(resultsKey))}; one compressed result ${sample?.length ?? 0} B`,
  );
} finally {
  await admin.quit();
  await redis.stop();
}
