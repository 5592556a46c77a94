import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { HelmDriver } from '../../src/helm/helm-driver.ts';
import type { AwaitReadyFunction } from '../../src/iteration/await-ready-function.ts';
import { HelmCli } from '../../src/helm/helm-cli.ts';
import { KubeClusterClient } from '../../src/kube/kube-cluster-client.ts';
import { UnmanagedNamespaceError, deleteManagedNamespace } from '../../src/iteration/managed-namespace.ts';
import { R } from '../../src/sim/resources.ts';
import { startSimCluster } from '../../src/sim/sim-cluster.ts';
import type { SimCluster } from '../../src/sim/sim-cluster.ts';
import { randomSuffix } from '../support/cli-runner.ts';
import { HELM_ENV, iterate, namespaceNames, quickConfig } from './iteration-harness.ts';

const tools = inject('tools');

describe.runIf(tools.helm)('isolation and cancellation', () => {
  let cluster: SimCluster;
  beforeAll(async () => {
    cluster = await startSimCluster({ timeScale: 0.02, nodes: 3, seed: 21 });
  });
  afterAll(async () => {
    await cluster.stop();
  });

  it('a cancel during helm install kills helm, still cleans up and leaves no namespace', async () => {
    const controller = new AbortController();
    const real = new HelmCli({ binary: tools.helm ?? '', kubeconfig: cluster.kubeconfigPath, env: HELM_ENV });
    let installStarted = 0;
    const helm: HelmDriver = {
      version: (signal) => real.version(signal),
      install: (request, signal) => {
        installStarted = performance.now();
        setTimeout(() => controller.abort(new Error('cancelled by test')), 40);
        return real.install(request, signal);
      },
      test: (...args) => real.test(...args),
      uninstall: (...args) => real.uninstall(...args),
      status: (...args) => real.status(...args),
      getManifest: (...args) => real.getManifest(...args),
    };
    const result = await iterate(cluster, tools.helm ?? '', quickConfig(), {
      helm,
      signal: controller.signal,
    });
    expect(installStarted).toBeGreaterThan(0);
    expect(result).toMatchObject({ outcome: 'error', category: 'cancelled', failedStep: 'install' });
    const install = result.steps.find((step) => step.name === 'install');
    expect(install).toMatchObject({ status: 'cancelled' });
    expect(install?.durationMs).toBeLessThan(2000);
    expect(
      result.steps.filter((step) => step.phase === 'cleanup').map((step) => [step.name, step.status]),
    ).toEqual([
      ['uninstall', 'ok'],
      ['delete-namespace', 'ok'],
    ]);
    expect(namespaceNames(cluster)).not.toContain(result.namespace);
  });

  it('a namespace without the managed-by label survives every cleanup path', async () => {
    const run = `taken${randomSuffix()}`;
    const name = `soak-${run}-0`;
    cluster.context.store.create(R.namespace, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name, labels: { team: 'someone-else' } },
    });
    // The iteration collides with it: it must neither adopt nor delete it, with or without --keep-failed.
    for (const keepFailed of [undefined, '5m']) {
      const result = await iterate(cluster, tools.helm ?? '', quickConfig(keepFailed ? { keepFailed } : {}), {
        run,
      });
      expect(result.namespace).toBe(name);
      expect(result).toMatchObject({ outcome: 'error', category: 'api-error', failedStep: 'namespace' });
      expect(namespaceNames(cluster)).toContain(name);
      expect(cluster.context.store.get(R.namespace, undefined, name)?.metadata.annotations ?? {}).toEqual({});
    }
    // Called directly, the one delete path refuses too.
    const client = new KubeClusterClient({ kubeconfigPath: cluster.kubeconfigPath });
    await expect(deleteManagedNamespace(client, name, AbortSignal.timeout(5000))).rejects.toBeInstanceOf(
      UnmanagedNamespaceError,
    );
    expect(namespaceNames(cluster)).toContain(name);
    expect(
      cluster.context.store.get(R.namespace, undefined, name)?.metadata.deletionTimestamp,
    ).toBeUndefined();
  });

  /** An await that only ends when its signal aborts, as a watch does. */
  const hangingAwait: AwaitReadyFunction = (_client, _target, _options, signal) =>
    new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error)));

  it('a cancel during await-ready reaches the await and still cleans up', async () => {
    const controller = new AbortController();
    let awaiting = false;
    const result = await iterate(cluster, tools.helm ?? '', quickConfig(), {
      signal: controller.signal,
      awaitReady: (...args) => {
        awaiting = true;
        setTimeout(() => controller.abort(new Error('cancelled by test')), 100);
        return hangingAwait(...args);
      },
    });
    expect(awaiting).toBe(true);
    expect(result).toMatchObject({ outcome: 'error', category: 'cancelled', failedStep: 'await-ready' });
    expect(result.steps.find((step) => step.name === 'uninstall')?.status).toBe('ok');
    expect(namespaceNames(cluster)).not.toContain(result.namespace);
  });

  it("the iteration's overall timeout is a timeout, not a cancel", async () => {
    const result = await iterate(cluster, tools.helm ?? '', quickConfig({ timeout: '3s' }), {
      awaitReady: hangingAwait,
    });
    expect(result).toMatchObject({ outcome: 'failed', category: 'timeout' });
    // Usually await-ready; on a loaded machine install may still be running when the budget ends.
    expect(['install', 'await-ready']).toContain(result.failedStep);
    expect(result.steps.find((step) => step.name === result.failedStep)).toMatchObject({
      status: 'timeout',
      message: 'the iteration ran out of time',
    });
    expect(namespaceNames(cluster)).not.toContain(result.namespace);
  });

  it.runIf(tools.kubectl)(
    'creates the configured ResourceQuota and LimitRange in the namespace',
    async () => {
      const out = join(mkdtempSync(join(tmpdir(), 'kubesoak-quota-')), 'objects.txt');
      const result = await iterate(
        cluster,
        tools.helm ?? '',
        quickConfig({
          resourceQuota: { pods: '20', 'requests.memory': '4Gi' },
          limitRange: [{ type: 'Container', defaultRequest: { memory: '32Mi' } }],
          exec: [
            {
              name: 'inspect',
              after: 'namespace',
              argv: [
                'sh',
                '-c',
                `"${tools.kubectl ?? ''}" get resourcequota,limitrange -n "$NAMESPACE" -o name > ${out}`,
              ],
            },
          ],
        }),
      );
      expect(result.outcome, result.summary).toBe('passed');
      expect(readFileSync(out, 'utf8').trim().split('\n').sort()).toEqual([
        'limitrange/kubesoak',
        'resourcequota/kubesoak',
      ]);
    },
  );

  it('a failed iteration still removes its own namespace', async () => {
    const result = await iterate(cluster, tools.helm ?? '', quickConfig({ chart: '/nonexistent/chart' }));
    expect(result).toMatchObject({ outcome: 'failed', category: 'install-rejected', failedStep: 'install' });
    expect(result.evidence[0]).toMatchObject({ reason: 'chart-not-found' });
    expect(namespaceNames(cluster)).not.toContain(result.namespace);
  });
});
