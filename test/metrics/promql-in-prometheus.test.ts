import { access } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KubesoakMetrics } from '../../src/metrics/kubesoak-metrics.ts';
import { startMetricsServer } from '../../src/metrics/metrics-server.ts';
import type { MetricsServer } from '../../src/metrics/metrics-server.ts';
import { startPrometheus } from './prometheus-process.ts';
import type { PrometheusProcess } from './prometheus-process.ts';
import { collectPromql, metricNames, readRules, toPromql } from './promql-sources.ts';

const tools = inject('tools');
const sources = await collectPromql();

/** Names Prometheus itself provides; everything else must come from our registry or a recording rule. */
const PROMETHEUS_NAMES = new Set(['ALERTS', 'ALERTS_FOR_STATE', 'up']);

async function definedNames(): Promise<Set<string>> {
  const names = new Set(PROMETHEUS_NAMES);
  for (const metric of await new KubesoakMetrics().registry.getMetricsAsJSON()) {
    names.add(metric.name);
    if (String(metric.type) === 'histogram') {
      for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${metric.name}${suffix}`);
    }
  }
  for (const group of (await readRules()).groups) {
    for (const rule of group.rules) if (rule.record) names.add(rule.record);
  }
  return names;
}

describe('PromQL in dashboards and rules', () => {
  it('finds expressions in both dashboards and the rules', () => {
    expect(sources.filter((source) => source.origin.startsWith('rules.yml')).length).toBeGreaterThan(20);
    expect(sources.filter((source) => source.origin.includes('soak-runs')).length).toBeGreaterThan(15);
    expect(sources.filter((source) => source.origin.includes('runner-health')).length).toBeGreaterThan(10);
  });

  it('names only metrics the registry or a recording rule defines', async () => {
    const defined = await definedNames();
    const unknown = sources.flatMap((source) =>
      metricNames(toPromql(source.expr))
        .filter((name) => !defined.has(name))
        .map((name) => `${source.origin}: ${name}`),
    );
    expect(unknown).toEqual([]);
  });

  it('the name check catches an undefined metric', async () => {
    const defined = await definedNames();
    const names = metricNames(
      'sum by (chart) (rate(kubesoak_iteration_total{outcome="x"}[5m])) / on (chart) up',
    );
    expect(names.filter((name) => !defined.has(name))).toEqual(['kubesoak_iteration_total']);
  });
});

describe.runIf(tools.prometheus)('a real Prometheus', () => {
  let prometheus: PrometheusProcess | undefined;
  let target: MetricsServer | undefined;

  beforeAll(async () => {
    const metrics = new KubesoakMetrics();
    metrics.startRun('demo-chart', 'run-1');
    metrics.recordIteration({ chart: 'demo-chart', run: 'run-1', outcome: 'passed', durationSeconds: 33 });
    target = await startMetricsServer({ registry: metrics.registry, host: '127.0.0.1', port: 0 });
    prometheus = await startPrometheus(tools.prometheus ?? 'prometheus', {
      'kubesoak-worker': [`127.0.0.1:${target.port}`],
    });
  });

  afterAll(async () => {
    await prometheus?.stop();
    await target?.close();
    // Fail on leaks: the process is gone and its data directory with it.
    expect(prometheus?.running()).toBe(false);
    await expect(access(prometheus?.dir ?? '')).rejects.toThrow();
  });

  const query = (expr: string) => (prometheus as PrometheusProcess).query(expr);

  it('parses and evaluates every expression', async () => {
    const failures: string[] = [];
    for (const source of sources) {
      const expr = toPromql(source.expr);
      const result = await query(expr);
      if (result.status !== 'success')
        failures.push(`${source.origin}: ${result.error ?? result.status}\n  ${expr}`);
    }
    expect(failures).toEqual([]);
  });

  it('rejects an expression that does not parse (the check is real)', async () => {
    expect((await query('sum by (chart (kubesoak_iterations_total)')).status).toBe('error');
  });

  it('loads the rules file and scrapes a kubesoak metrics endpoint', async () => {
    const rules = (await (await fetch(`${prometheus?.url ?? ''}/api/v1/rules`)).json()) as {
      data: { groups: unknown[] };
    };
    expect(rules.data.groups.length).toBe((await readRules()).groups.length);
    const deadline = Date.now() + 15_000;
    let found: unknown[] = [];
    while (Date.now() < deadline) {
      found =
        (await query('kubesoak_iterations_total{chart="demo-chart",outcome="passed"}')).data?.result ?? [];
      if (found.length > 0) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(found.length).toBe(1);
  });
});
