import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors/usage-error.ts';
import { ClusterApiError } from '../../src/kube/cluster-api-error.ts';
import type { KubeObject, WatchEventType } from '../../src/kube/cluster-client.ts';
import { KubeKind } from '../../src/kube/cluster-client.ts';
import { KubeClusterClient } from '../../src/kube/kube-cluster-client.ts';
import type { RequestFaultHook } from '../../src/sim/api/api-server.ts';
import { startSimCluster } from '../../src/sim/sim-cluster.ts';
import type { SimCluster } from '../../src/sim/sim-cluster.ts';
import { freePort } from '../../src/net/free-port.ts';
import { randomSuffix } from '../support/cli-runner.ts';

let cluster: SimCluster;
let faults: RequestFaultHook = () => [];
let client: KubeClusterClient;
const signal = () => AbortSignal.timeout(10_000);

beforeAll(async () => {
  cluster = await startSimCluster({
    timeScale: 0.02,
    nodes: 2,
    seed: 3,
    api: { faults: (request) => faults(request) },
  });
  client = new KubeClusterClient({ kubeconfigPath: cluster.kubeconfigPath });
});
afterAll(async () => {
  await cluster.stop();
});

function configMap(namespace: string, name: string): KubeObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data: { a: '1' } };
}

describe('kubeconfig handling', () => {
  it('uses the current context of the given file and names the file', () => {
    expect(client.context).toBe(cluster.contextName);
    expect(client.kubeconfigPath).toBe(cluster.kubeconfigPath);
    expect(client.server).toBe(cluster.url);
  });

  it('honours KUBECONFIG with several files: the first current-context wins, as in kubectl', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubesoak-kc-'));
    const other = join(dir, 'other');
    writeFileSync(
      other,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters: [{name: far, cluster: {server: "http://127.0.0.1:1", insecure-skip-tls-verify: true}}]',
        'users: [{name: far, user: {token: x}}]',
        'contexts: [{name: far, context: {cluster: far, user: far}}]',
        'current-context: far',
      ].join('\n'),
    );
    const merged = new KubeClusterClient({ env: { KUBECONFIG: `${cluster.kubeconfigPath}:${other}` } });
    expect(merged.context).toBe(cluster.contextName);
    expect(merged.kubeconfigPath).toBe(cluster.kubeconfigPath);
    const switched = new KubeClusterClient({
      env: { KUBECONFIG: `${cluster.kubeconfigPath}:${other}` },
      context: 'far',
    });
    expect(switched.server).toBe('http://127.0.0.1:1');
  });

  it('rejects an unknown context with a usage error listing the contexts', () => {
    let error: unknown;
    try {
      new KubeClusterClient({ kubeconfigPath: cluster.kubeconfigPath, context: 'nope' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).code).toBe('unknown-context');
    expect((error as UsageError).message).toBe(
      `kube context "nope" not found in ${cluster.kubeconfigPath}; contexts: ${cluster.contextName}`,
    );
  });
});

