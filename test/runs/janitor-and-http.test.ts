import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KubeKind } from '../../src/kube/cluster-client.ts';
import type { ClusterClient } from '../../src/kube/cluster-client.ts';
import { KubeClusterClient } from '../../src/kube/kube-cluster-client.ts';
import { startSimCluster } from '../../src/sim/sim-cluster.ts';
import type { SimCluster } from '../../src/sim/sim-cluster.ts';
import { startIterationWorker } from '../../src/runs/iteration-worker-service.ts';
import type { IterationWorker } from '../../src/runs/iteration-worker-service.ts';
import { startSchedulerHttp } from '../../src/runs/scheduler-http.ts';
import type { SchedulerHttpServer } from '../../src/runs/scheduler-http.ts';
import { startScheduler } from '../../src/runs/scheduler.ts';
import type { Scheduler } from '../../src/runs/scheduler.ts';
import { keysUnder, quietLogger, testPrefix, trackingExecutor, waitFor } from './runs-test-support.ts';

const redisUrl = inject('redisUrl');

describe.runIf(redisUrl)('janitor on the simulated cluster, and the scheduler HTTP API', () => {
  const url = redisUrl ?? '';
  const prefix = testPrefix('janitor');
  const logger = quietLogger();
  const signal = new AbortController().signal;
  let sim: SimCluster;
  let cluster: ClusterClient;
  let scheduler: Scheduler;
  let worker: IterationWorker;
  let http: SchedulerHttpServer;

  beforeAll(async () => {
    sim = await startSimCluster({ nodes: 1 });
    cluster = new KubeClusterClient({ kubeconfigPath: sim.kubeconfigPath });
    scheduler = await startScheduler(
      { redisUrl: url, prefix, tickInterval: 300, janitorInterval: 3_600_000, janitorMinAge: 0 },
      logger,
      { cluster },
    );
    worker = await startIterationWorker(
      { redisUrl: url, prefix, concurrency: 4 },
      trackingExecutor(5).executor,
      logger,
    );
    http = await startSchedulerHttp(scheduler, {}, logger);
  });
  afterAll(async () => {
    await http?.close();
    await worker?.close();
    await scheduler?.close();
    await sim?.stop();
  });

  const namespace = (
    name: string,
    labels: Record<string, string>,
    annotations: Record<string, string> = {},
  ) =>
    cluster.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels, annotations } }, signal);
  const exists = async (name: string) =>
    (await cluster.get(KubeKind.Namespace, name, undefined, signal)) !== undefined;

  it('deletes leftovers of ended runs and expired ones, never an unlabelled namespace; dry-run deletes nothing', async () => {
    const done = await scheduler.submit({
      chart: { ref: './chart' },
      iterations: 3,
      parallel: 3,
      name: 'janitor-done',
    });
    await waitFor('run completed', async () => (await scheduler.status(done.id))?.state === 'completed');
    const managed = { 'app.kubernetes.io/managed-by': 'kubesoak' };
    await namespace('ks-janitor-done-1', {
      ...managed,
      'kubesoak.io/run': done.id,
      'kubesoak.io/iteration': '1',
    });
    await namespace('ks-expired', { ...managed }, { 'kubesoak.io/expires-at': '2020-01-01T00:00:00Z' });
    await namespace('ks-unknown-run', {
      ...managed,
      'kubesoak.io/run': 'no-such-run',
      'kubesoak.io/iteration': '0',
    });
    // Not kubesoak's: same run label, expired annotation, a name that looks like ours.
    await namespace(
      'ks-janitor-done-2',
      { 'kubesoak.io/run': done.id, 'kubesoak.io/iteration': '2' },
      { 'kubesoak.io/expires-at': '2020-01-01T00:00:00Z' },
    );
    await namespace('production', { 'app.kubernetes.io/managed-by': 'helm' });

    const dry = await scheduler.janitor({ dryRun: true });
    expect(dry.dryRun).toBe(true);
    expect(dry.actions.map((action) => `${action.namespace}:${action.reason}`).sort()).toEqual([
      'ks-expired:expired',
      'ks-janitor-done-1:run-ended',
      'ks-unknown-run:run-ended',
    ]);
    expect(await exists('ks-expired')).toBe(true);

    const real = await scheduler.janitor();
    expect(real.errors).toEqual([]);
    expect(real.actions).toHaveLength(3);
    await waitFor(
      'namespaces gone',
      async () => !(await exists('ks-expired')) && !(await exists('ks-janitor-done-1')),
      20_000,
    );
    expect(await exists('ks-janitor-done-2')).toBe(true);
    expect(await exists('production')).toBe(true);
  });

  /** Status of a response whose body is not needed (read anyway: an unread body leaks). */
  const statusOf = async (pending: Promise<Response>) => {
    const response = await pending;
    await response.arrayBuffer();
    return response.status;
  };

  it('HTTP: submit, get by id and name, list, iteration result, cancel; 400 names the field', async () => {
    const post = (path: string, body: unknown) =>
      fetch(`${http.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const created = await post('/v1/runs', {
      chart: { ref: 'repo/app' },
      iterations: 4,
      parallel: 2,
      name: 'via-http',
      note: 'bumped redis',
    });
    expect(created.status).toBe(201);
    const run = (await created.json()) as { id: string; name: string; state: string };
    expect(run).toMatchObject({ name: 'via-http', state: 'queued' });
    await waitFor('completed', async () => {
      const response = await fetch(`${http.url}/v1/runs/via-http`);
      return ((await response.json()) as { state: string }).state === 'completed';
    });
    const byId = (await (await fetch(`${http.url}/v1/runs/${run.id}`)).json()) as {
      counts: unknown;
      note: string;
    };
    expect(byId).toMatchObject({ counts: { passed: 3, failed: 1, error: 0 }, note: 'bumped redis' });
    const result = await fetch(`${http.url}/v1/runs/via-http/iterations/1`);
    expect(result.status).toBe(200);
    expect(await result.json()).toMatchObject({ iteration: 1, attempt: 1, outcome: 'failed' });
    expect(await statusOf(fetch(`${http.url}/v1/runs/via-http/iterations/9`))).toBe(404);
    const list = (await (await fetch(`${http.url}/v1/runs?limit=2`)).json()) as {
      runs: Array<{ name: string }>;
    };
    expect(list.runs.map((r) => r.name)).toEqual(['via-http', 'janitor-done']);

    const before = (await keysUnder(url, prefix)).sort();
    const bad = await post('/v1/runs', { chart: { ref: 'repo/app' }, iterations: 0, parallel: 2 });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({
      error: {
        code: 'invalid-submission',
        field: 'iterations',
        message: 'invalid run submission: iterations: must be at least 1',
      },
    });
    expect(await statusOf(fetch(`${http.url}/v1/runs`, { method: 'POST', body: '{' }))).toBe(400);
    expect((await keysUnder(url, prefix)).sort()).toEqual(before);

    expect(
      await statusOf(
        post('/v1/runs', { chart: { ref: 'repo/app' }, iterations: 100_000, parallel: 1, name: 'to-cancel' }),
      ),
    ).toBe(201);
    expect(
      await statusOf(
        post('/v1/runs', { chart: { ref: 'repo/app' }, iterations: 1, parallel: 1, name: 'to-cancel' }),
      ),
    ).toBe(409);
    const cancelled = await post('/v1/runs/to-cancel/cancel', { now: true });
    expect(cancelled.status).toBe(200);
    expect(await cancelled.json()).toMatchObject({ state: 'cancelled' });
    expect(await statusOf(fetch(`${http.url}/v1/runs/nope`))).toBe(404);
  });
});
