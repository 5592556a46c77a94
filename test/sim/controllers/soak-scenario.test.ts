import { afterEach, expect, it } from 'vitest';
import type { KubeObject } from '../../../src/sim/api/kube-object.ts';
import type { ResourceType } from '../../../src/sim/api/resource-types.ts';
import { startControlPlane } from '../../../src/sim/controllers/control-plane.ts';
import { R } from '../../../src/sim/resources.ts';
import type { SimComponent, SimContext } from '../../../src/sim/sim-context.ts';
import { createNamespace, FakeKubelet, makeContext, waitFor } from './sim-harness.ts';

let running: { ctx: SimContext; kubelet: FakeKubelet; controlPlane: SimComponent } | undefined;

afterEach(() => {
  running?.kubelet.stop();
  running?.controlPlane.stop();
  running?.ctx.clock.close();
  running = undefined;
});

/** The objects of test/fixtures/charts/soak-app for release `rel`, in helm's install order. */
function release(namespace: string): Array<[ResourceType, KubeObject]> {
  const selector = { 'app.kubernetes.io/name': 'soak-app', 'app.kubernetes.io/instance': 'rel' };
  const meta = (name: string) => ({
    name,
    namespace,
    labels: { ...selector, 'app.kubernetes.io/managed-by': 'Helm' },
  });
  return [
    [R.serviceAccount, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta('rel-web') }],
    [
      R.secret,
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: meta('rel-credentials'),
        type: 'Opaque',
        data: { password: 'cw==' },
      },
    ],
    [
      R.configMap,
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('rel-config'), data: { GREETING: 'hello' } },
    ],
    [
      R.service,
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: meta('rel-datastore'),
        spec: {
          clusterIP: 'None',
          selector: { ...selector, 'app.kubernetes.io/component': 'datastore' },
          ports: [{ name: 'store', port: 6379, targetPort: 'store', protocol: 'TCP' }],
        },
      },
    ],
    [
      R.service,
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: meta('rel-web'),
        spec: {
          clusterIP: '10.96.0.20',
          selector: { ...selector, 'app.kubernetes.io/component': 'web' },
          ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }],
        },
      },
    ],
    [
      R.deployment,
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: meta('rel-web'),
        spec: {
          replicas: 2,
          progressDeadlineSeconds: 600,
          selector: { matchLabels: { ...selector, 'app.kubernetes.io/component': 'web' } },
          template: {
            metadata: { labels: { ...selector, 'app.kubernetes.io/component': 'web' } },
            spec: {
              serviceAccountName: 'rel-web',
              initContainers: [{ name: 'wait-for-datastore', image: 'registry.example/soak/tester:1.0.0' }],
              containers: [
                {
                  name: 'web',
                  image: 'registry.example/soak/web:1.0.0',
                  ports: [{ name: 'http', containerPort: 8080 }],
                  resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '128Mi' } },
                },
              ],
            },
          },
        },
      },
    ],
    [
      R.statefulSet,
      {
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        metadata: meta('rel-datastore'),
        spec: {
          replicas: 1,
          serviceName: 'rel-datastore',
          selector: { matchLabels: { ...selector, 'app.kubernetes.io/component': 'datastore' } },
          template: {
            metadata: { labels: { ...selector, 'app.kubernetes.io/component': 'datastore' } },
            spec: {
              containers: [
                {
                  name: 'datastore',
                  image: 'registry.example/soak/datastore:7.2',
                  ports: [{ name: 'store', containerPort: 6379 }],
                  volumeMounts: [{ name: 'data', mountPath: '/data' }],
                },
              ],
            },
          },
          volumeClaimTemplates: [
            {
              metadata: { name: 'data' },
              spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
            },
          ],
        },
      },
    ],
  ];
}

function ready(ctx: SimContext, namespace: string): boolean {
  const deployment = ctx.store.get(R.deployment, namespace, 'rel-web');
  const conditions = (deployment?.status?.conditions ?? []) as Array<{ reason?: string }>;
  const datastore = ctx.store.get(R.statefulSet, namespace, 'rel-datastore');
  const web = ctx.store.get(R.endpoints, namespace, 'rel-web')?.subsets as
    Array<{ addresses?: unknown[] }> | undefined;
  const store = ctx.store.get(R.endpoints, namespace, 'rel-datastore')?.subsets as
    Array<{ addresses?: unknown[] }> | undefined;
  return (
    conditions.some((condition) => condition.reason === 'NewReplicaSetAvailable') &&
    datastore?.status?.readyReplicas === 1 &&
    web?.[0]?.addresses?.length === 2 &&
    store?.[0]?.addresses?.length === 1
  );
}

it('installs, uninstalls and deletes many releases in parallel without leftovers', async () => {
  const ctx = makeContext();
  const controlPlane = startControlPlane(ctx);
  const kubelet = new FakeKubelet(ctx, { nodes: ['node-1', 'node-2'] });
  kubelet.start();
  running = { ctx, kubelet, controlPlane };
  const namespaces = Array.from({ length: 60 }, (_, index) => `soak-${index}`);
  for (const namespace of namespaces) {
    createNamespace(ctx, namespace);
    for (const [resource, object] of release(namespace)) ctx.store.create(resource, object);
  }
  await waitFor(() => namespaces.every((namespace) => ready(ctx, namespace)), 20_000, 'releases ready');

  // helm uninstall: every release object, background propagation; the PVC stays, as in reality.
  for (const namespace of namespaces) {
    for (const [resource, object] of release(namespace).reverse()) {
      ctx.store.delete(resource, namespace, object.metadata.name ?? '', { propagationPolicy: 'Background' });
    }
  }
  await waitFor(
    () => ctx.store.count(R.pod) === 0 && ctx.store.count(R.endpoints) === 0,
    20_000,
    'uninstalled',
  );
  expect(ctx.store.count(R.replicaSet)).toBe(0);
  expect(ctx.store.count(R.pvc)).toBe(namespaces.length);

  for (const namespace of namespaces) ctx.store.delete(R.namespace, undefined, namespace);
  await waitFor(() => ctx.store.count(R.namespace) === 0, 20_000, 'namespaces deleted');
  for (const resource of [R.pvc, R.event, R.configMap, R.serviceAccount, R.secret])
    expect(ctx.store.count(resource)).toBe(0);
});
