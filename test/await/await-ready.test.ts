import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { awaitReady, awaitReadyOutcome } from '../../src/await/await-ready.ts';
import type { AwaitOptions, AwaitResult } from '../../src/await/await-ready.ts';
import { runCli } from '../../src/cli/run-cli.ts';
import type { KubeObject } from '../../src/kube/cluster-client.ts';
import { KubeKind } from '../../src/kube/cluster-client.ts';
import { KubeClusterClient } from '../../src/kube/kube-cluster-client.ts';
import type { RequestFaultHook } from '../../src/sim/api/api-server.ts';
import type { FaultPlan } from '../../src/sim/kubelet/fault-plan.ts';
import { imageNotFoundError } from '../../src/sim/kubelet/fault-plan.ts';
import { freePort } from '../../src/net/free-port.ts';
import { R } from '../../src/sim/resources.ts';
import { startSimCluster } from '../../src/sim/sim-cluster.ts';
import type { SimCluster } from '../../src/sim/sim-cluster.ts';
import { randomSuffix, runTool } from '../support/cli-runner.ts';

const tools = inject('tools');
const chart = fileURLToPath(new URL('../fixtures/charts/soak-app', import.meta.url));

/** Fault plans by namespace, so that one cluster serves every scenario. */
const plans = new Map<string, FaultPlan>();
const planOf = (pod: KubeObject) => plans.get(pod.metadata.namespace ?? '');
const faults: FaultPlan = {
  pod: (input) => planOf(input.pod)?.pod?.(input),
  container: (input) => planOf(input.pod)?.container?.(input),
  pull: (input) => planOf(input.pod)?.pull?.(input),
};
let requestFaults: RequestFaultHook = () => [];

const isWeb = (pod: KubeObject) => (pod.metadata.name ?? '').includes('-web-');

async function cli(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const started = performance.now();
  const code = await runCli(argv, { stdout, stderr, env });
  return { code, out, err, ms: performance.now() - started };
}

