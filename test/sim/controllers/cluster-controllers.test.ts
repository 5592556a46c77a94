import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../src/sim/api/kube-object.ts';
import { startControlPlane } from '../../../src/sim/controllers/control-plane.ts';
import { R } from '../../../src/sim/resources.ts';
import {
  controlPlaneHarness,
  createNamespace,
  FakeKubelet,
  list,
  makeContext,
  settle,
  waitFor,
} from './sim-harness.ts';

const start = controlPlaneHarness('shop');

function replicaSet(name: string, replicas: number): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name, namespace: 'shop' },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [{ name: 'main', image: 'shop:1', ports: [{ name: 'http', containerPort: 8080 }] }],
        },
      },
    },
  };
}

function configMap(name: string, namespace: string, finalizers?: string[]): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace, ...(finalizers ? { finalizers } : {}) },
    data: {},
  };
}

/** Whether the store keeps a terminating namespace through a status write (see NamespaceController). */

describe('EndpointsController', () => {
  it('lists ready pods as addresses and the others as notReadyAddresses, following readiness', async () => {
    const held = new Set<string>();
    const { ctx, kubelet } = start({ holdReady: (pod) => held.has(pod.metadata.name ?? '') });
    ctx.store.create(R.service, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'front', namespace: 'shop', labels: { tier: 'web' } },
      spec: {
        selector: { app: 'front' },
        ports: [{ name: 'web', port: 80, targetPort: 'http', protocol: 'TCP' }],
        clusterIP: '10.96.0.10',
      },
    });
    ctx.store.create(R.replicaSet, replicaSet('front', 2));
    const pods = await waitFor(() => {
      const found = list(ctx, R.pod, 'shop');
      return found.length === 2 && found.every((pod) => pod.status?.podIP) ? found : undefined;
    });
    const [first, second] = pods as [KubeObject, KubeObject];
    held.add(first.metadata.name ?? '');
    kubelet.poke();

    const endpoints = await waitFor(() => {
      const found = ctx.store.get(R.endpoints, 'shop', 'front');
      const subsets = (found?.subsets ?? []) as Array<{
        addresses?: unknown[];
        notReadyAddresses?: unknown[];
      }>;
      return subsets.length === 1 &&
        subsets[0]?.addresses?.length === 1 &&
        subsets[0]?.notReadyAddresses?.length === 1
        ? found
        : undefined;
    });
    expect(endpoints.metadata.labels).toEqual({ tier: 'web' });
    expect(endpoints.metadata.ownerReferences).toBeUndefined();
    expect(endpoints.metadata.annotations?.['endpoints.kubernetes.io/last-change-trigger-time']).toEqual(
      expect.any(String),
    );
    expect(endpoints.subsets).toEqual([
      {
        addresses: [
          {
            ip: second.status?.podIP,
            nodeName: 'node-1',
            targetRef: {
              kind: 'Pod',
              namespace: 'shop',
              name: second.metadata.name,
              uid: second.metadata.uid,
            },
          },
        ],
        notReadyAddresses: [
          {
            ip: first.status?.podIP,
            nodeName: 'node-1',
            targetRef: { kind: 'Pod', namespace: 'shop', name: first.metadata.name, uid: first.metadata.uid },
          },
        ],
        ports: [{ name: 'web', port: 8080, protocol: 'TCP' }],
      },
    ]);

    held.clear();
    kubelet.poke();
    await waitFor(() => {
      const subsets = (ctx.store.get(R.endpoints, 'shop', 'front')?.subsets ?? []) as Array<{
        addresses?: unknown[];
        notReadyAddresses?: unknown[];
      }>;
      return subsets[0]?.addresses?.length === 2 && !subsets[0].notReadyAddresses;
    });

    ctx.store.delete(R.service, 'shop', 'front');
    await waitFor(() => !ctx.store.get(R.endpoints, 'shop', 'front'), 5000, 'endpoints removed');
  });

  it('labels headless endpoints and gives pods of the subdomain their hostname', async () => {
    const { ctx } = start();
    ctx.store.create(R.service, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'db', namespace: 'shop' },
      spec: {
        selector: { app: 'db' },
        clusterIP: 'None',
        ports: [{ name: 'store', port: 6379, targetPort: 6379 }],
      },
    });
    ctx.store.create(R.statefulSet, {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'db', namespace: 'shop' },
      spec: {
        replicas: 1,
        serviceName: 'db',
        selector: { matchLabels: { app: 'db' } },
        template: {
          metadata: { labels: { app: 'db' } },
          spec: { containers: [{ name: 'db', image: 'db:1' }] },
        },
      },
    });
    const endpoints = await waitFor(() => {
      const found = ctx.store.get(R.endpoints, 'shop', 'db');
      return (found?.subsets as Array<{ addresses?: unknown[] }> | undefined)?.[0]?.addresses
        ? found
        : undefined;
    });
    expect(endpoints.metadata.labels).toEqual({ 'service.kubernetes.io/headless': '' });
    expect(
      (endpoints.subsets as Array<{ addresses: Array<{ hostname?: string }> }>)[0]?.addresses[0]?.hostname,
    ).toBe('db-0');
  });
});

