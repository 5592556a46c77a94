import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { iterationNamespace } from '../../src/iteration/namespace-name.ts';
import type { Scheduler } from '../../src/runs/scheduler.ts';
import { R } from '../../src/sim/resources.ts';
import type { SimCluster } from '../../src/sim/sim-cluster.ts';
import {
  SOAK_APP_CHART,
  managedNamespaces,
  spawnSimWorker,
  startSimRunsBed,
} from './fixtures/sim-runs-support.ts';
import type { NamespaceCensus, SimRunsBed, SimWorkerProcess } from './fixtures/sim-runs-support.ts';
import { quietLogger, testPrefix, waitFor } from './runs-test-support.ts';

const redisUrl = inject('redisUrl');
const tools = inject('tools');

describe.runIf(redisUrl && tools.helm)(
  'a worker process SIGKILLed mid-iteration on the simulated cluster',
  () => {
    const url = redisUrl ?? '';
    const prefix = testPrefix('simkill');
    const logger = quietLogger();
    let bed: SimRunsBed | undefined;
    let workers: SimWorkerProcess[];
    let cluster: SimCluster;
    let census: NamespaceCensus;
    let scheduler: Scheduler;
    let redis: Redis;
    let env: Record<string, string> = {};

    beforeAll(async () => {
      // Short locks so the dead worker's jobs stall within seconds, not the production minute.
      bed = await startSimRunsBed({
        redisUrl: url,
        prefix,
        seed: 62,
        logger,
        env: { CONCURRENCY: '2', LOCK_MS: '3000', STALLED_MS: '1000' },
      });
      ({ workers, cluster, census, scheduler, redis, env } = bed);
    });
    afterAll(async () => {
      await bed?.close();
    });

    it('exactly N results, the lost iterations retried once (attempt 2), no namespace left after the janitor', async () => {
      const victim = await spawnSimWorker('victim', env);
      workers.push(victim);
      const run = await scheduler.submit({
        chart: { ref: SOAK_APP_CHART },
        iterations: 8,
        parallel: 2,
        name: 'sim-killed',
        plan: { helm: tools.helm ?? '', settle: '200ms', unschedulableGrace: '5s' },
      });
      // Kill it mid-iteration: once an iteration of its has pods in its namespace (helm install is
      // under way or done, the iteration is not).
      const hit = await waitFor('a victim iteration with pods', () => {
        for (const line of victim.started) {
          const iteration = Number(line.split(' ')[1]);
          const namespace = iterationNamespace('soak', run.id, iteration);
          if (cluster.context.store.list(R.pod, { namespace }).length > 0) return Promise.resolve(iteration);
        }
        return Promise.resolve(undefined);
      });
      await victim.kill();
      expect((await victim.exited).signal).toBe('SIGKILL');
      // Iterations it had started and not recorded (usually 1 or 2 at concurrency 2).
      const lost: number[] = [];
      for (const line of victim.started) {
        const iteration = Number(line.split(' ')[1]);
        if (!(await scheduler.iteration(run.id, iteration))) lost.push(iteration);
      }
      expect(lost).toContain(hit);
      const leftover = iterationNamespace('soak', run.id, hit);
      expect(managedNamespaces(cluster)).toContain(leftover);

      workers.push(await spawnSimWorker('survivor', env));
      const done = await waitFor(
        'run completed',
        async () => {
          const current = await scheduler.status(run.id);
          return current?.state === 'completed' ? current : undefined;
        },
        90_000,
      );
      expect(done.counts).toEqual({ passed: 8, failed: 0, error: 0 });
      expect(await redis.hlen(`${prefix}:results:${run.id}`)).toBe(8);
      for (let i = 0; i < 8; i += 1) {
        const result = await scheduler.iteration(run.id, i);
        if (lost.includes(i))
          expect(result, `iteration ${i}`).toMatchObject({ attempt: 2, workerId: 'survivor' });
        else expect(result?.attempt, `iteration ${i}`).toBe(1);
      }
      expect(await redis.hget(`${prefix}:attempts:${run.id}`, String(hit))).toBe('2');
      // The retry ran in a namespace of its own (suffix -1), next to the dead attempt's one.
      expect(census.created(run.id)).toBe(8 + lost.length);
      // A retry removes the dead attempt's namespace and waits until it is gone: P holds throughout.
      expect(census.peak(run.id)).toBeLessThanOrEqual(2);

      const report = await scheduler.janitor();
      expect(report.errors).toEqual([]);
      await waitFor('no managed namespace left', () =>
        Promise.resolve(managedNamespaces(cluster).length === 0),
      );
      expect(census.live(run.id)).toBe(0);
    }, 120_000);
  },
);
