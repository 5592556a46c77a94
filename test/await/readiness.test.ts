import { describe, expect, it } from 'vitest';
import { formatPodTable, podNodes, podRows, podTimelines } from '../../src/await/pod-table.ts';
import type { ReadinessInput, WorkloadRef } from '../../src/await/readiness.ts';
import {
  SettleWindow,
  evaluateReadiness,
  restartFingerprint,
  workloadKey,
} from '../../src/await/readiness.ts';
import { discoverReleaseWorkloads, podsOfWorkloads } from '../../src/await/release-members.ts';
import type { KubeObject } from '../../src/kube/cluster-client.ts';

const NS = 'ns';
const NOW = Date.parse('2026-01-01T00:01:00Z');
const T0 = '2026-01-01T00:00:00Z';

function deployment(name: string, replicas: number, status: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: NS, generation: 1, annotations: { 'meta.helm.sh/release-name': 'rel' } },
    spec: { replicas },
    status: {
      observedGeneration: 1,
      replicas,
      readyReplicas: replicas,
      availableReplicas: replicas,
      updatedReplicas: replicas,
      ...status,
    },
  };
}

function replicaSet(name: string, deploymentName: string): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      name,
      namespace: NS,
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'Deployment', name: deploymentName, uid: 'd', controller: true },
      ],
    },
  };
}

interface PodOptions {
  phase?: string;
  ready?: boolean;
  init?: Array<Record<string, unknown>>;
  initSpecs?: Array<{ name: string; restartPolicy?: string }>;
  waiting?: { reason: string; message?: string };
  lastTerminated?: { reason: string; exitCode: number };
  restartCount?: number;
  deleting?: boolean;
  scheduled?: { status: string; reason?: string; message?: string; lastTransitionTime?: string };
  statusReason?: string;
  owner?: { kind: string; name: string };
}

function pod(name: string, options: PodOptions = {}): KubeObject {
  const ready = options.ready ?? true;
  const phase = options.phase ?? 'Running';
  const state = options.waiting
    ? { waiting: options.waiting }
    : phase === 'Running'
      ? { running: { startedAt: T0 } }
      : { waiting: { reason: 'ContainerCreating' } };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: NS,
      uid: `uid-${name}`,
      creationTimestamp: T0,
      ...(options.deleting ? { deletionTimestamp: T0 } : {}),
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: options.owner?.kind ?? 'ReplicaSet',
          name: options.owner?.name ?? 'web-abc',
          uid: 'rs',
          controller: true,
        },
      ],
    },
    spec: {
      nodeName: 'node-1',
      initContainers: options.initSpecs ?? [],
      containers: [{ name: 'web', image: 'web:1' }],
    },
    status: {
      phase,
      ...(options.statusReason ? { reason: options.statusReason } : {}),
      conditions: [
        options.scheduled
          ? { type: 'PodScheduled', ...options.scheduled }
          : { type: 'PodScheduled', status: 'True', lastTransitionTime: T0 },
        { type: 'Initialized', status: 'True', lastTransitionTime: T0 },
        { type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: T0 },
      ],
      initContainerStatuses: options.init ?? [],
      containerStatuses: [
        {
          name: 'web',
          ready,
          started: phase === 'Running',
          restartCount: options.restartCount ?? 0,
          state,
          lastState: options.lastTerminated ? { terminated: options.lastTerminated } : {},
        },
      ],
    },
  };
}

const WEB: WorkloadRef = { kind: 'Deployment', name: 'web', namespace: NS };

function input(pods: KubeObject[], overrides: Partial<ReadinessInput> = {}): ReadinessInput {
  return {
    workloads: [WEB],
    objects: new Map([[workloadKey('Deployment', 'web'), deployment('web', 2)]]),
    replicaSets: [replicaSet('web-abc', 'web')],
    pods,
    minPods: 0,
    now: NOW,
    unschedulableGraceMs: 30_000,
    ...overrides,
  };
}

