import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KubeKind } from '../../src/kube/cluster-client.ts';
import { KubeClusterClient } from '../../src/kube/kube-cluster-client.ts';
import { freePort } from '../../src/net/free-port.ts';
import { startSimCluster } from '../../src/sim/sim-cluster.ts';
import type { SimCluster } from '../../src/sim/sim-cluster.ts';
import { FIXTURE_CHART, HELM_ENV, quickPlan } from '../iteration/iteration-harness.ts';
import { startScheduler } from '../../src/runs/scheduler.ts';
import { quietLogger, testPrefix, waitFor } from '../runs/runs-test-support.ts';
import { runTool } from '../support/cli-runner.ts';
import { scrape, spawnNode, sum } from './services-test-support.ts';
import type { Spawned } from './services-test-support.ts';

const redisUrl = inject('redisUrl');
const tools = inject('tools');
const bin = fileURLToPath(new URL('../../bin/kubesoak.js', import.meta.url));

describe.runIf(redisUrl && tools.helm)('kubesoak scheduler, worker and janitor as processes', () => {
  const url = redisUrl ?? '';
  const prefix = testPrefix('cli-services');
  let sim: SimCluster;
  let dir = '';
  let config = '';
  let env: NodeJS.ProcessEnv;
  const children: Spawned[] = [];

  beforeAll(async () => {
    sim = await startSimCluster({ nodes: 2, timeScale: 0.02, seed: 3 });
    dir = await mkdtemp(join(tmpdir(), 'kubesoak-services-'));
    config = join(dir, 'kubesoak.yaml');
    await writeFile(
      config,
      [
        `redis: { prefix: ${prefix} }`,
        'scheduler: { tickInterval: 500ms, janitorMinAge: 0, janitorInterval: 1h }',
        'worker: { lockDuration: 30s, stalledInterval: 10s }',
        'metrics: { host: 127.0.0.1 }',
        '',
      ].join('\n'),
    );
    env = { ...process.env, ...HELM_ENV, REDIS_URL: url, KUBECONFIG: sim.kubeconfigPath };
  });
  afterAll(async () => {
    for (const child of children.reverse()) await child.kill();
    await sim?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const cli = (args: string[], extraEnv: NodeJS.ProcessEnv = {}) =>
    runTool(process.execPath, [bin, ...args], { env: { ...env, ...extraEnv }, timeoutMs: 60_000 });

  it('scheduler and worker serve the API and /metrics, run iterations on the sim, and drain on SIGTERM', async () => {
    const [apiPort, schedulerMetricsPort, workerMetricsPort] = [
      await freePort(),
      await freePort(),
      await freePort(),
    ];
    const api = `http://127.0.0.1:${apiPort}`;
    const scheduler = spawnNode(
      [
        bin,
        '--config',
        config,
        'scheduler',
        '--listen',
        `127.0.0.1:${apiPort}`,
        '--metrics-port',
        `${schedulerMetricsPort}`,
      ],
      env,
    );
    children.push(scheduler);
    await scheduler.line(/"scheduler ready"/, 30_000, 'stderr');
    // Logs are JSON lines on stderr; the janitor runs (KUBECONFIG is set).
    const ready = JSON.parse(scheduler.stderr.find((line) => line.includes('scheduler ready')) ?? '{}') as {
      janitor?: boolean;
      service?: string;
    };
    expect(ready).toMatchObject({ janitor: true, service: 'scheduler' });

    const worker = spawnNode(
      [
        bin,
        'worker',
        '--config',
        config,
        '--concurrency',
        '2',
        '--metrics-port',
        `${workerMetricsPort}`,
        '--id',
        'cli-worker',
      ],
      env,
    );
    children.push(worker);
    await worker.line(/"worker ready"/, 30_000, 'stderr');
    const workerMetrics = `http://127.0.0.1:${workerMetricsPort}`;
    expect(sum(await scrape(workerMetrics), 'kubesoak_worker_slots')).toBe(2);

    const submitted = await fetch(`${api}/v1/runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'cli-run',
        chart: { ref: FIXTURE_CHART },
        iterations: 2,
        parallel: 2,
        plan: quickPlan(tools.helm),
      }),
    });
    expect(submitted.status).toBe(201);
    const run = (await submitted.json()) as { id: string };

    // SIGTERM while both iterations are in flight: the worker stops taking jobs, finishes them, exits 0.
    await waitFor(
      'both slots busy',
      async () => sum(await scrape(workerMetrics), 'kubesoak_worker_busy_slots') === 2,
    );
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toEqual({ code: 0, signal: null });
    const status = (await (await fetch(`${api}/v1/runs/cli-run`)).json()) as {
      id: string;
      state: string;
      counts: Record<string, number>;
    };
    expect(status).toMatchObject({
      id: run.id,
      state: 'completed',
      counts: { passed: 2, failed: 0, error: 0 },
    });
    for (const iteration of [0, 1]) {
      const result = (await (await fetch(`${api}/v1/runs/${run.id}/iterations/${iteration}`)).json()) as {
        attempt: number;
        workerId: string;
      };
      expect(result).toMatchObject({ attempt: 1, workerId: 'cli-worker' });
    }
    const samples = await scrape(`http://127.0.0.1:${schedulerMetricsPort}`);
    expect(sum(samples, 'kubesoak_iterations_total', { chart: 'soak-app', outcome: 'passed' })).toBe(2);
    expect(sum(samples, 'kubesoak_runs', { state: 'completed' })).toBe(1);

    scheduler.child.kill('SIGTERM');
    expect(await scheduler.exited).toEqual({ code: 0, signal: null });
    expect(scheduler.stderr.some((line) => line.includes('scheduler stopped'))).toBe(true);
    await expect(fetch(`${api}/v1/runs`)).rejects.toThrow();
  });

  it('janitor --dry-run deletes nothing; a real pass deletes only labelled leftovers', async () => {
    const cluster = new KubeClusterClient({ kubeconfigPath: sim.kubeconfigPath });
    const signal = AbortSignal.timeout(30_000);
    const managed = { 'app.kubernetes.io/managed-by': 'kubesoak' };
    const create = (name: string, labels: Record<string, string>, annotations: Record<string, string> = {}) =>
      cluster.create(
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels, annotations } },
        signal,
      );
    await create('ks-leftover-0', {
      ...managed,
      'kubesoak.io/run': 'no-such-run',
      'kubesoak.io/iteration': '0',
    });
    await create('ks-expired', managed, { 'kubesoak.io/expires-at': '2020-01-01T00:00:00Z' });
    // Not kubesoak's: no managed-by label, though everything else says "delete me".
    await create(
      'ks-not-ours-0',
      { 'kubesoak.io/run': 'no-such-run', 'kubesoak.io/iteration': '0' },
      { 'kubesoak.io/expires-at': '2020-01-01T00:00:00Z' },
    );
    const exists = async (name: string) => {
      const namespace = await cluster.get(KubeKind.Namespace, name, undefined, signal);
      return namespace !== undefined && !namespace.metadata.deletionTimestamp;
    };

    const dry = await cli(['janitor', '--dry-run', '--config', config]);
    expect(dry.stderr).toBe('');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('would delete ks-leftover-0 (run-ended)');
    expect(dry.stdout).toContain('would delete ks-expired (expired)');
    expect(dry.stdout).not.toContain('ks-not-ours-0');
    expect(dry.stdout).toMatch(/dry run: nothing deleted/);
    for (const name of ['ks-leftover-0', 'ks-expired', 'ks-not-ours-0'])
      expect(await exists(name), name).toBe(true);

    const real = await cli(['janitor', '--json', '--config', config]);
    expect(real.code).toBe(0);
    const report = JSON.parse(real.stdout) as {
      dryRun: boolean;
      actions: Array<{ namespace: string; reason: string }>;
    };
    expect(report.dryRun).toBe(false);
    expect(report.actions.sort((a, b) => a.namespace.localeCompare(b.namespace))).toEqual([
      { namespace: 'ks-expired', reason: 'expired' },
      { namespace: 'ks-leftover-0', reason: 'run-ended' },
    ]);
    expect(await exists('ks-leftover-0')).toBe(false);
    expect(await exists('ks-expired')).toBe(false);
    expect(await exists('ks-not-ours-0')).toBe(true);
  });

  it('worker: a second SIGTERM aborts in-flight iterations and exits 130 at once', async () => {
    const scheduler = await startScheduler({ redisUrl: url, prefix, tickInterval: 500 }, quietLogger());
    const metricsPort = await freePort();
    const worker = spawnNode(
      [bin, 'worker', '--config', config, '--metrics-port', `${metricsPort}`, '--grace-period', '10m'],
      env,
    );
    children.push(worker);
    try {
      await worker.line(/"worker ready"/, 30_000, 'stderr');
      // An exec hook that outlives the test keeps the iteration in flight until it is aborted.
      const plan = {
        ...quickPlan(tools.helm),
        exec: [{ name: 'hold', after: 'install', argv: ['sleep', '120'], timeout: '5m' }],
      };
      await scheduler.submit({
        name: 'forced',
        chart: { ref: FIXTURE_CHART },
        iterations: 1,
        parallel: 1,
        plan,
      });
      await waitFor(
        'an iteration in flight',
        async () => sum(await scrape(`http://127.0.0.1:${metricsPort}`), 'kubesoak_worker_busy_slots') === 1,
      );
      worker.child.kill('SIGTERM');
      await worker.line(/finishing in-flight iterations/, 10_000, 'stderr');
      worker.child.kill('SIGTERM');
      // The grace period is 10 minutes: only the second signal explains a prompt exit.
      expect(await worker.exited, worker.stderr.join('\n')).toEqual({ code: 130, signal: null });
      expect(worker.stderr.some((line) => line.includes('second signal'))).toBe(true);
    } finally {
      await scheduler.close();
    }
  });

  it('fails fast with one line: Redis unreachable (names the URL), bad flags and bad config (exit 2)', async () => {
    const closed = `redis://127.0.0.1:${await freePort()}`;
    for (const command of [
      ['janitor'],
      ['scheduler', '--listen', '127.0.0.1:0', '--metrics-port', '0'],
      ['worker', '--metrics-port', '0'],
    ]) {
      const result = await cli(['--config', config, ...command], { REDIS_URL: closed });
      expect(result.code, command.join(' ')).toBe(1);
      expect(
        result.stderr
          .trim()
          .split('\n')
          .filter((line) => line.startsWith('kubesoak:')),
      ).toEqual([
        `kubesoak: cannot reach Redis at ${closed}: check REDIS_URL and that redis-server is running and reachable`,
      ]);
    }
    const badListen = await cli(['scheduler', '--listen', 'nowhere']);
    expect(badListen.code).toBe(2);
    expect(badListen.stderr).toMatch(/^kubesoak: .*--listen.*HOST:PORT/);
    const badGrace = await cli(['worker', '--grace-period', 'soon']);
    expect(badGrace.code).toBe(2);
    expect(badGrace.stderr.trim().split('\n')).toHaveLength(1);
    const badConfig = join(dir, 'bad.yaml');
    await writeFile(badConfig, 'worker: { concurrency: 0 }\n');
    const rejected = await cli(['worker', '--config', badConfig]);
    expect(rejected.code).toBe(2);
    expect(rejected.stderr.trim()).toMatch(/^kubesoak: .*bad\.yaml: worker\.concurrency: /);
  });
});
