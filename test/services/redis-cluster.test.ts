import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KubesoakMetrics } from '../../src/metrics/kubesoak-metrics.ts';
import { runLabel } from '../../src/metrics/run-label.ts';
import { compileWorkerConfig, startIterationWorker } from '../../src/runs/iteration-worker-service.ts';
import type { IterationWorker } from '../../src/runs/iteration-worker-service.ts';
import { openRedisConnection } from '../../src/runs/redis-connection.ts';
import { compileSchedulerConfig, startScheduler } from '../../src/runs/scheduler.ts';
import type { Scheduler } from '../../src/runs/scheduler.ts';
import { quietLogger, seededOutcome, trackingExecutor, waitFor } from '../runs/runs-test-support.ts';
import { startLocalRedisCluster } from './redis-cluster-harness.ts';
import type { LocalRedisCluster } from './redis-cluster-harness.ts';
import { freePort } from '../../src/net/free-port.ts';
import { parseExposition, scrape, spawnNode, sum } from './services-test-support.ts';

const tools = inject('tools');
const bin = fileURLToPath(new URL('../../bin/kubesoak.js', import.meta.url));

describe.runIf(tools.redisServer)('Redis Cluster (three local masters)', () => {
  const logger = quietLogger();
  const prefix = `{ks-cluster-${Math.random().toString(36).slice(2, 8)}}`;
  let cluster: LocalRedisCluster;
  let scheduler: Scheduler;
  const workers: IterationWorker[] = [];
  const metrics = new KubesoakMetrics({ defaultMetrics: false });

  beforeAll(async () => {
    cluster = await startLocalRedisCluster(tools.redisServer ?? 'redis-server');
    const redis = { redisUrl: cluster.url, redisCluster: cluster.nodes, prefix };
    scheduler = await startScheduler({ ...redis, tickInterval: 300 }, logger, { metrics });
    for (const workerId of ['c1', 'c2'])
      workers.push(
        await startIterationWorker(
          { ...redis, workerId, concurrency: 3, lockDuration: 5_000, stalledInterval: 2_000 },
          trackingExecutor(20).executor,
          logger,
        ),
      );
  }, 60_000);
  afterAll(async () => {
    for (const worker of workers) await worker.close();
    await scheduler?.close();
    await cluster?.stop();
  });

  it('runs a whole run through the cluster: exactly N results, counted once in the metrics', async () => {
    const run = await scheduler.submit({
      chart: { ref: 'repo/nginx' },
      iterations: 24,
      parallel: 4,
      name: 'on-cluster',
    });
    const done = await waitFor('run completed', async () => {
      const current = await scheduler.status(run.id);
      return current?.state === 'completed' ? current : undefined;
    });
    const failed = Array.from({ length: 24 }, (_, i) => seededOutcome(i)).filter(
      (o) => o === 'failed',
    ).length;
    expect(done.counts).toEqual({ passed: 24 - failed, failed, error: 0 });
    for (let i = 0; i < 24; i += 1)
      expect((await scheduler.iteration(run.id, i))?.outcome).toBe(seededOutcome(i));
    const samples = parseExposition(await metrics.metrics());
    expect(sum(samples, 'kubesoak_iterations_total', { chart: 'nginx', run: runLabel(run) })).toBe(24);

    // The keys really are spread over a cluster: every one of them lives in the prefix's slot.
    const connection = await openRedisConnection(
      { url: cluster.url, cluster: cluster.nodes },
      { role: 'producer' },
    );
    try {
      const slot = (await connection.call('CLUSTER', 'KEYSLOT', `${prefix}:run:${run.id}`)) as number;
      const bullSlot = (await connection.call('CLUSTER', 'KEYSLOT', `${prefix}:iterations:meta`)) as number;
      expect(bullSlot).toBe(slot);
      expect(await connection.exists(`${prefix}:results:${run.id}`)).toBe(1);
    } finally {
      connection.disconnect();
    }
  });

  it('`kubesoak scheduler` with redis.cluster in its config serves the runs and metrics from the cluster', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kubesoak-cluster-cli-'));
    try {
      const config = join(dir, 'kubesoak.yaml');
      await writeFile(
        config,
        `redis: { url: "${cluster.url}", prefix: "${prefix}", cluster: ${JSON.stringify(cluster.nodes)} }\n`,
      );
      const [api, metricsPort] = [await freePort(), await freePort()];
      const env: NodeJS.ProcessEnv = { ...process.env, KUBECONFIG: join(dir, 'none') };
      delete env.REDIS_URL;
      const child = spawnNode(
        [
          bin,
          '--config',
          config,
          'scheduler',
          '--no-janitor',
          '--listen',
          `127.0.0.1:${api}`,
          '--metrics-port',
          `${metricsPort}`,
        ],
        env,
      );
      try {
        await child.line(/"scheduler ready"/, 30_000, 'stderr');
        const runs = (await (await fetch(`http://127.0.0.1:${api}/v1/runs`)).json()) as {
          runs: Array<{ name: string }>;
        };
        expect(runs.runs.map((run) => run.name)).toContain('on-cluster');
        const samples = await scrape(`http://127.0.0.1:${metricsPort}`);
        expect(sum(samples, 'kubesoak_iterations_total', { chart: 'nginx' })).toBe(24);
        child.child.kill('SIGTERM');
        expect((await child.exited).code).toBe(0);
      } finally {
        await child.kill();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a prefix without a hash tag on a cluster, naming the field', () => {
    const options = {
      redisUrl: 'redis://127.0.0.1:7000',
      redisCluster: ['127.0.0.1:7000'],
      prefix: 'kubesoak',
    };
    expect(() => compileSchedulerConfig(options)).toThrow(/prefix[\s\S]*hash tag/);
    expect(() => compileWorkerConfig(options)).toThrow(/prefix[\s\S]*hash tag/);
    expect(compileSchedulerConfig({ ...options, prefix: '{kubesoak}' }).redisCluster).toEqual([
      '127.0.0.1:7000',
    ]);
  });

  it('an unreachable cluster fails fast with one error naming the node', async () => {
    await expect(
      startScheduler(
        {
          redisUrl: 'redis://127.0.0.1:1',
          redisCluster: ['127.0.0.1:1'],
          prefix: '{x}',
          connectTimeout: 1_000,
        },
        logger,
      ),
    ).rejects.toThrow('cannot reach Redis at redis://127.0.0.1:1');
  });
});
