import { describe, expect, it } from 'vitest';
import {
  formatAge,
  formatRestarts,
  humanDuration,
  podDisplayStatus,
  podReadyCount,
  podRestarts,
  summarizePod,
} from '../../src/kube/pod-display.ts';
import type { ContainerStatusLike, PodConditionLike, PodLike } from '../../src/kube/pod-display.ts';

const NOW = new Date('2025-06-01T12:00:00Z');
const CREATED = '2025-06-01T11:00:00Z';

/** Seconds before NOW, as the RFC 3339 text a kubelet writes. */
function ago(seconds: number): string {
  return new Date(NOW.getTime() - seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function conditions(initialized: boolean, ready: boolean, scheduled = true): PodConditionLike[] {
  const status = (value: boolean): string => (value ? 'True' : 'False');
  return [
    { type: 'PodReadyToStartContainers', status: 'True' },
    { type: 'Initialized', status: status(initialized) },
    { type: 'Ready', status: status(ready), ...(ready ? {} : { reason: 'ContainersNotReady' }) },
    { type: 'ContainersReady', status: status(ready), ...(ready ? {} : { reason: 'ContainersNotReady' }) },
    { type: 'PodScheduled', status: status(scheduled) },
  ];
}

function running(name: string, extra: Partial<ContainerStatusLike> = {}): ContainerStatusLike {
  return {
    name,
    ready: true,
    started: true,
    restartCount: 0,
    state: { running: { startedAt: ago(3000) } },
    ...extra,
  };
}

function waiting(
  name: string,
  reason: string,
  extra: Partial<ContainerStatusLike> = {},
): ContainerStatusLike {
  return { name, ready: false, started: false, restartCount: 0, state: { waiting: { reason } }, ...extra };
}

function terminated(
  name: string,
  exitCode: number,
  reason: string | undefined,
  extra: Partial<ContainerStatusLike> = {},
): ContainerStatusLike {
  return {
    name,
    ready: false,
    started: false,
    restartCount: 0,
    state: {
      terminated: {
        exitCode,
        ...(reason === undefined ? {} : { reason }),
        startedAt: ago(600),
        finishedAt: ago(500),
        containerID: 'containerd://4f1c',
      } as NonNullable<ContainerStatusLike['state']>['terminated'],
    },
    ...extra,
  };
}

function pod(
  status: NonNullable<PodLike['status']>,
  spec: Partial<NonNullable<PodLike['spec']>> = {},
  metadata: Partial<NonNullable<PodLike['metadata']>> = {},
): PodLike {
  return {
    metadata: { name: 'web-7d4b9c-x2x8k', namespace: 'default', creationTimestamp: CREATED, ...metadata },
    spec: { containers: [{ name: 'app', image: 'nginx:1.27' }], nodeName: 'node-1', ...spec },
    status: { hostIP: '10.0.0.4', podIP: '10.244.1.7', startTime: CREATED, ...status } as PodLike['status'],
  };
}

describe('podDisplayStatus', () => {
  it('reads Running for a ready running pod', () => {
    const p = pod({
      phase: 'Running',
      conditions: conditions(true, true),
      containerStatuses: [running('app')],
    });
    expect(podDisplayStatus(p)).toBe('Running');
    expect(podReadyCount(p)).toEqual({ ready: 1, total: 1 });
    expect(podRestarts(p)).toEqual({ count: 0 });
  });

  it('reads Pending for a pod that is not scheduled yet', () => {
    const p = pod(
      {
        phase: 'Pending',
        conditions: [
          {
            type: 'PodScheduled',
            status: 'False',
            reason: 'Unschedulable',
            message: '0/3 nodes are available',
          },
        ],
      },
      { nodeName: undefined },
    );
    expect(podDisplayStatus(p)).toBe('Pending');
    expect(podReadyCount(p)).toEqual({ ready: 0, total: 1 });
  });

  it('reads SchedulingGated while a scheduling gate holds the pod', () => {
    const p = pod({
      phase: 'Pending',
      conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }],
    });
    expect(podDisplayStatus(p)).toBe('SchedulingGated');
  });

  it.each([
    'ContainerCreating',
    'ErrImagePull',
    'ImagePullBackOff',
    'CreateContainerConfigError',
    'InvalidImageName',
  ])('shows the waiting reason %s of a container', (reason) => {
    const p = pod({
      phase: 'Pending',
      conditions: conditions(true, false),
      containerStatuses: [waiting('app', reason)],
    });
    expect(podDisplayStatus(p)).toBe(reason);
    expect(podReadyCount(p)).toEqual({ ready: 0, total: 1 });
  });

  it('shows CrashLoopBackOff with the restart count and when the container last died', () => {
    const p = pod({
      phase: 'Running',
      conditions: conditions(true, false),
      containerStatuses: [
        waiting('app', 'CrashLoopBackOff', {
          restartCount: 5,
          lastState: {
            terminated: { exitCode: 1, reason: 'Error', startedAt: ago(50), finishedAt: ago(45) },
          },
        }),
      ],
    });
    expect(podDisplayStatus(p)).toBe('CrashLoopBackOff');
    expect(podRestarts(p)).toEqual({ count: 5, lastRestartAt: ago(45) });
    expect(formatRestarts(podRestarts(p), NOW)).toBe('5 (45s ago)');
  });

  it('shows OOMKilled for a container the kernel killed', () => {
    const p = pod({
      phase: 'Failed',
      conditions: conditions(true, false),
      containerStatuses: [terminated('app', 137, 'OOMKilled')],
    });
    expect(podDisplayStatus(p)).toBe('OOMKilled');
  });

  it('shows Error for a container that exited non-zero', () => {
    const p = pod({
      phase: 'Failed',
      conditions: conditions(true, false),
      containerStatuses: [terminated('app', 1, 'Error')],
    });
    expect(podDisplayStatus(p)).toBe('Error');
  });

  it('shows Completed for a pod whose containers all finished', () => {
    const p = pod({
      phase: 'Succeeded',
      conditions: conditions(true, false),
      containerStatuses: [terminated('app', 0, 'Completed')],
    });
    expect(podDisplayStatus(p)).toBe('Completed');
    expect(podReadyCount(p)).toEqual({ ready: 0, total: 1 });
  });

  it('falls back to ExitCode:N and Signal:N when the runtime gave no reason', () => {
    const exited = pod({ phase: 'Failed', containerStatuses: [terminated('app', 3, undefined)] });
    expect(podDisplayStatus(exited)).toBe('ExitCode:3');
    const signalled = pod({
      phase: 'Failed',
      containerStatuses: [
        { name: 'app', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, signal: 9 } } },
      ],
    });
    expect(podDisplayStatus(signalled)).toBe('Signal:9');
  });

  it('takes STATUS from the first container that reports something', () => {
    const p = pod(
      {
        phase: 'Running',
        conditions: conditions(true, false),
        containerStatuses: [waiting('app', 'ImagePullBackOff'), waiting('proxy', 'ContainerCreating')],
      },
      {
        containers: [
          { name: 'app', image: 'registry.example/app:missing' },
          { name: 'proxy', image: 'envoy:1.31' },
        ],
      },
    );
    expect(podDisplayStatus(p)).toBe('ImagePullBackOff');
    expect(podReadyCount(p)).toEqual({ ready: 0, total: 2 });
  });

  it('turns Completed back into Running or NotReady while another container still runs', () => {
    const spec = {
      containers: [
        { name: 'migrate', image: 'app:1' },
        { name: 'app', image: 'app:1' },
      ],
    };
    const statuses = [terminated('migrate', 0, 'Completed'), running('app')];
    const ready = pod(
      { phase: 'Running', conditions: conditions(true, true), containerStatuses: statuses },
      spec,
    );
    expect(podDisplayStatus(ready)).toBe('Running');
    expect(podReadyCount(ready)).toEqual({ ready: 1, total: 2 });
    const notReady = pod(
      { phase: 'Running', conditions: conditions(true, false), containerStatuses: statuses },
      spec,
    );
    expect(podDisplayStatus(notReady)).toBe('NotReady');
  });

  it('counts only ready running containers in READY', () => {
    const p = pod(
      {
        phase: 'Running',
        conditions: conditions(true, false),
        containerStatuses: [running('app'), running('metrics', { ready: false })],
      },
      {
        containers: [
          { name: 'app', image: 'app:1' },
          { name: 'metrics', image: 'exporter:1' },
        ],
      },
    );
    expect(podDisplayStatus(p)).toBe('Running');
    expect(podReadyCount(p)).toEqual({ ready: 1, total: 2 });
  });

  describe('init containers', () => {
    const spec = {
      initContainers: [
        { name: 'wait-db', image: 'busybox:1.36' },
        { name: 'migrate', image: 'app:1' },
      ],
    };

    it('shows Init:0/2 while the first init container runs', () => {
      const p = pod(
        {
          phase: 'Pending',
          conditions: conditions(false, false),
          initContainerStatuses: [
            running('wait-db', { ready: false }),
            waiting('migrate', 'PodInitializing'),
          ],
          containerStatuses: [waiting('app', 'PodInitializing')],
        },
        spec,
      );
      expect(podDisplayStatus(p)).toBe('Init:0/2');
      expect(podReadyCount(p)).toEqual({ ready: 0, total: 1 });
    });

    it('shows Init:1/2 once the first one completed', () => {
      const p = pod(
        {
          phase: 'Pending',
          conditions: conditions(false, false),
          initContainerStatuses: [
            terminated('wait-db', 0, 'Completed'),
            running('migrate', { ready: false }),
          ],
          containerStatuses: [waiting('app', 'PodInitializing')],
        },
        spec,
      );
      expect(podDisplayStatus(p)).toBe('Init:1/2');
    });

    it('shows Init:<reason> for a waiting init container', () => {
      const p = pod(
        {
          phase: 'Pending',
          conditions: conditions(false, false),
          initContainerStatuses: [
            waiting('wait-db', 'CrashLoopBackOff', {
              restartCount: 4,
              lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(130) } },
            }),
            waiting('migrate', 'PodInitializing'),
          ],
          containerStatuses: [waiting('app', 'PodInitializing')],
        },
        spec,
      );
      expect(podDisplayStatus(p)).toBe('Init:CrashLoopBackOff');
      // Restarts of a failing init container count while the pod is initialising.
      expect(formatRestarts(podRestarts(p), NOW)).toBe('4 (2m10s ago)');
    });

    it('shows Init:Error, Init:ExitCode:N and Init:Signal:N for a failed init container', () => {
      const failed = (state: ContainerStatusLike): PodLike =>
        pod(
          {
            phase: 'Pending',
            conditions: conditions(false, false),
            initContainerStatuses: [state, waiting('migrate', 'PodInitializing')],
          },
          spec,
        );
      expect(podDisplayStatus(failed(terminated('wait-db', 1, 'Error')))).toBe('Init:Error');
      expect(podDisplayStatus(failed(terminated('wait-db', 2, undefined)))).toBe('Init:ExitCode:2');
      expect(
        podDisplayStatus(
          failed({
            name: 'wait-db',
            ready: false,
            restartCount: 0,
            state: { terminated: { exitCode: 137, signal: 9 } },
          }),
        ),
      ).toBe('Init:Signal:9');
    });

    it('shows PodInitializing once init is done and the app container is being started', () => {
      const p = pod(
        {
          phase: 'Pending',
          conditions: conditions(true, false),
          initContainerStatuses: [
            terminated('wait-db', 0, 'Completed'),
            terminated('migrate', 0, 'Completed'),
          ],
          containerStatuses: [waiting('app', 'PodInitializing')],
        },
        spec,
      );
      expect(podDisplayStatus(p)).toBe('PodInitializing');
    });

    it('forgets finished init containers restarts once the pod is initialised', () => {
      const p = pod(
        {
          phase: 'Running',
          conditions: conditions(true, true),
          initContainerStatuses: [
            terminated('wait-db', 0, 'Completed', {
              restartCount: 3,
              lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: ago(900) } },
            }),
            terminated('migrate', 0, 'Completed'),
          ],
          containerStatuses: [
            running('app', {
              restartCount: 1,
              lastState: { terminated: { exitCode: 2, finishedAt: ago(600) } },
            }),
          ],
        },
        spec,
      );
      expect(podDisplayStatus(p)).toBe('Running');
      expect(formatRestarts(podRestarts(p), NOW)).toBe('1 (10m ago)');
    });
  });

  describe('restartable init containers (sidecars)', () => {
    const spec = {
      initContainers: [
        { name: 'istio-proxy', image: 'istio/proxyv2:1.24', restartPolicy: 'Always' },
        { name: 'migrate', image: 'app:1' },
      ],
    };

    it('counts a started sidecar as a container and moves on to the next init container', () => {
      const p = pod(
        {
          phase: 'Pending',
          conditions: conditions(false, false),
          initContainerStatuses: [running('istio-proxy'), running('migrate', { ready: false })],
          containerStatuses: [waiting('app', 'PodInitializing')],
        },
        spec,
      );
      expect(podDisplayStatus(p)).toBe('Init:1/2');
      expect(podReadyCount(p)).toEqual({ ready: 1, total: 2 });
    });

    it('shows the sidecar among the ready containers of a running pod and keeps its restarts', () => {
      const p = pod(
        {
          phase: 'Running',
          conditions: conditions(true, true),
          initContainerStatuses: [
            running('istio-proxy', {
              restartCount: 2,
              lastState: { terminated: { exitCode: 137, reason: 'Error', finishedAt: ago(7200) } },
            }),
            terminated('migrate', 0, 'Completed'),
          ],
          containerStatuses: [running('app')],
        },
        spec,
      );
      expect(podDisplayStatus(p)).toBe('Running');
      expect(podReadyCount(p)).toEqual({ ready: 2, total: 2 });
      expect(formatRestarts(podRestarts(p), NOW)).toBe('2 (120m ago)');
    });

    it('treats a sidecar that has not started yet like an ordinary init container', () => {
      const p = pod(
        {
          phase: 'Pending',
          conditions: conditions(false, false),
          initContainerStatuses: [
            waiting('istio-proxy', 'ImagePullBackOff'),
            waiting('migrate', 'PodInitializing'),
          ],
        },
        spec,
      );
      expect(podDisplayStatus(p)).toBe('Init:ImagePullBackOff');
      expect(podReadyCount(p)).toEqual({ ready: 0, total: 2 });
    });
  });

  describe('deletion and eviction', () => {
    it('shows Terminating for a pod being deleted', () => {
      const p = pod(
        { phase: 'Running', conditions: conditions(true, true), containerStatuses: [running('app')] },
        {},
        { deletionTimestamp: ago(-30) },
      );
      expect(podDisplayStatus(p)).toBe('Terminating');
      expect(podReadyCount(p)).toEqual({ ready: 1, total: 1 });
    });

    it('keeps Completed for a finished pod being deleted', () => {
      const p = pod(
        { phase: 'Succeeded', containerStatuses: [terminated('app', 0, 'Completed')] },
        {},
        { deletionTimestamp: ago(-30) },
      );
      expect(podDisplayStatus(p)).toBe('Completed');
    });

    it('shows Unknown for a pod on a lost node', () => {
      const p = pod(
        {
          phase: 'Running',
          reason: 'NodeLost',
          message: 'Node node-1 which was running pod web-7d4b9c-x2x8k is unresponsive',
          containerStatuses: [running('app')],
        },
        {},
        { deletionTimestamp: ago(10) },
      );
      expect(podDisplayStatus(p)).toBe('Unknown');
    });

    it('shows Evicted, the pod-level reason, when no container says otherwise', () => {
      const p = pod({
        phase: 'Failed',
        reason: 'Evicted',
        message: 'The node was low on resource: memory. Threshold quantity: 100Mi, available: 84Mi.',
      });
      expect(podDisplayStatus(p)).toBe('Evicted');
    });

    it('lets a terminated container override the pod-level reason, as kubectl does', () => {
      const p = pod({
        phase: 'Failed',
        reason: 'Evicted',
        containerStatuses: [terminated('app', 137, 'ContainerStatusUnknown')],
      });
      expect(podDisplayStatus(p)).toBe('ContainerStatusUnknown');
    });
  });

  it('tolerates a pod with no spec or status at all', () => {
    expect(summarizePod({})).toEqual({ status: '', ready: 0, total: 0, restarts: 0 });
  });
});

