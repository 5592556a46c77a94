import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadKubesoakConfig } from '../../src/config/kubesoak-config.ts';
import type { KubesoakConfig } from '../../src/config/kubesoak-config.ts';
import { startPrivateRedisServer } from '../../src/redis/private-redis-server.ts';
import type { PrivateRedisServer } from '../../src/redis/private-redis-server.ts';
import { startIterationWorker } from '../../src/runs/iteration-worker-service.ts';
import type { IterationWorker } from '../../src/runs/iteration-worker-service.ts';
import { startScheduler } from '../../src/runs/scheduler.ts';
import type { Scheduler } from '../../src/runs/scheduler.ts';
import { cliWith } from '../cli-runs/cli-runs-support.ts';
import { quietLogger, testPrefix, trackingExecutor, waitFor } from './runs-test-support.ts';

const run = promisify(execFile);
const PASSWORD = 'soak-s3cret';

/**
 * The Redis URL supports passwords and TLS (rediss://): a private redis-server that serves TLS only
 * and requires a password carries a whole run, configured the way users configure it (a config
 * file with redis.tls.caFile, the URL in REDIS_URL), and a wrong password or a missing CA is one
 * clear line that never shows the password.
 */
describe('Redis with TLS and a password', () => {
  let dir: string;
  let server: PrivateRedisServer;
  let configFile: string;
  let config: KubesoakConfig;
  let scheduler: Scheduler | undefined;
  let worker: IterationWorker | undefined;
  const prefix = testPrefix('tls');

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kubesoak-tls-'));
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    // A self-signed certificate for 127.0.0.1 that is its own CA.
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ]);
    server = await startPrivateRedisServer({
      tls: { certFile: cert, keyFile: key, caFile: cert },
      password: PASSWORD,
    });
    configFile = join(dir, 'kubesoak.yaml');
    await writeFile(configFile, `redis:\n  prefix: ${prefix}\n  tls:\n    caFile: ${cert}\n`);
    config = await loadKubesoakConfig({ file: configFile, env: { REDIS_URL: server.url } });
  });

  afterAll(async () => {
    await worker?.close({ force: true });
    await scheduler?.close();
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('serves rediss:// with a password: a run submitted through the CLI completes', async () => {
    expect(server.url).toMatch(/^rediss:\/\/:soak-s3cret@127\.0\.0\.1:\d+$/);
    const connection = {
      redisUrl: config.redis.url,
      prefix: config.redis.prefix,
      redisOptions: { ...config.redis.options },
    };
    scheduler = await startScheduler({ ...connection, tickInterval: 200 }, quietLogger());
    worker = await startIterationWorker(
      { ...connection, concurrency: 3 },
      trackingExecutor(10).executor,
      quietLogger(),
    );
    const env = { REDIS_URL: server.url };
    const submitted = await cliWith(env, [
      '--config',
      configFile,
      'submit',
      '--chart',
      'example/shop',
      '--iterations',
      '6',
      '--parallel',
      '3',
      '--name',
      'tls-run',
      '--wait',
    ]);
    expect(submitted.err).toBe('');
    expect(submitted.out).toMatch(/success=\d+/);
    const status = await cliWith(env, ['--config', configFile, 'status', 'tls-run', '--json']);
    expect(status.code).toBe(0);
    const body = JSON.parse(status.out) as {
      state: string;
      counts: { passed: number; failed: number; error: number };
    };
    expect(body.state).toBe('completed');
    expect(body.counts.passed + body.counts.failed + body.counts.error).toBe(6);
    // The same keys are there through a verifying TLS connection only.
    await waitFor('keys', async () => (await keysUnderTls()).length > 0);
  });

  it('a wrong password or an unverifiable certificate is one line naming the URL, without the password', async () => {
    const wrong = server.url.replace(PASSWORD, 'not-it');
    const badPassword = await cliWith({ REDIS_URL: wrong }, ['--config', configFile, 'runs']);
    expect(badPassword.code).not.toBe(0);
    expect(badPassword.err.trim().split('\n')).toHaveLength(1);
    expect(badPassword.err).toMatch(/rediss:\/\/:\*\*\*@127\.0\.0\.1/);
    expect(badPassword.err).not.toContain('not-it');

    // Without the CA the server's self-signed certificate cannot be verified.
    const noCa = join(dir, 'no-ca.yaml');
    await writeFile(noCa, `redis:\n  prefix: ${prefix}\n`);
    const unverified = await cliWith({ REDIS_URL: server.url }, ['--config', noCa, 'runs']);
    expect(unverified.code).not.toBe(0);
    expect(unverified.err.trim().split('\n')).toHaveLength(1);
    expect(unverified.err).toMatch(/cannot reach Redis at rediss:\/\/:\*\*\*@127\.0\.0\.1/);
    expect(unverified.err).not.toContain(PASSWORD);
  });

  async function keysUnderTls(): Promise<string[]> {
    // keysUnder speaks plain redis://; reach the TLS server through a verifying connection instead.
    const { Redis } = await import('ioredis');
    const redis = new Redis(config.redis.url, { ...(config.redis.options as object), protocol: 2 });
    try {
      return await redis.keys(`${prefix}:*`);
    } finally {
      await redis.quit();
    }
  }
});
