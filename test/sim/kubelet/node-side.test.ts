import { afterEach, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../src/sim/api/kube-object.ts';
import { R } from '../../../src/sim/resources.ts';
import type { Harness } from './sim-fixture.ts';
import {
  condition,
  containerStatus,
  eventsOf,
  harness,
  kubectlStatus,
  podObject,
  statusOf,
  waitFor,
} from './sim-fixture.ts';

const NS = 'demo';

function webPod(name = 'web-0'): KubeObject {
  return podObject(NS, name, {
    initContainers: [
      {
        name: 'init-db',
        image: 'busybox:1.36',
        command: ['sh', '-c', 'until nc -z db 5432; do sleep 1; done'],
      },
      { name: 'migrate', image: 'registry.example/web:1.2', command: ['/app/migrate', '--to', 'latest'] },
    ],
    containers: [
      {
        name: 'web',
        image: 'registry.example/web:1.2',
        ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
        resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
        startupProbe: { httpGet: { path: '/healthz', port: 'http' }, periodSeconds: 2, failureThreshold: 30 },
        readinessProbe: {
          httpGet: { path: '/ready', port: 'http' },
          initialDelaySeconds: 10,
          periodSeconds: 5,
        },
        livenessProbe: {
          httpGet: { path: '/healthz', port: 'http' },
          initialDelaySeconds: 10,
          periodSeconds: 10,
        },
      },
    ],
  });
}

let h: Harness | undefined;
afterEach(() => {
  h?.stop();
  h = undefined;
});

describe('healthy pod lifecycle', () => {
  it('schedules, initializes in order, becomes Ready only after the readiness delay, as a real kubelet reports it', async () => {
    h = harness();
    const { ctx, samples } = h;
    ctx.store.create(R.pod, webPod());
    const ready = await waitFor(() => {
      const pod = ctx.store.get(R.pod, NS, 'web-0');
      return pod && condition(pod, 'Ready')?.status === 'True' ? pod : undefined;
    }, 'Ready');

    // Scheduled by default-scheduler onto a pool node.
    const nodeName = (ready.spec as { nodeName?: string }).nodeName ?? '';
    expect(nodeName).toMatch(/^sim-node-[123]$/);
    const events = eventsOf(ctx, NS, 'web-0');
    expect(events[0]).toMatchObject({
      reason: 'Scheduled',
      type: 'Normal',
      message: `Successfully assigned ${NS}/web-0 to ${nodeName}`,
      source: { component: 'default-scheduler' },
    });

    // First kubelet status: Pending, Init:0/2, everything waiting PodInitializing, no pod IP yet.
    const first = samples[0]?.pod as KubeObject;
    expect(statusOf(first).phase).toBe('Pending');
    expect(kubectlStatus(first)).toBe('Init:0/2');
    expect(statusOf(first).podIP).toBeUndefined();
    expect(containerStatus(first, 'init-db')).toEqual({
      name: 'init-db',
      state: { waiting: { reason: 'PodInitializing' } },
      lastState: {},
      ready: false,
      restartCount: 0,
      image: 'busybox:1.36',
      imageID: '',
      started: false,
    });
    expect(containerStatus(first, 'web')?.state).toEqual({ waiting: { reason: 'PodInitializing' } });
    expect(condition(first, 'PodReadyToStartContainers')).toMatchObject({ status: 'False' });
    expect(condition(first, 'Initialized')).toMatchObject({
      status: 'False',
      reason: 'ContainersNotInitialized',
      message: 'containers with incomplete status: [init-db migrate]',
    });
    expect(condition(first, 'Ready')).toMatchObject({
      status: 'False',
      reason: 'ContainersNotReady',
      message: 'containers with unready status: [web]',
    });

    // Init containers run one after the other: init-db runs alone, then migrate, then web.
    const displayed = samples.map((sample) => kubectlStatus(sample.pod));
    const firstIndex = (text: string) => displayed.indexOf(text);
    expect(firstIndex('Init:0/2')).toBe(0);
    expect(firstIndex('Init:1/2')).toBeGreaterThan(0);
    expect(firstIndex('PodInitializing')).toBeGreaterThan(firstIndex('Init:1/2'));
    expect(firstIndex('Running')).toBeGreaterThan(firstIndex('PodInitializing'));
    const initDbRunning = samples.find((sample) => containerStatus(sample.pod, 'init-db')?.state.running);
    expect(containerStatus(initDbRunning?.pod as KubeObject, 'migrate')?.state).toEqual({
      waiting: { reason: 'PodInitializing' },
    });

    for (const name of ['init-db', 'migrate']) {
      const init = containerStatus(ready, name);
      expect(init).toMatchObject({ ready: true, started: false, restartCount: 0 });
      expect(init?.state.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
      expect(init?.state.terminated?.containerID).toMatch(/^containerd:\/\/[0-9a-f]{64}$/);
      expect(init?.state.terminated?.startedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(init?.state.terminated?.finishedAt).toMatch(/Z$/);
      expect(init?.containerID).toBe(init?.state.terminated?.containerID);
    }
    expect(containerStatus(ready, 'init-db')?.image).toBe('docker.io/library/busybox:1.36');
    expect(containerStatus(ready, 'init-db')?.imageID).toMatch(
      /^docker\.io\/library\/busybox@sha256:[0-9a-f]{64}$/,
    );

    // started only after the startup probe, ready only after the readiness delay (simulated time).
    const webStarted = samples.find((sample) => containerStatus(sample.pod, 'web')?.state.running);
    expect(containerStatus(webStarted?.pod as KubeObject, 'web')).toMatchObject({
      started: false,
      ready: false,
    });
    expect(statusOf(webStarted?.pod as KubeObject).phase).toBe('Running');
    const startupPassed = samples.find((sample) => containerStatus(sample.pod, 'web')?.started === true);
    expect(containerStatus(startupPassed?.pod as KubeObject, 'web')?.ready).toBe(false);
    const becameReady = samples.find((sample) => condition(sample.pod, 'Ready')?.status === 'True');
    expect((becameReady?.simMs ?? 0) - (webStarted?.simMs ?? 0)).toBeGreaterThanOrEqual(10_000);
    expect(
      samples
        .filter((sample) => sample.simMs < (webStarted?.simMs ?? 0) + 10_000)
        .every((s) => condition(s.pod, 'Ready')?.status === 'False'),
    ).toBe(true);

    // The final status, field by field.
    const status = statusOf(ready);
    expect(status.phase).toBe('Running');
    expect(status.qosClass).toBe('Burstable');
    expect(status.hostIP).toMatch(/^10\.0\.0\.\d+$/);
    expect(status.hostIPs).toEqual([{ ip: status.hostIP }]);
    expect(status.podIP).toMatch(new RegExp(`^10\\.244\\.${nodeName.slice(-1)}\\.\\d+$`));
    expect(status.podIPs).toEqual([{ ip: status.podIP }]);
    expect(status.startTime).toMatch(/Z$/);
    expect(status.conditions?.map((c) => [c.type, c.status])).toEqual([
      ['PodReadyToStartContainers', 'True'],
      ['Initialized', 'True'],
      ['Ready', 'True'],
      ['ContainersReady', 'True'],
      ['PodScheduled', 'True'],
    ]);
    for (const c of status.conditions ?? []) {
      expect(c.lastProbeTime).toBeNull();
      expect(c.lastTransitionTime).toMatch(/Z$/);
      expect(c.reason).toBeUndefined();
    }
    const web = containerStatus(ready, 'web');
    expect(web).toMatchObject({
      name: 'web',
      ready: true,
      started: true,
      restartCount: 0,
      lastState: {},
      image: 'registry.example/web:1.2',
      resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
    });
    expect(web?.state.running?.startedAt).toMatch(/Z$/);

    // Events in the kubelet's order, with the real texts.
    const kubelet = events.filter((event) => event.source.component === 'kubelet');
    const summary = kubelet.map((event) => `${event.reason} ${event.involvedObject.fieldPath ?? ''}`);
    expect(summary).toEqual([
      'Pulling spec.initContainers{init-db}',
      'Pulled spec.initContainers{init-db}',
      'Created spec.initContainers{init-db}',
      'Started spec.initContainers{init-db}',
      'Pulling spec.initContainers{migrate}',
      'Pulled spec.initContainers{migrate}',
      'Created spec.initContainers{migrate}',
      'Started spec.initContainers{migrate}',
      'Pulled spec.containers{web}',
      'Created spec.containers{web}',
      'Started spec.containers{web}',
    ]);
    expect(kubelet[0]?.message).toBe('Pulling image "busybox:1.36"');
    expect(kubelet[1]?.message).toMatch(
      /^Successfully pulled image "busybox:1\.36" in (\d+ms|\d+(\.\d+)?s) \((\d+ms|\d+(\.\d+)?s) including waiting\)\. Image size: \d+ bytes\.$/,
    );
    expect(kubelet[2]?.message).toBe('Created container: init-db');
    expect(kubelet[3]?.message).toBe('Started container init-db');
    // The same node pulled the web image for the init container already.
    expect(kubelet[8]?.message).toBe('Container image "registry.example/web:1.2" already present on machine');
    expect(kubelet[0]?.source).toEqual({ component: 'kubelet', host: nodeName });

    // Synthesized logs for every container.
    expect(ctx.logs.read(NS, 'web-0', { container: 'init-db' })).toMatch(/db:5432 is reachable/);
    expect(ctx.logs.read(NS, 'web-0', { container: 'migrate' })).toMatch(/\/app\/migrate --to latest/);
    const webLog = ctx.logs.read(NS, 'web-0', { container: 'web' });
    expect(webLog).toMatch(/listening on 0\.0\.0\.0:8080 \(http\)/);
    expect(webLog).toMatch(/"GET \/ready HTTP\/1\.1" 200 .*kube-probe\/1\.33/);
  });

  it('creates nodes as a real kubelet registers them', () => {
    h = harness({ nodes: [{ name: 'big', cpu: 8, memory: '32Gi' }, {}] });
    const node = h.ctx.store.get(R.node, undefined, 'big') as KubeObject;
    expect(node.metadata.labels).toMatchObject({
      'kubernetes.io/hostname': 'big',
      'kubernetes.io/os': 'linux',
      'kubernetes.io/arch': 'amd64',
      'node.kubernetes.io/instance-type': 'sim-standard-8',
      'topology.kubernetes.io/zone': 'sim-zone-a',
    });
    const status = node.status as {
      capacity: Record<string, string>;
      allocatable: Record<string, string>;
      conditions: Array<{ type: string; status: string; reason: string; message: string }>;
      addresses: unknown;
      nodeInfo: Record<string, string>;
      daemonEndpoints: unknown;
    };
    expect(status.capacity).toMatchObject({ cpu: '8', memory: '33554432Ki', pods: '110' });
    expect(status.allocatable.cpu).toBe('7910m');
    expect(Number(status.allocatable.memory?.replace('Ki', ''))).toBeLessThan(33554432);
    expect(status.conditions.map((c) => `${c.type}=${c.status}/${c.reason}`)).toEqual([
      'MemoryPressure=False/KubeletHasSufficientMemory',
      'DiskPressure=False/KubeletHasNoDiskPressure',
      'PIDPressure=False/KubeletHasSufficientPID',
      'Ready=True/KubeletReady',
    ]);
    expect(status.conditions[3]?.message).toBe('kubelet is posting ready status');
    expect(status.addresses).toEqual([
      { address: '10.0.0.2', type: 'InternalIP' },
      { address: 'big', type: 'Hostname' },
    ]);
    expect(status.nodeInfo).toMatchObject({
      kubeletVersion: 'v1.33.0',
      operatingSystem: 'linux',
      architecture: 'amd64',
    });
    expect(status.nodeInfo.containerRuntimeVersion).toMatch(/^containerd:\/\/1\.7\.\d+$/);
    expect(status.daemonEndpoints).toEqual({ kubeletEndpoint: { Port: 10250 } });
    expect(h.ctx.store.get(R.node, undefined, 'sim-node-2')).toBeDefined();
  });
});

describe('scheduling', () => {
  it('keeps an oversized pod Pending with the exact Unschedulable message and a FailedScheduling event', async () => {
    h = harness();
    const { ctx } = h;
    ctx.store.create(
      R.pod,
      podObject(NS, 'huge', {
        containers: [{ name: 'app', image: 'app:1', resources: { requests: { memory: '64Gi' } } }],
      }),
    );
    const expected =
      '0/3 nodes are available: 3 Insufficient memory. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod..';
    const pod = await waitFor(() => {
      const current = ctx.store.get(R.pod, NS, 'huge');
      return current && condition(current, 'PodScheduled') ? current : undefined;
    }, 'PodScheduled condition');
    const scheduled = condition(pod, 'PodScheduled');
    expect(scheduled?.lastTransitionTime).toMatch(/Z$/);
    expect({ ...scheduled, lastTransitionTime: undefined }).toEqual({
      type: 'PodScheduled',
      status: 'False',
      lastProbeTime: null,
      lastTransitionTime: undefined,
      reason: 'Unschedulable',
      message: expected,
    });
    expect(statusOf(pod).phase).toBe('Pending');
    expect((pod.spec as { nodeName?: string }).nodeName).toBeUndefined();
    const events = eventsOf(ctx, NS, 'huge');
    expect(events).toEqual([
      expect.objectContaining({ type: 'Warning', reason: 'FailedScheduling', message: expected }),
    ]);
    // A new big node makes it schedulable (retried on node events).
    ctx.store.create(R.node, {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'huge-node', labels: { 'kubernetes.io/hostname': 'huge-node' } },
      status: {
        allocatable: { cpu: '16', memory: '128Gi', pods: '110' },
        conditions: [{ type: 'Ready', status: 'True' }],
      },
    });
    await waitFor(
      () => (ctx.store.get(R.pod, NS, 'huge')?.spec as { nodeName?: string }).nodeName === 'huge-node',
      'bound to huge-node',
    );
  });

  it('honours nodeSelector, taints and tolerations, with the real messages', async () => {
    h = harness({
      nodes: [
        {
          name: 'gpu-1',
          taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }],
          labels: { pool: 'gpu' },
        },
        {},
        {},
      ],
    });
    const { ctx } = h;
    for (let index = 0; index < 6; index += 1) {
      ctx.store.create(
        R.pod,
        podObject(NS, `plain-${index}`, { containers: [{ name: 'app', image: 'app:1' }] }),
      );
    }
    ctx.store.create(
      R.pod,
      podObject(NS, 'selected', {
        nodeSelector: { 'kubernetes.io/hostname': 'sim-node-3' },
        containers: [{ name: 'app', image: 'app:1' }],
      }),
    );
    ctx.store.create(
      R.pod,
      podObject(NS, 'gpu-job', {
        nodeSelector: { pool: 'gpu' },
        tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }],
        containers: [{ name: 'app', image: 'app:1' }],
      }),
    );
    ctx.store.create(
      R.pod,
      podObject(NS, 'gpu-intolerant', {
        nodeSelector: { pool: 'gpu' },
        containers: [{ name: 'app', image: 'app:1' }],
      }),
    );
    const nodeOf = (name: string) =>
      (ctx.store.get(R.pod, NS, name)?.spec as { nodeName?: string } | undefined)?.nodeName;
    await waitFor(
      () => Array.from({ length: 6 }, (_, i) => nodeOf(`plain-${i}`)).every(Boolean) && nodeOf('gpu-job'),
      'all bound',
    );
    for (let index = 0; index < 6; index += 1) expect(nodeOf(`plain-${index}`)).not.toBe('gpu-1');
    // Least-allocated spreading over the two untainted nodes.
    expect(new Set(Array.from({ length: 6 }, (_, i) => nodeOf(`plain-${i}`)))).toEqual(
      new Set(['sim-node-2', 'sim-node-3']),
    );
    expect(nodeOf('selected')).toBe('sim-node-3');
    expect(nodeOf('gpu-job')).toBe('gpu-1');
    const intolerant = await waitFor(() => {
      const pod = ctx.store.get(R.pod, NS, 'gpu-intolerant');
      return pod && condition(pod, 'PodScheduled') ? pod : undefined;
    }, 'gpu-intolerant condition');
    expect(condition(intolerant, 'PodScheduled')?.message).toBe(
      "0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 2 node(s) didn't match Pod's node affinity/selector. " +
        'preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling..',
    );
  });

  it('uses required node affinity (In, NotIn, Exists, matchFields)', async () => {
    h = harness({ nodes: [{ labels: { disk: 'ssd' } }, { labels: { disk: 'hdd' } }, {}] });
    const { ctx } = h;
    const affinity = (terms: unknown[]) => ({
      nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } },
    });
    ctx.store.create(
      R.pod,
      podObject(NS, 'ssd', {
        affinity: affinity([{ matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] }]),
        containers: [{ name: 'a', image: 'a:1' }],
      } as never),
    );
    ctx.store.create(
      R.pod,
      podObject(NS, 'no-disk', {
        affinity: affinity([{ matchExpressions: [{ key: 'disk', operator: 'DoesNotExist' }] }]),
        containers: [{ name: 'a', image: 'a:1' }],
      } as never),
    );
    ctx.store.create(
      R.pod,
      podObject(NS, 'by-name', {
        affinity: affinity([
          { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['sim-node-2'] }] },
        ]),
        containers: [{ name: 'a', image: 'a:1' }],
      } as never),
    );
    const nodeOf = (name: string) =>
      (ctx.store.get(R.pod, NS, name)?.spec as { nodeName?: string } | undefined)?.nodeName;
    await waitFor(() => nodeOf('ssd') && nodeOf('no-disk') && nodeOf('by-name'), 'bound');
    expect([nodeOf('ssd'), nodeOf('no-disk'), nodeOf('by-name')]).toEqual([
      'sim-node-1',
      'sim-node-3',
      'sim-node-2',
    ]);
  });
});

