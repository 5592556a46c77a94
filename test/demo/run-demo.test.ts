import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { describe, expect, inject, it } from 'vitest';
import { runDemo } from '../../src/demo/run-demo.ts';
import type { DemoDependencies, DemoResult } from '../../src/demo/run-demo.ts';
import { keysUnder, quietLogger } from '../runs/runs-test-support.ts';
import { childProcesses, listening, portOf, runDemoCli, runtime } from './demo-support.ts';

const redisUrl = inject('redisUrl');
const tools = inject('tools');
const run = promisify(execFile);

/** Follows by polling the run; `onResult` sees the recorded count after every poll. */
function pollingFollow(onRecorded: (recorded: number) => void = () => undefined): DemoDependencies['follow'] {
  return async (context, signal) => {
    for (;;) {
      const current = await context.client.status(context.runId);
      if (!current) throw new Error('run gone');
      onRecorded(current.counts.passed + current.counts.failed + current.counts.error);
      if (current.state !== 'running' && current.state !== 'queued') return current;
      if (signal.aborted) return current;
      await sleep(200);
    }
  };
}

describe.runIf(redisUrl && tools.helm && tools.kubectl)('runDemo (the library behind kubesoak demo)', () => {
  const url = redisUrl ?? '';

  it('--keep-running keeps cluster, /metrics and keys up until the signal, then stops everything', async () => {
    const stop = new AbortController();
    const lines: string[] = [];
    let checks:
      | Promise<{ metrics: string; nodes: string; show: { code: number; stdout: string }; keys: string[] }>
      | undefined;
    const result = await runDemo(
      { iterations: 2, parallel: 2, keepRunning: true, metricsPort: 0, redisUrl: url, seed: 'keep' },
      {
        createExecutor: (options) => runtime.createExecutor(options),
        logger: quietLogger(),
        say: (line) => lines.push(line),
        follow: pollingFollow(),
        onFinished: (finished: DemoResult) => {
          checks = (async () => {
            try {
              await sleep(300);
              const metrics = await (await fetch(finished.metricsUrl)).text();
              const nodes = (
                await run(tools.kubectl ?? '', ['get', 'nodes', '-o', 'name'], {
                  env: { ...process.env, KUBECONFIG: finished.kubeconfig },
                })
              ).stdout;
              // The summary's inspect line: `kubesoak --config FILE show RUN ITERATION`.
              const show = await runDemoCli(
                ['--config', finished.configFile, 'show', finished.run.name, '1'],
                {
                  ...process.env,
                  REDIS_URL: url,
                },
              );
              return { metrics, nodes, show, keys: await keysUnder(url, finished.prefix) };
            } finally {
              stop.abort();
            }
          })();
        },
      },
      stop.signal,
    );
    const seen = await checks;
    expect(result.run.state).toBe('completed');
    expect(result.summary.total).toBe(2);
    expect(seen?.nodes.trim().split('\n')).toEqual(['node/sim-node-1', 'node/sim-node-2', 'node/sim-node-3']);
    expect(seen?.metrics).toMatch(/^kubesoak_iterations_total\{[^}]*run="shop-keep[^"]*"[^}]*\} \d+$/m);
    expect(seen?.keys.length).toBeGreaterThan(0);
    expect(seen?.show.code).toBe(0);
    expect(seen?.show.stdout).toMatch(/iteration 1 of run shop-keep/);
    // Stopped after the signal; with --keep-running the run's keys stay for `kubesoak show`.
    expect(await listening(portOf(result.clusterUrl))).toBe(false);
    expect(await listening(portOf(result.metricsUrl))).toBe(false);
    expect(childProcesses()).toEqual([]);
    const keys = await keysUnder(url, result.prefix);
    expect(keys.length).toBeGreaterThan(0);
    const redis = new Redis(url, { protocol: 2 });
    await redis.del(...keys);
    await redis.quit();
  }, 60_000);

  it('Ctrl-C mid-run cancels the run, drains in-flight iterations and removes everything it started', async () => {
    const stop = new AbortController();
    const result = await runDemo(
      { iterations: 20, parallel: 2, keepRunning: false, metricsPort: 0, redisUrl: url, seed: 'stop' },
      {
        createExecutor: (options) => runtime.createExecutor(options),
        logger: quietLogger(),
        say: () => undefined,
        follow: pollingFollow((recorded) => {
          if (recorded >= 1) stop.abort();
        }),
      },
      stop.signal,
    );
    expect(result.interrupted).toBe(true);
    expect(result.run.state).toBe('cancelled');
    expect(result.summary.total).toBeGreaterThanOrEqual(1);
    expect(result.summary.total).toBeLessThan(20);
    expect(await keysUnder(url, result.prefix)).toEqual([]);
    expect(await listening(portOf(result.clusterUrl))).toBe(false);
    expect(await listening(portOf(result.metricsUrl))).toBe(false);
    expect(childProcesses()).toEqual([]);
  }, 60_000);

  it('a second signal (force) aborts in-flight iterations instead of waiting for them', async () => {
    const stop = new AbortController();
    const force = new AbortController();
    let started = 0;
    const result = await runDemo(
      { iterations: 20, parallel: 2, keepRunning: false, metricsPort: 0, redisUrl: url, seed: 'force' },
      {
        createExecutor: (options) => {
          const executor = runtime.createExecutor(options);
          return (job, signal) => {
            started += 1;
            return executor(job, signal);
          };
        },
        logger: quietLogger(),
        say: () => undefined,
        follow: async (context, signal) => {
          // Stop while both first iterations are still in flight, then force at once.
          while (started < 2) await sleep(50);
          stop.abort();
          force.abort();
          return pollingFollow()(context, signal);
        },
        force: force.signal,
      },
      stop.signal,
    );
    expect(result.interrupted).toBe(true);
    expect(result.run.state).toBe('cancelled');
    expect(await keysUnder(url, result.prefix)).toEqual([]);
    expect(await listening(portOf(result.clusterUrl))).toBe(false);
    expect(childProcesses()).toEqual([]);
  }, 60_000);
});
