import { afterEach, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../src/sim/api/kube-object.ts';
import { R } from '../../../src/sim/resources.ts';
import type { FaultCluster } from './fault-fixture.ts';
import {
  condition,
  containerStatus,
  faultCluster,
  kubectlStatus,
  namespace,
  statusOf,
  tools,
  waitFor,
  webPod,
} from './fault-fixture.ts';

const NS = 'pod-faults';
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

describe.runIf(tools.kubectl)('kubelet faults from a scenario, checked through kubectl', () => {
  it('imagePull delay: the pod waits in ContainerCreating and Pulled reports the pull time', async () => {
    fc = await faultCluster({
      faults: [{ kind: 'imagePull', delay: '1m', target: { pod: 'slow-*' } }],
    });
    await fc.apply(namespace(NS), webPod(NS, 'slow-pull'));
    await waitFor(() => containerStatus(stored('slow-pull'), 'web')?.state.waiting, 'waiting status');
    const pending = await fc.getJson('pod', 'slow-pull', NS);
    expect(statusOf(pending).phase).toBe('Pending');
    expect(containerStatus(pending, 'web')?.state.waiting).toEqual({ reason: 'ContainerCreating' });
    await waitFor(() => statusOf(stored('slow-pull')).phase === 'Running', 'Running', 8000);
    const pulled = (await fc.events('slow-pull', NS)).find((event) => event.reason === 'Pulled');
    // kubelet: Successfully pulled image "nginx:1.27" in 1m0.012s (1m0.012s including waiting). Image size: … bytes.
    expect(pulled?.type).toBe('Normal');
    expect(pulled?.message).toMatch(
      /^Successfully pulled image "nginx:1\.27" in 1m0s \(1m0s including waiting\)\. Image size: \d+ bytes\.$/,
    );
  });

  it('imagePull error: ErrImagePull, then ImagePullBackOff with the kubelet events', async () => {
    // At 0.1 the 10 s pull back-off lasts 1 s: long enough to read it back through kubectl.
    fc = await faultCluster({ faults: [{ kind: 'imagePull', error: true }] }, { timeScale: 0.1 });
    await fc.apply(namespace(NS), webPod(NS, 'bad-image'));
    await waitFor(
      () => containerStatus(stored('bad-image'), 'web')?.state.waiting?.reason === 'ImagePullBackOff',
      'ImagePullBackOff',
    );
    const [pod, table] = await Promise.all([
      fc.getJson('pod', 'bad-image', NS),
      kubectlStatus(fc, NS, 'bad-image'),
    ]);
    const ref = 'docker.io/library/nginx:1.27';
    expect(statusOf(pod).phase).toBe('Pending');
    expect(containerStatus(pod, 'web')?.state.waiting).toEqual({
      reason: 'ImagePullBackOff',
      message: `Back-off pulling image "nginx:1.27": ErrImagePull: failed to pull and unpack image "${ref}": failed to resolve reference "${ref}": ${ref}: not found`,
    });
    expect(table).toBe('ImagePullBackOff');
    const events = await fc.events('bad-image', NS);
    const texts = events.map((event) => `${event.type} ${event.reason} ${event.message}`);
    expect(texts).toEqual(
      expect.arrayContaining([
        'Normal Pulling Pulling image "nginx:1.27"',
        `Warning Failed Failed to pull image "nginx:1.27": failed to pull and unpack image "${ref}": failed to resolve reference "${ref}": ${ref}: not found`,
        'Warning Failed Error: ErrImagePull',
        'Normal BackOff Back-off pulling image "nginx:1.27"',
        'Warning Failed Error: ImagePullBackOff',
      ]),
    );
  });

  it('initContainer slow: Running is not reported while the init container runs (Init:0/1)', async () => {
    fc = await faultCluster({ faults: [{ kind: 'initContainer', mode: 'slow', duration: '2m' }] });
    await fc.apply(
      namespace(NS),
      webPod(NS, 'slow-init', { initContainers: [{ name: 'migrate', image: 'busybox:1.36' }] }),
    );
    await waitFor(() => containerStatus(stored('slow-init'), 'migrate', true)?.state.running, 'init running');
    const pod = await fc.getJson('pod', 'slow-init', NS);
    expect(statusOf(pod).phase).toBe('Pending');
    expect(containerStatus(pod, 'migrate', true)).toMatchObject({
      ready: false,
      restartCount: 0,
      started: true,
    });
    expect(containerStatus(pod, 'web')?.state.waiting).toEqual({ reason: 'PodInitializing' });
    expect(condition(pod, 'Initialized')).toMatchObject({
      status: 'False',
      reason: 'ContainersNotInitialized',
      message: 'containers with incomplete status: [migrate]',
    });
    expect(await kubectlStatus(fc, NS, 'slow-init')).toBe('Init:0/1');
    // 2 simulated minutes at 0.02 are 2.4 s.
    await waitFor(() => condition(stored('slow-init'), 'Ready')?.status === 'True', 'Ready', 10_000);
  });

  it('initContainer fail: Init:Error, then Init:CrashLoopBackOff with back-off', async () => {
    fc = await faultCluster(
      { faults: [{ kind: 'initContainer', mode: 'fail', duration: '2s', exitCode: 3 }] },
      { timeScale: 0.1 },
    );
    await fc.apply(
      namespace(NS),
      webPod(NS, 'init-fail', { initContainers: [{ name: 'migrate', image: 'busybox:1.36' }] }),
    );
    // Every stored state, in order: the Init:Error phase lasts only until the next relist.
    const states: string[] = [];
    fc.cluster.context.store.subscribe((event) => {
      if (event.resource !== R.pod || event.object.metadata.name !== 'init-fail') return;
      const state = containerStatus(event.object, 'migrate', true)?.state;
      const label = state?.terminated
        ? `terminated ${state.terminated.reason ?? ''} ${state.terminated.exitCode}`
        : state?.waiting
          ? `waiting ${state.waiting.reason ?? ''}`
          : state?.running
            ? 'running'
            : 'none';
      if (states.at(-1) !== label) states.push(label);
    });
    await waitFor(
      () =>
        containerStatus(stored('init-fail'), 'migrate', true)?.state.waiting?.reason === 'CrashLoopBackOff',
      'CrashLoopBackOff',
    );
    const [table, pod] = await Promise.all([
      kubectlStatus(fc, NS, 'init-fail'),
      fc.getJson('pod', 'init-fail', NS),
    ]);
    expect(table).toBe('Init:CrashLoopBackOff');
    // kubectl shows Init:Error for a terminated init container with a non-zero exit.
    const firstError = states.indexOf('terminated Error 3');
    expect(firstError).toBeGreaterThanOrEqual(0);
    expect(states.indexOf('waiting CrashLoopBackOff')).toBeGreaterThan(firstError);
    const uid = pod.metadata.uid ?? '';
    const migrate = containerStatus(pod, 'migrate', true);
    expect(migrate?.state.waiting?.reason).toBe('CrashLoopBackOff');
    expect(migrate?.state.waiting?.message).toMatch(
      new RegExp(`^back-off \\d+s restarting failed container=migrate pod=init-fail_${NS}\\(${uid}\\)$`),
    );
    expect(migrate?.lastState.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
    expect(migrate?.restartCount).toBeGreaterThanOrEqual(1);
    expect(statusOf(pod).phase).toBe('Pending');
    const backOff = (await fc.events('init-fail', NS)).find((event) => event.reason === 'BackOff');
    expect(backOff).toMatchObject({
      type: 'Warning',
      message: `Back-off restarting failed container migrate in pod init-fail_${NS}(${uid})`,
      involvedObject: { fieldPath: 'spec.initContainers{migrate}' },
    });
  });

  it('initContainer hang: never finishes, the pod stays Init:0/1', async () => {
    fc = await faultCluster({ faults: [{ kind: 'initContainer', mode: 'hang' }] }, { timeScale: 0.005 });
    await fc.apply(
      namespace(NS),
      webPod(NS, 'init-hang', { initContainers: [{ name: 'wait-db', image: 'busybox:1.36' }] }),
    );
    await waitFor(() => containerStatus(stored('init-hang'), 'wait-db', true)?.state.running, 'running');
    // Ten simulated minutes.
    await new Promise((resolve) => setTimeout(resolve, 600 * 1000 * 0.005));
    expect(await kubectlStatus(fc, NS, 'init-hang')).toBe('Init:0/1');
    const pod = await fc.getJson('pod', 'init-hang', NS);
    expect(containerStatus(pod, 'wait-db', true)?.state.running).toBeDefined();
    expect(statusOf(pod).phase).toBe('Pending');
  });

  it('readiness never true: Unhealthy events, Ready=False with ContainersNotReady, phase Running', async () => {
    fc = await faultCluster({ faults: [{ kind: 'readiness', target: { container: 'web' } }] });
    await fc.apply(namespace(NS), webPod(NS, 'never-ready'));
    await waitFor(
      () => fc?.cluster.context.store.list(R.event, { namespace: NS }).some((e) => e.reason === 'Unhealthy'),
      'Unhealthy',
    );
    const pod = await fc.getJson('pod', 'never-ready', NS);
    expect(statusOf(pod).phase).toBe('Running');
    expect(containerStatus(pod, 'web')).toMatchObject({ ready: false, started: true, restartCount: 0 });
    expect(condition(pod, 'Ready')).toMatchObject({
      status: 'False',
      reason: 'ContainersNotReady',
      message: 'containers with unready status: [web]',
    });
    expect(condition(pod, 'ContainersReady')).toMatchObject({
      status: 'False',
      reason: 'ContainersNotReady',
    });
    const unhealthy = (await fc.events('never-ready', NS)).find((event) => event.reason === 'Unhealthy');
    expect(unhealthy).toMatchObject({
      type: 'Warning',
      message: 'Readiness probe failed: HTTP probe failed with statuscode: 503',
      source: { component: 'kubelet' },
      involvedObject: { kind: 'Pod', name: 'never-ready', fieldPath: 'spec.containers{web}' },
    });
    const described = await fc.kubectl(['describe', 'pod', 'never-ready', '-n', NS]);
    expect(described.stdout).toMatch(
      /Warning\s+Unhealthy\s+.*Readiness probe failed: HTTP probe failed with statuscode: 503/,
    );
  });

  it('liveness failures: Unhealthy, Killing, restartCount and lastState.terminated', async () => {
    fc = await faultCluster({ faults: [{ kind: 'liveness', after: '20s' }] });
    await fc.apply(namespace(NS), webPod(NS, 'live'));
    await waitFor(() => (containerStatus(stored('live'), 'web')?.restartCount ?? 0) >= 1, 'restart');
    const pod = await fc.getJson('pod', 'live', NS);
    const web = containerStatus(pod, 'web');
    expect(web?.restartCount).toBeGreaterThanOrEqual(1);
    const terminated = web?.lastState.terminated;
    expect(terminated?.reason).toMatch(/^(Error|Completed)$/);
    expect(typeof terminated?.exitCode).toBe('number');
    expect(terminated?.startedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(terminated?.finishedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const events = await fc.events('live', NS);
    expect(events.find((event) => event.reason === 'Unhealthy')).toMatchObject({
      type: 'Warning',
      message: 'Liveness probe failed: HTTP probe failed with statuscode: 503',
    });
    expect(events.find((event) => event.reason === 'Killing')).toMatchObject({
      type: 'Normal',
      message: 'Container web failed liveness probe, will be restarted',
      involvedObject: { fieldPath: 'spec.containers{web}' },
    });
  });

  it('liveness duringHelmTest: probes fail only while a helm test pod runs', async () => {
    fc = await faultCluster({
      faults: [
        {
          kind: 'liveness',
          duringHelmTest: true,
          output:
            'Get "http://{podIP}:80/healthz": context deadline exceeded (Client.Timeout exceeded while awaiting headers)',
        },
        { kind: 'helmTest', probability: 0, duration: '5m' },
      ],
    });
    const probe = { httpGet: { path: '/healthz', port: 80 }, periodSeconds: 2, failureThreshold: 2 };
    const pod = webPod(NS, 'under-test');
    const containers = (pod.spec as { containers: Array<Record<string, unknown>> }).containers;
    containers[0] = { ...containers[0], livenessProbe: probe };
    await fc.apply(namespace(NS), pod);
    await waitFor(() => condition(stored('under-test'), 'Ready')?.status === 'True', 'Ready');
    // Quiet while no test runs.
    await new Promise((resolve) => setTimeout(resolve, 30 * 1000 * 0.02));
    expect(containerStatus(stored('under-test'), 'web')?.restartCount).toBe(0);
    await fc.apply({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: 'rel-test-connection',
        namespace: NS,
        annotations: { 'helm.sh/hook': 'test', 'kubesoak.io/test-targets': 'rel-web:80' },
      },
      spec: { restartPolicy: 'Never', containers: [{ name: 'check', image: 'busybox:1.36' }] },
    });
    await waitFor(() => (containerStatus(stored('under-test'), 'web')?.restartCount ?? 0) >= 1, 'restart');
    const ip = statusOf(stored('under-test')).podIP ?? '';
    const unhealthy = (await fc.events('under-test', NS)).find((event) => event.reason === 'Unhealthy');
    expect(unhealthy?.message).toBe(
      `Liveness probe failed: Get "http://${ip}:80/healthz": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`,
    );
    expect(statusOf(stored('rel-test-connection')).phase).toBe('Running');
  });

  it('crash: exit code, CrashLoopBackOff waiting reason with back-off timing, BackOff events', async () => {
    // At 0.03 the 40 s back-off lasts 1.2 s: long enough to read it back through kubectl.
    fc = await faultCluster(
      { faults: [{ kind: 'crash', after: '3s', exitCode: 3, message: 'fatal: config invalid' }] },
      { timeScale: 0.03 },
    );
    await fc.apply(namespace(NS), webPod(NS, 'crasher'));
    const seen = await waitFor(() => {
      const current = stored('crasher');
      return containerStatus(current, 'web')?.state.waiting?.message?.startsWith('back-off 40s')
        ? current
        : undefined;
    }, 'back-off 40s');
    const [pod, table] = await Promise.all([
      fc.getJson('pod', 'crasher', NS),
      kubectlStatus(fc, NS, 'crasher'),
    ]);
    const uid = pod.metadata.uid ?? '';
    for (const current of [seen, pod]) {
      const web = containerStatus(current, 'web');
      expect(web?.state.waiting).toEqual({
        reason: 'CrashLoopBackOff',
        message: `back-off 40s restarting failed container=web pod=crasher_${NS}(${uid})`,
      });
      expect(web?.lastState.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
      expect(web?.restartCount).toBe(3);
      expect(web?.ready).toBe(false);
      expect(statusOf(current).phase).toBe('Running');
      expect(condition(current, 'Ready')?.status).toBe('False');
    }
    expect(table).toBe('CrashLoopBackOff');
    const backOff = (await fc.events('crasher', NS)).find((event) => event.reason === 'BackOff');
    expect(backOff).toMatchObject({
      type: 'Warning',
      message: `Back-off restarting failed container web in pod crasher_${NS}(${uid})`,
    });
    const logs = await fc.kubectl(['logs', 'crasher', '-n', NS, '--previous']);
    expect(logs.stdout).toMatch(/fatal: config invalid/);
  });
});
