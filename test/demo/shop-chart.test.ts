import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { bundledChartPath } from '../../src/demo/bundled-examples.ts';
import { parseScenario } from '../../src/sim/faults/load-scenario.ts';
import { startSimCluster } from '../../src/sim/sim-cluster.ts';
import type { SimCluster } from '../../src/sim/sim-cluster.ts';
import { iterate, quickConfig } from '../iteration/iteration-harness.ts';

const tools = inject('tools');
const chart = bundledChartPath();

describe.runIf(tools.helm && tools.helm3)('the bundled shop chart on the simulated cluster', () => {
  let healthy: SimCluster;
  let failingTests: SimCluster;
  beforeAll(async () => {
    healthy = await startSimCluster({ timeScale: 0.02, nodes: 3, seed: 'shop' });
    failingTests = await startSimCluster({
      timeScale: 0.02,
      scenario: parseScenario({
        nodes: { count: 3 },
        faults: [{ kind: 'helmTest', message: 'Thrift::TransportException: Could not connect to {target}' }],
      }),
    });
  });
  afterAll(async () => {
    await failingTests?.stop();
    await healthy?.stop();
  });

  it.each([
    ['helm 4', () => tools.helm ?? ''],
    ['helm 3', () => tools.helm3 ?? ''],
  ])('installs, becomes ready, passes its helm test and uninstalls cleanly with %s', async (_name, helm) => {
    const result = await iterate(healthy, helm(), quickConfig({ chart }));
    expect(result.evidence).toEqual([]);
    expect(result.outcome).toBe('passed');
    expect(result.steps.map((step) => step.name)).toEqual([
      'namespace',
      'install',
      'await-ready',
      'helm-test',
      'uninstall',
      'delete-namespace',
    ]);
    // Frontend, api, worker, datastore (StatefulSet with a PVC) and cache spread over the nodes.
    expect(result.nodes.length).toBeGreaterThan(1);
  });

  it('a failing helm test names the service it could not reach', async () => {
    const result = await iterate(failingTests, tools.helm ?? '', quickConfig({ chart }));
    expect(result.outcome).toBe('failed');
    expect(result.category).toBe('test-failed');
    expect(
      result.evidence.map((line) => `${line.message} ${(line.lines ?? []).join(' ')}`).join('\n'),
    ).toMatch(/Could not connect to soak-api-thrift:9090/);
  });
});