describe('run to completion and deletion', () => {
  it('runs a helm test pod to Succeeded with logs of what it checked', async () => {
    h = harness();
    const { ctx } = h;
    ctx.store.create(
      R.pod,
      podObject(
        NS,
        'rel-test-connection',
        {
          restartPolicy: 'Never',
          containers: [
            {
              name: 'check',
              image: 'busybox:1.36',
              command: ['sh', '-c', 'wget -qO- http://rel-web/ready && nc -z rel-db 5432'],
            },
          ],
        },
        { annotations: { 'helm.sh/hook': 'test', 'kubesoak.io/test-targets': 'rel-web:80,rel-db:5432' } },
      ),
    );
    const done = await waitFor(() => {
      const pod = ctx.store.get(R.pod, NS, 'rel-test-connection');
      return pod &&
        condition(pod, 'PodReadyToStartContainers')?.status === 'False' &&
        statusOf(pod).phase === 'Succeeded'
        ? pod
        : undefined;
    }, 'Succeeded');
    const check = containerStatus(done, 'check');
    expect(check).toMatchObject({ ready: false, started: false, restartCount: 0 });
    expect(check?.state.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(condition(done, 'Ready')).toMatchObject({ status: 'False', reason: 'PodCompleted' });
    expect(condition(done, 'ContainersReady')).toMatchObject({ status: 'False', reason: 'PodCompleted' });
    expect(condition(done, 'Initialized')).toMatchObject({ status: 'True', reason: 'PodCompleted' });
    expect(kubectlStatus(done)).toBe('Completed');
    expect(ctx.logs.read(NS, 'rel-test-connection', { container: 'check' }).split('\n')).toEqual([
      'running test check (docker.io/library/busybox:1.36)',
      'checking connection to rel-web:80 ... ok',
      'checking connection to rel-db:5432 ... ok',
      'all checks passed',
      '',
    ]);
    // Finished pods go at once when deleted (the API server needs no kubelet confirmation).
    expect(ctx.store.delete(R.pod, NS, 'rel-test-connection').gone).toBe(true);
  });

  it('finds test targets in the command when there is no annotation', async () => {
    h = harness();
    const { ctx } = h;
    ctx.store.create(
      R.pod,
      podObject(
        NS,
        't',
        {
          restartPolicy: 'Never',
          containers: [
            { name: 'c', image: 'curlimages/curl:8', command: ['curl', '-sf', 'http://svc-a:8080/health'] },
          ],
        },
        { annotations: { 'helm.sh/hook': 'test-success' } },
      ),
    );
    await waitFor(
      () => statusOf(ctx.store.get(R.pod, NS, 't') as KubeObject).phase === 'Succeeded',
      'Succeeded',
    );
    expect(ctx.logs.read(NS, 't', { container: 'c' })).toMatch(
      /checking connection to svc-a:8080 \.\.\. ok\nall checks passed/,
    );
  });

  it('deletes a running pod gracefully: Killing, terminated containers, then gone', async () => {
    h = harness();
    const { ctx, samples } = h;
    ctx.store.create(R.pod, podObject(NS, 'victim', { containers: [{ name: 'web', image: 'nginx:1.27' }] }));
    await waitFor(
      () => condition(ctx.store.get(R.pod, NS, 'victim') as KubeObject, 'Ready')?.status === 'True',
      'Ready',
    );
    const deleted = ctx.store.delete(R.pod, NS, 'victim');
    expect(deleted.gone).toBe(false);
    expect(deleted.object.metadata.deletionGracePeriodSeconds).toBe(30);
    await waitFor(() => !ctx.store.get(R.pod, NS, 'victim'), 'removed');
    const killing = eventsOf(ctx, NS, 'victim').find((event) => event.reason === 'Killing');
    expect(killing).toMatchObject({
      type: 'Normal',
      message: 'Stopping container web',
      involvedObject: { fieldPath: 'spec.containers{web}' },
    });
    const last = samples.filter((sample) => sample.pod.metadata.name === 'victim').at(-1)?.pod as KubeObject;
    const terminated = containerStatus(last, 'web')?.state.terminated;
    expect([0, 143]).toContain(terminated?.exitCode);
    expect(terminated?.reason).toBe(terminated?.exitCode === 0 ? 'Completed' : 'Error');
    expect(statusOf(last).phase).toBe(terminated?.exitCode === 0 ? 'Succeeded' : 'Failed');
    expect(condition(last, 'Ready')?.status).toBe('False');
    expect(ctx.logs.has(NS, 'victim', 'web')).toBe(false);
  });

  it('stop() leaves no timer behind', async () => {
    h = harness();
    const { ctx, samples } = h;
    ctx.store.create(R.pod, webPod('w'));
    await waitFor(
      () => samples.some((sample) => containerStatus(sample.pod, 'init-db')?.state.running),
      'init running',
    );
    expect(ctx.clock.pending).toBeGreaterThan(0);
    h.side.stop();
    h.side.stop();
    expect(ctx.clock.pending).toBe(0);
  });
});

describe('determinism', () => {
  async function run(seed: number): Promise<string[]> {
    const local = harness({ seed, nodes: 2 });
    try {
      local.ctx.store.create(R.pod, webPod('det'));
      await waitFor(
        () => condition(local.ctx.store.get(R.pod, NS, 'det') as KubeObject, 'Ready')?.status === 'True',
        'Ready',
      );
      return local.samples.map(({ simMs, pod }) => {
        const status = statusOf(pod);
        const containers = [...(status.initContainerStatuses ?? []), ...(status.containerStatuses ?? [])].map(
          (c) =>
            `${c.name}:${Object.keys(c.state)[0]}:${c.ready}:${c.started}:${c.restartCount}:${c.containerID ?? '-'}`,
        );
        const conditions = (status.conditions ?? []).map((c) => `${c.type}=${c.status}`).join(',');
        return `${simMs} ${status.phase} ${status.podIP ?? '-'} ${conditions} ${containers.join(' ')}`;
      });
    } finally {
      local.stop();
    }
  }

  it('replays the same sequence of states, at the same simulated times, for the same seed', async () => {
    const a = await run(7);
    const b = await run(7);
    const c = await run(8);
    expect(a.length).toBeGreaterThan(5);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });
});

describe('node heartbeats', () => {
  it('refreshes lastHeartbeatTime and lists pulled images', async () => {
    h = harness({ nodes: 1 });
    const { ctx, side } = h;
    const read = () =>
      ctx.store.get(R.node, undefined, 'sim-node-1')?.status as {
        conditions: Array<{ type: string; lastHeartbeatTime: string; lastTransitionTime: string }>;
        images: Array<{ names: string[]; sizeBytes: number }>;
      };
    const before = read();
    ctx.store.create(R.pod, podObject(NS, 'p', { containers: [{ name: 'app', image: 'redis:7.2' }] }));
    await waitFor(
      () => condition(ctx.store.get(R.pod, NS, 'p') as KubeObject, 'Ready')?.status === 'True',
      'Ready',
    );
    // Second-precision timestamps: wait for the wall clock to tick over, then beat.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    side.pool.heartbeat();
    const after = read();
    const ready = (status: typeof before) => status.conditions.find((c) => c.type === 'Ready');
    expect(ready(after)?.lastHeartbeatTime).not.toBe(ready(before)?.lastHeartbeatTime);
    expect(ready(after)?.lastTransitionTime).toBe(ready(before)?.lastTransitionTime);
    expect(after.images.map((image) => image.names[1])).toContain('docker.io/library/redis:7.2');
    expect(after.images.find((image) => image.names[1] === 'docker.io/library/redis:7.2')?.names[0]).toMatch(
      /^docker\.io\/library\/redis@sha256:/,
    );
  });
});