describe('formatRestarts', () => {
  it('prints a bare count when there is no restart time', () => {
    expect(formatRestarts({ count: 0 }, NOW)).toBe('0');
    expect(formatRestarts({ count: 2 }, NOW)).toBe('2');
    expect(formatRestarts({ count: 0, lastRestartAt: ago(5) }, NOW)).toBe('0');
  });

  it('picks the latest restart among the containers', () => {
    const p = pod(
      {
        phase: 'Running',
        conditions: conditions(true, true),
        containerStatuses: [
          running('app', {
            restartCount: 1,
            lastState: { terminated: { exitCode: 1, finishedAt: ago(4000) } },
          }),
          running('proxy', {
            restartCount: 2,
            lastState: { terminated: { exitCode: 1, finishedAt: ago(75) } },
          }),
        ],
      },
      {
        containers: [
          { name: 'app', image: 'app:1' },
          { name: 'proxy', image: 'envoy:1' },
        ],
      },
    );
    expect(formatRestarts(podRestarts(p), NOW)).toBe('3 (75s ago)');
  });
});

describe('formatAge', () => {
  it.each([
    [0, '0s'],
    [5, '5s'],
    [59, '59s'],
    [119, '119s'],
    [120, '2m'],
    [130, '2m10s'],
    [599, '9m59s'],
    [600, '10m'],
    [179 * 60 + 59, '179m'],
    [3 * 3600, '3h'],
    [3 * 3600 + 5 * 60, '3h5m'],
    [7 * 3600 + 59 * 60, '7h59m'],
    [8 * 3600, '8h'],
    [47 * 3600, '47h'],
    [48 * 3600, '2d'],
    [2 * 86400 + 3 * 3600, '2d3h'],
    [7 * 86400 + 23 * 3600, '7d23h'],
    [8 * 86400, '8d'],
    [729 * 86400, '729d'],
    [730 * 86400, '2y'],
    [740 * 86400, '2y10d'],
    [8 * 365 * 86400, '8y'],
  ])('renders %d seconds ago as %s', (seconds, text) => {
    expect(formatAge(ago(seconds), NOW)).toBe(text);
    expect(formatAge(new Date(NOW.getTime() - seconds * 1000), NOW)).toBe(text);
  });

  it('tolerates a second of clock skew and calls more <invalid>', () => {
    expect(humanDuration(-1500)).toBe('0s');
    expect(formatAge(ago(-1), NOW)).toBe('0s');
    expect(formatAge(ago(-2), NOW)).toBe('<invalid>');
  });

  it('reads <unknown> for a missing, unparseable or zero time', () => {
    expect(formatAge(undefined, NOW)).toBe('<unknown>');
    expect(formatAge(null, NOW)).toBe('<unknown>');
    expect(formatAge('', NOW)).toBe('<unknown>');
    expect(formatAge('not a time', NOW)).toBe('<unknown>');
    expect(formatAge('0001-01-01T00:00:00Z', NOW)).toBe('<unknown>');
  });
});
