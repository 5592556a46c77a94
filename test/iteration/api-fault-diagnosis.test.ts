import { afterEach, describe, expect, inject, it } from 'vitest';
import { parseScenario } from '../../src/sim/faults/load-scenario.ts';
import { startSimCluster } from '../../src/sim/sim-cluster.ts';
import type { SimCluster } from '../../src/sim/sim-cluster.ts';
import { iterate, quickConfig } from './iteration-harness.ts';

const tools = inject('tools');

/** Diagnosis of the simulated cluster's API and namespace fault kinds, end to end with real helm. */
describe.runIf(tools.helm)('diagnosis of API and namespace faults', () => {
  let cluster: SimCluster | undefined;
  afterEach(async () => {
    await cluster?.stop();
    cluster = undefined;
  });

  async function clusterWith(faults: unknown[]): Promise<SimCluster> {
    cluster = await startSimCluster({
      timeScale: 0.02,
      nodes: 3,
      seed: 3,
      scenario: parseScenario({ seed: 3, faults }, 'test scenario'),
    });
    return cluster;
  }

  it('a namespace stuck Terminating is cleanup-stuck at the delete-namespace step, with the namespace as evidence', async () => {
    const sim = await clusterWith([{ kind: 'namespaceStuck', for: '2h' }]);
    const result = await iterate(
      sim,
      tools.helm ?? '',
      quickConfig({ timeouts: { namespaceDeletion: '3s' } }),
    );
    expect(result.outcome, result.summary).toBe('failed');
    expect(result.category).toBe('cleanup-stuck');
    expect(result.failedStep).toBe('delete-namespace');
    expect(JSON.stringify(result.evidence)).toMatch(/Terminating|finalizer/i);
  });

  it('API 5xx on workload writes during install is an api error, not a chart failure', async () => {
    const sim = await clusterWith([
      {
        kind: 'apiError',
        status: 503,
        verbs: ['create', 'patch', 'update'],
        paths: ['/apis/apps/v1/namespaces/*/deployments*'],
      },
    ]);
    const result = await iterate(sim, tools.helm ?? '');
    expect(result.failedStep, result.summary).toBe('install');
    expect(result.outcome).toBe('error');
    expect(result.category).toBe('api-error');
  });

  it('an API server that refuses connections is an error outcome (infrastructure), category api-error', async () => {
    const sim = await clusterWith([{ kind: 'refuse', for: '2h' }]);
    const result = await iterate(sim, tools.helm ?? '');
    expect(result.outcome, result.summary).toBe('error');
    expect(result.category).toBe('api-error');
    expect(JSON.stringify(result.evidence)).toMatch(/refused/i);
  });
});
