import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_REDIS_URL, loadKubesoakConfig } from '../../src/config/kubesoak-config.ts';
import { UsageError } from '../../src/errors/usage-error.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kubesoak-config-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function configFile(text: string): Promise<string> {
  const file = join(dir, `config-${Math.random().toString(36).slice(2)}.yaml`);
  await writeFile(file, text);
  return file;
}

async function refusal(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(UsageError);
  expect((error as Error).message.split('\n')).toHaveLength(1);
  return error as Error;
}

describe('loadKubesoakConfig', () => {
  it('needs nothing: defaults for Redis, scheduler listen address and metrics', async () => {
    const config = await loadKubesoakConfig({ env: {} });
    expect(config.file).toBeUndefined();
    expect(config.redis).toEqual({ url: DEFAULT_REDIS_URL, prefix: 'kubesoak', options: {}, cluster: [] });
    expect(config.apiUrl).toBeUndefined();
    expect(config.scheduler.listen).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(config.metrics).toEqual({ host: '0.0.0.0', port: 9464 });
    expect(Object.isFrozen(config.redis)).toBe(true);
  });

  it('reads the file named by --config or KUBESOAK_CONFIG; REDIS_URL and KUBESOAK_URL override it', async () => {
    const file = await configFile(
      [
        'redis: { url: "redis://file:6379", prefix: team-a, options: { name: mymaster } }',
        'api: { url: "http://file:8080/" }',
        'scheduler: { listen: "0.0.0.0:9000", maxIterations: 500, retentionMaxAge: 7d }',
        'worker: { concurrency: 8, gracePeriod: 10m }',
        'metrics: { port: 9999 }',
      ].join('\n'),
    );
    const fromFile = await loadKubesoakConfig({ env: { KUBESOAK_CONFIG: file } });
    expect(fromFile.file).toBe(file);
    expect(fromFile.redis.url).toBe('redis://file:6379');
    expect(fromFile.redis.prefix).toBe('team-a');
    expect(fromFile.redis.options).toEqual({ name: 'mymaster' });
    expect(fromFile.apiUrl).toBe('http://file:8080');
    expect(fromFile.scheduler.listen).toEqual({ host: '0.0.0.0', port: 9000 });
    expect(fromFile.scheduler.options).toEqual({ maxIterations: 500, retentionMaxAge: '7d' });
    expect(fromFile.worker.options).toEqual({ concurrency: 8, gracePeriod: '10m' });
    expect(fromFile.metrics.port).toBe(9999);

    const overridden = await loadKubesoakConfig({
      file,
      env: { REDIS_URL: 'rediss://:secret@env:6380', KUBESOAK_URL: 'http://env:1234' },
    });
    expect(overridden.redis.url).toBe('rediss://:secret@env:6380');
    expect(overridden.apiUrl).toBe('http://env:1234');
  });

  it('names the file and the field of a bad value, in one line', async () => {
    const cases: Array<[string, RegExp]> = [
      ['redis: { url: "http://x" }', /redis\.url: must be a redis:\/\/ or rediss:\/\/ URL/],
      ['scheduler: { listen: "8080" }', /scheduler\.listen: must be HOST:PORT/],
      ['scheduler: { attempts: 0 }', /scheduler\.attempts/],
      ['scheduler: { retentionMaxAge: "soon" }', /scheduler/],
      ['worker: { concurrency: "many" }', /worker\.concurrency/],
      ['worker: { colour: blue }', /worker\.colour: unknown field/],
      ['metrics: { port: 70000 }', /metrics\.port/],
      ['extra: 1', /extra: unknown field/],
      ['redis: { cluster: ["a:1"], prefix: plain }', /redis\.prefix: must contain a hash tag/],
    ];
    for (const [text, pattern] of cases) {
      const file = await configFile(text);
      const error = await refusal(loadKubesoakConfig({ file, env: {} }));
      expect(error).toBeInstanceOf(ConfigError);
      expect(error.message).toContain(file);
      expect(error.message).toMatch(pattern);
    }
  });

  it('refuses an unreadable file, invalid YAML and bad environment values', async () => {
    expect((await refusal(loadKubesoakConfig({ file: join(dir, 'missing.yaml'), env: {} }))).message).toMatch(
      /missing\.yaml: no such file/,
    );
    const broken = await configFile('redis: { url: [');
    expect((await refusal(loadKubesoakConfig({ file: broken, env: {} }))).message).toMatch(/not valid YAML/);
    expect((await refusal(loadKubesoakConfig({ env: { REDIS_URL: 'localhost:6379' } }))).message).toMatch(
      /^REDIS_URL: REDIS_URL: must be a redis/,
    );
    expect((await refusal(loadKubesoakConfig({ env: { KUBESOAK_URL: 'scheduler:8080' } }))).message).toMatch(
      /KUBESOAK_URL: must be an http/,
    );
  });

  it('defaults the prefix to a hash tag with Redis Cluster', async () => {
    const file = await configFile('redis: { cluster: ["10.0.0.1:7000", "10.0.0.2:7000"] }');
    const config = await loadKubesoakConfig({ file, env: {} });
    expect(config.redis.prefix).toBe('{kubesoak}');
    expect(config.redis.cluster).toEqual(['10.0.0.1:7000', '10.0.0.2:7000']);
  });

  it('reads redis.tls files into the ioredis tls option, and names an unreadable one', async () => {
    const ca = join(dir, 'ca.pem');
    await writeFile(ca, '-----BEGIN CERTIFICATE-----\nfake\n-----END CERTIFICATE-----\n');
    const file = await configFile(
      `redis: { url: "rediss://r:6380", tls: { caFile: "${ca}", servername: redis.internal }, options: { tls: { minVersion: TLSv1.2 } } }`,
    );
    const config = await loadKubesoakConfig({ file, env: {} });
    expect(config.redis.options).toEqual({
      tls: {
        minVersion: 'TLSv1.2',
        ca: expect.stringContaining('BEGIN CERTIFICATE') as unknown,
        servername: 'redis.internal',
      },
    });
    const bad = await configFile(`redis: { tls: { certFile: "${join(dir, 'nope.pem')}" } }`);
    expect((await refusal(loadKubesoakConfig({ file: bad, env: {} }))).message).toMatch(
      /redis\.tls\.certFile: cannot read/,
    );
  });
});
