import { describe, expect, it } from 'vitest';
import { chartLabel } from '../../src/metrics/chart-label.ts';
import { KubesoakMetrics } from '../../src/metrics/kubesoak-metrics.ts';
import { MetricsListenError, startMetricsServer } from '../../src/metrics/metrics-server.ts';
import { recordTimings } from '../../src/metrics/record-timings.ts';
import { runLabel } from '../../src/metrics/run-label.ts';
import { parseExposition, sum } from '../services/services-test-support.ts';

describe('scrape-time collection', () => {
  it('runs every collector once per scrape, before any metric is read', async () => {
    const metrics = new KubesoakMetrics({ defaultMetrics: false });
    let calls = 0;
    const stop = metrics.onCollect(async () => {
      calls += 1;
      await Promise.resolve();
      metrics.setJanitorDeletedTotal(7 * calls);
    });
    expect(await metrics.metrics()).toContain('kubesoak_janitor_deleted_namespaces_total 7\n');
    expect(calls).toBe(1);
    expect(await metrics.metrics()).toContain('kubesoak_janitor_deleted_namespaces_total 14\n');
    stop();
    await metrics.metrics();
    expect(calls).toBe(2);
  });

  it('replaces the iteration counters with stored totals: live runs zero-filled, ended runs non-zero only', async () => {
    const metrics = new KubesoakMetrics({ defaultMetrics: false });
    metrics.setRunTotals([
      {
        chart: 'nginx',
        run: 'live-1',
        live: true,
        results: [{ outcome: 'failed', category: 'crash-loop', count: 2 }],
        iterations: { queued: 3, active: 1, failed: 2 },
      },
      {
        chart: 'nginx',
        run: 'old-1',
        live: false,
        results: [
          { outcome: 'passed', category: '', count: 5 },
          // Unknown categories fold into "other" and add up.
          { outcome: 'failed', category: 'free text', count: 1 },
          { outcome: 'failed', category: 'also free', count: 2 },
        ],
        iterations: { passed: 5, failed: 3 },
      },
      { chart: 'not an identifier', run: 'x', live: true, results: [], iterations: {} },
    ]);
    const samples = parseExposition(await metrics.metrics());
    const live = samples.filter((s) => s.name === 'kubesoak_iterations_total' && s.labels.run === 'live-1');
    expect(live.length).toBeGreaterThan(40);
    expect(sum(live, 'kubesoak_iterations_total')).toBe(2);
    const old = samples.filter((s) => s.name === 'kubesoak_iterations_total' && s.labels.run === 'old-1');
    expect(old.map((s) => [s.labels.outcome, s.labels.category, s.value])).toEqual([
      ['passed', '', 5],
      ['failed', 'other', 3],
    ]);
    expect(samples.some((s) => s.labels.chart === 'not an identifier')).toBe(false);
    expect(sum(samples, 'kubesoak_run_iterations', { run: 'live-1', state: 'queued' })).toBe(3);

    // A run that left retention disappears on the next replacement.
    metrics.setRunTotals([]);
    expect(await metrics.metrics()).not.toContain('run="old-1"');
  });

  it('node failures skip names that are not node names; worker slots of several workers add up', async () => {
    const metrics = new KubesoakMetrics({ defaultMetrics: false });
    metrics.setNodeFailureTotals([
      { node: 'node-a', category: 'oom-killed', count: 2 },
      { node: 'Not A Node', category: 'oom-killed', count: 9 },
    ]);
    const first = metrics.trackWorkerSlots(() => ({ total: 4, busy: 1 }));
    metrics.trackWorkerSlots(() => ({ total: 2, busy: 2 }));
    let samples = parseExposition(await metrics.metrics());
    expect(sum(samples, 'kubesoak_node_failures_total')).toBe(2);
    expect(sum(samples, 'kubesoak_worker_slots')).toBe(6);
    expect(sum(samples, 'kubesoak_worker_busy_slots')).toBe(3);
    first();
    samples = parseExposition(await metrics.metrics());
    expect(sum(samples, 'kubesoak_worker_slots')).toBe(2);
  });
});

describe('startMetricsServer on a taken port', () => {
  it('fails with one line naming the address and how to fix it', async () => {
    const registry = new KubesoakMetrics({ defaultMetrics: false }).registry;
    const first = await startMetricsServer({ registry, host: '127.0.0.1', port: 0 });
    try {
      const second = startMetricsServer({ registry, host: '127.0.0.1', port: first.port });
      await expect(second).rejects.toThrow(MetricsListenError);
      await expect(second).rejects.toThrow(
        `cannot serve /metrics on 127.0.0.1:${first.port}: address already in use`,
      );
    } finally {
      await first.close();
    }
  });
});

describe('label values', () => {
  it('chart: the base name without version or archive suffix, sanitised', () => {
    expect(chartLabel('./charts/nginx')).toBe('nginx');
    expect(chartLabel('./charts/nginx/')).toBe('nginx');
    expect(chartLabel('bitnami/nginx')).toBe('nginx');
    expect(chartLabel('oci://registry.example/charts/nginx:1.2.3')).toBe('nginx');
    expect(chartLabel('/tmp/nginx-1.2.3.tgz')).toBe('nginx');
    expect(chartLabel('my-app-v2.0.0-rc.1.tgz')).toBe('my-app');
    expect(chartLabel('weird chart!name')).toBe('weird-chart-name');
    expect(chartLabel('.')).toBe('unknown');
    expect(chartLabel('x'.repeat(100))).toHaveLength(63);
  });

  it('run: the name with the id prefix, unless the name already is the default', () => {
    const id = '3f2a9c1b-1111-2222-3333-444455556666';
    expect(runLabel({ id, name: 'nightly' })).toBe('nightly-3f2a9c1b');
    expect(runLabel({ id, name: 'run-3f2a9c1b' })).toBe('run-3f2a9c1b');
  });

  it('step timings: the failed step carries the outcome, the others passed', () => {
    expect(
      recordTimings({
        outcome: 'failed',
        category: 'crash-loop',
        failedStep: 'await-ready',
        stepTimings: { install: 1500, 'await-ready': 30_000, uninstall: 800 },
        startedAt: '2026-01-01T00:00:00.000Z',
        finishedAt: '2026-01-01T00:00:33.000Z',
      }),
    ).toEqual({
      durationSeconds: 33,
      steps: [
        { step: 'install', durationSeconds: 1.5, outcome: 'passed' },
        { step: 'await-ready', durationSeconds: 30, outcome: 'failed' },
        { step: 'uninstall', durationSeconds: 0.8, outcome: 'passed' },
      ],
    });
  });
});