describe('evaluateReadiness', () => {
  it('is ready when the Deployment is complete and every pod is ready', () => {
    expect(evaluateReadiness(input([pod('web-1'), pod('web-2')]))).toMatchObject({ state: 'ready' });
  });

  it('is never ready with an empty or partial pod list while the Deployment wants more pods', () => {
    expect(evaluateReadiness(input([]))).toEqual({
      state: 'waiting',
      reason: 'Deployment web: 0/2 pods seen',
    });
    expect(evaluateReadiness(input([pod('web-1')]))).toMatchObject({
      state: 'waiting',
      reason: expect.stringContaining('1/2') as string,
    });
  });

  it('waits for a workload not created yet and for an unobserved generation', () => {
    expect(evaluateReadiness(input([], { objects: new Map() }))).toMatchObject({
      reason: 'Deployment web not found yet',
    });
    const stale = deployment('web', 2, { observedGeneration: 0 });
    expect(
      evaluateReadiness(
        input([pod('web-1'), pod('web-2')], { objects: new Map([['Deployment/web', stale]]) }),
      ),
    ).toMatchObject({ state: 'waiting', reason: expect.stringContaining('not observed') as string });
  });

  it('waits while a pod is Pending among Running ones', () => {
    const verdict = evaluateReadiness(
      input([pod('web-1'), pod('web-2', { phase: 'Pending', ready: false })]),
    );
    expect(verdict).toEqual({ state: 'waiting', reason: 'pod web-2 is Pending' });
  });

  it('waits for init containers even when a pod claims Running (not started, or still running)', () => {
    const initSpecs = [{ name: 'migrate' }];
    expect(evaluateReadiness(input([pod('web-1'), pod('web-2', { initSpecs })]))).toMatchObject({
      reason: 'pod web-2 init container migrate has not started',
    });
    const running = [{ name: 'migrate', state: { running: { startedAt: T0 } } }];
    expect(
      evaluateReadiness(input([pod('web-1'), pod('web-2', { initSpecs, init: running })])),
    ).toMatchObject({
      reason: 'pod web-2 init container migrate has not finished',
    });
    const ok = [{ name: 'migrate', state: { terminated: { exitCode: 0, reason: 'Completed' } } }];
    expect(evaluateReadiness(input([pod('web-1'), pod('web-2', { initSpecs, init: ok })])).state).toBe(
      'ready',
    );
  });

  it('counts a started, ready sidecar as initialised', () => {
    const initSpecs = [{ name: 'proxy', restartPolicy: 'Always' }];
    const sidecar = [{ name: 'proxy', started: true, ready: true, state: { running: { startedAt: T0 } } }];
    expect(evaluateReadiness(input([pod('web-1'), pod('web-2', { initSpecs, init: sidecar })])).state).toBe(
      'ready',
    );
  });

  it('waits for a terminating pod and for an unready container', () => {
    expect(
      evaluateReadiness(input([pod('web-1'), pod('web-2'), pod('web-0', { deleting: true })])),
    ).toMatchObject({
      reason: 'pod web-0 is terminating',
    });
    expect(evaluateReadiness(input([pod('web-1'), pod('web-2', { ready: false })]))).toMatchObject({
      reason: 'pod web-2 container web is not ready',
    });
  });

  it.each([
    ['CrashLoopBackOff', { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 10s' } }],
    ['ImagePullBackOff', { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling' } }],
    ['ErrImagePull', { waiting: { reason: 'ErrImagePull', message: 'not found' } }],
    [
      'CreateContainerConfigError',
      { waiting: { reason: 'CreateContainerConfigError', message: 'secret "x" not found' } },
    ],
    ['OOMKilled', { lastTerminated: { reason: 'OOMKilled', exitCode: 137 }, restartCount: 1 }],
  ] as const)('fails fast on %s with the pod and container', (reason, options) => {
    const verdict = evaluateReadiness(input([pod('web-1'), pod('web-2', { ...options, ready: false })]));
    expect(verdict).toMatchObject({ state: 'failed', failFast: { reason, pod: 'web-2', container: 'web' } });
  });

  it('names OOMKilled, the cause, over the CrashLoopBackOff it leads to', () => {
    const looping = pod('web-2', {
      waiting: { reason: 'CrashLoopBackOff', message: 'back-off 20s' },
      lastTerminated: { reason: 'OOMKilled', exitCode: 137 },
      ready: false,
    });
    expect(evaluateReadiness(input([pod('web-1'), looping]))).toMatchObject({
      failFast: { reason: 'OOMKilled', pod: 'web-2', container: 'web' },
    });
  });

  it('fails fast on an eviction', () => {
    const evicted = pod('web-2', { phase: 'Failed', statusReason: 'Evicted', ready: false });
    (evicted.status as Record<string, unknown>).message = 'The node was low on resource: memory.';
    expect(evaluateReadiness(input([pod('web-1'), evicted]))).toMatchObject({
      state: 'failed',
      failFast: { reason: 'Evicted', pod: 'web-2', message: 'The node was low on resource: memory.' },
    });
  });

  it('fails on Unschedulable only after the grace period', () => {
    const scheduled = {
      status: 'False',
      reason: 'Unschedulable',
      message: '0/3 nodes are available',
      lastTransitionTime: '2026-01-01T00:00:50Z',
    };
    const pending = pod('web-2', { phase: 'Pending', ready: false, scheduled });
    expect(evaluateReadiness(input([pod('web-1'), pending])).state).toBe('waiting');
    expect(evaluateReadiness(input([pod('web-1'), pending], { unschedulableGraceMs: 5000 }))).toMatchObject({
      state: 'failed',
      failFast: { reason: 'Unschedulable', pod: 'web-2', message: '0/3 nodes are available' },
    });
  });

  it('judges StatefulSets, DaemonSets and Jobs by their status', () => {
    const sts: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'db', generation: 2 },
      spec: { replicas: 1 },
      status: {
        observedGeneration: 2,
        readyReplicas: 1,
        updatedReplicas: 0,
        currentRevision: 'r1',
        updateRevision: 'r1',
      },
    };
    const ds: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'agent', generation: 1 },
      status: {
        observedGeneration: 1,
        desiredNumberScheduled: 1,
        numberReady: 1,
        updatedNumberScheduled: 1,
        numberAvailable: 0,
      },
    };
    const job: KubeObject = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'seed' },
      status: { conditions: [{ type: 'Complete', status: 'True' }] },
    };
    const workloads: WorkloadRef[] = [
      { kind: 'StatefulSet', name: 'db', namespace: NS },
      { kind: 'DaemonSet', name: 'agent', namespace: NS },
      { kind: 'Job', name: 'seed', namespace: NS },
    ];
    const objects = new Map([
      ['StatefulSet/db', sts],
      ['DaemonSet/agent', ds],
      ['Job/seed', job],
    ]);
    const pods = [
      pod('db-0', { owner: { kind: 'StatefulSet', name: 'db' } }),
      pod('agent-x', { owner: { kind: 'DaemonSet', name: 'agent' } }),
      pod('seed-1', { owner: { kind: 'Job', name: 'seed' }, phase: 'Succeeded', ready: false }),
    ];
    expect(evaluateReadiness(input(pods, { workloads, objects }))).toMatchObject({
      state: 'waiting',
      reason: expect.stringContaining('DaemonSet agent') as string,
    });
    objects.set('DaemonSet/agent', { ...ds, status: { ...ds.status, numberAvailable: 1 } });
    expect(evaluateReadiness(input(pods, { workloads, objects })).state).toBe('ready');
    objects.set('Job/seed', {
      ...job,
      status: { conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }] },
    });
    expect(evaluateReadiness(input(pods, { workloads, objects }))).toMatchObject({
      failFast: { reason: 'JobFailed' },
    });
  });

  it('in selector mode needs at least one pod', () => {
    const selector = { workloads: [], objects: new Map(), replicaSets: [], minPods: 1 };
    expect(evaluateReadiness(input([], selector))).toMatchObject({
      state: 'waiting',
      reason: 'no pods yet (expecting 1)',
    });
    expect(evaluateReadiness(input([pod('a')], selector)).state).toBe('ready');
  });
});

