import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Run } from '../../src/runs/run-model.ts';
import type { Scheduler } from '../../src/runs/scheduler.ts';
import type { SimCluster } from '../../src/sim/sim-cluster.ts';
import {
  SIM_LIGHT_CHART,
  SOAK_APP_CHART,
  managedNamespaces,
  spawnSimWorker,
  startSimRunsBed,
} from './fixtures/sim-runs-support.ts';
import type { NamespaceCensus, SimRunsBed, SimWorkerProcess } from './fixtures/sim-runs-support.ts';
import { quietLogger, testPrefix, waitFor } from './runs-test-support.ts';

const redisUrl = inject('redisUrl');
const tools = inject('tools');

// The real thing end to end: a scheduler, two worker processes running the real executor (real
// helm, client-node) against the simulated cluster, coordinated only through the private Redis.
describe.runIf(redisUrl && tools.helm)('distributed runs on the simulated cluster with real helm', () => {
  const url = redisUrl ?? '';
  const prefix = testPrefix('simdist');
  const logger = quietLogger();
  let bed: SimRunsBed | undefined;
  let workers: SimWorkerProcess[];
  let cluster: SimCluster;
  let census: NamespaceCensus;
  let scheduler: Scheduler;
  let redis: Redis;
  const plan = { helm: tools.helm ?? '', settle: '200ms', unschedulableGrace: '5s' };

  beforeAll(async () => {
    bed = await startSimRunsBed({ redisUrl: url, prefix, seed: 61, logger, env: { CONCURRENCY: '6' } });
    ({ workers, cluster, census, scheduler, redis } = bed);
    // Two processes of 6: 12 slots, more than the first run's P, so P is what limits it.
    const env = bed.env;
    workers.push(...(await Promise.all(['w1', 'w2'].map((id) => spawnSimWorker(id, env)))));
  });
  afterAll(async () => {
    await bed?.close();
  });

  // Generous budgets (the files run on 2 shared cores); the proofs assert counts, never times.
  const completed = (id: string) =>
    waitFor(
      `run ${id} completed`,
      async () => {
        const run = await scheduler.status(id);
        return run?.state === 'completed' ? run : undefined;
      },
      90_000,
    );

  /** Every iteration 0..N-1 has one stored result, and nothing beyond. */
  async function expectExactlyOneResultEach(run: Run) {
    expect(await redis.hlen(`${prefix}:results:${run.id}`)).toBe(run.iterations);
    const results = await Promise.all(
      Array.from({ length: run.iterations }, (_, i) => scheduler.iteration(run.id, i)),
    );
    for (const [i, result] of results.entries()) {
      expect(result, `iteration ${i}`).toMatchObject({ iteration: i, attempt: 1, outcome: 'passed' });
    }
    return results;
  }

  it('40 iterations of soak-app at P=8 across two worker processes: exactly 40 results, never more than 8 namespaces live', async () => {
    const submitted = await scheduler.submit({
      chart: { ref: SOAK_APP_CHART },
      iterations: 40,
      parallel: 8,
      name: 'sim-forty',
      plan,
    });
    const run = await completed(submitted.id);
    expect(run.counts).toEqual({ passed: 40, failed: 0, error: 0 });
    const results = await expectExactlyOneResultEach(run);
    expect(new Set(results.map((result) => result?.workerId))).toEqual(new Set(['w1', 'w2']));
    // The sim's own store saw every iteration's namespace, never more than P of them at once
    // (Terminating ones count until they are gone), and none is left.
    expect(census.created(run.id)).toBe(40);
    expect(census.peak(run.id)).toBeLessThanOrEqual(8);
    expect(census.peak(run.id)).toBeGreaterThan(1);
    expect(census.live(run.id)).toBe(0);
    expect(managedNamespaces(cluster)).toEqual([]);
  }, 120_000);

  it('two concurrent runs share the workers: both have namespaces live in the same window', async () => {
    const submit = (name: string) =>
      scheduler.submit({
        chart: { ref: SIM_LIGHT_CHART },
        iterations: 16,
        parallel: 8,
        name,
        plan,
      });
    // 12 worker slots and two runs of P=8: a run that held the workers until it finished would
    // leave the other none; shared workers run both at once from the start.
    const a = await submit('sim-share-a');
    const b = await submit('sim-share-b');
    const [doneA, doneB] = await Promise.all([completed(a.id), completed(b.id)]);
    const [resultsA, resultsB] = await Promise.all([
      expectExactlyOneResultEach(doneA),
      expectExactlyOneResultEach(doneB),
    ]);
    expect(census.overlapPeak(a.id, b.id)).toBeGreaterThanOrEqual(2);
    const starts = (results: typeof resultsA) =>
      results.map((result) => Date.parse(result?.startedAt ?? '')).sort((x, y) => x - y);
    const startsA = starts(resultsA);
    const startsB = starts(resultsB);
    // Each run started before the other was half done.
    expect(startsB[0]).toBeLessThan(startsA[8] ?? 0);
    expect(startsA[0]).toBeLessThan(startsB[8] ?? 0);
    expect(census.peak(a.id)).toBeLessThanOrEqual(8);
    expect(census.peak(b.id)).toBeLessThanOrEqual(8);
    expect(managedNamespaces(cluster)).toEqual([]);
  }, 120_000);
});