describe('requests', () => {
  const ns = `kc-${randomSuffix()}`;

  it('creates, gets, lists, patches and deletes, with raw JSON objects', async () => {
    await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }, signal());
    const created = await client.create(configMap(ns, 'one'), signal());
    expect(created.metadata.uid).toBeTruthy();
    const got = await client.get(KubeKind.ConfigMap, 'one', ns, signal());
    // Timestamps stay strings, as the server wrote them.
    expect(typeof got?.metadata.creationTimestamp).toBe('string');
    expect(await client.get(KubeKind.ConfigMap, 'missing', ns, signal())).toBeUndefined();
    const list = await client.list(KubeKind.ConfigMap, { namespace: ns }, signal());
    expect(list.items.map((item) => [item.kind, item.metadata.name])).toContainEqual(['ConfigMap', 'one']);
    expect(Number(list.resourceVersion)).toBeGreaterThan(0);
    const patched = await client.patchMetadata(
      KubeKind.ConfigMap,
      'one',
      ns,
      { labels: { x: 'y' } },
      signal(),
    );
    expect(patched.metadata.labels).toEqual({ x: 'y' });
    expect(await client.delete(KubeKind.ConfigMap, 'one', ns, {}, signal())).toBe(true);
    expect(await client.delete(KubeKind.ConfigMap, 'one', ns, {}, signal())).toBe(false);
    expect(await client.serverVersion(signal())).toMatch(/^v1\./);
  });

  it('maps API errors to ClusterApiError with status and reason', async () => {
    await client.create(configMap(ns, 'dup'), signal());
    const error = await client.create(configMap(ns, 'dup'), signal()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ClusterApiError);
    expect(error).toMatchObject({ status: 409, reason: 'AlreadyExists', code: 'api-409', retryable: true });
  });

  it('maps a 5xx from the server to a retryable error', async () => {
    faults = ({ path }) =>
      path.includes(`/namespaces/${ns}/configmaps`) ? [{ kind: 'status', code: 503 }] : [];
    try {
      const error = await client
        .list(KubeKind.ConfigMap, { namespace: ns }, signal())
        .catch((caught: unknown) => caught);
      expect(error).toMatchObject({ status: 503, code: 'api-503', retryable: true });
    } finally {
      faults = () => [];
    }
  });

  it('reports an unreachable server with its URL and "connection refused"', async () => {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'kubesoak-kc-'));
    const file = join(dir, 'config');
    writeFileSync(
      file,
      [
        'apiVersion: v1',
        'kind: Config',
        `clusters: [{name: c, cluster: {server: "http://127.0.0.1:${port}", insecure-skip-tls-verify: true}}]`,
        'users: [{name: u, user: {token: x}}]',
        'contexts: [{name: c, context: {cluster: c, user: u}}]',
        'current-context: c',
      ].join('\n'),
    );
    const dead = new KubeClusterClient({ kubeconfigPath: file });
    const error = await dead.serverVersion(signal()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ClusterApiError);
    expect(error).toMatchObject({ status: undefined, code: 'api-unreachable', retryable: true });
    expect((error as Error).message).toContain(`http://127.0.0.1:${port}`);
    expect((error as Error).message).toContain('connection refused');
    const end = await dead.watch(KubeKind.Pod, { namespace: 'x', resourceVersion: '1' }, () => {}, signal());
    expect(end.reason).toBe('error');
    expect(end.error).toMatchObject({ code: 'api-unreachable' });
  });

  it('honours an aborted signal', async () => {
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    await expect(client.list(KubeKind.Pod, { namespace: ns }, controller.signal)).rejects.toThrow('stop');
  });
});

describe('watch', () => {
  const ns = `kw-${randomSuffix()}`;
  beforeAll(async () => {
    await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }, signal());
  });

  it('streams events, ends "closed" with the last version when the server drops it, and "aborted" on abort', async () => {
    const list = await client.list(KubeKind.ConfigMap, { namespace: ns }, signal());
    const events: Array<[WatchEventType, string]> = [];
    const controller = new AbortController();
    let sawTwo: () => void = () => {};
    const two = new Promise<void>((resolve) => (sawTwo = resolve));
    const ended = client.watch(
      KubeKind.ConfigMap,
      { namespace: ns, resourceVersion: list.resourceVersion },
      (type, object) => {
        if (type === 'BOOKMARK') return;
        events.push([type, object.metadata.name ?? '']);
        if (events.length === 2) sawTwo();
      },
      controller.signal,
    );
    await client.create(configMap(ns, 'w1'), signal());
    await client.delete(KubeKind.ConfigMap, 'w1', ns, {}, signal());
    await two;
    cluster.api.dropWatches();
    const end = await ended;
    expect(events).toEqual([
      ['ADDED', 'w1'],
      ['DELETED', 'w1'],
    ]);
    expect(end.reason).toBe('closed');
    expect(Number(end.resourceVersion)).toBeGreaterThan(Number(list.resourceVersion));

    const again = client.watch(
      KubeKind.ConfigMap,
      { namespace: ns, resourceVersion: end.resourceVersion },
      () => {},
      controller.signal,
    );
    controller.abort();
    expect((await again).reason).toBe('aborted');
  });

  it('ends "expired" when the version aged out (410)', async () => {
    const list = await client.list(KubeKind.ConfigMap, { namespace: ns }, signal());
    await client.create(configMap(ns, 'w2'), signal());
    await client.create(configMap(ns, 'w3'), signal());
    cluster.context.store.compact();
    const end = await client.watch(
      KubeKind.ConfigMap,
      { namespace: ns, resourceVersion: list.resourceVersion },
      () => {},
      signal(),
    );
    expect(end.reason).toBe('expired');
  });
});
