import { register as globalRegister } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DURATION_BUCKETS_SECONDS,
  IterationOutcome,
  KubesoakMetrics,
  METRIC_NAMES,
} from '../../src/metrics/kubesoak-metrics.ts';
import { startMetricsServer } from '../../src/metrics/metrics-server.ts';
import type { MetricsServer } from '../../src/metrics/metrics-server.ts';

const EXPECTED_TYPES: Record<string, 'counter' | 'gauge' | 'histogram'> = {
  kubesoak_iterations_total: 'counter',
  kubesoak_iteration_duration_seconds: 'histogram',
  kubesoak_step_duration_seconds: 'histogram',
  kubesoak_node_failures_total: 'counter',
  kubesoak_runs: 'gauge',
  kubesoak_run_iterations: 'gauge',
  kubesoak_queue_jobs: 'gauge',
  kubesoak_worker_slots: 'gauge',
  kubesoak_worker_busy_slots: 'gauge',
  kubesoak_managed_namespaces: 'gauge',
  kubesoak_managed_namespaces_expired: 'gauge',
  kubesoak_janitor_deleted_namespaces_total: 'counter',
  kubesoak_redis_latency_seconds: 'histogram',
};

async function status(url: string, init?: RequestInit): Promise<number> {
  const response = await fetch(url, init);
  await response.text();
  return response.status;
}

function populated(): KubesoakMetrics {
  const metrics = new KubesoakMetrics();
  metrics.startRun('nginx', 'run-1');
  metrics.recordIteration({
    chart: 'nginx',
    run: 'run-1',
    outcome: IterationOutcome.failed,
    category: 'readiness-timeout',
    durationSeconds: 312,
    steps: [
      { step: 'install', durationSeconds: 4, outcome: 'passed' },
      { step: 'await-ready', durationSeconds: 300, outcome: 'failed' },
      { step: 'exec:smoke', durationSeconds: 2, outcome: 'passed' },
    ],
    nodes: ['node-a', 'node-b'],
  });
  metrics.recordIteration({ chart: 'nginx', run: 'run-1', outcome: 'passed', durationSeconds: 42 });
  metrics.setRunIterations('nginx', 'run-1', { queued: 8, active: 2, passed: 1, failed: 1 });
  metrics.setRuns({ running: 1 });
  metrics.setQueueJobs('kubesoak-iterations', { waiting: 8, active: 2, weird: 5 });
  metrics.setWorkerSlots(4, 2);
  metrics.setManagedNamespaces(3, 1);
  metrics.recordJanitorDeleted(2);
  metrics.observeRedisLatency(0.0012);
  return metrics;
}

