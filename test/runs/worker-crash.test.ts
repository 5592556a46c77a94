import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { startIterationWorker } from '../../src/runs/iteration-worker-service.ts';
import { startScheduler } from '../../src/runs/scheduler.ts';
import { quietLogger, testPrefix, waitFor } from './runs-test-support.ts';

const redisUrl = inject('redisUrl');
const script = fileURLToPath(new URL('./fixtures/slow-worker-process.ts', import.meta.url));

interface ChildWorker {
  child: ChildProcess;
  /** "runId iteration attempt" of every iteration it started. */
  started: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Spawns a real worker process (workers/iteration-worker.ts with a slow executor) and waits for "ready". */
async function spawnWorker(env: Record<string, string>): Promise<ChildWorker> {
  const child = spawn(process.execPath, [script], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const started: string[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  await new Promise<void>((resolve, reject) => {
    lines.on('line', (line) => {
      if (line === 'ready') resolve();
      if (line.startsWith('start ')) started.push(line.slice(6));
    });
    void exited.then(({ code }) => reject(new Error(`worker exited early with ${code}`)));
  });
  return { child, started, exited };
}

describe.runIf(redisUrl)('a worker process SIGKILLed mid-iteration', () => {
  const url = redisUrl ?? '';
  const logger = quietLogger();
  const children: ChildWorker[] = [];
  afterAll(async () => {
    for (const worker of children.reverse()) {
      if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGKILL');
      await worker.exited;
    }
  });

  it('the iteration is retried on the other worker with attempt 2; exactly N results', async () => {
    const prefix = testPrefix('kill');
    const env = {
      REDIS_URL: url,
      KUBESOAK_PREFIX: prefix,
      ITERATION_MS: '1500',
      CONCURRENCY: '2',
      LOCK_MS: '2000',
      STALLED_MS: '1000',
    };
    const scheduler = await startScheduler({ redisUrl: url, prefix, tickInterval: 300 }, logger);
    try {
      const victim = await spawnWorker({ ...env, WORKER_ID: 'victim' });
      children.push(victim);
      const run = await scheduler.submit({
        chart: { ref: './chart' },
        iterations: 6,
        parallel: 3,
        name: 'killed',
      });
      await waitFor('victim started an iteration', () => Promise.resolve(victim.started.length > 0));
      const survivor = await spawnWorker({ ...env, WORKER_ID: 'survivor' });
      children.push(survivor);
      victim.child.kill('SIGKILL');
      expect((await victim.exited).signal).toBe('SIGKILL');
      const lost = victim.started.map((line) => Number(line.split(' ')[1]));
      expect(lost.length).toBeGreaterThan(0);

      const done = await waitFor(
        'run completed',
        async () => {
          const current = await scheduler.status(run.id);
          return current?.state === 'completed' ? current : undefined;
        },
        45_000,
      );
      expect(done.counts).toEqual({ passed: 6, failed: 0, error: 0 });
      // Lines printed just before the kill may still be in flight, so `lost` is a lower bound of
      // what the victim started: every iteration it started is retried (attempt 2) by the survivor.
      const retried: number[] = [];
      for (let i = 0; i < 6; i += 1) {
        const result = await scheduler.iteration(run.id, i);
        expect(result?.outcome).toBe('passed');
        if (result?.attempt === 2) expect(result.workerId).toBe('survivor');
        if (result?.attempt === 2) retried.push(i);
        else expect(result?.attempt).toBe(1);
      }
      expect(retried).toEqual(expect.arrayContaining(lost));
      expect(retried.length).toBeGreaterThan(0);
      expect(retried.length).toBeLessThanOrEqual(2);
      // Graceful shutdown of the survivor: SIGTERM → exit 0.
      survivor.child.kill('SIGTERM');
      expect((await survivor.exited).code).toBe(0);
    } finally {
      await scheduler.close();
    }
  });

  it('when stall retries are exhausted the iteration is recorded once as error/worker-lost', async () => {
    const prefix = testPrefix('lost');
    const scheduler = await startScheduler({ redisUrl: url, prefix, tickInterval: 300 }, logger);
    try {
      const victim = await spawnWorker({
        REDIS_URL: url,
        KUBESOAK_PREFIX: prefix,
        ITERATION_MS: '20000',
        LOCK_MS: '1500',
        STALLED_MS: '500',
        MAX_STALLED: '0',
        WORKER_ID: 'victim',
      });
      children.push(victim);
      const run = await scheduler.submit({ chart: { ref: './chart' }, iterations: 1, parallel: 1 });
      await waitFor('victim started', () => Promise.resolve(victim.started.length > 0));
      victim.child.kill('SIGKILL');
      await victim.exited;
      // A live worker is what detects the stall; with maxStalledCount 0 it fails the job at once.
      const executed: number[] = [];
      const watcher = await startIterationWorker(
        { redisUrl: url, prefix, lockDuration: 1500, stalledInterval: 500, maxStalledCount: 0 },
        (job) => {
          executed.push(job.iteration);
          return Promise.resolve({ outcome: 'passed', category: 'passed', startedAt: '', finishedAt: '' });
        },
        logger,
      );
      try {
        const done = await waitFor('run completed', async () => {
          const current = await scheduler.status(run.id);
          return current?.state === 'completed' ? current : undefined;
        });
        expect(done.counts).toEqual({ passed: 0, failed: 0, error: 1 });
        const result = await scheduler.iteration(run.id, 0);
        expect(result).toMatchObject({ outcome: 'error', category: 'worker-lost', attempt: 1 });
        expect(result?.evidence?.[0]).toMatch(/stalled more than allowable limit/);
        await scheduler.tick();
        await scheduler.tick();
        expect((await scheduler.status(run.id))?.counts.error).toBe(1);
        expect(executed).toEqual([]);
      } finally {
        await watcher.close();
      }
    } finally {
      await scheduler.close();
    }
  });
});
