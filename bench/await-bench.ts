// npm run bench:await — how soon after the last pod turns Ready does awaitReady return, against
// `kubectl wait --for=condition=Ready` on the same pods in the same run. The simulated cluster runs
// in this process so that the moment the last pod becomes Ready is read straight from its store;
// kubectl is spawned for each round and measured to its exit. Settle window 0.
import { spawn } from 'node:child_process';
import { awaitReady } from '../src/await/await-ready.ts';
import { KubeKind } from '../src/kube/cluster-client.ts';
import type { KubeObject } from '../src/kube/cluster-client.ts';
import { KubeClusterClient } from '../src/kube/kube-cluster-client.ts';
import { R } from '../src/sim/resources.ts';
import { startSimCluster } from '../src/sim/sim-cluster.ts';
import { ensureKubeTools } from '../src/toolchain/kube-tools.ts';
import { ms, percentile } from './bench-stats.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 30);
const PODS = Number(process.env.BENCH_PODS ?? 3);
const TIME_SCALE = Number(process.env.BENCH_TIME_SCALE ?? 0.05);
// Simulated seconds before the readiness probe first passes: long enough for kubectl to start.
const READY_DELAY_S = Number(process.env.BENCH_READY_DELAY_S ?? 30);

const tools = await ensureKubeTools({ onProgress: (line) => process.stderr.write(`${line}\n`) });
const cluster = await startSimCluster({ timeScale: TIME_SCALE, nodes: 3, seed: 5 });
const client = new KubeClusterClient({ kubeconfigPath: cluster.kubeconfigPath });
const signal = AbortSignal.timeout(30 * 60_000);

function isReady(pod: KubeObject): boolean {
  const conditions = (pod.status?.conditions ?? []) as Array<{ type?: string; status?: string }>;
  return conditions.some((condition) => condition.type === 'Ready' && condition.status === 'True');
}

/** Resolves (performance.now()) when `predicate` over the namespace's pods first holds. */
function whenPods(ns: string, predicate: (pods: KubeObject[]) => boolean): Promise<number> {
  return new Promise((resolve) => {
    const check = () => {
      if (!predicate(cluster.context.store.list(R.pod, { namespace: ns }))) return false;
      unsubscribe();
      resolve(performance.now());
      return true;
    };
    const unsubscribe = cluster.context.store.subscribe((event) => {
      if (event.resource.plural === 'pods' && event.object.metadata.namespace === ns) check();
    });
    check();
  });
}

function kubectlWait(ns: string, selector: string): Promise<{ exitedAt: number; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      tools.kubectl,
      [
        '--kubeconfig',
        cluster.kubeconfigPath,
        '-n',
        ns,
        'wait',
        '--for=condition=Ready',
        'pod',
        '-l',
        selector,
        '--timeout=120s',
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    child.once('error', reject);
    child.once('exit', (code) => resolve({ exitedAt: performance.now(), code }));
  });
}

async function round(index: number): Promise<{ awaitMs: number; kubectlMs: number }> {
  const ns = `bench-await-${index}`;
  const app = `bench-${index}`;
  await client.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }, signal);
  await client.create(
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: ns },
      spec: {
        replicas: PODS,
        selector: { matchLabels: { app } },
        template: {
          metadata: { labels: { app } },
          spec: {
            containers: [
              {
                name: 'web',
                image: 'registry.example/bench/web:1',
                resources: { requests: { cpu: '1m', memory: '1Mi' } },
                readinessProbe: {
                  httpGet: { path: '/ready', port: 8080 },
                  initialDelaySeconds: READY_DELAY_S,
                  periodSeconds: 5,
                },
              },
            ],
          },
        },
      },
    },
    signal,
  );
  // kubectl wait needs the pods to exist when it starts; start both waiters at the same moment.
  await whenPods(ns, (pods) => pods.length === PODS);
  const lastReady = whenPods(ns, (pods) => pods.length === PODS && pods.every(isReady));
  const kubectl = kubectlWait(ns, `app=${app}`);
  const awaited = awaitReady(
    client,
    { namespace: ns, selector: `app=${app}` },
    { timeoutMs: 120_000, settleMs: 0 },
    signal,
  ).then((result) => ({ result, returnedAt: performance.now() }));
  const [readyAt, { result, returnedAt }, { exitedAt, code }] = await Promise.all([
    lastReady,
    awaited,
    kubectl,
  ]);
  if (!result.ready) throw new Error(`round ${index}: awaitReady not ready: ${result.reason}`);
  if (code !== 0) throw new Error(`round ${index}: kubectl wait exited ${code}`);
  await client.delete(KubeKind.Namespace, ns, undefined, { propagationPolicy: 'Background' }, signal);
  return { awaitMs: returnedAt - readyAt, kubectlMs: exitedAt - readyAt };
}

try {
  // Round 0 warms up (JIT, connections, kubectl's disk cache) and is not counted.
  await round(0);
  const awaitLatencies: number[] = [];
  const kubectlLatencies: number[] = [];
  for (let index = 1; index <= ROUNDS; index += 1) {
    const { awaitMs, kubectlMs } = await round(index);
    awaitLatencies.push(awaitMs);
    kubectlLatencies.push(kubectlMs);
  }
  console.log(
    `bench:await — ${ROUNDS} rounds (after 1 warm-up) of ${PODS} pods, time scale ${TIME_SCALE}, settle 0 (Node ${process.versions.node})`,
  );
  console.log('latency from the last pod turning Ready (sim store) to the waiter returning');
  console.log('metric'.padEnd(8), 'awaitReady'.padEnd(12), 'kubectl wait'.padEnd(14), 'ratio');
  for (const p of [50, 90, 99]) {
    const ours = percentile(awaitLatencies, p);
    const theirs = percentile(kubectlLatencies, p);
    console.log(
      `p${p}`.padEnd(8),
      ms(ours).padEnd(12),
      ms(theirs).padEnd(14),
      `${(ours / theirs).toFixed(2)}x`,
    );
  }
  const p50 = percentile(awaitLatencies, 50) <= percentile(kubectlLatencies, 50);
  const p99 = percentile(awaitLatencies, 99) < 100;
  console.log(
    `target p50 no worse than kubectl wait: ${p50 ? 'met' : 'NOT met'}; p99 < 100 ms: ${p99 ? 'met' : 'NOT met'}`,
  );
} finally {
  await cluster.stop();
}
