import { afterEach, describe, expect, it } from 'vitest';
import { R } from '../../../src/sim/resources.ts';
import type { FaultCluster } from './fault-fixture.ts';
import { faultCluster, namespace, tools, waitFor } from './fault-fixture.ts';

let fc: FaultCluster | undefined;
afterEach(async () => {
  await fc?.stop();
  fc = undefined;
});

const url = (path: string) => `${fc?.cluster.url ?? ''}${path}`;

/** The status of a GET, with the body read so no stream stays open. */
async function statusAt(full: string): Promise<number> {
  const response = await fetch(full);
  await response.arrayBuffer();
  return response.status;
}

/** Reads a watch stream until it ends; returns its lines and how long it stayed open (ms). */
async function readWatch(path: string, limitMs = 5000): Promise<{ lines: string[]; ms: number }> {
  const started = performance.now();
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), limitMs);
  const lines: string[] = [];
  try {
    const response = await fetch(url(path), { signal: controller.signal });
    const text = await response.text();
    lines.push(...text.split('\n').filter((line) => line !== ''));
  } catch {
    // Aborted at the limit: the watch stayed open.
  } finally {
    clearTimeout(timer);
  }
  return { lines, ms: performance.now() - started };
}

describe.runIf(tools.kubectl)('API faults through real clients', () => {
  it('apiError: 5xx for the chosen verbs and paths only, with the API server Status texts', async () => {
    fc = await faultCluster({
      faults: [
        { kind: 'apiError', status: 500, verbs: ['list'], paths: ['/api/v1/namespaces/*/configmaps'] },
      ],
    });
    const failed = await fc.kubectl(['get', 'configmaps', '-n', 'default']);
    expect(failed.code).toBe(1);
    // kubectl: Error from server (InternalError): Internal error occurred: etcdserver: request timed out
    expect(failed.stderr.trim()).toBe(
      'Error from server (InternalError): Internal error occurred: etcdserver: request timed out',
    );
    const response = await fetch(url('/api/v1/namespaces/default/configmaps'));
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Internal error occurred: etcdserver: request timed out',
      reason: 'InternalError',
      code: 500,
    });
    expect((await fc.kubectl(['get', 'secrets', '-n', 'default'])).code).toBe(0);
    expect(await statusAt(url('/api/v1/namespaces/default/configmaps/x'))).toBe(404);
  });

  it('apiError 503 at a rate: about that share of requests fails, the same ones for the same seed', async () => {
    const run = async () => {
      const cluster = await faultCluster({
        seed: 5,
        faults: [{ kind: 'apiError', status: 503, probability: 0.3 }],
      });
      const codes: number[] = [];
      for (let i = 0; i < 100; i += 1) codes.push(await statusAt(`${cluster.cluster.url}/api/v1/namespaces`));
      const body = await (async () => {
        for (;;) {
          const response = await fetch(`${cluster.cluster.url}/api/v1/namespaces`);
          const body = (await response.json()) as Record<string, unknown>;
          if (response.status === 503) return body;
        }
      })();
      await cluster.stop();
      return { codes, body };
    };
    const first = await run();
    const second = await run();
    const share = first.codes.filter((code) => code === 503).length / first.codes.length;
    expect(share).toBeGreaterThan(0.2);
    expect(share).toBeLessThan(0.4);
    expect(second.codes).toEqual(first.codes);
    expect(first.body).toMatchObject({
      reason: 'ServiceUnavailable',
      code: 503,
      message: 'the server is currently unable to handle the request',
    });
  });

  it('apiSlow: responses take the simulated delay', async () => {
    fc = await faultCluster({ faults: [{ kind: 'apiSlow', delay: '30s', paths: ['/api/v1/nodes'] }] });
    let started = performance.now();
    expect(await statusAt(url('/api/v1/nodes'))).toBe(200);
    const slow = performance.now() - started;
    // 30 s at time scale 0.02.
    expect(slow).toBeGreaterThanOrEqual(590);
    started = performance.now();
    await statusAt(url('/api/v1/namespaces'));
    expect(performance.now() - started).toBeLessThan(slow - 300);
  });

  it('apiReset: the connection is cut without an answer', async () => {
    fc = await faultCluster({
      faults: [{ kind: 'apiReset', verbs: ['create'], paths: ['/api/v1/namespaces/*/configmaps'] }],
    });
    await expect(
      fetch(url('/api/v1/namespaces/default/configmaps'), { method: 'POST', body: '{}' }),
    ).rejects.toThrow(/fetch failed/);
    // client-go retries GETs after EOF but not a POST, so kubectl reports the first cut:
    // error: failed to create configmap: Post "http://127.0.0.1:PORT/api/v1/…/configmaps?…": EOF
    const result = await fc.kubectl(['create', 'configmap', 'cut', '-n', 'default', '--from-literal=a=b']);
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toMatch(
      /^error: failed to create configmap: Post "http:\/\/127\.0\.0\.1:\d+\/api\/v1\/namespaces\/default\/configmaps\?[^"]*": (EOF|read tcp [^ ]+: connection reset by peer)$/,
    );
    expect((await fc.kubectl(['get', 'configmaps', '-n', 'default'])).code).toBe(0);
  });

  it('watchDrop: open watches end every t', async () => {
    fc = await faultCluster({ faults: [{ kind: 'watchDrop', every: '20s' }] });
    const { ms } = await readWatch('/api/v1/namespaces?watch=true');
    // 20 s at 0.02 is 400 ms: the watch ended cleanly within two periods.
    expect(ms).toBeLessThan(900);
  });

  it('gone: a 410 storm answers resuming watches with Expired "too old resource version"', async () => {
    fc = await faultCluster({ faults: [{ kind: 'gone', at: '5s', for: '1m' }] });
    const list = (await (await fetch(url('/api/v1/namespaces'))).json()) as {
      metadata: { resourceVersion: string };
    };
    const version = list.metadata.resourceVersion;
    await fc.apply(namespace('gone-a'));
    await new Promise((resolve) => setTimeout(resolve, 300));
    await fc.apply(namespace('gone-b'));
    const { lines } = await readWatch(`/api/v1/namespaces?watch=true&resourceVersion=${version}`);
    const first = JSON.parse(lines[0] ?? '{}') as { type: string; object: Record<string, unknown> };
    expect(first.type).toBe('ERROR');
    expect(first.object).toMatchObject({
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      reason: 'Expired',
      code: 410,
    });
    expect(first.object.message).toMatch(new RegExp(`^too old resource version: ${version} \\(\\d+\\)$`));
    expect(fc.cluster.context.store.expiredWatchCount).toBeGreaterThan(0);
  });

  it('refuse: the server stops accepting connections for t, then serves again on the same port', async () => {
    fc = await faultCluster({ faults: [{ kind: 'refuse', at: '10s', for: '1m' }] });
    await waitFor(() => fc?.cluster.api.refusingConnections, 'refusing');
    await expect(fetch(url('/version'))).rejects.toThrow();
    const refused = await fc.kubectl(['get', 'pods']);
    expect(refused.code).toBe(1);
    const port = new URL(fc.cluster.url).port;
    // kubectl: The connection to the server 127.0.0.1:PORT was refused - did you specify the right host or port?
    expect(refused.stderr.trim().split('\n').at(-1)).toBe(
      `The connection to the server 127.0.0.1:${port} was refused - did you specify the right host or port?`,
    );
    await waitFor(() => !fc?.cluster.api.refusingConnections, 'listening again', 5000);
    expect((await fc.kubectl(['get', 'pods'])).code).toBe(0);
  });

  it('namespaceStuck: a deleted namespace stays Terminating for t, then goes', async () => {
    fc = await faultCluster({
      faults: [{ kind: 'namespaceStuck', for: '2m', target: { namespace: 'stuck-*' } }],
    });
    await fc.apply(namespace('stuck-a'), namespace('free-a'));
    await waitFor(
      () => fc?.cluster.context.store.get(R.namespace, undefined, 'stuck-a')?.metadata.finalizers?.length,
      'finalizer',
    );
    const started = performance.now();
    expect((await fc.kubectl(['delete', 'namespace', 'stuck-a', 'free-a', '--wait=false'])).code).toBe(0);
    await waitFor(() => !fc?.cluster.context.store.get(R.namespace, undefined, 'free-a'), 'free-a gone');
    const stuck = await fc.getJson('namespace', 'stuck-a');
    expect(stuck.status).toMatchObject({ phase: 'Terminating' });
    expect(stuck.metadata.finalizers).toEqual(['kubesoak.io/stuck-terminating']);
    expect(stuck.metadata.deletionTimestamp).toEqual(expect.any(String));
    const table = await fc.kubectl(['get', 'namespace', 'stuck-a', '--no-headers']);
    expect(table.stdout).toMatch(/^stuck-a\s+Terminating\s+/);
    await waitFor(
      () => !fc?.cluster.context.store.get(R.namespace, undefined, 'stuck-a'),
      'stuck-a gone',
      8000,
    );
    // 2 simulated minutes at 0.02 are 2.4 s.
    expect(performance.now() - started).toBeGreaterThan(2000);
    expect((await fc.kubectl(['get', 'namespace', 'stuck-a'])).stderr).toMatch(
      /Error from server \(NotFound\): namespaces "stuck-a" not found/,
    );
  });
});
