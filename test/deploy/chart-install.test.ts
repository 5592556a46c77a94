import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startSimCluster } from '../../src/sim/sim-cluster.ts';
import type { SimCluster } from '../../src/sim/sim-cluster.ts';
import { R } from '../../src/sim/resources.ts';
import { runTool } from '../support/cli-runner.ts';
import { CHART_DIR } from './chart-support.ts';

const tools = inject('tools');

/**
 * The chart installed with the real helm and checked with the real kubectl against the simulated
 * API server. PrometheusRule, ServiceMonitor and PodMonitor are prometheus-operator CRDs the
 * simulation does not serve: they stay disabled here (their rendering is checked in chart.test.ts).
 */
describe.runIf(tools.helm && tools.helm3 && tools.kubectl).each([
  { label: 'helm 4', helm: tools.helm ?? '', release: 'soak', namespace: 'kubesoak-system' },
  { label: 'helm 3', helm: tools.helm3 ?? '', release: 'soak3', namespace: 'kubesoak-helm3' },
])('kubesoak chart installed on the simulated cluster with $label', ({ helm, release, namespace }) => {
  const kubectl = tools.kubectl ?? '';
  const fullname = `${release}-kubesoak`;
  let cluster: SimCluster;
  let installed: { code: number; stdout: string; stderr: string };

  const kc = () => ['--kubeconfig', cluster.kubeconfigPath];
  async function kubectlJson<T>(args: string[]): Promise<T> {
    const result = await runTool(kubectl, [...args, '-o', 'json', ...kc()]);
    if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${result.stderr}`);
    return JSON.parse(result.stdout) as T;
  }

  beforeAll(async () => {
    cluster = await startSimCluster({ timeScale: 0.02, nodes: 3, seed: 11 });
    installed = await runTool(helm, [
      'install',
      release,
      CHART_DIR,
      '--namespace',
      namespace,
      '--create-namespace',
      '--set',
      `redis.url=redis://redis.${namespace}:6379`,
      '--set',
      'worker.replicas=3,worker.concurrency=2',
      '--set',
      'prometheusRule.enabled=false,metrics.serviceMonitor.enabled=false,metrics.podMonitor.enabled=false',
      '--wait',
      '--timeout',
      '120s',
      ...kc(),
    ]);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('is accepted by the API server and reaches deployed with --wait', () => {
    expect(`${installed.code}\n${installed.stderr}`).toBe('0\n');
    expect(installed.stdout).toMatch(/STATUS: deployed/);
    // NOTES.txt tells where the Redis URL comes from, never the URL.
    expect(installed.stdout).toContain(`from Secret ${fullname}-redis`);
    expect(installed.stdout).not.toContain(`redis.${namespace}`);
  });

  it('creates the Deployments, Services, ConfigMap, Secret, ServiceAccount and RBAC', async () => {
    const list = await kubectlJson<{ items: Array<{ kind: string; metadata: { name: string } }> }>([
      'get',
      'deployments,services,configmaps,secrets,serviceaccounts',
      '-n',
      namespace,
    ]);
    const names = list.items.map((item) => `${item.kind}/${item.metadata.name}`);
    expect(names).toEqual(
      expect.arrayContaining([
        `Deployment/${fullname}-scheduler`,
        `Deployment/${fullname}-worker`,
        `Service/${fullname}-scheduler`,
        `Service/${fullname}-worker`,
        `ConfigMap/${fullname}-config`,
        `Secret/${fullname}-redis`,
        `ServiceAccount/${fullname}`,
      ]),
    );
    const role = await kubectlJson<{ rules: unknown[] }>(['get', 'clusterrole', fullname]);
    expect(role.rules.length).toBeGreaterThan(5);
    const binding = await kubectlJson<{ subjects: unknown[] }>(['get', 'clusterrolebinding', fullname]);
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: fullname, namespace }]);
  });

  it('gets the scheduler and worker pods scheduled onto nodes and ready', async () => {
    const pods = await kubectlJson<{
      items: Array<{
        metadata: { labels: Record<string, string> };
        spec: { nodeName?: string; serviceAccountName: string };
        status: { phase: string; conditions?: Array<{ type: string; status: string }> };
      }>;
    }>(['get', 'pods', '-n', namespace, '-l', `app.kubernetes.io/instance=${release}`]);
    const byComponent = (component: string) =>
      pods.items.filter((pod) => pod.metadata.labels['app.kubernetes.io/component'] === component);
    expect(byComponent('scheduler')).toHaveLength(1);
    expect(byComponent('worker')).toHaveLength(3);
    const nodes = new Set(cluster.context.store.list(R.node).map((node) => node.metadata.name));
    for (const pod of pods.items) {
      expect(nodes.has(pod.spec.nodeName ?? '')).toBe(true);
      expect(pod.spec.serviceAccountName).toBe(fullname);
      expect(pod.status.phase).toBe('Running');
      expect(pod.status.conditions).toContainEqual(
        expect.objectContaining({ type: 'Ready', status: 'True' }),
      );
    }
    const worker = cluster.context.store.get(R.deployment, namespace, `${fullname}-worker`);
    expect(worker?.status).toMatchObject({ readyReplicas: 3, availableReplicas: 3 });
  });
});
