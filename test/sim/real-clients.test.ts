import { fileURLToPath } from 'node:url';
import { KubeConfig, CoreV1Api, makeInformer } from '@kubernetes/client-node';
import type { V1Pod } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startSimCluster } from '../../src/sim/sim-cluster.ts';
import type { SimCluster } from '../../src/sim/sim-cluster.ts';
import { R } from '../../src/sim/resources.ts';
import { randomSuffix, runTool } from '../support/cli-runner.ts';

const tools = inject('tools');
const chart = fileURLToPath(new URL('../fixtures/charts/soak-app', import.meta.url));

describe.runIf(tools.helm && tools.helm3 && tools.kubectl)('simulated cluster through real clients', () => {
  const helm4 = tools.helm ?? '';
  const helm3 = tools.helm3 ?? '';
  const kubectl = tools.kubectl ?? '';
  let cluster: SimCluster;

  beforeAll(async () => {
    cluster = await startSimCluster({ timeScale: 0.02, nodes: 3, seed: 7 });
  });
  afterAll(async () => {
    await cluster.stop();
  });

  const kc = () => ['--kubeconfig', cluster.kubeconfigPath];

  async function expectOk(binary: string, args: string[]) {
    const result = await runTool(binary, args);
    if (result.code !== 0)
      throw new Error(
        `${binary} ${args.join(' ')} exited ${result.code}:\n${result.stderr}\n${result.stdout}`,
      );
    return result;
  }

  describe.each([
    ['helm 4', () => helm4],
    ['helm 3', () => helm3],
  ])('%s lifecycle', (label, helm) => {
    const ns = `life-${label.replace(' ', '')}-${randomSuffix()}`;
    const release = `rel${randomSuffix()}`;

    it('installs the fixture chart with --wait: Deployment, StatefulSet, Services, ConfigMap, Secret, ServiceAccount', async () => {
      const result = await expectOk(helm(), [
        'install',
        release,
        chart,
        '-n',
        ns,
        '--create-namespace',
        '--wait',
        '--timeout',
        '120s',
        ...kc(),
      ]);
      expect(result.stdout).toMatch(/STATUS: deployed/);
      const pods = cluster.context.store.list(R.pod, { namespace: ns });
      expect(pods.map((pod) => pod.metadata.name).sort()).toEqual(
        expect.arrayContaining([
          `${release}-datastore-0`,
          expect.stringMatching(new RegExp(`^${release}-web-`)),
        ]),
      );
      const deployment = cluster.context.store.get(R.deployment, ns, `${release}-web`);
      expect(deployment?.status).toMatchObject({
        readyReplicas: 2,
        availableReplicas: 2,
        updatedReplicas: 2,
        replicas: 2,
      });
    });

    it('lists the release and shows its status', async () => {
      const list = await expectOk(helm(), ['list', '-n', ns, '-o', 'json', ...kc()]);
      const releases = JSON.parse(list.stdout) as Array<{ name: string; status: string }>;
      expect(releases).toEqual([expect.objectContaining({ name: release, status: 'deployed' })]);
      const status = await expectOk(helm(), ['status', release, '-n', ns, ...kc()]);
      expect(status.stdout).toMatch(new RegExp(`NAME: ${release}`));
    });

    it('runs helm test --logs and prints what the test pod checked', async () => {
      const result = await expectOk(helm(), [
        'test',
        release,
        '-n',
        ns,
        '--logs',
        '--timeout',
        '120s',
        ...kc(),
      ]);
      expect(result.stdout).toMatch(/Phase:\s+Succeeded/);
      expect(result.stdout).toMatch(/POD LOGS: .*test-connection/);
      expect(result.stdout).toMatch(/passed/i);
    });

    it('uninstalls with --wait and leaves no release objects behind', async () => {
      await expectOk(helm(), ['uninstall', release, '-n', ns, '--wait', '--timeout', '120s', ...kc()]);
      expect(
        cluster.context.store
          .list(R.secret, { namespace: ns })
          .filter((s) => s.metadata.labels?.owner === 'helm'),
      ).toEqual([]);
      expect(cluster.context.store.list(R.deployment, { namespace: ns })).toEqual([]);
      const list = await expectOk(helm(), ['list', '-n', ns, '-o', 'json', ...kc()]);
      expect(JSON.parse(list.stdout)).toEqual([]);
    });
  });

  describe('kubectl', () => {
    const ns = `kubectl-${randomSuffix()}`;
    const release = `k${randomSuffix()}`;
    beforeAll(async () => {
      await expectOk(helm4, ['install', release, chart, '-n', ns, '--create-namespace', ...kc()]);
    });

    it('waits for Ready pods by label', async () => {
      const result = await expectOk(kubectl, [
        ...kc(),
        '-n',
        ns,
        'wait',
        '--for=condition=Ready',
        'pod',
        '-l',
        `app.kubernetes.io/instance=${release}`,
        '--timeout=90s',
      ]);
      expect(result.stdout).toMatch(/condition met/);
    });

    it('get pods -o wide fills the NODE column', async () => {
      const result = await expectOk(kubectl, [...kc(), '-n', ns, 'get', 'pods', '-o', 'wide']);
      const [header, ...rows] = result.stdout.trim().split('\n');
      expect(header).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE/);
      expect(rows.length).toBeGreaterThanOrEqual(3);
      for (const row of rows) expect(row).toMatch(/\s+1\/1\s+Running\s+0\s+\S+\s+10\.\S+\s+sim-node-\d/);
    });

    it('describe pod shows probes and events', async () => {
      const result = await expectOk(kubectl, [
        ...kc(),
        '-n',
        ns,
        'describe',
        'pod',
        '-l',
        'app.kubernetes.io/component=web',
      ]);
      expect(result.stdout).toMatch(
        /Liveness:\s+http-get http:\/\/:http\/healthz delay=10s timeout=1s period=10s #success=1 #failure=3/,
      );
      expect(result.stdout).toMatch(
        /Readiness:\s+http-get http:\/\/:http\/ready delay=2s timeout=1s period=5s/,
      );
      expect(result.stdout).toMatch(/Init Containers:/);
      expect(result.stdout).toMatch(/Events:[\s\S]*Scheduled[\s\S]*Successfully assigned/);
      expect(result.stdout).toMatch(/Started/);
    });

    it('prints container logs', async () => {
      const result = await expectOk(kubectl, [...kc(), '-n', ns, 'logs', `${release}-datastore-0`]);
      expect(result.stdout.trim().length).toBeGreaterThan(0);
    });

    it('delete namespace --wait returns once it is gone', async () => {
      await expectOk(kubectl, [...kc(), 'delete', 'namespace', ns, '--wait=true', '--timeout=90s']);
      const get = await runTool(kubectl, [...kc(), 'get', 'namespace', ns]);
      expect(get.code).not.toBe(0);
      expect(get.stderr).toMatch(/NotFound|not found/);
    });
  });

  describe('client-node informer', () => {
    it('sees every pod transition in order and survives a watch close and a 410', async () => {
      const ns = `informer-${randomSuffix()}`;
      const kubeConfig = new KubeConfig();
      kubeConfig.loadFromFile(cluster.kubeconfigPath);
      const core = kubeConfig.makeApiClient(CoreV1Api);
      await core.createNamespace({ body: { metadata: { name: ns } } });
      const seen: string[] = [];
      const informer = makeInformer(kubeConfig, `/api/v1/namespaces/${ns}/pods`, () =>
        core.listNamespacedPod({ namespace: ns }),
      );
      const record = (event: string) => (pod: V1Pod) => {
        const ready = pod.status?.conditions?.find((c) => c.type === 'Ready')?.status ?? '-';
        seen.push(`${event}:${pod.metadata?.name}:${pod.status?.phase ?? '-'}:${ready}`);
      };
      informer.on('add', record('add'));
      informer.on('update', record('update'));
      informer.on('delete', record('delete'));
      let errors = 0;
      let finished = false;
      informer.on('error', () => {
        if (finished) return;
        errors += 1;
        setTimeout(() => void informer.start(), 100);
      });
      await informer.start();
      await core.createNamespacedPod({
        namespace: ns,
        body: {
          metadata: { name: 'probe-pod' },
          spec: {
            containers: [
              {
                name: 'app',
                image: 'registry.example/app:1',
                readinessProbe: { tcpSocket: { port: 80 }, initialDelaySeconds: 5 },
              },
            ],
          },
        },
      });
      await waitFor(() => seen.some((entry) => entry.endsWith(':Running:True')));
      // A server-side close the informer must resume from...
      expect(cluster.api.dropWatches()).toBeGreaterThan(0);
      await new Promise((resolve) => setTimeout(resolve, 200));
      // ...then writes elsewhere and a compaction, so its resume version aged out: 410, re-list.
      const expiredBefore = cluster.context.store.expiredWatchCount;
      for (const name of ['a', 'b']) {
        await core.createNamespacedConfigMap({
          namespace: ns,
          body: { metadata: { name }, data: { k: name } },
        });
      }
      cluster.context.store.compact();
      cluster.api.dropWatches();
      await waitFor(() => cluster.context.store.expiredWatchCount > expiredBefore);
      await core.deleteNamespacedPod({ namespace: ns, name: 'probe-pod' });
      await waitFor(() => seen.some((entry) => entry.startsWith('delete:probe-pod')));
      expect(errors).toBe(0);
      finished = true;
      await informer.stop();
      // client-node 2.0.1 does not cancel a pending reconnect back-off on stop(): it reconnects once
      // more afterwards. Let that happen, then stop again, so nothing outlives the test.
      await new Promise((resolve) => setTimeout(resolve, 2500));
      await informer.stop();
      const phases = seen
        .filter((entry) => entry.includes('probe-pod'))
        .map((entry) => entry.split(':').slice(2).join(':'));
      // Pending before Running; never Ready before Running; Ready=True only after the probe delay.
      const firstRunning = phases.findIndex((p) => p.startsWith('Running'));
      const firstReady = phases.indexOf('Running:True');
      expect(phases[0]).toMatch(/^Pending/);
      expect(firstRunning).toBeGreaterThan(0);
      expect(firstReady).toBeGreaterThanOrEqual(firstRunning);
      expect(seen.at(-1)).toMatch(/^delete:probe-pod/);
      await core.deleteNamespace({ name: ns });
    });
  });
});

async function waitFor(check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
