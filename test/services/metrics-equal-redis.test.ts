import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { runLabel } from '../../src/metrics/run-label.ts';
import { KubesoakMetrics } from '../../src/metrics/kubesoak-metrics.ts';
import { startMetricsServer } from '../../src/metrics/metrics-server.ts';
import type { MetricsServer } from '../../src/metrics/metrics-server.ts';
import { RedisRunStore } from '../../src/runs/redis-run-store.ts';
import { startScheduler } from '../../src/runs/scheduler.ts';
import type { Scheduler } from '../../src/runs/scheduler.ts';
import { quietLogger, testPrefix, waitFor } from '../runs/runs-test-support.ts';
import { scrape, spawnNode, sum } from './services-test-support.ts';
import type { Spawned } from './services-test-support.ts';

const redisUrl = inject('redisUrl');
const workerScript = fileURLToPath(new URL('./fixtures/metrics-worker-process.ts', import.meta.url));

/** A scheduler as `kubesoak scheduler` runs it: metrics filled from Redis and served on /metrics. */
async function startObservedScheduler(
  url: string,
  prefix: string,
): Promise<{ scheduler: Scheduler; server: MetricsServer; close(): Promise<void> }> {
  const metrics = new KubesoakMetrics();
  const server = await startMetricsServer({ registry: metrics.registry, host: '127.0.0.1', port: 0 });
  const scheduler = await startScheduler({ redisUrl: url, prefix, tickInterval: 300 }, quietLogger(), {
    metrics,
  });
  return {
    scheduler,
    server,
    async close() {
      await scheduler.close();
      await server.close();
    },
  };
}

