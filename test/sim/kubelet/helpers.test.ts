import { describe, expect, it } from 'vitest';
import { goDuration } from '../../../src/sim/kubelet/go-duration.ts';
import { defaultPullPolicy, parseImageRef } from '../../../src/sim/kubelet/image-ref.ts';
import type { ContainerSpec, PodSpec } from '../../../src/sim/kubelet/kube-shapes.ts';
import { podRequests, qosClass } from '../../../src/sim/kubelet/pod-resources.ts';
import type { ContainerModel, PodModel } from '../../../src/sim/kubelet/pod-status.ts';
import { buildPodStatus } from '../../../src/sim/kubelet/pod-status.ts';
import { cpuMillis, parseQuantity } from '../../../src/kube/quantity.ts';

describe('goDuration', () => {
  it('formats like Go time.Duration.String()', () => {
    expect([0, 567, 1000, 1234, 1500, 10_000, 80_000, 300_000, 3_723_500].map(goDuration)).toEqual([
      '0s',
      '567ms',
      '1s',
      '1.234s',
      '1.5s',
      '10s',
      '1m20s',
      '5m0s',
      '1h2m3.5s',
    ]);
  });
});

describe('image references', () => {
  it('normalizes as containerd reports them', () => {
    expect(parseImageRef('nginx').normalized).toBe('docker.io/library/nginx:latest');
    expect(parseImageRef('bitnami/redis:7.2').normalized).toBe('docker.io/bitnami/redis:7.2');
    expect(parseImageRef('registry.k8s.io/pause:3.10').normalized).toBe('registry.k8s.io/pause:3.10');
    expect(parseImageRef('localhost:5000/app:1').normalized).toBe('localhost:5000/app:1');
    const digest = `sha256:${'a'.repeat(64)}`;
    expect(parseImageRef(`nginx@${digest}`).imageID).toBe(`docker.io/library/nginx@${digest}`);
    expect(parseImageRef('nginx:1.27').imageID).toMatch(/^docker\.io\/library\/nginx@sha256:[0-9a-f]{64}$/);
    expect(parseImageRef('nginx:1.27').imageID).toBe(parseImageRef('docker.io/library/nginx:1.27').imageID);
    expect([
      defaultPullPolicy('nginx'),
      defaultPullPolicy('nginx:latest'),
      defaultPullPolicy('nginx:1.27'),
    ]).toEqual(['Always', 'Always', 'IfNotPresent']);
  });
});

describe('resources', () => {
  it('parses quantities', () => {
    expect(cpuMillis('250m')).toBe(250);
    expect(cpuMillis('1.5')).toBe(1500);
    expect(cpuMillis(2)).toBe(2000);
    expect(parseQuantity('128Mi')).toBe(128 * 1024 * 1024);
    expect(parseQuantity('1G')).toBe(1e9);
    expect(parseQuantity('1e3')).toBe(1000);
  });

  it('adds up pod requests like resourcehelper.PodRequests, with sidecars and init containers', () => {
    const container = (name: string, cpu: string, extra: Partial<ContainerSpec> = {}): ContainerSpec => ({
      name,
      resources: { requests: { cpu } },
      ...extra,
    });
    const spec: PodSpec = {
      initContainers: [container('sidecar', '100m', { restartPolicy: 'Always' }), container('init', '900m')],
      containers: [container('a', '200m'), container('b', '300m')],
    };
    // max(app 500m + sidecar 100m, init 900m + sidecar 100m)
    expect(podRequests(spec).milliCPU).toBe(1000);
    expect(podRequests({ containers: [{ name: 'x' }] }, true)).toMatchObject({
      milliCPU: 100,
      memory: 200 * 1024 * 1024,
    });
    expect(
      podRequests({ containers: [{ name: 'x', resources: { limits: { memory: '1Gi' } } }] }).memory,
    ).toBe(1024 ** 3);
  });

  it('computes the QoS class', () => {
    expect(qosClass({ containers: [{ name: 'x' }] })).toBe('BestEffort');
    expect(
      qosClass({ containers: [{ name: 'x', resources: { limits: { cpu: '1', memory: '1Gi' } } }] }),
    ).toBe('Guaranteed');
    expect(qosClass({ containers: [{ name: 'x', resources: { requests: { cpu: '1' } } }] })).toBe(
      'Burstable',
    );
  });
});

