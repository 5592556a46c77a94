import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startSimCluster } from '../../src/sim/sim-cluster.ts';
import type { SimCluster } from '../../src/sim/sim-cluster.ts';
import { RESOURCE_TYPES } from '../../src/sim/api/resource-types.ts';
import { iterate, quickConfig } from './iteration-harness.ts';

const tools = inject('tools');
const clusterRoles = RESOURCE_TYPES.find((type) => type.plural === 'clusterroles');

describe.runIf(tools.helm)('teardown checks cluster-scoped objects the release created', () => {
  let cluster: SimCluster;
  beforeAll(async () => {
    cluster = await startSimCluster({ timeScale: 0.02, nodes: 3, seed: 5 });
  });
  afterAll(async () => {
    await cluster.stop();
  });

  const names = () =>
    (clusterRoles ? cluster.context.store.list(clusterRoles) : []).map((role) => role.metadata.name);

  it('passes when uninstall removes the ClusterRole', async () => {
    const result = await iterate(
      cluster,
      tools.helm ?? '',
      quickConfig({ set: ['clusterRole.enabled=true'] }),
    );
    expect(result.outcome, result.summary).toBe('passed');
    expect(names()).toEqual([]);
  });

  it('fails with cleanup-stuck evidence naming a ClusterRole that survives uninstall (resource-policy: keep)', async () => {
    const result = await iterate(
      cluster,
      tools.helm ?? '',
      quickConfig({ set: ['clusterRole.enabled=true', 'clusterRole.keep=true'] }),
    );
    const [kept] = names();
    expect(kept).toMatch(/-reader$/);
    expect(result.outcome).toBe('failed');
    expect(result.category).toBe('cleanup-stuck');
    expect(result.failedStep).toBe('uninstall');
    expect(JSON.stringify(result.evidence)).toContain(`ClusterRole/${kept}`);
    // Reported, never force-removed: the object is still there for a person to look at.
    if (clusterRoles && kept) cluster.context.store.forceRemove(clusterRoles, undefined, kept);
  });
});