describe('KubesoakMetrics', () => {
  it('defines every contract metric with its type on a private registry', async () => {
    const metrics = populated();
    const text = await metrics.metrics();
    for (const [name, type] of Object.entries(EXPECTED_TYPES)) {
      expect(text, name).toContain(`# TYPE ${name} ${type}\n`);
    }
    expect(Object.values(METRIC_NAMES).sort()).toEqual(Object.keys(EXPECTED_TYPES).sort());
    expect(text).toMatch(/^process_cpu_user_seconds_total /m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds /m);
    expect(await globalRegister.metrics()).not.toContain('kubesoak_');
  });

  it('records outcomes, categories, steps and nodes with bounded labels', async () => {
    const text = await populated().metrics();
    expect(text).toContain(
      'kubesoak_iterations_total{chart="nginx",run="run-1",outcome="failed",category="readiness-timeout"} 1',
    );
    expect(text).toContain(
      'kubesoak_iterations_total{chart="nginx",run="run-1",outcome="passed",category=""} 1',
    );
    // Zero-initialised: panels and ratio rules see 0 before the first error.
    expect(text).toContain(
      'kubesoak_iterations_total{chart="nginx",run="run-1",outcome="error",category="other"} 0',
    );
    expect(text).toContain('kubesoak_node_failures_total{node="node-b",category="readiness-timeout"} 1');
    expect(text).toContain(
      'kubesoak_step_duration_seconds_bucket{le="300",chart="nginx",step="await-ready",outcome="failed"} 1',
    );
    expect(text).toContain(
      'kubesoak_step_duration_seconds_count{chart="nginx",step="exec",outcome="passed"} 1',
    );
    expect(text).toContain('kubesoak_queue_jobs{queue="kubesoak-iterations",state="waiting"} 8');
    expect(text).toContain('kubesoak_queue_jobs{queue="kubesoak-iterations",state="delayed"} 0');
    expect(text).not.toContain('weird');
    expect(text).toContain('kubesoak_run_iterations{chart="nginx",run="run-1",state="queued"} 8');
    expect(text).toContain('kubesoak_runs{state="running"} 1');
    expect(text).toContain('kubesoak_worker_busy_slots 2');
    expect(text).toContain('kubesoak_janitor_deleted_namespaces_total 2');
    expect(text).toContain('kubesoak_managed_namespaces_expired 1');
  });

  it('keeps run off histograms and puts a bucket at every timeout edge from 5 s to 1 h', async () => {
    const text = await populated().metrics();
    const histogramLines = text
      .split('\n')
      .filter((line) => /^kubesoak_(iteration|step)_duration_seconds/.test(line));
    expect(histogramLines.length).toBeGreaterThan(0);
    for (const line of histogramLines) expect(line).not.toContain('run=');
    const edges = [
      ...text.matchAll(
        /kubesoak_iteration_duration_seconds_bucket\{le="([^"]+)",chart="nginx",outcome="passed"\}/g,
      ),
    ].map((match) => match[1]);
    expect(edges).toEqual([...DURATION_BUCKETS_SECONDS.map(String), '+Inf']);
    expect(DURATION_BUCKETS_SECONDS[0]).toBe(5);
    expect(DURATION_BUCKETS_SECONDS.at(-1)).toBe(3600);
  });

  it('rejects free text as a label value and forgets retired runs', async () => {
    const metrics = populated();
    expect(() =>
      metrics.recordIteration({
        chart: 'nginx',
        run: 'pod nginx-7d9 crashed',
        outcome: 'failed',
        durationSeconds: 1,
      }),
    ).toThrow(RangeError);
    expect(() =>
      metrics.recordIteration({
        chart: 'nginx',
        run: 'r',
        outcome: 'failed',
        durationSeconds: 1,
        nodes: ['Bad Node'],
      }),
    ).toThrow(RangeError);
    metrics.recordIteration({
      chart: 'nginx',
      run: 'r',
      outcome: 'failed',
      category: 'free text here',
      durationSeconds: 1,
    });
    expect(await metrics.metrics()).toContain(
      'kubesoak_iterations_total{chart="nginx",run="r",outcome="failed",category="other"} 1',
    );
    metrics.forgetRun('nginx', 'run-1');
    const text = await metrics.metrics();
    expect(text).not.toContain('run="run-1"');
  });
});

describe('startMetricsServer', () => {
  let server: MetricsServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('serves every metric name over HTTP with the registry content type', async () => {
    const metrics = populated();
    server = await startMetricsServer({ registry: metrics.registry, host: '127.0.0.1', port: 0 });
    const response = await fetch(`${server.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(metrics.contentType);
    const body = await response.text();
    for (const name of Object.values(METRIC_NAMES)) {
      expect(body, name).toMatch(new RegExp(`^# HELP ${name} \\S`, 'm'));
    }
    expect(body).toContain('process_resident_memory_bytes');
  });

  it('answers /healthz, 404 and 405, and closes idempotently', async () => {
    server = await startMetricsServer({
      registry: new KubesoakMetrics().registry,
      host: '127.0.0.1',
      port: 0,
    });
    expect(await status(`${server.url}/healthz`)).toBe(200);
    expect(await status(`${server.url}/nope`)).toBe(404);
    expect(await status(`${server.url}/metrics`, { method: 'POST' })).toBe(405);
    const first = server.close();
    expect(server.close()).toBe(first);
    await first;
    await expect(status(`${server.url}/healthz`)).rejects.toThrow();
  });

  it('defaults to port 9464', async () => {
    const { DEFAULT_METRICS_PORT } = await import('../../src/metrics/kubesoak-metrics.ts');
    expect(DEFAULT_METRICS_PORT).toBe(9464);
  });
});
