// npm run bench:sim — 50 namespaces × 10 pods created concurrently through the simulated cluster's
// HTTP API, against a bare node:http server answering the same requests in the same run.
import { createServer } from 'node:http';
import { startSimCluster } from '../src/sim/sim-cluster.ts';
import { R } from '../src/sim/resources.ts';
import { mib, ms, percentile } from './bench-stats.ts';

const NAMESPACES = Number(process.env.BENCH_NAMESPACES ?? 50);
const PODS_PER_NAMESPACE = Number(process.env.BENCH_PODS ?? 10);

function podBody(name: string) {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: 'bench' } },
    spec: {
      containers: [
        {
          name: 'app',
          image: 'registry.example/bench:1',
          resources: { requests: { cpu: '1m', memory: '1Mi' } },
          readinessProbe: { httpGet: { path: '/ready', port: 8080 }, periodSeconds: 5 },
        },
      ],
    },
  });
}

async function timedPosts(base: string, requests: Array<{ path: string; body: string }>): Promise<number[]> {
  return Promise.all(
    requests.map(async ({ path, body }) => {
      const start = performance.now();
      const response = await fetch(`${base}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer kubesoak-sim' },
        body,
      });
      await response.arrayBuffer();
      if (response.status !== 201) throw new Error(`POST ${path} -> ${response.status}`);
      return performance.now() - start;
    }),
  );
}

async function baseline(requests: Array<{ path: string; body: string }>): Promise<number[]> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  try {
    return await timedPosts(`http://127.0.0.1:${port}`, requests);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

const cluster = await startSimCluster({ timeScale: 0.01, nodes: 10 });
try {
  const namespaces = Array.from({ length: NAMESPACES }, (_, i) => `bench-${i}`);
  await timedPosts(
    cluster.url,
    namespaces.map((name) => ({ path: '/api/v1/namespaces', body: JSON.stringify({ metadata: { name } }) })),
  );
  const requests = namespaces.flatMap((ns) =>
    Array.from({ length: PODS_PER_NAMESPACE }, (_, i) => ({
      path: `/api/v1/namespaces/${ns}/pods`,
      body: podBody(`pod-${i}`),
    })),
  );
  const base = await baseline(requests);
  global.gc?.();
  const before = process.memoryUsage();
  const wall = performance.now();
  const sim = await timedPosts(cluster.url, requests);
  const wallMs = performance.now() - wall;
  // Let the scheduler and kubelets bring the pods up, then measure the settled footprint.
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const running = cluster.context.store
      .list(R.pod)
      .filter((pod) => (pod.status as { phase?: string }).phase === 'Running').length;
    if (running >= requests.length) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const after = process.memoryUsage();
  const rows = [
    ['requests', String(requests.length), String(requests.length), ''],
    [
      'p50',
      ms(percentile(sim, 50)),
      ms(percentile(base, 50)),
      `${(percentile(sim, 50) / percentile(base, 50)).toFixed(2)}x`,
    ],
    [
      'p99',
      ms(percentile(sim, 99)),
      ms(percentile(base, 99)),
      `${(percentile(sim, 99) / percentile(base, 99)).toFixed(2)}x`,
    ],
    ['max', ms(Math.max(...sim)), ms(Math.max(...base)), ''],
  ];
  console.log(
    `bench:sim — ${NAMESPACES} namespaces × ${PODS_PER_NAMESPACE} pods, concurrent POSTs (Node ${process.versions.node})`,
  );
  console.log('metric'.padEnd(10), 'sim API'.padEnd(14), 'bare http'.padEnd(14), 'ratio');
  for (const row of rows) console.log(row[0]?.padEnd(10), row[1]?.padEnd(14), row[2]?.padEnd(14), row[3]);
  console.log(
    `wall time for the burst: ${ms(wallMs)} (${((requests.length / wallMs) * 1000).toFixed(0)} creates/s)`,
  );
  console.log(
    `memory: rss ${mib(before.rss)} → ${mib(after.rss)}, heap ${mib(before.heapUsed)} → ${mib(after.heapUsed)} with ${cluster.context.store.count(R.pod)} pods running`,
  );
  console.log(`target p99 < 50 ms: ${percentile(sim, 99) < 50 ? 'met' : 'NOT met'}`);
} finally {
  await cluster.stop();
}
