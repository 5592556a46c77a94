import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { R } from '../../../src/sim/resources.ts';
import { randomSuffix, runTool } from '../../support/cli-runner.ts';
import type { FaultCluster } from './fault-fixture.ts';
import { containerStatus, faultCluster, statusOf, tools } from './fault-fixture.ts';

const chart = fileURLToPath(new URL('../../fixtures/charts/soak-app', import.meta.url));
let fc: FaultCluster | undefined;
afterEach(async () => {
  await fc?.stop();
  fc = undefined;
});

async function install(release: string, ns: string, wait: boolean) {
  const result = await runTool(tools.helm ?? '', [
    'install',
    release,
    chart,
    '-n',
    ns,
    '--create-namespace',
    ...(wait ? ['--wait', '--timeout', '60s'] : []),
    '--kubeconfig',
    fc?.cluster.kubeconfigPath ?? '',
  ]);
  if (result.code !== 0) throw new Error(`helm install: ${result.stderr}`);
}

function helmTest(release: string, ns: string) {
  return runTool(tools.helm ?? '', [
    'test',
    release,
    '-n',
    ns,
    '--timeout',
    '60s',
    '--kubeconfig',
    fc?.cluster.kubeconfigPath ?? '',
  ]);
}

describe.runIf(tools.helm && tools.kubectl)('helm test faults through real helm', () => {
  it('fails the test pod with probability p and logs the RPC error', async () => {
    fc = await faultCluster({
      faults: [
        {
          kind: 'helmTest',
          probability: 1,
          message: 'Thrift::TransportException: Could not connect to {target}',
        },
      ],
    });
    const ns = `ht-${randomSuffix()}`;
    const release = `rel${randomSuffix()}`;
    await install(release, ns, true);
    const result = await helmTest(release, ns);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(new RegExp(`pod ${release}-test-connection failed`));
    const pod = await fc.getJson('pod', `${release}-test-connection`, ns);
    expect(statusOf(pod).phase).toBe('Failed');
    expect(containerStatus(pod, 'check')?.state.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
    const logs = await fc.kubectl(['logs', `${release}-test-connection`, '-n', ns]);
    expect(logs.stdout).toContain(`Thrift::TransportException: Could not connect to ${release}-web:80`);
    expect(logs.stdout).toMatch(/1 check failed/);
  });

  it('fails when a declared target has no ready endpoints', async () => {
    fc = await faultCluster({
      faults: [
        { kind: 'readiness', target: { pod: '*-datastore-*' } },
        { kind: 'helmTest', whenNoEndpoints: true },
      ],
    });
    const ns = `ht-${randomSuffix()}`;
    const release = `rel${randomSuffix()}`;
    await install(release, ns, false);
    const store = fc.cluster.context.store;
    // Wait until the web endpoints are ready: only the datastore (never ready) is missing.
    for (let i = 0; i < 400; i += 1) {
      const endpoints = store.get(R.endpoints, ns, `${release}-web`);
      const subsets = (endpoints?.subsets ?? []) as Array<{ addresses?: unknown[] }>;
      if (subsets.some((subset) => (subset.addresses ?? []).length >= 2)) break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const result = await helmTest(release, ns);
    expect(result.code).not.toBe(0);
    const logs = await fc.kubectl(['logs', `${release}-test-connection`, '-n', ns]);
    expect(logs.stdout).toContain(`Could not connect to ${release}-datastore:6379`);
    const endpoints = await fc.getJson('endpoints', `${release}-datastore`, ns);
    const subsets = (endpoints.subsets ?? []) as Array<{
      addresses?: unknown[];
      notReadyAddresses?: unknown[];
    }>;
    expect(subsets.every((subset) => (subset.addresses ?? []).length === 0)).toBe(true);
  });
});
