import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startIterationWorker } from '../../src/runs/iteration-worker-service.ts';
import type { IterationWorker } from '../../src/runs/iteration-worker-service.ts';
import type { IterationExecutor, IterationJob } from '../../src/runs/iteration-job.ts';
import { startScheduler } from '../../src/runs/scheduler.ts';
import type { Scheduler } from '../../src/runs/scheduler.ts';
import { startSimCluster } from '../../src/sim/sim-cluster.ts';
import type { SimCluster } from '../../src/sim/sim-cluster.ts';
import { createIterationExecutor } from '../../workers/iteration-executor.ts';
import { helmHome } from '../runs/fixtures/sim-runs-support.ts';
import { quietLogger, testPrefix } from '../runs/runs-test-support.ts';
import { cliWith, configDir } from './cli-runs-support.ts';

const redisUrl = inject('redisUrl');
const tools = inject('tools');
const SIM_LIGHT = fileURLToPath(new URL('../fixtures/charts/sim-light', import.meta.url));

describe.runIf(redisUrl && tools.helm)('a local chart directory travels with the run to the workers', () => {
  const url = redisUrl ?? '';
  const prefix = testPrefix('cli-packaged');
  const logger = quietLogger();
  const jobs: IterationJob[] = [];
  let cluster: SimCluster;
  let scheduler: Scheduler;
  let worker: IterationWorker;
  let config: Awaited<ReturnType<typeof configDir>>;
  let home: Awaited<ReturnType<typeof helmHome>>;
  let scratch: string;

  beforeAll(async () => {
    cluster = await startSimCluster({ nodes: 2, timeScale: 0.01, seed: 7 });
    home = await helmHome();
    config = await configDir(prefix);
    scratch = await mkdtemp(join(tmpdir(), 'kubesoak-packaged-'));
    scheduler = await startScheduler({ redisUrl: url, prefix, tickInterval: 300 }, logger);
    const real = createIterationExecutor({
      logger,
      env: { ...process.env, ...home.env, KUBECONFIG: cluster.kubeconfigPath },
    });
    const executor: IterationExecutor = (job, signal) => {
      jobs.push(job);
      return real(job, signal);
    };
    worker = await startIterationWorker({ redisUrl: url, prefix, concurrency: 2 }, executor, logger);
  });
  afterAll(async () => {
    await worker?.close();
    await scheduler?.close();
    await cluster?.stop();
    await home?.remove();
    await config?.remove();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  it('submit packages it; the worker installs the archive with real helm though the directory is gone', async () => {
    const chart = join(scratch, 'chart');
    await cp(SIM_LIGHT, chart, { recursive: true });
    const plan = join(scratch, 'plan.yaml');
    await writeFile(plan, `helm: ${tools.helm}\nsettle: 200ms\nunschedulableGrace: 5s\n`);
    const env = { REDIS_URL: url, KUBESOAK_CONFIG: config.configFile, KUBECONFIG: cluster.kubeconfigPath };
    const submitted = await cliWith(env, [
      'submit',
      '--chart',
      chart,
      '--iterations',
      '2',
      '--parallel',
      '2',
      '--plan',
      plan,
      '--name',
      'packaged',
    ]);
    expect(submitted.err).toBe('');
    expect(submitted.code).toBe(0);
    // Workers on other machines never see the submitter's directory.
    await rm(chart, { recursive: true, force: true });

    const followed = await cliWith(env, ['status', 'packaged', '--wait', '--fail-on-failure']);
    expect(followed.err).toBe('');
    expect(followed.out).toMatch(/run packaged completed: 2\/2 iterations, success=2 failures=0 errors=0/);
    expect(followed.code).toBe(0);
    expect(jobs).toHaveLength(2);
    expect(jobs[0]?.chart.ref).toBe(chart);
    expect(jobs[0]?.chart.archive?.length).toBeGreaterThan(0);

    const shown = await cliWith(env, ['show', 'packaged', '0', '--json']);
    expect(JSON.parse(shown.out)).toMatchObject({ outcome: 'passed', iteration: 0 });
  }, 90_000);
});