describe('GarbageCollector', () => {
  it('deletes the pods of a deleted ReplicaSet (background)', async () => {
    const { ctx } = start();
    ctx.store.create(R.replicaSet, replicaSet('cart', 2));
    await waitFor(() => list(ctx, R.pod, 'shop').length === 2, 5000, 'pods');
    ctx.store.delete(R.replicaSet, 'shop', 'cart', { propagationPolicy: 'Background' });
    await waitFor(() => list(ctx, R.pod, 'shop').length === 0, 5000, 'pods collected');
  });

  it('keeps a foreground-deleted owner until its dependents are gone', async () => {
    const { ctx } = start();
    ctx.store.create(R.replicaSet, replicaSet('cart', 2));
    await waitFor(() => list(ctx, R.pod, 'shop').length === 2, 5000, 'pods');
    const podUids: string[] = [];
    let ownerGoneWhilePodsLeft = false;
    ctx.store.subscribe((event) => {
      if (event.resource === R.replicaSet && event.type === 'DELETED' && list(ctx, R.pod, 'shop').length > 0)
        ownerGoneWhilePodsLeft = true;
      if (event.resource === R.pod && event.type === 'DELETED') podUids.push(event.object.metadata.uid ?? '');
    });
    ctx.store.delete(R.replicaSet, 'shop', 'cart', { propagationPolicy: 'Foreground' });
    expect(ctx.store.get(R.replicaSet, 'shop', 'cart')?.metadata.finalizers).toEqual(['foregroundDeletion']);
    await waitFor(() => !ctx.store.get(R.replicaSet, 'shop', 'cart'), 5000, 'owner removed');
    expect(podUids).toHaveLength(2);
    expect(ownerGoneWhilePodsLeft).toBe(false);
  });

  it('orphans dependents with the orphan policy', async () => {
    const { ctx } = start();
    ctx.store.create(R.replicaSet, replicaSet('cart', 2));
    await waitFor(() => list(ctx, R.pod, 'shop').length === 2, 5000, 'pods');
    ctx.store.delete(R.replicaSet, 'shop', 'cart', { propagationPolicy: 'Orphan' });
    await waitFor(() => !ctx.store.get(R.replicaSet, 'shop', 'cart'), 5000, 'owner removed');
    await settle();
    const pods = list(ctx, R.pod, 'shop');
    expect(pods).toHaveLength(2);
    expect(pods.every((pod) => pod.metadata.ownerReferences === undefined)).toBe(true);
  });

  it('collects objects whose owner never existed and drops references to gone owners', async () => {
    const { ctx } = start();
    const owner = ctx.store.create(R.configMap, configMap('owner', 'shop'));
    const ghost = { apiVersion: 'v1', kind: 'ConfigMap', name: 'ghost', uid: 'no-such-uid' };
    ctx.store.create(R.configMap, {
      ...configMap('orphaned', 'shop'),
      metadata: { name: 'orphaned', namespace: 'shop', ownerReferences: [ghost] },
    });
    ctx.store.create(R.configMap, {
      ...configMap('shared', 'shop'),
      metadata: {
        name: 'shared',
        namespace: 'shop',
        ownerReferences: [
          ghost,
          { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata.uid ?? '' },
        ],
      },
    });
    await waitFor(() => !ctx.store.get(R.configMap, 'shop', 'orphaned'), 5000, 'orphaned collected');
    await waitFor(
      () => ctx.store.get(R.configMap, 'shop', 'shared')?.metadata.ownerReferences?.length === 1,
      5000,
      'ref dropped',
    );
  });
});