describe.runIf(tools.helm && tools.helm3)('awaitReady on the simulated cluster with real helm', () => {
  const helm4 = tools.helm ?? '';
  const helm3 = tools.helm3 ?? '';
  let cluster: SimCluster;
  let client: KubeClusterClient;

  beforeAll(async () => {
    cluster = await startSimCluster({
      timeScale: 0.02,
      nodes: 3,
      seed: 11,
      faults,
      api: { faults: (request) => requestFaults(request) },
    });
    client = new KubeClusterClient({ kubeconfigPath: cluster.kubeconfigPath });
  });
  afterAll(async () => {
    await cluster.stop();
  });

  // Crash loops and evictions keep the simulation busy: end each scenario's namespace with it.
  const created: string[] = [];
  afterEach(async () => {
    for (const ns of created.splice(0)) {
      plans.delete(ns);
      await client.delete(
        KubeKind.Namespace,
        ns,
        undefined,
        { propagationPolicy: 'Background' },
        AbortSignal.timeout(5000),
      );
    }
  });

  /** Installs the fixture chart without --wait: awaiting is our job. */
  async function install(prefix: string, options: { plan?: FaultPlan; set?: string[]; helm?: string } = {}) {
    const ns = `${prefix}-${randomSuffix()}`;
    const release = `r${randomSuffix()}`;
    if (options.plan) plans.set(ns, options.plan);
    created.push(ns);
    const result = await runTool(options.helm ?? helm4, [
      'install',
      release,
      chart,
      '-n',
      ns,
      '--create-namespace',
      '--kubeconfig',
      cluster.kubeconfigPath,
      ...(options.set ?? []).flatMap((value) => ['--set', value]),
    ]);
    if (result.code !== 0) throw new Error(`helm install failed: ${result.stderr}`);
    return { ns, release };
  }

  function wait(ns: string, release: string, options: Partial<AwaitOptions> = {}): Promise<AwaitResult> {
    return awaitReady(
      client,
      { namespace: ns, release },
      { timeoutMs: 15_000, settleMs: 300, ...options },
      AbortSignal.timeout(30_000),
    );
  }

  /** Every pod of the namespace as the store has it now (the truth, not what the await saw). */
  function storePods(ns: string): KubeObject[] {
    return cluster.context.store
      .list(R.pod, { namespace: ns })
      .filter((pod) => !pod.metadata.annotations?.['helm.sh/hook']);
  }

  function allReady(pods: KubeObject[]): boolean {
    return pods.every((pod) =>
      ((pod.status?.conditions ?? []) as Array<{ type: string; status: string }>).some(
        (condition) => condition.type === 'Ready' && condition.status === 'True',
      ),
    );
  }

  /** Records, from inside the simulation, when the namespace's pods last became all ready and last restarted. */
  function observe(ns: string, expectedPods: number) {
    const seen = { allReadyAt: 0, lastRestartAt: 0, restarts: '' };
    const unsubscribe = cluster.context.store.subscribe((event) => {
      if (event.resource.plural !== 'pods' || event.object.metadata.namespace !== ns) return;
      const pods = storePods(ns);
      const ready = pods.length === expectedPods && allReady(pods);
      if (ready && seen.allReadyAt === 0) seen.allReadyAt = Date.now();
      if (!ready) seen.allReadyAt = 0;
      const restarts = pods
        .map((pod) =>
          ((pod.status?.containerStatuses ?? []) as Array<{ restartCount?: number }>)
            .map((status) => status.restartCount ?? 0)
            .join('+'),
        )
        .join(',');
      if (seen.restarts !== '' && restarts !== seen.restarts) seen.lastRestartAt = Date.now();
      seen.restarts = restarts;
    });
    return { seen, unsubscribe };
  }

  it('a healthy helm 4 release becomes ready only once every pod is, and reports table, timeline and nodes', async () => {
    // Awaiting right after install also covers the empty pod list: no pod exists yet.
    const { ns, release } = await install('healthy');
    const { seen, unsubscribe } = observe(ns, 3);
    const result = await wait(ns, release, { settleMs: 500 });
    const returnedAt = Date.now();
    unsubscribe();
    expect(result).toMatchObject({ ready: true, timedOut: false });
    expect(result.reason).toBe('ready: 2 workload(s), 3 pod(s) ready');
    expect(seen.allReadyAt).toBeGreaterThan(0);
    expect(returnedAt - seen.allReadyAt).toBeGreaterThanOrEqual(490);
    expect(allReady(storePods(ns))).toBe(true);
    expect(result.workloads.map((ref) => `${ref.kind}/${ref.name}`)).toEqual([
      `Deployment/${release}-web`,
      `StatefulSet/${release}-datastore`,
    ]);
    expect(
      cluster.context.store.get(R.deployment, ns, `${release}-web`)?.metadata.annotations?.[
        'meta.helm.sh/release-name'
      ],
    ).toBe(release);
    expect(result.pods).toHaveLength(3);
    for (const row of result.pods) {
      expect(row).toMatchObject({ ready: '1/1', status: 'Running', restarts: '0' });
      expect(row.node).toMatch(/^sim-node-\d$/);
    }
    expect(result.nodes.length).toBeGreaterThan(0);
    for (const entry of result.timeline) {
      expect(entry).toMatchObject({
        scheduledAt: expect.any(String) as string,
        initializedAt: expect.any(String) as string,
        readyAt: expect.any(String) as string,
      });
      expect(entry.readyObservedAfterMs).toBeGreaterThan(0);
    }
  });

  it('finds a helm 3 release by the meta.helm.sh/release-name annotation helm sets on every object', async () => {
    const { ns, release } = await install('helm3', { helm: helm3 });
    for (const [resource, name] of [
      [R.deployment, `${release}-web`],
      [R.statefulSet, `${release}-datastore`],
      [R.configMap, `${release}-config`],
    ] as const) {
      expect(
        cluster.context.store.get(resource, ns, name)?.metadata.annotations?.['meta.helm.sh/release-name'],
      ).toBe(release);
    }
    const result = await wait(ns, release);
    expect(result.ready).toBe(true);
    expect(result.pods).toHaveLength(3);
  });

  it('never reports ready while init containers run: the table shows Init:n/m', async () => {
    const plan: FaultPlan = {
      container: ({ kind, container }) =>
        kind === 'init' && container.name === 'migrate' ? { exitAfterMs: 10_000_000 } : undefined,
    };
    const { ns, release } = await install('init', { plan });
    const result = await wait(ns, release, { timeoutMs: 2000 });
    expect(result).toMatchObject({ ready: false, timedOut: true });
    expect(result.reason).toMatch(
      /^timed out after 2s: pod \S+-web-\S+ is Pending: init container migrate has not finished$/,
    );
    const web = result.pods.filter((row) => row.name.includes('-web-'));
    expect(web).toHaveLength(2);
    for (const row of web) expect(row.status).toBe('Init:1/2');
  });

  it('never reports ready with one Pending pod among Running ones', async () => {
    // One pod stays in its first init container, hence Pending, while the others run.
    let slow: string | undefined;
    const plan: FaultPlan = {
      container: ({ pod, kind }) => {
        if (!isWeb(pod) || kind !== 'init') return undefined;
        slow ??= pod.metadata.name;
        return pod.metadata.name === slow ? { exitAfterMs: 10_000_000 } : undefined;
      },
    };
    const { ns, release } = await install('pending', { plan, set: ['web.replicas=3'] });
    const result = await wait(ns, release, { timeoutMs: 2500 });
    expect(result).toMatchObject({ ready: false, timedOut: true });
    expect(result.reason).toContain(`pod ${slow} is Pending`);
    expect(result.pods.filter((row) => row.status === 'Running')).toHaveLength(3);
    expect(result.pods.find((row) => row.name === slow)?.status).toBe('Init:0/2');
    expect(result.reason).toContain('init container wait-for-datastore has not finished');
  });

  it('restarts the settle window when a container restarts in it', async () => {
    const plan: FaultPlan = {
      container: ({ kind, restartCount, pod }) =>
        kind === 'app' && isWeb(pod) && restartCount === 0 ? { exitAfterMs: 20_000, exitCode: 1 } : undefined,
    };
    const { ns, release } = await install('restart', { plan });
    const { seen, unsubscribe } = observe(ns, 3);
    const settleMs = 1500;
    const result = await wait(ns, release, { settleMs });
    const returnedAt = Date.now();
    unsubscribe();
    expect(result.reason).toBe('ready: 2 workload(s), 3 pod(s) ready');
    expect(result.pods.filter((row) => row.restartCount === 1)).toHaveLength(2);
    expect(seen.lastRestartAt).toBeGreaterThan(0);
    expect(returnedAt - seen.lastRestartAt).toBeGreaterThanOrEqual(settleMs - 10);
  });

  let evicted = false;
  const evictedOnce = () => {
    const before = evicted;
    evicted = true;
    return before;
  };
  const webOnly = (plan: FaultPlan): FaultPlan => ({
    pod: (input) => (isWeb(input.pod) ? plan.pod?.(input) : undefined),
    container: (input) => (isWeb(input.pod) ? plan.container?.(input) : undefined),
    pull: (input) => (isWeb(input.pod) ? plan.pull?.(input) : undefined),
  });

  it.each([
    {
      reason: 'CrashLoopBackOff',
      container: 'web',
      plan: webOnly({
        container: ({ kind }) => (kind === 'app' ? { exitAfterMs: 500, exitCode: 1 } : undefined),
      }),
    },
    {
      reason: 'ErrImagePull|ImagePullBackOff',
      container: 'migrate',
      plan: webOnly({
        pull: ({ image }) => (image.includes('soak/web') ? { error: imageNotFoundError(image) } : undefined),
      }),
      // An image no node has yet: images already present are not pulled, so pull faults need a new one.
      set: [`web.image=registry.example/soak/web:missing-${randomSuffix()}`],
    },
    {
      reason: 'OOMKilled',
      container: 'web',
      plan: webOnly({
        container: ({ kind }) =>
          kind === 'app' ? { exitAfterMs: 1000, exitCode: 137, exitReason: 'OOMKilled' } : undefined,
      }),
    },
    {
      reason: 'CreateContainerConfigError',
      container: 'web',
      plan: webOnly({
        container: ({ kind }) =>
          kind === 'app'
            ? { createError: { reason: 'CreateContainerConfigError', message: 'secret "creds" not found' } }
            : undefined,
      }),
    },
    {
      reason: 'Evicted',
      container: undefined,
      // Only the first pod: replacements evicted in turn would pile up for the rest of the file.
      plan: webOnly({
        pod: ({ pod }) =>
          pod.metadata.name?.endsWith('-0') || evictedOnce() ? undefined : { evictAfterMs: 3000 },
      }),
    },
    { reason: 'Unschedulable', container: undefined, set: ['web.resources.requests.cpu=500'] },
  ] as Array<{ reason: string; container: string | undefined; plan?: FaultPlan; set?: string[] }>)(
    'fails fast on $reason with the pod and container',
    async ({ reason, container, plan, set }) => {
      const { ns, release } = await install('fail', { ...(plan ? { plan } : {}), ...(set ? { set } : {}) });
      const timeoutMs = 12_000;
      const result = await wait(ns, release, { timeoutMs, unschedulableGraceMs: 300 });
      expect(result.ready).toBe(false);
      expect(result.timedOut).toBe(false);
      expect(result.elapsedMs).toBeLessThan(timeoutMs);
      expect(result.failFast?.reason).toMatch(new RegExp(`^(${reason})$`));
      expect(result.failFast?.pod).toMatch(new RegExp(`^${release}-web-`));
      expect(result.failFast?.container).toBe(container);
      expect(result.reason).toMatch(new RegExp(`^(${reason}): pod ${release}-web-`));
      if (reason === 'OOMKilled') {
        // The engine's seam gets the same verdict with a short reason word.
        const outcome = await awaitReadyOutcome(
          client,
          { namespace: ns, release, workloads: result.workloads },
          { timeoutMs, unschedulableGraceMs: 300 },
          AbortSignal.timeout(30_000),
        );
        expect(outcome).toMatchObject({ ready: false, reason: 'OOMKilled' });
        expect(outcome.message).toMatch(new RegExp(`^OOMKilled: pod ${release}-web-\\S+ container web: `));
      }
    },
  );

  it('reaches the same verdict through watch drops, 410 Gone and API 5xx', async () => {
    const { ns, release } = await install('chaos');
    let count = 0;
    requestFaults = ({ path }) =>
      path.includes(`/namespaces/${ns}/`) && ++count % 3 === 0 ? [{ kind: 'status', code: 503 }] : [];
    let round = 0;
    const chaos = setInterval(() => {
      round += 1;
      if (round % 2 === 0) cluster.context.store.compact();
      cluster.api.dropWatches();
    }, 150);
    try {
      const result = await wait(ns, release, { settleMs: 800 });
      expect(result.ready).toBe(true);
      expect(allReady(storePods(ns))).toBe(true);
      expect(result.pods).toHaveLength(3);
      const kinds = new Set(result.incidents.map((incident) => incident.kind));
      expect(kinds).toEqual(new Set(['watch-closed', 'watch-expired', 'api-error']));
    } finally {
      clearInterval(chaos);
      requestFaults = () => [];
    }
  });

  describe('kubesoak await', () => {
    let healthy: { ns: string; release: string };
    beforeAll(async () => {
      healthy = await install('cli');
      created.splice(created.indexOf(healthy.ns), 1);
    });

    it('exits 0 and prints the pod table when ready (KUBECONFIG from the environment)', async () => {
      const { code, out, err } = await cli(
        ['await', '-n', healthy.ns, '--release', healthy.release, '--settle', '200ms', '--timeout', '15s'],
        { KUBECONFIG: cluster.kubeconfigPath },
      );
      expect(err).toMatch(/^kubesoak: ready: 2 workload\(s\), 3 pod\(s\) ready/);
      expect(code).toBe(0);
      const [header, ...rows] = out.trim().split('\n');
      expect(header).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+NODE$/);
      expect(rows).toHaveLength(3);
      for (const row of rows) expect(row).toMatch(/\s1\/1\s+Running\s+0\s+\d+s\s+sim-node-\d$/);
    });

    it('exits 1 with the reason on stderr and the pod table on stdout when a pod crash-loops', async () => {
      const plan: FaultPlan = {
        container: ({ kind, pod }) =>
          kind === 'app' && isWeb(pod) ? { exitAfterMs: 500, exitCode: 1 } : undefined,
      };
      const { ns, release } = await install('cli-crash', { plan });
      const { code, out, err } = await cli([
        'await',
        '-n',
        ns,
        '--release',
        release,
        '--timeout',
        '15s',
        '--kubeconfig',
        cluster.kubeconfigPath,
      ]);
      expect(code).toBe(1);
      expect(err).toMatch(
        new RegExp(
          `^kubesoak: not ready: CrashLoopBackOff: pod ${release}-web-\\S+ container web: back-off \\d+s restarting failed container=web .*\\n$`,
        ),
      );
      expect(out).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+NODE\n/);
      expect(out).toMatch(
        new RegExp(`${release}-web-\\S+\\s+0/1\\s+CrashLoopBackOff\\s+\\d+ \\(\\d+s ago\\)`),
      );
    });

    it('never calls a release with no workloads ready, but has nothing to wait for in a manifest without workloads', async () => {
      const unknown = await wait(healthy.ns, 'no-such-release', { timeoutMs: 500 });
      expect(unknown).toMatchObject({ ready: false, timedOut: true, pods: [] });
      expect(unknown.reason).toBe(
        `timed out after 500ms: no workloads of release no-such-release found in namespace ${healthy.ns}`,
      );
      const configOnly = await awaitReady(
        client,
        { namespace: healthy.ns, release: 'config-only', workloads: [{ kind: 'ConfigMap', name: 'x' }] },
        { timeoutMs: 5000, settleMs: 0 },
        AbortSignal.timeout(10_000),
      );
      expect(configOnly).toMatchObject({ ready: true, workloads: [], pods: [] });
    });

    it('rejects with the reason when its signal aborts', async () => {
      const controller = new AbortController();
      setTimeout(() => controller.abort(new Error('iteration cancelled')), 100);
      await expect(
        awaitReady(
          client,
          { namespace: healthy.ns, selector: 'app=nothing' },
          { timeoutMs: 10_000 },
          controller.signal,
        ),
      ).rejects.toThrow('iteration cancelled');
    });

    it('retries an unreachable API server until the timeout and says so', async () => {
      const port = await freePort();
      const file = join(mkdtempSync(join(tmpdir(), 'kubesoak-await-')), 'kubeconfig');
      writeFileSync(file, cluster.kubeconfig.replace(cluster.url, `http://127.0.0.1:${port}`));
      const dead = new KubeClusterClient({ kubeconfigPath: file });
      const result = await awaitReady(
        dead,
        { namespace: 'x', selector: 'a=b' },
        { timeoutMs: 600 },
        AbortSignal.timeout(10_000),
      );
      expect(result).toMatchObject({ ready: false, timedOut: true });
      expect(result.reason).toMatch(
        /^timed out after 600ms: cannot reach the Kubernetes API server at http:\/\/127\.0\.0\.1:\d+ .*connection refused$/,
      );
      expect(result.incidents.length).toBeGreaterThan(1);
    });

    it('--selector prints JSON with --json', async () => {
      const { code, out } = await cli([
        '--json',
        'await',
        '-n',
        healthy.ns,
        '--selector',
        'app.kubernetes.io/component=web',
        '--settle',
        '0s',
        '--kubeconfig',
        cluster.kubeconfigPath,
      ]);
      expect(code).toBe(0);
      const result = JSON.parse(out) as AwaitResult;
      expect(result.ready).toBe(true);
      expect(result.pods).toHaveLength(2);
    });

    it('--selector with no matching pods fails at the timeout', async () => {
      const { code, out, err, ms } = await cli([
        'await',
        '-n',
        healthy.ns,
        '--selector',
        'app=nothing',
        '--timeout',
        '1s',
        '--kubeconfig',
        cluster.kubeconfigPath,
      ]);
      expect(code).toBe(1);
      expect(ms).toBeGreaterThanOrEqual(1000);
      expect(err).toBe(
        `kubesoak: not ready: timed out after 1s: no pods match selector "app=nothing" in namespace ${healthy.ns}\n`,
      );
      expect(out).toBe(`No pods found in ${healthy.ns} namespace.\n`);
    });

    it.each([
      [['--release', 'x', '--timeout', '5'], 'kubesoak: invalid --timeout "5": use a number with a unit'],
      [['--release', 'x', '--settle', 'soon'], 'kubesoak: invalid --settle "soon"'],
      [[], 'kubesoak: give exactly one of --release NAME or --selector SELECTOR'],
      [
        ['--release', 'x', '--selector', 'a=b'],
        'kubesoak: give exactly one of --release NAME or --selector SELECTOR',
      ],
    ])('exits 2 on usage errors: %j', async (args, message) => {
      const { code, err } = await cli(['await', '-n', 'x', ...args, '--kubeconfig', cluster.kubeconfigPath]);
      expect(code).toBe(2);
      expect(err.startsWith(message)).toBe(true);
      expect(err.trim().split('\n')).toHaveLength(1);
    });

    it('exits 2 on an unknown --context, in one line', async () => {
      const { code, err } = await cli([
        'await',
        '-n',
        'x',
        '--release',
        'x',
        '--context',
        'prod',
        '--kubeconfig',
        cluster.kubeconfigPath,
      ]);
      expect(code).toBe(2);
      expect(err).toBe(
        `kubesoak: kube context "prod" not found in ${cluster.kubeconfigPath}; contexts: ${cluster.contextName}\n`,
      );
    });
  });
});
