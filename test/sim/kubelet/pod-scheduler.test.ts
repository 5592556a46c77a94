import { afterEach, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../src/sim/api/kube-object.ts';
import type { PodSpec } from '../../../src/sim/kubelet/kube-shapes.ts';
import { R } from '../../../src/sim/resources.ts';
import type { Harness } from './sim-fixture.ts';
import { condition, eventsOf, harness, podObject, waitFor } from './sim-fixture.ts';

const NS = 'sched';

let h: Harness | undefined;
afterEach(() => {
  h?.stop();
  h = undefined;
});

function create(name: string, spec: Partial<PodSpec>, meta: Partial<KubeObject['metadata']> = {}): void {
  h?.ctx.store.create(
    R.pod,
    podObject(NS, name, { containers: [{ name: 'app', image: 'app:1' }], ...spec }, meta),
  );
}

function nodeOf(name: string): string | undefined {
  return (h?.ctx.store.get(R.pod, NS, name)?.spec as { nodeName?: string } | undefined)?.nodeName;
}

async function unschedulable(name: string): Promise<string> {
  const pod = await waitFor(() => {
    const current = h?.ctx.store.get(R.pod, NS, name);
    return current && condition(current, 'PodScheduled')?.status === 'False' ? current : undefined;
  }, `${name} unschedulable`);
  return condition(pod, 'PodScheduled')?.message ?? '';
}

describe('scheduler messages', () => {
  it('reports Too many pods and several insufficient resources per node', async () => {
    h = harness({
      nodes: [
        { pods: 1, cpu: 1 },
        { cpu: 1, memory: '1Gi' },
      ],
    });
    create('first', { nodeSelector: { 'kubernetes.io/hostname': 'sim-node-1' } });
    await waitFor(() => nodeOf('first'), 'first bound');
    create('big', {
      containers: [{ name: 'app', image: 'app:1', resources: { requests: { cpu: '2', memory: '2Gi' } } }],
    });
    expect(await unschedulable('big')).toBe(
      // Go sorts the "<count> <reason>" strings byte-wise.
      '0/2 nodes are available: 1 Insufficient memory, 1 Too many pods, 2 Insufficient cpu. ' +
        'preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod..',
    );
  });

  it('reports cordoned nodes, preemptionPolicy Never and host port conflicts', async () => {
    h = harness({ nodes: [{ unschedulable: true }, {}] });
    create('web', {
      containers: [{ name: 'app', image: 'app:1', ports: [{ containerPort: 80, hostPort: 8080 }] }],
    });
    await waitFor(() => nodeOf('web'), 'web bound');
    expect(nodeOf('web')).toBe('sim-node-2');
    create('web2', {
      preemptionPolicy: 'Never',
      containers: [{ name: 'app', image: 'app:1', ports: [{ containerPort: 80, hostPort: 8080 }] }],
    });
    expect(await unschedulable('web2')).toBe(
      "0/2 nodes are available: 1 node(s) didn't have free ports for the requested pod ports, 1 node(s) were unschedulable. " +
        'preemption: not eligible due to preemptionPolicy=Never..',
    );
  });

  it('reports a cluster without nodes', async () => {
    h = harness({ nodes: 0 });
    create('lonely', {});
    expect(await unschedulable('lonely')).toBe('no nodes available to schedule pods');
  });

  it('keeps gated pods out of scheduling until the gates are removed', async () => {
    h = harness();
    const { ctx } = h;
    create('gated', { schedulingGates: [{ name: 'example.com/wait' }] });
    const pod = await waitFor(() => {
      const current = ctx.store.get(R.pod, NS, 'gated');
      return current && condition(current, 'PodScheduled') ? current : undefined;
    }, 'gated condition');
    expect(condition(pod, 'PodScheduled')).toMatchObject({
      status: 'False',
      reason: 'SchedulingGated',
      message: 'Scheduling is blocked due to non-empty scheduling gates',
    });
    expect(eventsOf(ctx, NS, 'gated')).toEqual([]);
    ctx.store.update(R.pod, { ...pod, spec: { ...pod.spec, schedulingGates: [] } });
    await waitFor(() => nodeOf('gated'), 'bound after ungating');
    expect(condition(ctx.store.get(R.pod, NS, 'gated') as KubeObject, 'PodScheduled')?.status).toBe('True');
  });

  it('retries when resources free up and counts repeated FailedScheduling events', async () => {
    h = harness({ nodes: [{ cpu: 1 }] });
    const { ctx } = h;
    const heavy = { containers: [{ name: 'app', image: 'app:1', resources: { requests: { cpu: '800m' } } }] };
    create('holder', heavy);
    await waitFor(() => nodeOf('holder'), 'holder bound');
    create('waiter', heavy);
    await unschedulable('waiter');
    // A label change on the node is a cluster event: another attempt, another (counted) event.
    const node = ctx.store.get(R.node, undefined, 'sim-node-1') as KubeObject;
    ctx.store.update(R.node, {
      ...node,
      metadata: { ...node.metadata, labels: { ...node.metadata.labels, touched: 'yes' } },
    });
    await waitFor(() => (eventsOf(ctx, NS, 'waiter')[0]?.count ?? 0) >= 2, 'second FailedScheduling');
    ctx.store.delete(R.pod, NS, 'holder');
    await waitFor(() => nodeOf('waiter'), 'waiter bound once holder is gone');
    const fromScheduler = eventsOf(ctx, NS, 'waiter').filter(
      (event) => event.source.component === 'default-scheduler',
    );
    expect(fromScheduler.map((event) => event.reason)).toEqual(['FailedScheduling', 'Scheduled']);
  });

  it('honours required pod anti-affinity and affinity', async () => {
    h = harness({ nodes: 2 });
    const anti = {
      affinity: {
        podAntiAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: [
            { labelSelector: { matchLabels: { app: 'db' } }, topologyKey: 'kubernetes.io/hostname' },
          ],
        },
      },
    };
    for (const name of ['db-0', 'db-1', 'db-2']) create(name, anti, { labels: { app: 'db' } });
    await waitFor(() => nodeOf('db-0') && nodeOf('db-1'), 'two replicas bound');
    expect(new Set([nodeOf('db-0'), nodeOf('db-1')]).size).toBe(2);
    expect(await unschedulable('db-2')).toBe(
      "0/2 nodes are available: 2 node(s) didn't match pod anti-affinity rules. " +
        'preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod..',
    );
    create('cache', {
      affinity: {
        podAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: [
            { labelSelector: { matchLabels: { app: 'db' } }, topologyKey: 'kubernetes.io/hostname' },
          ],
        },
      },
    });
    await waitFor(() => nodeOf('cache'), 'cache bound');
    expect([nodeOf('db-0'), nodeOf('db-1')]).toContain(nodeOf('cache'));
  });
});
