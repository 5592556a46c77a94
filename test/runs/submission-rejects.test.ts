import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../src/net/free-port.ts';
import { startIterationWorker } from '../../src/runs/iteration-worker-service.ts';
import { startScheduler } from '../../src/runs/scheduler.ts';
import type { Scheduler } from '../../src/runs/scheduler.ts';
import { keysUnder, quietLogger, testPrefix } from './runs-test-support.ts';

const redisUrl = inject('redisUrl');
const good = { chart: { ref: './chart' }, iterations: 10, parallel: 2 };

describe.runIf(redisUrl)('bad submissions are rejected before anything is written', () => {
  const url = redisUrl ?? '';
  const prefix = testPrefix('reject');
  let scheduler: Scheduler;
  beforeAll(async () => {
    scheduler = await startScheduler(
      { redisUrl: url, prefix, maxIterations: 500, tickInterval: 60_000 },
      quietLogger(),
    );
  });
  afterAll(async () => {
    await scheduler?.close();
  });

  const cases: Array<[string, unknown, RegExp]> = [
    ['iterations 0', { ...good, iterations: 0 }, /^invalid run submission: iterations: must be at least 1$/],
    [
      'iterations -1',
      { ...good, iterations: -1 },
      /^invalid run submission: iterations: must be at least 1$/,
    ],
    [
      'iterations above the maximum',
      { ...good, iterations: 501 },
      /^invalid run submission: iterations: must be at most 500/,
    ],
    ['iterations not whole', { ...good, iterations: 1.5 }, /iterations: must be a whole number/],
    ['P = 0', { ...good, parallel: 0 }, /^invalid run submission: parallel: must be at least 1$/],
    ['name not DNS-safe', { ...good, name: 'My_Run' }, /^invalid run submission: name: must be DNS-safe/],
    ['missing chart', { iterations: 10, parallel: 2 }, /^invalid run submission: chart: is required/],
    ['empty chart ref', { ...good, chart: { ref: ' ' } }, /^invalid run submission: chart.ref: is required/],
    ['unknown field', { ...good, paralel: 3 }, /^invalid run submission: paralel: unknown field$/],
    [
      'missing iterations',
      { chart: { ref: 'x' }, parallel: 1 },
      /^invalid run submission: iterations: is required/,
    ],
    ['not an object', 'run it', /^invalid run submission: submission: /],
  ];

  it.each(cases)('%s → one clear message naming the field, no key written', async (_label, raw, message) => {
    const before = (await keysUnder(url, prefix)).sort();
    const error = await scheduler.submit(raw).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(message);
    expect((error as { code?: string }).code).toBe('invalid-submission');
    expect((error as Error).message.split('\n')).toHaveLength(1);
    expect((await keysUnder(url, prefix)).sort()).toEqual(before);
  });

  it('a valid submission is accepted (the rejects above were not a broken scheduler)', async () => {
    const run = await scheduler.submit(good);
    expect(run.state).toBe('queued');
    expect(await keysUnder(url, prefix)).not.toHaveLength(0);
    await scheduler.cancel(run.id);
  });
});

describe('Redis unreachable', () => {
  it('scheduler and worker fail fast with one clear error naming the URL', async () => {
    const url = `redis://127.0.0.1:${await freePort()}`;
    const started = Date.now();
    await expect(startScheduler({ redisUrl: url, connectTimeout: 1_000 }, quietLogger())).rejects.toThrow(
      `cannot reach Redis at ${url}`,
    );
    await expect(
      startIterationWorker({ redisUrl: url }, () => Promise.reject(new Error('unused')), quietLogger()),
    ).rejects.toMatchObject({ code: 'redis-unavailable', message: `cannot reach Redis at ${url}` });
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('hides the password of the URL in the message', async () => {
    const url = `redis://:s3cret@127.0.0.1:${await freePort()}`;
    const error = (await startScheduler({ redisUrl: url, connectTimeout: 500 }, quietLogger()).catch(
      (caught: unknown) => caught,
    )) as Error;
    expect(error.message).toContain('127.0.0.1');
    expect(error.message).not.toContain('s3cret');
  });
});