describe.runIf(redisUrl)('kubesoak_iterations_total equals the results stored in Redis', () => {
  const url = redisUrl ?? '';
  const children: Spawned[] = [];
  const closers: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const child of children.reverse()) await child.kill();
    for (const close of closers.reverse()) await close();
  });

  it('across a SIGKILLed worker and a scheduler restart mid-run', async () => {
    const prefix = testPrefix('metrics-crash');
    const iterations = 9;
    const env = {
      ...process.env,
      REDIS_URL: url,
      KUBESOAK_PREFIX: prefix,
      ITERATION_MS: '1200',
      CONCURRENCY: '2',
      LOCK_MS: '2000',
      STALLED_MS: '1000',
    };
    const first = await startObservedScheduler(url, prefix);
    closers.push(() => first.close());
    const victim = spawnNode([workerScript], { ...env, WORKER_ID: 'victim' });
    children.push(victim);
    await victim.line(/^ready$/);
    const run = await first.scheduler.submit({
      chart: { ref: './charts/soak-app' },
      iterations,
      parallel: 3,
      name: 'metrics-crash',
    });
    await victim.line(/^start /);
    const survivor = spawnNode([workerScript], { ...env, WORKER_ID: 'survivor' });
    children.push(survivor);
    await survivor.line(/^ready$/);
    victim.child.kill('SIGKILL');
    expect((await victim.exited).signal).toBe('SIGKILL');

    // The first scheduler counts what is recorded while it runs, then goes away mid-run.
    await waitFor('a result recorded', async () => {
      const current = await first.scheduler.status(run.id);
      return current && current.counts.passed + current.counts.failed > 0;
    });
    const before = sum(await scrape(first.server.url), 'kubesoak_iterations_total', { run: runLabel(run) });
    expect(before).toBeGreaterThan(0);
    await first.close();
    const recordedWhileDown = (await new RedisRunStore(redisFor(url, closers), prefix).get(run.id))?.counts;
    // Mid-run: the restart happens with iterations still to go.
    const { passed = 0, failed = 0, error = 0 } = recordedWhileDown ?? {};
    expect(passed + failed + error).toBeLessThan(iterations);

    const second = await startObservedScheduler(url, prefix);
    closers.push(() => second.close());
    // A restarted scheduler reports at least what the old one did: the totals live in Redis.
    expect(
      sum(await scrape(second.server.url), 'kubesoak_iterations_total', { run: runLabel(run) }),
    ).toBeGreaterThanOrEqual(before);
    const done = await waitFor(
      'run completed',
      async () => {
        const current = await second.scheduler.status(run.id);
        return current?.state === 'completed' ? current : undefined;
      },
      45_000,
    );

    const redis = redisFor(url, closers);
    const stored = await redis.hlen(`${prefix}:results:${run.id}`);
    expect(stored).toBe(iterations);
    const attempts = await Promise.all(
      Array.from(
        { length: iterations },
        async (_, i) => (await second.scheduler.iteration(run.id, i))?.attempt,
      ),
    );
    // The victim's iterations were retried: the crash really happened mid-iteration.
    expect(attempts.filter((attempt) => attempt === 2).length).toBeGreaterThan(0);

    const samples = await scrape(second.server.url);
    const label = { chart: 'soak-app', run: runLabel(run) };
    expect(sum(samples, 'kubesoak_iterations_total', label)).toBe(iterations);
    expect(sum(samples, 'kubesoak_iterations_total', { ...label, outcome: 'passed', category: '' })).toBe(
      done.counts.passed,
    );
    expect(
      sum(samples, 'kubesoak_iterations_total', { ...label, outcome: 'failed', category: 'crash-loop' }),
    ).toBe(done.counts.failed);
    expect(sum(samples, 'kubesoak_iterations_total', { ...label, outcome: 'error' })).toBe(done.counts.error);
    expect(done.counts).toEqual({ passed: 6, failed: 3, error: 0 });
    // Failed iterations are charged to their node, once each.
    expect(sum(samples, 'kubesoak_node_failures_total', { node: 'sim-node-1', category: 'crash-loop' })).toBe(
      3,
    );
    expect(sum(samples, 'kubesoak_node_failures_total', { node: 'sim-node-2' })).toBe(0);
    expect(sum(samples, 'kubesoak_run_iterations', { ...label, state: 'passed' })).toBe(6);
    expect(sum(samples, 'kubesoak_run_iterations', { ...label, state: 'queued' })).toBe(0);
    expect(sum(samples, 'kubesoak_runs', { state: 'completed' })).toBe(1);

    // The surviving worker exports durations and slots but no iteration counter (no double count).
    const workerUrl = (await survivor.line(/^metrics /)).slice('metrics '.length);
    const workerSamples = await scrape(workerUrl);
    expect(workerSamples.filter((sample) => sample.name === 'kubesoak_iterations_total')).toEqual([]);
    expect(sum(workerSamples, 'kubesoak_worker_slots')).toBe(2);
    expect(
      sum(workerSamples, 'kubesoak_iteration_duration_seconds_count', { chart: 'soak-app' }),
    ).toBeGreaterThan(0);
    expect(
      sum(workerSamples, 'kubesoak_step_duration_seconds_count', {
        chart: 'soak-app',
        step: 'await-ready',
        outcome: 'failed',
      }),
    ).toBeGreaterThan(0);
    survivor.child.kill('SIGTERM');
    expect((await survivor.exited).code).toBe(0);
  });

  it('a duplicate record counts nothing; worker-lost counts as error/worker-lost', async () => {
    const prefix = testPrefix('metrics-dup');
    const redis = redisFor(url, closers);
    const store = new RedisRunStore(redis, prefix);
    const run = await store.create(
      'r1',
      {
        name: 'dup',
        note: '',
        chart: { ref: 'repo/nginx' },
        valuesFiles: [],
        setValues: [],
        plan: {},
        iterations: 3,
        parallel: 3,
        submitter: 'test',
      },
      new Date(),
    );
    await store.reserve(run.id, 3, new Date());
    const failed = { outcome: 'failed', category: 'oom-killed', nodes: ['n1', 'n1', 'n2'] } as const;
    expect((await store.record(run.id, 0, failed, Buffer.from('a'), new Date())).isNew).toBe(true);
    expect((await store.record(run.id, 0, failed, Buffer.from('b'), new Date())).isNew).toBe(false);
    const lost = { outcome: 'error', category: 'worker-lost' } as const;
    await store.record(run.id, 1, lost, Buffer.from('c'), new Date());
    await store.record(run.id, 1, lost, Buffer.from('c'), new Date());
    await store.record(
      run.id,
      2,
      { outcome: 'passed', category: 'passed', nodes: ['n1'] },
      Buffer.from('d'),
      new Date(),
    );
    const counts = (await store.resultCounts([run.id])).get(run.id) ?? [];
    expect(counts.sort((a, b) => a.outcome.localeCompare(b.outcome))).toEqual([
      { outcome: 'error', category: 'worker-lost', count: 1 },
      { outcome: 'failed', category: 'oom-killed', count: 1 },
      { outcome: 'passed', category: '', count: 1 },
    ]);
    expect((await store.nodeFailures()).sort((a, b) => a.node.localeCompare(b.node))).toEqual([
      { node: 'n1', category: 'oom-killed', count: 1 },
      { node: 'n2', category: 'oom-killed', count: 1 },
    ]);
    // Retention deletes the run's counts with its results.
    expect(await store.applyRetention({ maxAgeMs: 0, maxCount: 0 }, new Date(Date.now() + 1000))).toEqual([
      'r1',
    ]);
    expect(await redis.exists(`${prefix}:counts:r1`)).toBe(0);
  });
});

function redisFor(url: string, closers: Array<() => Promise<void>>): Redis {
  const redis = new Redis(url, { protocol: 2 });
  closers.push(async () => void (await redis.quit()));
  return redis;
}
