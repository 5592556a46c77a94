// npm run bench:sim — 50 namespaces × 10 pods created concurrently through the simulated cluster's
// HTTP API (50 clients, one per namespace, each creating its 10 pods in turn), against a bare
// node:http server answering the same requests in the same run. Servers run in their own
// processes, as in real use, so client work does not count as server latency.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { mib, ms, percentile } from './bench-stats.ts';

const NAMESPACES = Number(process.env.BENCH_NAMESPACES ?? 50);
const PODS_PER_NAMESPACE = Number(process.env.BENCH_PODS ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
// 1 = real-time pacing of pulls, probes and restarts, as a real cluster; 0.01 compresses them 100x.
const TIME_SCALE = process.env.BENCH_TIME_SCALE ?? '1';
const root = fileURLToPath(new URL('..', import.meta.url));

function podBody(name: string): string {
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

async function post(base: string, path: string, body: string): Promise<number> {
  const start = performance.now();
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer kubesoak-sim' },
    body,
  });
  await response.arrayBuffer();
  if (response.status !== 201) throw new Error(`POST ${path} -> ${response.status}`);
  return performance.now() - start;
}

/** 50 concurrent clients, each creating its namespace's pods one after another. */
async function burst(base: string, round: number): Promise<{ latencies: number[]; wallMs: number }> {
  const latencies: number[] = [];
  const wall = performance.now();
  await Promise.all(
    Array.from({ length: NAMESPACES }, async (_, n) => {
      for (let i = 0; i < PODS_PER_NAMESPACE; i += 1) {
        latencies.push(await post(base, `/api/v1/namespaces/bench-${round}-${n}/pods`, podBody(`pod-${i}`)));
      }
    }),
  );
  return { latencies, wallMs: performance.now() - wall };
}

async function startProcess(args: string[]): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  for await (const line of lines) {
    const { url } = JSON.parse(line) as { url: string };
    return { child, url };
  }
  throw new Error(`${args.join(' ')} printed no URL`);
}

function rssOf(child: ChildProcess): number {
  const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

const bare = await startProcess(['bench/bare-server.ts']);
const sim = await startProcess([
  'bin/kubesoak.js',
  '--json',
  'sim',
  '--time-scale',
  TIME_SCALE,
  '--nodes',
  '10',
]);
try {
  const baseLatencies: number[] = [];
  const simLatencies: number[] = [];
  let simWall = 0;
  const rssBefore = rssOf(sim.child);
  await fetch(`${sim.url}/debug/kubesoak/latency?reset=true`);
  // Round 0 warms up both servers (JIT, connection pools) and is not counted.
  for (let round = 0; round <= ROUNDS; round += 1) {
    await Promise.all(
      Array.from({ length: NAMESPACES }, (_, n) =>
        post(sim.url, '/api/v1/namespaces', JSON.stringify({ metadata: { name: `bench-${round}-${n}` } })),
      ),
    );
    const baseResult = await burst(bare.url, round);
    const result = await burst(sim.url, round);
    if (round === 0) {
      await fetch(`${sim.url}/debug/kubesoak/latency?reset=true`);
      continue;
    }
    baseLatencies.push(...baseResult.latencies);
    simLatencies.push(...result.latencies);
    simWall += result.wallMs;
  }
  // Let the scheduler and kubelets bring the pods up, then read the settled footprint.
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const rssAfter = rssOf(sim.child);
  const server = (await (await fetch(`${sim.url}/debug/kubesoak/latency`)).json()) as Record<string, number>;
  const pods = NAMESPACES * PODS_PER_NAMESPACE * (ROUNDS + 1);
  const ratio = (p: number) => `${(percentile(simLatencies, p) / percentile(baseLatencies, p)).toFixed(2)}x`;
  console.log(
    `bench:sim — ${ROUNDS} measured rounds (after 1 warm-up) of ${NAMESPACES} namespaces × ${PODS_PER_NAMESPACE} pods, ${NAMESPACES} concurrent clients, time scale ${TIME_SCALE} (Node ${process.versions.node})`,
  );
  console.log('metric'.padEnd(8), 'sim API'.padEnd(12), 'bare http'.padEnd(12), 'ratio');
  for (const p of [50, 90, 99]) {
    console.log(
      `p${p}`.padEnd(8),
      ms(percentile(simLatencies, p)).padEnd(12),
      ms(percentile(baseLatencies, p)).padEnd(12),
      ratio(p),
    );
  }
  console.log(
    `server-side (sim, all ${server.count} requests incl. namespaces): p50 ${ms(server.p50 ?? 0)}, p90 ${ms(server.p90 ?? 0)}, p99 ${ms(server.p99 ?? 0)}, max ${ms(server.max ?? 0)}`,
  );
  console.log(`creates/s: ${((pods / simWall) * 1000).toFixed(0)} (sim)`);
  console.log(
    `sim server rss: ${mib(rssBefore)} idle → ${mib(rssAfter)} with ${pods} pods running (${((rssAfter - rssBefore) / pods / 1024).toFixed(1)} KiB/pod)`,
  );
  console.log(
    `target p99 < 50 ms: server-side ${(server.p99 ?? Infinity) < 50 ? 'met' : 'NOT met'}, client-observed ${percentile(simLatencies, 99) < 50 ? 'met' : 'NOT met'}`,
  );
} finally {
  await stop(sim.child);
  await stop(bare.child);
}
