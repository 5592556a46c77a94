import {
  ApiException,
  AppsV1Api,
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  Watch,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimCluster } from '../../src/sim/sim-cluster.ts';
import type { SimCluster } from '../../src/sim/sim-cluster.ts';
import { R } from '../../src/sim/resources.ts';
import { randomSuffix } from '../support/cli-runner.ts';

/** API-server semantics real clients rely on, checked through client-node and raw HTTP. */
describe('simulated API server semantics', () => {
  let cluster: SimCluster;
  let core: CoreV1Api;
  let apps: AppsV1Api;
  let kubeConfig: KubeConfig;
  let ns: string;

  beforeAll(async () => {
    cluster = await startSimCluster({ timeScale: 0.01, nodes: 2 });
    kubeConfig = new KubeConfig();
    kubeConfig.loadFromFile(cluster.kubeconfigPath);
    core = kubeConfig.makeApiClient(CoreV1Api);
    apps = kubeConfig.makeApiClient(AppsV1Api);
    ns = `sem-${randomSuffix()}`;
    await core.createNamespace({ body: { metadata: { name: ns } } });
  });
  afterAll(async () => {
    await cluster.stop();
  });

  async function statusOf(
    promise: Promise<unknown>,
  ): Promise<{ code: number; reason: string; message: string }> {
    try {
      await promise;
    } catch (error) {
      if (error instanceof ApiException) {
        const body = (typeof error.body === 'string' ? JSON.parse(error.body) : error.body) as {
          reason: string;
          message: string;
        };
        return { code: error.code, reason: body.reason, message: body.message };
      }
      throw error;
    }
    throw new Error('expected the call to fail');
  }

  it('answers 409 AlreadyExists with the real message', async () => {
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'dup' } } });
    const status = await statusOf(
      core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'dup' } } }),
    );
    expect(status).toEqual({
      code: 409,
      reason: 'AlreadyExists',
      message: 'configmaps "dup" already exists',
    });
  });

  it('rejects a stale resourceVersion with 409 Conflict (optimistic concurrency)', async () => {
    const created = await core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: 'occ' }, data: { a: '1' } },
    });
    await core.replaceNamespacedConfigMap({
      namespace: ns,
      name: 'occ',
      body: { ...created, data: { a: '2' } },
    });
    const status = await statusOf(
      core.replaceNamespacedConfigMap({ namespace: ns, name: 'occ', body: { ...created, data: { a: '3' } } }),
    );
    expect(status.code).toBe(409);
    expect(status.reason).toBe('Conflict');
    expect(status.message).toMatch(
      /the object has been modified; please apply your changes to the latest version/,
    );
  });

  it('answers 404 NotFound for missing objects and unknown resources', async () => {
    expect(await statusOf(core.readNamespacedPod({ namespace: ns, name: 'nope' }))).toMatchObject({
      code: 404,
      reason: 'NotFound',
      message: 'pods "nope" not found',
    });
    const response = await fetch(`${cluster.url}/apis/example.com/v1/widgets`);
    await response.arrayBuffer();
    expect(response.status).toBe(404);
  });

  it('names objects from generateName', async () => {
    const created = await core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { generateName: 'gen-' } },
    });
    expect(created.metadata?.name).toMatch(/^gen-[a-z0-9]{5}$/);
  });

  it('validates names with the real message', async () => {
    const status = await statusOf(core.createNamespace({ body: { metadata: { name: 'Bad_Name' } } }));
    expect(status.code).toBe(422);
    expect(status.message).toMatch(
      /^Namespace "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 label/,
    );
  });

  it('applies strategic merge patches by container name', async () => {
    await apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name: 'patched' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'patched' } },
          template: {
            metadata: { labels: { app: 'patched' } },
            spec: {
              containers: [
                { name: 'a', image: 'a:1' },
                { name: 'b', image: 'b:1' },
              ],
            },
          },
        },
      },
    });
    const patched = await apps.patchNamespacedDeployment(
      {
        namespace: ns,
        name: 'patched',
        body: { spec: { template: { spec: { containers: [{ name: 'b', image: 'b:2' }] } } } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    expect(patched.spec?.template.spec?.containers.map((c) => `${c.name}=${c.image}`)).toEqual([
      'a=a:1',
      'b=b:2',
    ]);
    expect(patched.metadata?.generation).toBe(2);
  });

  it('turns MODIFIED into ADDED/DELETED when an object starts/stops matching a watch selector', async () => {
    const events: string[] = [];
    const watch = new Watch(kubeConfig);
    const request = await watch.watch(
      `/api/v1/namespaces/${ns}/configmaps`,
      { labelSelector: 'tier=web', resourceVersion: cluster.context.store.resourceVersion },
      (type: string, object: { metadata: { name: string } }) =>
        events.push(`${type}:${object.metadata.name}`),
      () => undefined,
    );
    await core.createNamespacedConfigMap({
      namespace: ns,
      body: { metadata: { name: 'sel', labels: { tier: 'db' } } },
    });
    await core.patchNamespacedConfigMap(
      { namespace: ns, name: 'sel', body: { metadata: { labels: { tier: 'web' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await core.patchNamespacedConfigMap(
      { namespace: ns, name: 'sel', body: { data: { x: '1' } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await core.patchNamespacedConfigMap(
      { namespace: ns, name: 'sel', body: { metadata: { labels: { tier: 'db' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await waitFor(() => events.length >= 3);
    request.abort();
    expect(events).toEqual(['ADDED:sel', 'MODIFIED:sel', 'DELETED:sel']);
  });

  it('ends a watch from an aged-out resourceVersion with a 410 Expired ERROR event', async () => {
    const stale = cluster.context.store.resourceVersion;
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'age1' } } });
    await core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'age2' } } });
    cluster.context.store.compact();
    const response = await fetch(
      `${cluster.url}/api/v1/namespaces/${ns}/configmaps?watch=true&resourceVersion=${stale}`,
    );
    const text = await response.text(); // resolves only because the server ends the stream
    const event = JSON.parse(text.trim()) as { type: string; object: { code: number; reason: string } };
    expect(event).toMatchObject({ type: 'ERROR', object: { code: 410, reason: 'Expired' } });
  });

  it('sends initial events closed by a BOOKMARK annotated k8s.io/initial-events-end', async () => {
    const controller = new AbortController();
    const response = await fetch(
      `${cluster.url}/api/v1/namespaces/${ns}/configmaps?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true`,
      { signal: controller.signal },
    );
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    while (!text.includes('initial-events-end')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += Buffer.from(value).toString();
    }
    controller.abort();
    const events = text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string });
    expect(events.at(-1)?.type).toBe('BOOKMARK');
    expect(events.slice(0, -1).every((event) => event.type === 'ADDED')).toBe(true);
    expect(events.length).toBeGreaterThan(3);
  });

  it('refuses creates in a Terminating namespace with 403 and removes the namespace once empty', async () => {
    const doomed = `doomed-${randomSuffix()}`;
    await core.createNamespace({ body: { metadata: { name: doomed } } });
    await core.createNamespacedConfigMap({
      namespace: doomed,
      body: { metadata: { name: 'held', finalizers: ['example.com/hold'] } },
    });
    await core.deleteNamespace({ name: doomed });
    await waitFor(
      () => cluster.context.store.get(R.namespace, undefined, doomed)?.status?.phase === 'Terminating',
    );
    const status = await statusOf(
      core.createNamespacedConfigMap({ namespace: doomed, body: { metadata: { name: 'late' } } }),
    );
    expect(status.code).toBe(403);
    expect(status.message).toBe(
      `configmaps "late" is forbidden: unable to create new content in namespace ${doomed} because it is being terminated`,
    );
    // The finalizer holds the namespace in Terminating until it is removed.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await core.readNamespace({ name: doomed })).status?.phase).toBe('Terminating');
    await core.patchNamespacedConfigMap(
      { namespace: doomed, name: 'held', body: { metadata: { finalizers: null } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await waitFor(() => cluster.context.store.get(R.namespace, undefined, doomed) === undefined);
  });

  it('garbage-collects dependents of a deleted owner and deletes bound pods gracefully', async () => {
    await apps.createNamespacedDeployment({
      namespace: ns,
      body: {
        metadata: { name: 'gc' },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'gc' } },
          template: {
            metadata: { labels: { app: 'gc' } },
            spec: { containers: [{ name: 'a', image: 'a:1' }] },
          },
        },
      },
    });
    await waitFor(
      async () =>
        (await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=gc' })).items.length === 2,
    );
    await apps.deleteNamespacedDeployment({ namespace: ns, name: 'gc', propagationPolicy: 'Background' });
    await waitFor(
      async () =>
        (await core.listNamespacedPod({ namespace: ns, labelSelector: 'app=gc' })).items.length === 0,
    );
    expect((await apps.listNamespacedReplicaSet({ namespace: ns, labelSelector: 'app=gc' })).items).toEqual(
      [],
    );
  });
});

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
