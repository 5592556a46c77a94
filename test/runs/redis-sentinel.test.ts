import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadKubesoakConfig } from '../../src/config/kubesoak-config.ts';
import { freePort } from '../../src/net/free-port.ts';
import { startPrivateRedisServer } from '../../src/redis/private-redis-server.ts';
import type { PrivateRedisServer } from '../../src/redis/private-redis-server.ts';
import { startIterationWorker } from '../../src/runs/iteration-worker-service.ts';
import type { IterationWorker } from '../../src/runs/iteration-worker-service.ts';
import { startScheduler } from '../../src/runs/scheduler.ts';
import type { Scheduler } from '../../src/runs/scheduler.ts';
import { cliWith } from '../cli-runs/cli-runs-support.ts';
import { keysUnder, quietLogger, testPrefix } from './runs-test-support.ts';

/**
 * Sentinel works through ioredis options: with `redis.options.sentinels` and `name` in the config
 * file, every connection (CLI, scheduler, BullMQ workers) asks the sentinel where the master is.
 * The URL names a port where nothing listens, so the run can only succeed through the sentinel.
 */
describe('Redis Sentinel through ioredis options', () => {
  let dir: string;
  let master: PrivateRedisServer;
  let sentinel: ChildProcess | undefined;
  let sentinelPort: number;
  let scheduler: Scheduler | undefined;
  let worker: IterationWorker | undefined;
  let configFile: string;
  const prefix = testPrefix('sentinel');

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kubesoak-sentinel-'));
    // The suite's setup fails the run when redis-server is missing in CI.
    const redisServer = inject('tools').redisServer ?? 'redis-server';
    master = await startPrivateRedisServer({ binary: redisServer });
    sentinelPort = await freePort();
    const conf = join(dir, 'sentinel.conf');
    // Sentinel rewrites its config file, so it needs a private, writable one.
    await writeFile(
      conf,
      [
        `port ${sentinelPort}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel monitor kubesoak-master 127.0.0.1 ${master.port} 1`,
        'sentinel down-after-milliseconds kubesoak-master 5000',
        '',
      ].join('\n'),
    );
    sentinel = spawn(redisServer, [conf, '--sentinel'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    await new Promise<void>((resolve, reject) => {
      let output = '';
      const timer = setTimeout(() => reject(new Error(`sentinel did not start: ${output}`)), 10_000);
      sentinel?.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('+monitor master')) {
          clearTimeout(timer);
          sentinel?.stdout?.resume();
          resolve();
        }
      });
      sentinel?.stderr?.resume();
      sentinel?.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`sentinel exited with ${code}: ${output}`));
      });
    });
    configFile = join(dir, 'kubesoak.yaml');
    await writeFile(
      configFile,
      [
        'redis:',
        `  prefix: ${prefix}`,
        '  options:',
        '    name: kubesoak-master',
        `    sentinels: [{ host: 127.0.0.1, port: ${sentinelPort} }]`,
        '',
      ].join('\n'),
    );
  });

  afterAll(async () => {
    await worker?.close({ force: true });
    await scheduler?.close();
    if (sentinel && sentinel.exitCode === null) {
      const exited = new Promise((resolve) => sentinel?.once('exit', resolve));
      sentinel.kill('SIGTERM');
      await exited;
    }
    await master.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('a run submitted through the CLI completes with every connection resolved by the sentinel', async () => {
    const deadPort = await freePort();
    const env = { REDIS_URL: `redis://127.0.0.1:${deadPort}` };
    const config = await loadKubesoakConfig({ file: configFile, env });
    const connection = {
      redisUrl: config.redis.url,
      prefix: config.redis.prefix,
      redisOptions: { ...config.redis.options },
    };
    scheduler = await startScheduler({ ...connection, tickInterval: 200 }, quietLogger());
    worker = await startIterationWorker(
      { ...connection, concurrency: 2 },
      async (_job, _signal) => {
        const at = new Date().toISOString();
        return Promise.resolve({ outcome: 'passed', category: 'passed', startedAt: at, finishedAt: at });
      },
      quietLogger(),
    );
    const submitted = await cliWith(env, [
      '--config',
      configFile,
      'submit',
      '--chart',
      'example/shop',
      '--iterations',
      '4',
      '--parallel',
      '2',
      '--name',
      'via-sentinel',
      '--wait',
    ]);
    expect(submitted.err).toBe('');
    expect(submitted.code).toBe(0);
    expect(submitted.out).toMatch(/success=4/);
    // The keys are on the master the sentinel named, not behind the URL's dead port.
    expect((await keysUnder(master.url, prefix)).length).toBeGreaterThan(0);
  });
});
