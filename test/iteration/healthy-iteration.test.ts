import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startSimCluster } from '../../src/sim/sim-cluster.ts';
import type { SimCluster } from '../../src/sim/sim-cluster.ts';
import { iterate, namespaceNames, quickConfig } from './iteration-harness.ts';

const tools = inject('tools');

describe.runIf(tools.helm && tools.helm3)('a healthy iteration of the fixture chart', () => {
  let cluster: SimCluster;
  beforeAll(async () => {
    cluster = await startSimCluster({ timeScale: 0.02, nodes: 3, seed: 11 });
  });
  afterAll(async () => {
    await cluster.stop();
  });

  it.each([
    ['helm 4', () => tools.helm ?? ''],
    ['helm 3', () => tools.helm3 ?? ''],
  ])('passes with %s and leaves nothing behind', async (_label, helm) => {
    const result = await iterate(cluster, helm());
    expect(result.summary, JSON.stringify(result.steps, null, 2)).toBe('passed');
    expect(result.outcome).toBe('passed');
    expect(result.steps.map((step) => [step.name, step.status])).toEqual([
      ['namespace', 'ok'],
      ['install', 'ok'],
      ['await-ready', 'ok'],
      ['helm-test', 'ok'],
      ['uninstall', 'ok'],
      ['delete-namespace', 'ok'],
    ]);
    for (const step of result.steps) expect(step.durationMs).toBeGreaterThan(0);
    expect(result.nodes.length).toBeGreaterThan(0);
    const web = result.timeline.find((pod) => pod.pod.startsWith('soak-web-'));
    for (const phase of ['scheduled', 'initialized', 'ready'] as const)
      expect(web?.[phase], phase).toMatch(/^20/);
    expect(result.snapshot).toBeUndefined();
    // The StatefulSet's PVC outlives uninstall: reported as info, removed with the namespace.
    expect(result.notes.find((note) => note.step === 'uninstall' && note.level === 'info')?.objects).toEqual([
      'PersistentVolumeClaim/data-soak-datastore-0',
    ]);
    expect(namespaceNames(cluster)).not.toContain(result.namespace);
    expect(result.namespace).toMatch(/^soak-[a-z0-9]+-0$/);
  });

  it('runs exec hooks with NAMESPACE, RELEASE and KUBECONFIG; a failing hook fails the iteration', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'kubesoak-exec-')), 'env.txt');
    const result = await iterate(
      cluster,
      tools.helm ?? '',
      quickConfig({
        exec: [
          {
            name: 'record',
            after: 'ready',
            argv: ['sh', '-c', `echo "$NAMESPACE $RELEASE $KUBECONFIG" > ${out}`],
          },
          { name: 'verify', after: 'ready', argv: ['sh', '-c', 'echo "verification failed" >&2; exit 3'] },
        ],
      }),
    );
    expect(readFileSync(out, 'utf8').trim()).toBe(`${result.namespace} soak ${cluster.kubeconfigPath}`);
    expect(result).toMatchObject({ outcome: 'failed', category: 'hook-failed', failedStep: 'exec:verify' });
    expect(result.evidence[0]?.message).toMatch(/exited 3: verification failed/);
    expect(result.steps.find((step) => step.name === 'helm-test')?.status).toBe('skipped');
    expect(namespaceNames(cluster)).not.toContain(result.namespace);
  });
});