describe('NamespaceController', () => {
  it('gives every namespace its default ServiceAccount and kube-root-ca.crt, and restores them', async () => {
    const { ctx } = start();
    createNamespace(ctx, 'fresh');
    await waitFor(() => ctx.store.get(R.serviceAccount, 'fresh', 'default'), 5000, 'default service account');
    const ca = await waitFor(() => ctx.store.get(R.configMap, 'fresh', 'kube-root-ca.crt'), 5000, 'root CA');
    expect((ca.data as Record<string, string>)['ca.crt']).toMatch(/^-----BEGIN CERTIFICATE-----\n/);
    expect(ca.metadata.annotations?.['kubernetes.io/description']).toMatch(/^Contains a CA bundle/);
    ctx.store.delete(R.serviceAccount, 'fresh', 'default');
    ctx.store.delete(R.configMap, 'fresh', 'kube-root-ca.crt');
    await waitFor(
      () =>
        ctx.store.get(R.serviceAccount, 'fresh', 'default') &&
        ctx.store.get(R.configMap, 'fresh', 'kube-root-ca.crt'),
    );
  });

  it('empties a deleted namespace (pods gracefully, through the kubelet) and then removes it', async () => {
    const { ctx } = start();
    ctx.store.create(R.replicaSet, replicaSet('cart', 2));
    ctx.store.create(R.configMap, configMap('settings', 'shop'));
    await waitFor(
      () => list(ctx, R.pod, 'shop').filter((pod) => pod.status?.phase === 'Running').length === 2,
      5000,
      'pods',
    );
    let sawTerminatingPod = false;
    ctx.store.subscribe((event) => {
      if (event.resource === R.pod && event.object.metadata.deletionTimestamp && event.type === 'MODIFIED')
        sawTerminatingPod = true;
    });
    ctx.store.delete(R.namespace, undefined, 'shop');
    expect(ctx.store.get(R.namespace, undefined, 'shop')?.status?.phase).toBe('Terminating');
    await waitFor(() => !ctx.store.get(R.namespace, undefined, 'shop'), 5000, 'namespace removed');
    expect(sawTerminatingPod).toBe(true);
    for (const resource of [R.pod, R.replicaSet, R.configMap, R.serviceAccount, R.event])
      expect(list(ctx, resource, 'shop')).toEqual([]);
  });

  it('stays Terminating while an object with a finalizer remains', async () => {
    const { ctx } = start();
    createNamespace(ctx, 'held');
    ctx.store.create(R.configMap, configMap('pinned', 'held', ['example.com/hold']));
    ctx.store.create(R.configMap, configMap('loose', 'held'));
    ctx.store.delete(R.namespace, undefined, 'held');
    await waitFor(() => !ctx.store.get(R.configMap, 'held', 'loose'), 5000, 'content deleted');
    await settle(50);
    const ns = ctx.store.get(R.namespace, undefined, 'held');
    expect(ns?.status?.phase).toBe('Terminating');
    expect(ns?.spec).toEqual({ finalizers: ['kubernetes'] });
    expect(ctx.store.get(R.configMap, 'held', 'pinned')?.metadata.deletionTimestamp).toEqual(
      expect.any(String),
    );

    const pinned = ctx.store.get(R.configMap, 'held', 'pinned') as KubeObject;
    ctx.store.update(R.configMap, { ...pinned, metadata: { ...pinned.metadata, finalizers: [] } });
    await waitFor(() => !ctx.store.get(R.namespace, undefined, 'held'), 5000, 'namespace removed');
  });

  it('reports the remaining content in the namespace conditions', async () => {
    const { ctx } = start();
    createNamespace(ctx, 'held');
    ctx.store.create(R.configMap, configMap('pinned', 'held', ['example.com/hold']));
    ctx.store.delete(R.namespace, undefined, 'held');
    const conditions = await waitFor(() => {
      const found = (ctx.store.get(R.namespace, undefined, 'held')?.status?.conditions ?? []) as Array<
        Record<string, unknown>
      >;
      return found.length === 5 ? found : undefined;
    });
    expect(conditions.map((entry) => [entry.type, entry.status, entry.reason, entry.message])).toEqual([
      [
        'NamespaceDeletionDiscoveryFailure',
        'False',
        'ResourcesDiscovered',
        'All resources successfully discovered',
      ],
      [
        'NamespaceDeletionGroupVersionParsingFailure',
        'False',
        'ParsedGroupVersions',
        'All legacy kube types successfully parsed',
      ],
      [
        'NamespaceDeletionContentFailure',
        'False',
        'ContentDeleted',
        'All content successfully deleted, may be waiting on finalization',
      ],
      [
        'NamespaceContentRemaining',
        'True',
        'SomeResourcesRemain',
        'Some resources are remaining: configmaps. has 1 resource instances',
      ],
      [
        'NamespaceFinalizersRemaining',
        'True',
        'SomeFinalizersRemain',
        'Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances',
      ],
    ]);
  });
});

describe('startControlPlane', () => {
  it('stops everything, idempotently, leaving no timer behind', async () => {
    const ctx = makeContext();
    createNamespace(ctx, 'shop');
    const controlPlane = startControlPlane(ctx);
    const kubelet = new FakeKubelet(ctx, { holdReady: () => true });
    kubelet.start();
    ctx.store.create(R.deployment, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'shop' },
      spec: {
        replicas: 1,
        progressDeadlineSeconds: 600,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'web', image: 'web:1' }] },
        },
      },
    });
    await waitFor(() => list(ctx, R.pod, 'shop').length === 1, 5000, 'pod');
    await settle();
    kubelet.stop();
    controlPlane.stop();
    controlPlane.stop();
    expect(ctx.clock.pending).toBe(0);
    const before = ctx.store.resourceVersion;
    ctx.store.create(R.replicaSet, replicaSet('idle', 1));
    await settle();
    expect(list(ctx, R.pod, 'shop')).toHaveLength(1);
    expect(Number(ctx.store.resourceVersion)).toBe(Number(before) + 1);
    ctx.clock.close();
  });
});
