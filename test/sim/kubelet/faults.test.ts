import { afterEach, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../src/sim/api/kube-object.ts';
import type { FaultPlan } from '../../../src/sim/kubelet/fault-plan.ts';
import { imageNotFoundError } from '../../../src/sim/kubelet/fault-plan.ts';
import { R } from '../../../src/sim/resources.ts';
import type { Harness, Sample } from './sim-fixture.ts';
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

const NS = 'faults';

let h: Harness | undefined;
afterEach(() => {
  h?.stop();
  h = undefined;
});

function samplesOf(samples: Sample[], name: string): Sample[] {
  return samples.filter((sample) => sample.pod.metadata.name === name);
}

function simple(name: string, extra: Record<string, unknown> = {}): KubeObject {
  return podObject(NS, name, {
    containers: [
      {
        name: 'web',
        image: 'nginx:1.27',
        readinessProbe: { httpGet: { path: '/ready', port: 80 }, periodSeconds: 5 },
        livenessProbe: { httpGet: { path: '/healthz', port: 80 }, periodSeconds: 5 },
      },
    ],
    ...extra,
  });
}

describe('crash loops', () => {
  it('restarts with CrashLoopBackOff back-off 10s, 20s, 40s and real texts', async () => {
    const faults: FaultPlan = {
      container: ({ container }) =>
        container.name === 'web' ? { exitAfterMs: 2000, exitCode: 1 } : undefined,
    };
    h = harness({ faults, timeScale: 0.0005 });
    const { ctx, samples } = h;
    ctx.store.create(R.pod, simple('crash'));
    await waitFor(
      () =>
        samplesOf(samples, 'crash').some((s) =>
          containerStatus(s.pod, 'web')?.state.waiting?.message?.startsWith('back-off 40s'),
        ),
      'back-off 40s',
    );
    const pod = ctx.store.get(R.pod, NS, 'crash') as KubeObject;
    const uid = pod.metadata.uid ?? '';
    const seq = samplesOf(samples, 'crash');
    const web = (sample: Sample) => containerStatus(sample.pod, 'web');

    // The first exit is restarted at once.
    const firstExit = seq.find((s) => web(s)?.state.terminated);
    expect(web(firstExit as Sample)).toMatchObject({ restartCount: 0, ready: false, started: false });
    expect(web(firstExit as Sample)?.state.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
    const firstRestart = seq.find((s) => web(s)?.restartCount === 1 && web(s)?.state.running);
    expect(web(firstRestart as Sample)?.lastState.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
    expect(web(firstRestart as Sample)?.lastState.terminated?.containerID).not.toBe(
      web(firstRestart as Sample)?.containerID,
    );

    // The second exit waits 10 s, the third 20 s, the fourth 40 s.
    const backoffs = seq
      .map((s) => web(s)?.state.waiting)
      .filter((waiting) => waiting?.reason === 'CrashLoopBackOff')
      .map((waiting) => waiting?.message);
    // Later back-offs (1m20s…) may already be there when the check runs: look at the first three.
    expect([...new Set(backoffs)].slice(0, 3)).toEqual([
      `back-off 10s restarting failed container=web pod=crash_${NS}(${uid})`,
      `back-off 20s restarting failed container=web pod=crash_${NS}(${uid})`,
      `back-off 40s restarting failed container=web pod=crash_${NS}(${uid})`,
    ]);
    const waitingSample = seq.find((s) => web(s)?.state.waiting?.reason === 'CrashLoopBackOff') as Sample;
    expect(web(waitingSample)).toMatchObject({ restartCount: 1, ready: false, started: false });
    expect(web(waitingSample)?.lastState.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
    expect(statusOf(waitingSample.pod).phase).toBe('Running');
    expect(kubectlStatus(waitingSample.pod)).toBe('CrashLoopBackOff');
    const secondExit = seq.find((s) => web(s)?.restartCount === 1 && web(s)?.state.terminated) as Sample;
    const secondRestart = seq.find((s) => web(s)?.restartCount === 2 && web(s)?.state.running) as Sample;
    expect(secondRestart.simMs - secondExit.simMs).toBeGreaterThanOrEqual(10_000);
    expect(secondRestart.simMs - secondExit.simMs).toBeLessThan(12_000);

    const events = eventsOf(ctx, NS, 'crash');
    const backOff = events.find((event) => event.reason === 'BackOff');
    expect(backOff).toMatchObject({
      type: 'Warning',
      message: `Back-off restarting failed container web in pod crash_${NS}(${uid})`,
      involvedObject: { fieldPath: 'spec.containers{web}' },
    });
    // Restarts repeat the same events, counted up as a real recorder does.
    const started = events.find((event) => event.reason === 'Started');
    expect(started?.count).toBeGreaterThanOrEqual(3);
    expect(
      events.find((event) => event.reason === 'Pulled' && String(event.message).includes('already present'))
        ?.count,
    ).toBeGreaterThanOrEqual(2);
    expect(ctx.logs.has(NS, 'crash', 'web', true)).toBe(true);
  });

  it('reports OOMKilled in lastState and recovers', async () => {
    const faults: FaultPlan = {
      container: ({ restartCount }) =>
        restartCount === 0 ? { exitAfterMs: 3000, exitCode: 137, exitReason: 'OOMKilled' } : undefined,
    };
    h = harness({ faults });
    const { ctx } = h;
    ctx.store.create(R.pod, simple('oom'));
    const pod = await waitFor(() => {
      const current = ctx.store.get(R.pod, NS, 'oom');
      return current &&
        containerStatus(current, 'web')?.restartCount === 1 &&
        containerStatus(current, 'web')?.ready
        ? current
        : undefined;
    }, 'ready after restart');
    const web = containerStatus(pod, 'web');
    expect(web?.restartCount).toBe(1);
    expect(web?.lastState.terminated).toMatchObject({ exitCode: 137, reason: 'OOMKilled' });
    expect(condition(pod, 'Ready')?.status).toBe('True');
  });

  it('fails a pod whose init container fails with restartPolicy Never', async () => {
    const faults: FaultPlan = {
      container: ({ kind }) => (kind === 'init' ? { exitAfterMs: 1000, exitCode: 2 } : undefined),
    };
    h = harness({ faults });
    const { ctx } = h;
    ctx.store.create(
      R.pod,
      podObject(NS, 'init-fail', {
        restartPolicy: 'Never',
        initContainers: [{ name: 'setup', image: 'busybox:1.36' }],
        containers: [{ name: 'app', image: 'busybox:1.36' }],
      }),
    );
    const pod = await waitFor(() => {
      const current = ctx.store.get(R.pod, NS, 'init-fail');
      return current && statusOf(current).phase === 'Failed' ? current : undefined;
    }, 'Failed');
    expect(containerStatus(pod, 'setup')?.state.terminated).toMatchObject({ exitCode: 2, reason: 'Error' });
    expect(containerStatus(pod, 'app')?.state).toEqual({ waiting: { reason: 'PodInitializing' } });
    expect(kubectlStatus(pod)).toBe('Init:Error');
    expect(condition(pod, 'Initialized')).toMatchObject({
      status: 'False',
      message: 'containers with incomplete status: [setup]',
    });
    expect(condition(pod, 'Ready')).toMatchObject({ status: 'False', reason: 'PodFailed' });
  });
});

describe('image pulls', () => {
  it('goes ErrImagePull → ImagePullBackOff → pulled, with the real events', async () => {
    const faults: FaultPlan = {
      pull: ({ attempt, image }) =>
        attempt <= 2 ? { error: imageNotFoundError(`docker.io/library/${image}`) } : undefined,
    };
    h = harness({ faults, timeScale: 0.0005 });
    const { ctx, samples } = h;
    ctx.store.create(R.pod, podObject(NS, 'pull', { containers: [{ name: 'app', image: 'nginx:9.9' }] }));
    await waitFor(
      () => condition(ctx.store.get(R.pod, NS, 'pull') as KubeObject, 'Ready')?.status === 'True',
      'Ready',
    );
    const error =
      'failed to pull and unpack image "docker.io/library/nginx:9.9": failed to resolve reference "docker.io/library/nginx:9.9": docker.io/library/nginx:9.9: not found';
    const waiting = samplesOf(samples, 'pull')
      .map((s) => containerStatus(s.pod, 'app')?.state.waiting)
      .filter((state) => state && state.reason !== 'ContainerCreating');
    expect(waiting[0]).toEqual({ reason: 'ErrImagePull', message: error });
    expect(waiting).toContainEqual({
      reason: 'ImagePullBackOff',
      message: `Back-off pulling image "nginx:9.9": ErrImagePull: ${error}`,
    });
    const events = eventsOf(ctx, NS, 'pull').map(
      (event) => `${event.type} ${event.reason}: ${event.message}`,
    );
    expect(events).toEqual(
      expect.arrayContaining([
        'Normal Pulling: Pulling image "nginx:9.9"',
        `Warning Failed: Failed to pull image "nginx:9.9": ${error}`,
        'Warning Failed: Error: ErrImagePull',
        'Normal BackOff: Back-off pulling image "nginx:9.9"',
        'Warning Failed: Error: ImagePullBackOff',
      ]),
    );
    expect(events.at(-1)).toBe('Normal Started: Started container app');
  });
});

describe('probes', () => {
  it('keeps a pod unready when readiness never passes, with Unhealthy events', async () => {
    h = harness({ faults: { container: () => ({ readiness: { failFirst: Infinity } }) } });
    const { ctx } = h;
    ctx.store.create(R.pod, simple('unready'));
    await waitFor(
      () => (eventsOf(ctx, NS, 'unready').find((event) => event.reason === 'Unhealthy')?.count ?? 0) >= 3,
      'Unhealthy x3',
    );
    const pod = ctx.store.get(R.pod, NS, 'unready') as KubeObject;
    expect(statusOf(pod).phase).toBe('Running');
    expect(containerStatus(pod, 'web')).toMatchObject({ ready: false, started: true });
    expect(condition(pod, 'Ready')).toMatchObject({
      status: 'False',
      reason: 'ContainersNotReady',
      message: 'containers with unready status: [web]',
    });
    expect(eventsOf(ctx, NS, 'unready').find((event) => event.reason === 'Unhealthy')).toMatchObject({
      type: 'Warning',
      message: 'Readiness probe failed: HTTP probe failed with statuscode: 503',
    });
  });

  it('restarts a container whose liveness probe fails', async () => {
    h = harness({
      faults: {
        container: ({ restartCount }) =>
          restartCount === 0 ? { liveness: { failAfterMs: 4000 } } : undefined,
      },
    });
    const { ctx } = h;
    ctx.store.create(R.pod, simple('live'));
    const pod = await waitFor(() => {
      const current = ctx.store.get(R.pod, NS, 'live');
      return current &&
        containerStatus(current, 'web')?.restartCount === 1 &&
        containerStatus(current, 'web')?.ready
        ? current
        : undefined;
    }, 'restarted and ready');
    const events = eventsOf(ctx, NS, 'live');
    expect(events.find((event) => event.reason === 'Unhealthy')).toMatchObject({
      message: 'Liveness probe failed: HTTP probe failed with statuscode: 503',
      count: 3,
    });
    expect(events.find((event) => event.reason === 'Killing')?.message).toBe(
      'Container web failed liveness probe, will be restarted',
    );
    expect([137, 143, 0]).toContain(containerStatus(pod, 'web')?.lastState.terminated?.exitCode);
  });
});

describe('node-level faults', () => {
  it('evicts a pod: phase Failed, reason Evicted, DisruptionTarget', async () => {
    h = harness();
    const { ctx, side } = h;
    ctx.store.create(R.pod, simple('evictee'));
    await waitFor(
      () => condition(ctx.store.get(R.pod, NS, 'evictee') as KubeObject, 'Ready')?.status === 'True',
      'Ready',
    );
    expect(side.kubelet.evict(NS, 'evictee', 'The node was low on resource: memory. ')).toBe(true);
    const pod = await waitFor(() => {
      const current = ctx.store.get(R.pod, NS, 'evictee');
      return current && condition(current, 'PodReadyToStartContainers')?.status === 'False'
        ? current
        : undefined;
    }, 'evicted');
    expect(statusOf(pod)).toMatchObject({
      phase: 'Failed',
      reason: 'Evicted',
      message: 'The node was low on resource: memory. ',
    });
    expect(condition(pod, 'DisruptionTarget')).toMatchObject({
      status: 'True',
      reason: 'TerminationByKubelet',
    });
    expect(containerStatus(pod, 'web')?.state.terminated).toBeDefined();
    expect(eventsOf(ctx, NS, 'evictee').find((event) => event.reason === 'Evicted')?.type).toBe('Warning');
  });

  it('fails a pod past its activeDeadlineSeconds', async () => {
    h = harness();
    const { ctx } = h;
    ctx.store.create(R.pod, simple('deadline', { activeDeadlineSeconds: 30 }));
    const pod = await waitFor(() => {
      const current = ctx.store.get(R.pod, NS, 'deadline');
      return current && statusOf(current).phase === 'Failed' ? current : undefined;
    }, 'Failed');
    expect(statusOf(pod)).toMatchObject({
      reason: 'DeadlineExceeded',
      message: 'Pod was active on the node longer than the specified deadline',
    });
  });

  it('reports CreateContainerConfigError and retries', async () => {
    h = harness({
      faults: {
        container: () => ({
          createError: { reason: 'CreateContainerConfigError', message: 'secret "db" not found' },
        }),
      },
    });
    const { ctx } = h;
    ctx.store.create(R.pod, simple('config'));
    await waitFor(
      () =>
        (eventsOf(ctx, NS, 'config').find((event) => event.message === 'Error: secret "db" not found')
          ?.count ?? 0) >= 2,
      'retried',
    );
    const pod = ctx.store.get(R.pod, NS, 'config') as KubeObject;
    expect(containerStatus(pod, 'web')?.state).toEqual({
      waiting: { reason: 'CreateContainerConfigError', message: 'secret "db" not found' },
    });
    expect(statusOf(pod).phase).toBe('Pending');
  });

  it('NotReady node: unreachable taints, pods marked unready, nothing new scheduled there; Ready again resumes', async () => {
    h = harness({ nodes: 2 });
    const { ctx, side } = h;
    ctx.store.create(R.pod, simple('a', { nodeSelector: { 'kubernetes.io/hostname': 'sim-node-1' } }));
    await waitFor(
      () => condition(ctx.store.get(R.pod, NS, 'a') as KubeObject, 'Ready')?.status === 'True',
      'Ready',
    );
    side.pool.setReady('sim-node-1', false);
    const node = ctx.store.get(R.node, undefined, 'sim-node-1') as KubeObject;
    expect(
      (
        node.status as {
          conditions: Array<{ type: string; status: string; reason: string; message: string }>;
        }
      ).conditions.find((c) => c.type === 'Ready'),
    ).toMatchObject({
      status: 'Unknown',
      reason: 'NodeStatusUnknown',
      message: 'Kubelet stopped posting node status.',
    });
    expect(
      (node.spec as { taints: Array<{ key: string; effect: string }> }).taints.map(
        (t) => `${t.key}:${t.effect}`,
      ),
    ).toEqual(['node.kubernetes.io/unreachable:NoSchedule', 'node.kubernetes.io/unreachable:NoExecute']);
    expect(condition(ctx.store.get(R.pod, NS, 'a') as KubeObject, 'Ready')?.status).toBe('False');
    ctx.store.create(R.pod, simple('b', { nodeSelector: { 'kubernetes.io/hostname': 'sim-node-1' } }));
    const b = await waitFor(() => {
      const current = ctx.store.get(R.pod, NS, 'b');
      return current && condition(current, 'PodScheduled') ? current : undefined;
    }, 'b unschedulable');
    expect(condition(b, 'PodScheduled')?.message).toBe(
      "0/2 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 1 node(s) had untolerated taint {node.kubernetes.io/unreachable: }. " +
        'preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling..',
    );
    // Deleting a pod on the unreachable node leaves it Terminating.
    ctx.store.delete(R.pod, NS, 'a');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(ctx.store.get(R.pod, NS, 'a')?.metadata.deletionTimestamp).toBeDefined();
    side.pool.setReady('sim-node-1', true);
    await waitFor(() => !ctx.store.get(R.pod, NS, 'a'), 'a removed after recovery');
    await waitFor(
      () => condition(ctx.store.get(R.pod, NS, 'b') as KubeObject, 'Ready')?.status === 'True',
      'b Ready after recovery',
    );
  });
});