describe('SettleWindow', () => {
  it('completes only after staying ready with the same restart counts', () => {
    const window = new SettleWindow(3000);
    expect(window.observe(true, 'a:0', 1000)).toBe(4000);
    expect(window.settled(3999)).toBe(false);
    // A restart inside the window starts it again.
    expect(window.observe(true, 'a:1', 2000)).toBe(5000);
    expect(window.observe(false, 'a:1', 2500)).toBeUndefined();
    expect(window.observe(true, 'a:1', 2600)).toBe(5600);
    expect(window.settled(5600)).toBe(true);
  });

  it('fingerprints restarts per pod', () => {
    expect(restartFingerprint([pod('a', { restartCount: 2 }), pod('b')])).toBe('uid-a:2,uid-b:0');
  });
});

describe('release members and the pod table', () => {
  it('discovers workloads by annotation or instance label, skipping hooks and owned objects', () => {
    const hookJob: KubeObject = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        name: 'pre',
        annotations: { 'helm.sh/hook': 'pre-install', 'meta.helm.sh/release-name': 'rel' },
      },
    };
    const labelled: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'db', labels: { 'app.kubernetes.io/instance': 'rel' } },
    };
    const owned = {
      ...replicaSet('web-abc', 'web'),
      metadata: { ...replicaSet('web-abc', 'web').metadata, labels: { 'app.kubernetes.io/instance': 'rel' } },
    };
    const other = {
      ...deployment('x', 1),
      metadata: { name: 'x', annotations: { 'meta.helm.sh/release-name': 'other' } },
    };
    expect(
      discoverReleaseWorkloads([deployment('web', 2), hookJob, labelled, owned, other], 'rel', NS),
    ).toEqual([
      { kind: 'Deployment', name: 'web', namespace: NS },
      { kind: 'StatefulSet', name: 'db', namespace: NS },
    ]);
  });

  it('finds pods through ReplicaSets and skips hook pods', () => {
    const hook = pod('test', { owner: { kind: 'ReplicaSet', name: 'web-abc' } });
    hook.metadata.annotations = { 'helm.sh/hook': 'test' };
    const stranger = pod('other', { owner: { kind: 'ReplicaSet', name: 'other-rs' } });
    const members = podsOfWorkloads([pod('web-1'), hook, stranger], [WEB], [replicaSet('web-abc', 'web')]);
    expect(members.map((member) => member.metadata.name)).toEqual(['web-1']);
  });

  it('renders rows, timelines and nodes the way kubectl shows them', () => {
    const crash = pod('web-2', { waiting: { reason: 'CrashLoopBackOff' }, ready: false, restartCount: 3 });
    const rows = podRows([crash, pod('web-1')], new Date(NOW));
    expect(rows).toEqual([
      {
        name: 'web-1',
        ready: '1/1',
        status: 'Running',
        restarts: '0',
        restartCount: 0,
        age: '60s',
        node: 'node-1',
      },
      {
        name: 'web-2',
        ready: '0/1',
        status: 'CrashLoopBackOff',
        restarts: '3',
        restartCount: 3,
        age: '60s',
        node: 'node-1',
      },
    ]);
    expect(formatPodTable(rows).split('\n')[0]).toBe(
      'NAME    READY   STATUS             RESTARTS   AGE   NODE',
    );
    expect(podTimelines([pod('web-1')], new Map([['uid-web-1', 42]]))).toEqual([
      {
        pod: 'web-1',
        node: 'node-1',
        createdAt: T0,
        scheduledAt: T0,
        initializedAt: T0,
        readyAt: T0,
        readyObservedAfterMs: 42,
      },
    ]);
    expect(podNodes([pod('a'), pod('b')])).toEqual(['node-1']);
  });
});
