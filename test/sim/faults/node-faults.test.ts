import { afterEach, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../src/sim/api/kube-object.ts';
import type { NodeCondition, PodSpec, Taint } from '../../../src/sim/kubelet/kube-shapes.ts';
import { R } from '../../../src/sim/resources.ts';
import type { FaultCluster } from './fault-fixture.ts';
import {
  condition,
  containerStatus,
  faultCluster,
  namespace,
  statusOf,
  tools,
  waitFor,
  webPod,
} from './fault-fixture.ts';

const NS = 'node-faults';
let fc: FaultCluster | undefined;
afterEach(async () => {
  await fc?.stop();
  fc = undefined;
});

const ABSENT: KubeObject = { apiVersion: 'v1', kind: 'Pod', metadata: {} };

/** The stored pod (an empty one while it does not exist). */
function stored(name: string): KubeObject {
  return fc?.cluster.context.store.get(R.pod, NS, name) ?? ABSENT;
}

function podsOf(app: string): KubeObject[] {
  return (fc?.cluster.context.store.list(R.pod, { namespace: NS }) ?? []).filter(
    (pod) => pod.metadata.labels?.app === app,
  );
}

function nodeCondition(node: KubeObject, type: string): NodeCondition | undefined {
  return ((node.status as { conditions?: NodeCondition[] }).conditions ?? []).find((c) => c.type === type);
}

function deployment(name: string, replicas: number, podSpec: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: NS },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [
            {
              name: 'web',
              image: 'nginx:1.27',
              readinessProbe: { httpGet: { path: '/ready', port: 80 }, periodSeconds: 5 },
              resources: { requests: { cpu: '50m', memory: '64Mi' } },
            },
          ],
          ...podSpec,
        },
      },
    },
  };
}

