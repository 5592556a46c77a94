import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { RedisRunStore } from '../../src/runs/redis-run-store.ts';
import { encodeResult } from '../../src/runs/result-codec.ts';
import type { RunSpec } from '../../src/runs/run-model.ts';
import { testPrefix } from './runs-test-support.ts';

const redisUrl = inject('redisUrl');

const spec = (name: string, iterations: number, parallel: number): RunSpec => ({
  name,
  note: '',
  chart: { ref: 'c' },
  valuesFiles: [],
  setValues: [],
  plan: {},
  iterations,
  parallel,
  submitter: 't',
});
const payload = (iteration: number) =>
  encodeResult(
    {
      outcome: 'passed',
      category: 'passed',
      iteration,
      attempt: 1,
      workerId: 'w',
      startedAt: '',
      finishedAt: '',
    },
    4096,
  );

describe.runIf(redisUrl)('RedisRunStore atomic scripts', () => {
  let redis: Redis;
  let store: RedisRunStore;
  beforeAll(() => {
    redis = new Redis(redisUrl ?? '', { protocol: 2 });
    store = new RedisRunStore(redis, testPrefix('store'));
  });
  afterAll(async () => {
    await redis.quit();
  });

  it('a result recorded twice counts once; the first payload wins', async () => {
    await store.create('r1', spec('r1', 2, 2), new Date());
    expect(await store.reserve('r1', 10, new Date())).toEqual([0, 1]);
    const first = await store.record('r1', 0, 'passed', payload(0), new Date());
    expect(first).toEqual({ isNew: true, next: [] });
    const again = await store.record('r1', 0, 'failed', payload(0), new Date());
    expect(again).toEqual({ isNew: false, next: [] });
    const run = await store.get('r1');
    expect(run).toMatchObject({ state: 'running', counts: { passed: 1, failed: 0, error: 0 }, active: 1 });
    expect((await store.result('r1', 0))?.outcome).toBe('passed');
    await store.record('r1', 1, 'failed', payload(1), new Date());
    expect(await store.get('r1')).toMatchObject({
      state: 'completed',
      active: 0,
      counts: { passed: 1, failed: 1 },
    });
  });

  it('concurrent reserves never exceed P in total, and a record refills exactly the freed slot', async () => {
    await store.create('r2', spec('r2', 100, 5), new Date());
    const reserved = (
      await Promise.all(Array.from({ length: 20 }, () => store.reserve('r2', 3, new Date())))
    ).flat();
    expect(reserved.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4]);
    expect(await store.reserve('r2', 1, new Date())).toEqual([]);
    expect(await store.record('r2', 3, 'passed', payload(3), new Date())).toEqual({ isNew: true, next: [5] });
    expect(await store.inflight('r2')).toEqual([0, 1, 2, 4, 5]);
    expect((await store.get('r2'))?.active).toBe(5);
  });

  it('a reservation counts the first attempt; restarts count again; dropped iterations are taken back', async () => {
    await store.create('r3', spec('r3', 4, 3), new Date());
    await store.reserve('r3', 3, new Date());
    expect(await store.attempts('r3', 0)).toBe(1);
    // The job's first start: the reservation's count is this attempt, not counted twice.
    expect(await store.beginAttempt('r3', 0, true)).toEqual({ kind: 'run', attempt: 1 });
    expect(await store.attempts('r3', 0)).toBe(1);
    // A restart (stall, retry) counts the next attempt.
    expect(await store.beginAttempt('r3', 0)).toEqual({ kind: 'run', attempt: 2 });
    // The record's refill reserves iteration 3 and counts its first attempt too.
    expect(await store.record('r3', 0, 'passed', payload(0), new Date())).toEqual({ isNew: true, next: [3] });
    expect(await store.attempts('r3', 3)).toBe(1);
    expect(await store.beginAttempt('r3', 0)).toEqual({ kind: 'skip', reason: 'recorded' });
    await store.cancel('r3', new Date());
    // A first start of a cancelled run's iteration never runs: its reserved attempt is taken back.
    expect(await store.beginAttempt('r3', 1, true)).toEqual({ kind: 'skip', reason: 'cancelled' });
    expect(await store.attempts('r3', 1)).toBe(0);
    // A restart of an attempt that did run keeps its count (the janitor's superseded rule needs it).
    expect(await store.beginAttempt('r3', 2)).toEqual({ kind: 'skip', reason: 'cancelled' });
    expect(await store.attempts('r3', 2)).toBe(1);
    expect(await store.beginAttempt('nope', 1)).toEqual({ kind: 'skip', reason: 'gone' });
    expect((await store.get('r3'))?.active).toBe(1);
  });
});