describe('buildPodStatus', () => {
  const run = (
    spec: ContainerSpec,
    kind: ContainerModel['kind'],
    patch: Partial<ContainerModel> = {},
  ): ContainerModel => ({
    spec,
    kind,
    current: undefined,
    previous: undefined,
    waiting: undefined,
    restartCount: 0,
    containerID: undefined,
    image: undefined,
    startupPassed: false,
    readinessPassed: false,
    ...patch,
  });

  it('keeps foreign conditions, keeps transition times of unchanged ones, sorts container statuses by name', () => {
    const spec: PodSpec = {
      containers: [
        { name: 'zeta', image: 'z:1' },
        { name: 'alpha', image: 'a:1' },
      ],
    };
    const model: PodModel = {
      hostIP: '10.0.0.2',
      podIP: undefined,
      startTime: '2025-01-01T00:00:00Z',
      sandboxReady: false,
      containers: (spec.containers ?? []).map((container) => run(container, 'app')),
      terminal: false,
      failure: undefined,
    };
    const old = {
      conditions: [
        { type: 'example.com/gate', status: 'True', lastTransitionTime: '2024-12-31T00:00:00Z' },
        {
          type: 'PodScheduled',
          status: 'True',
          lastProbeTime: null,
          lastTransitionTime: '2024-12-31T00:00:01Z',
        },
      ],
    };
    const status = buildPodStatus(spec, model, old, '2025-01-01T00:00:05Z');
    expect(status.conditions?.map((c) => c.type)).toEqual([
      'example.com/gate',
      'PodReadyToStartContainers',
      'Initialized',
      'Ready',
      'ContainersReady',
      'PodScheduled',
    ]);
    expect(status.conditions?.find((c) => c.type === 'PodScheduled')?.lastTransitionTime).toBe(
      '2024-12-31T00:00:01Z',
    );
    expect(status.conditions?.find((c) => c.type === 'Ready')).toEqual({
      type: 'Ready',
      status: 'False',
      lastProbeTime: null,
      lastTransitionTime: '2025-01-01T00:00:05Z',
      reason: 'ContainersNotReady',
      message: 'containers with unready status: [zeta alpha]',
    });
    expect(status.containerStatuses?.map((c) => `${c.name}:${c.state.waiting?.reason}`)).toEqual([
      'alpha:ContainerCreating',
      'zeta:ContainerCreating',
    ]);
    expect(status.phase).toBe('Pending');
    expect(status.qosClass).toBe('BestEffort');
  });

  it('reports readiness gates', () => {
    const spec: PodSpec = {
      readinessGates: [{ conditionType: 'example.com/lb' }],
      containers: [{ name: 'app', image: 'a:1' }],
    };
    const model: PodModel = {
      hostIP: '10.0.0.2',
      podIP: '10.244.1.2',
      startTime: '2025-01-01T00:00:00Z',
      sandboxReady: true,
      containers: [
        run({ name: 'app', image: 'a:1' }, 'app', {
          current: { running: '2025-01-01T00:00:01Z' },
          startupPassed: true,
        }),
      ],
      terminal: false,
      failure: undefined,
    };
    const status = buildPodStatus(spec, model, {}, '2025-01-01T00:00:05Z');
    expect(status.conditions?.find((c) => c.type === 'ContainersReady')?.status).toBe('True');
    expect(status.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'ReadinessGatesNotReady',
      message: 'corresponding condition of pod readiness gate "example.com/lb" does not exist.',
    });
  });
});