describe.runIf(tools.kubectl)('node and memory faults, checked through kubectl', () => {
  it('memory above the limit: OOMKilled, exit 137, restart', async () => {
    fc = await faultCluster({ faults: [{ kind: 'memory', usage: '300Mi', rampUp: '20s' }] });
    await fc.apply(namespace(NS), webPod(NS, 'leaky'));
    await waitFor(() => (containerStatus(stored('leaky'), 'web')?.restartCount ?? 0) >= 1, 'restart');
    const pod = await fc.getJson('pod', 'leaky', NS);
    const web = containerStatus(pod, 'web');
    expect(web?.restartCount).toBeGreaterThanOrEqual(1);
    expect(web?.lastState.terminated).toMatchObject({ exitCode: 137, reason: 'OOMKilled' });
    expect(web?.lastState.terminated?.finishedAt).toEqual(expect.any(String));
    expect(statusOf(pod).phase).toBe('Running');
  });

  it('node memory pressure: MemoryPressure=True, taint, eviction with the kubelet message and events', async () => {
    fc = await faultCluster({
      nodes: { count: 1, memory: '2Gi', memoryUsed: '1668Mi' },
      faults: [{ kind: 'memory', usage: '300Mi', rampUp: '0s', target: { pod: 'hog' } }],
    });
    const hog = webPod(NS, 'hog');
    const spec = hog.spec as PodSpec;
    spec.containers = (spec.containers ?? []).map((container) => ({
      ...container,
      resources: { requests: { cpu: '50m', memory: '64Mi' } },
    }));
    await fc.apply(namespace(NS), hog);
    await waitFor(() => statusOf(stored('hog')).phase === 'Failed', 'evicted', 10_000);
    const message =
      'The node was low on resource: memory. Threshold quantity: 100Mi, available: 80Mi. Container web was using 300Mi, request is 64Mi, has larger consumption of memory. ';
    const pod = await fc.getJson('pod', 'hog', NS);
    expect(statusOf(pod)).toMatchObject({ phase: 'Failed', reason: 'Evicted', message });
    expect(condition(pod, 'DisruptionTarget')).toMatchObject({
      status: 'True',
      reason: 'TerminationByKubelet',
      message,
    });
    const evicted = (await fc.events('hog', NS)).find((event) => event.reason === 'Evicted');
    expect(evicted).toMatchObject({ type: 'Warning', message, source: { component: 'kubelet' } });

    const node = await fc.getJson('node', 'sim-node-1');
    expect(nodeCondition(node, 'MemoryPressure')).toMatchObject({
      status: 'True',
      reason: 'KubeletHasInsufficientMemory',
      message: 'kubelet has insufficient memory available',
    });
    expect((node.spec as { taints?: Taint[] }).taints).toEqual([
      expect.objectContaining({ key: 'node.kubernetes.io/memory-pressure', effect: 'NoSchedule' }),
    ]);
    const nodeEvents = await fc.events('sim-node-1');
    expect(nodeEvents.map((event) => `${event.type} ${event.reason} ${event.message}`)).toEqual(
      expect.arrayContaining([
        'Normal NodeHasInsufficientMemory Node sim-node-1 status is now: NodeHasInsufficientMemory',
        'Warning EvictionThresholdMet Attempting to reclaim memory',
      ]),
    );
    const described = await fc.kubectl(['describe', 'node', 'sim-node-1']);
    expect(described.stdout).toMatch(/Taints:\s+node\.kubernetes\.io\/memory-pressure:NoSchedule/);
    expect(described.stdout).toMatch(
      /MemoryPressure\s+True\s+.*KubeletHasInsufficientMemory\s+kubelet has insufficient memory available/,
    );
    // The taint keeps new pods off the node.
    await fc.apply(webPod(NS, 'after'));
    await waitFor(() => condition(stored('after'), 'PodScheduled')?.status === 'False', 'unschedulable');
    expect(condition(stored('after'), 'PodScheduled')?.message).toMatch(
      /^0\/1 nodes are available: 1 node\(s\) had untolerated taint \{node\.kubernetes\.io\/memory-pressure: \}\./,
    );
  });

  it('too little capacity: Pending, Unschedulable and FailedScheduling "3 Insufficient memory"', async () => {
    fc = await faultCluster({ nodes: { count: 3, memory: '1Gi' } });
    const big = webPod(NS, 'big');
    const spec = big.spec as PodSpec;
    spec.containers = (spec.containers ?? []).map((container) => ({
      ...container,
      resources: { requests: { cpu: '50m', memory: '2Gi' } },
    }));
    await fc.apply(namespace(NS), big);
    await waitFor(() => condition(stored('big'), 'PodScheduled'), 'PodScheduled');
    // The double period is the real scheduler's: FitError appends "." after the post-filter text.
    const message =
      '0/3 nodes are available: 3 Insufficient memory. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod..';
    const pod = await fc.getJson('pod', 'big', NS);
    expect(statusOf(pod).phase).toBe('Pending');
    expect(condition(pod, 'PodScheduled')).toMatchObject({
      status: 'False',
      reason: 'Unschedulable',
      message,
    });
    const failed = (await fc.events('big', NS)).find((event) => event.reason === 'FailedScheduling');
    expect(failed).toMatchObject({ type: 'Warning', message, source: { component: 'default-scheduler' } });
  });

  it('nodeNotReady: Ready=Unknown, pods there marked for deletion after tolerationSeconds and replaced', async () => {
    fc = await faultCluster({ faults: [{ kind: 'nodeNotReady', node: 'sim-node-1', at: '2m', for: '1h' }] });
    await fc.apply(
      namespace(NS),
      deployment('spread', 3, {
        tolerations: [
          {
            key: 'node.kubernetes.io/unreachable',
            operator: 'Exists',
            effect: 'NoExecute',
            tolerationSeconds: 30,
          },
        ],
      }),
    );
    await waitFor(
      () => podsOf('spread').filter((pod) => condition(pod, 'Ready')?.status === 'True').length === 3,
      'three ready replicas',
    );
    const victim = podsOf('spread').find((pod) => (pod.spec as PodSpec).nodeName === 'sim-node-1');
    if (!victim) throw new Error('the scheduler spreads replicas: one should be on sim-node-1');
    expect(fc.cluster.nodes.pool.get('sim-node-1')?.ready).toBe(true);
    const name = victim.metadata.name ?? '';
    await waitFor(() => stored(name)?.metadata.deletionTimestamp, 'taint eviction', 10_000);
    const node = await fc.getJson('node', 'sim-node-1');
    expect(nodeCondition(node, 'Ready')).toMatchObject({
      status: 'Unknown',
      reason: 'NodeStatusUnknown',
      message: 'Kubelet stopped posting node status.',
    });
    expect((node.spec as { taints?: Taint[] }).taints).toEqual([
      { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' },
      expect.objectContaining({ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }),
    ]);
    const pod = await fc.getJson('pod', name, NS);
    expect(condition(pod, 'Ready')?.status).toBe('False');
    expect(condition(pod, 'DisruptionTarget')).toMatchObject({
      status: 'True',
      reason: 'DeletionByTaintManager',
      message: 'Taint manager: deleting due to NoExecute taint',
    });
    const events = await fc.events(name, NS);
    expect(events.map((event) => `${event.type} ${event.reason} ${event.message}`)).toEqual(
      expect.arrayContaining([
        'Warning NodeNotReady Node is not ready',
        `Normal TaintManagerEviction Marking for deletion Pod ${NS}/${name}`,
      ]),
    );
    const table = await fc.kubectl(['get', 'pod', name, '-n', NS, '--no-headers']);
    expect(table.stdout).toMatch(/Terminating/);
    // The ReplicaSet replaces it on a node that is still there.
    await waitFor(
      () =>
        podsOf('spread').filter(
          (p) => !p.metadata.deletionTimestamp && condition(p, 'Ready')?.status === 'True',
        ).length === 3,
      'three ready replicas again',
    );
    const replacements = podsOf('spread').filter((p) => !p.metadata.deletionTimestamp);
    expect(replacements.every((p) => (p.spec as PodSpec).nodeName !== 'sim-node-1')).toBe(true);
  });

  it('a bad node: failures confined to the pods placed on it', async () => {
    fc = await faultCluster(
      { faults: [{ kind: 'crash', target: { node: 'sim-node-2' }, after: '10s', exitCode: 2 }] },
      { timeScale: 0.01 },
    );
    await fc.apply(namespace(NS), deployment('many', 6));
    await waitFor(
      () =>
        podsOf('many').some((pod) => (containerStatus(pod, 'web')?.restartCount ?? 0) >= 1) &&
        podsOf('many').filter((pod) => condition(pod, 'Ready')?.status === 'True').length >= 4,
      'restarts on the bad node',
    );
    const list = JSON.parse((await fc.kubectl(['get', 'pods', '-n', NS, '-o', 'json'])).stdout) as {
      items: KubeObject[];
    };
    const failing = list.items.filter((pod) => (containerStatus(pod, 'web')?.restartCount ?? 0) > 0);
    const healthy = list.items.filter((pod) => (containerStatus(pod, 'web')?.restartCount ?? 0) === 0);
    expect(failing.length).toBeGreaterThan(0);
    expect(new Set(failing.map((pod) => (pod.spec as PodSpec).nodeName))).toEqual(new Set(['sim-node-2']));
    expect(healthy.every((pod) => (pod.spec as PodSpec).nodeName !== 'sim-node-2')).toBe(true);
    for (const pod of failing)
      expect(containerStatus(pod, 'web')?.lastState.terminated).toMatchObject({
        exitCode: 2,
        reason: 'Error',
      });
  });
});
