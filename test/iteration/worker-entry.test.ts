import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createLogger } from '../../src/log/create-logger.ts';
import { R } from '../../src/sim/resources.ts';
import { startSimCluster } from '../../src/sim/sim-cluster.ts';
import type { SimCluster } from '../../src/sim/sim-cluster.ts';
import { createIterationExecutor } from '../../workers/iteration-executor.ts';
import { randomSuffix } from '../support/cli-runner.ts';
import { FIXTURE_CHART, HELM_ENV, namespaceNames } from './iteration-harness.ts';

const tools = inject('tools');

describe.runIf(tools.helm3)('the worker executor', () => {
  let cluster: SimCluster;
  beforeAll(async () => {
    cluster = await startSimCluster({ timeScale: 0.02, nodes: 2, seed: 8 });
  });
  afterAll(async () => {
    await cluster.stop();
  });

  it('runs a queued job: values contents, --set, attempt suffix, earlier attempt removed, record fields', async () => {
    const runId = randomSuffix();
    // A leftover of attempt 1 (kubesoak's) is removed first.
    cluster.context.store.create(R.namespace, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: `wk-${runId}-42`, labels: { 'app.kubernetes.io/managed-by': 'kubesoak' } },
    });
    const executor = createIterationExecutor({
      logger: await createLogger({ level: 'silent' }),
      env: { ...process.env, ...HELM_ENV },
    });
    const record = await executor(
      {
        runId,
        runName: 'worker-test',
        iteration: 42,
        attempt: 2,
        previousAttempts: [1],
        chart: { ref: FIXTURE_CHART },
        valuesFiles: ['web:\n  replicas: 1\n'],
        setValues: ['greeting=hi'],
        plan: {
          kubeconfig: cluster.kubeconfigPath,
          helm: tools.helm3 ?? '',
          settle: '500ms',
          namespacePrefix: 'wk',
        },
      },
      new AbortController().signal,
    );
    expect(record.outcome).toBe('passed');
    expect(record.category).toBe('passed');
    expect(Object.keys(record.stepTimings ?? {})).toEqual([
      'namespace',
      'install',
      'await-ready',
      'helm-test',
      'uninstall',
      'delete-namespace',
    ]);
    expect(record.nodes?.length).toBeGreaterThan(0);
    expect(Date.parse(record.finishedAt)).toBeGreaterThanOrEqual(Date.parse(record.startedAt));
    const names = namespaceNames(cluster);
    expect(names).not.toContain(`wk-${runId}-42`);
    expect(names).not.toContain(`wk-${runId}-42-1`);
  });
});
