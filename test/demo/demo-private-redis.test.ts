import { describe, expect, inject, it } from 'vitest';
import { DemoRedisUnavailableError, runDemo } from '../../src/demo/run-demo.ts';
import { freePort } from '../../src/net/free-port.ts';
import { quietLogger } from '../runs/runs-test-support.ts';
import { childProcesses, listening, portOf, runDemoCli, runtime } from './demo-support.ts';

const tools = inject('tools');

describe.runIf(tools.redisServer && tools.helm)('kubesoak demo without a Redis', () => {
  it('starts a private redis-server when REDIS_URL does not answer, and stops it at the end', async () => {
    const dead = await freePort();
    const { code, stdout, stderr } = await runDemoCli(
      ['demo', '--iterations', '6', '--parallel', '3', '--metrics-port', '0'],
      { ...process.env, REDIS_URL: `redis://127.0.0.1:${dead}` },
    );
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const privateUrl =
      new RegExp(
        `no Redis at redis://127\\.0\\.0\\.1:${dead}: started a private redis-server at (redis://\\S+)`,
      ).exec(stdout)?.[1] ?? '';
    expect(privateUrl).not.toBe('');
    expect(stdout).toMatch(/kubesoak demo: run shop-demo-1 completed: 6 of 6 iterations/);
    // Seeded: with seed demo-1 the migrate init container of iteration 2's first api pod hangs in
    // every run (it would pass almost always if the faults were drawn afresh).
    expect(stdout).toMatch(/^iteration 2 failed category=\S+ step=await-ready/m);
    expect(stdout).toMatch(/^success rate \d+\.\d% /m);
    // The private Redis, the cluster and /metrics are gone, and no helm or redis-server is left.
    expect(await listening(portOf(privateUrl))).toBe(false);
    expect(await listening(portOf(/simulated cluster at (http:\/\/\S+):/.exec(stdout)?.[1] ?? ''))).toBe(
      false,
    );
    expect(await listening(portOf(/metrics at (http:\/\/\S+)\/metrics/.exec(stdout)?.[1] ?? ''))).toBe(false);
    expect(childProcesses()).toEqual([]);
  }, 90_000);
});

describe('kubesoak demo with neither a Redis nor redis-server', () => {
  it('fails with one line naming the URL and how to fix it, starting nothing', async () => {
    const dead = await freePort();
    const stop = new AbortController();
    const error = await runDemo(
      {
        iterations: 1,
        parallel: 1,
        keepRunning: false,
        metricsPort: 0,
        redisUrl: `redis://127.0.0.1:${dead}`,
        redisServer: '/nonexistent/redis-server',
      },
      {
        createExecutor: (options) => runtime.createExecutor(options),
        logger: quietLogger(),
        say: () => undefined,
        follow: () => Promise.reject(new Error('must not get that far')),
      },
      stop.signal,
    ).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DemoRedisUnavailableError);
    expect((error as DemoRedisUnavailableError).oneLine).toBe(
      `no Redis answers at redis://127.0.0.1:${dead} and redis-server is not on PATH to start a private one: ` +
        'start Redis and point REDIS_URL at it, or install redis-server (apt-get install -y redis-server)',
    );
    expect(childProcesses()).toEqual([]);
  });
});
