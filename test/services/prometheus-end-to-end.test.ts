import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { generateDashboards } from '../../grafana/src/generate-dashboards.ts';
import { createLogger } from '../../src/log/create-logger.ts';
import { chartLabel } from '../../src/metrics/chart-label.ts';
import { KubesoakMetrics } from '../../src/metrics/kubesoak-metrics.ts';
import { startMetricsServer } from '../../src/metrics/metrics-server.ts';
import type { MetricsServer } from '../../src/metrics/metrics-server.ts';
import { runLabel } from '../../src/metrics/run-label.ts';
import { startIterationWorker } from '../../src/runs/iteration-worker-service.ts';
import type { IterationWorker } from '../../src/runs/iteration-worker-service.ts';
import type { Run } from '../../src/runs/run-model.ts';
import { startScheduler } from '../../src/runs/scheduler.ts';
import type { Scheduler } from '../../src/runs/scheduler.ts';
import { startSimCluster } from '../../src/sim/sim-cluster.ts';
import type { SimCluster } from '../../src/sim/sim-cluster.ts';
import { createIterationExecutor } from '../../workers/iteration-executor.ts';
import { FIXTURE_CHART, HELM_ENV, quickPlan } from '../iteration/iteration-harness.ts';
import { startPrometheus } from '../metrics/prometheus-process.ts';
import type { PrometheusProcess } from '../metrics/prometheus-process.ts';
import { collectPromql, metricNames, readRules, toPromql } from '../metrics/promql-sources.ts';
import { testPrefix, waitFor } from '../runs/runs-test-support.ts';

const tools = inject('tools');
const redisUrl = inject('redisUrl');

/**
 * Panels that must show data after a small healthy run (titles in the generated dashboards). Failure
 * panels (by category, by node) and the 7-day baseline legitimately stay empty here.
 */
const CORE_PANELS = [
  'Success rate (time range)',
  'Success rate per chart (time range)',
  'Success rate per run (1h)',
  'Iterations by outcome',
  'Failures by category',
  'Failures by node (time range)',
  'Run iterations by state',
  'Step duration percentiles',
  'Iteration duration',
  'Queue depth',
  'Worker utilisation',
  'Workers up',
  'Busy / total slots',
  'Runs by state',
  'Redis latency',
  'Managed namespaces and janitor deletions',
  'CPU',
  'Memory',
];

interface Panel {
  title?: string;
  targets?: Array<{ expr?: string }>;
  panels?: Panel[];
}

function panelQueries(): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const walk = (panels: Panel[]) => {
    for (const panel of panels) {
      const exprs = (panel.targets ?? []).flatMap((target) => (target.expr ? [target.expr] : []));
      if (panel.title && exprs.length > 0) out.set(panel.title, exprs);
      walk(panel.panels ?? []);
    }
  };
  for (const content of generateDashboards().values())
    walk((JSON.parse(content) as { panels: Panel[] }).panels);
  return out;
}

describe.runIf(tools.prometheus && tools.helm && redisUrl)(
  'end to end: a real Prometheus scrapes a kubesoak run on the simulated cluster',
  () => {
    const prefix = testPrefix('e2e-prom');
    let sim: SimCluster;
    let scheduler: Scheduler;
    let worker: IterationWorker;
    const servers: MetricsServer[] = [];
    let prometheus: PrometheusProcess;
    let run: Run;
    let labels: { chart: string; run: string };

    beforeAll(async () => {
      const logger = await createLogger({ level: process.env.KUBESOAK_TEST_LOGS ? 'info' : 'silent' });
      // Iterations 0 and 3 fail their helm test, so failure panels have data too.
      sim = await startSimCluster({
        nodes: 3,
        timeScale: 0.02,
        seed: 7,
        faults: {
          container: ({ pod }) =>
            pod.metadata.name === 'soak-test-connection' && /-(0|3)$/.test(pod.metadata.namespace ?? '')
              ? { exitAfterMs: 500, exitCode: 1, logLines: ['wget: server returned error: HTTP/1.1 503'] }
              : undefined,
        },
      });
      const schedulerMetrics = new KubesoakMetrics();
      scheduler = await startScheduler({ redisUrl: redisUrl ?? '', prefix, tickInterval: 500 }, logger, {
        metrics: schedulerMetrics,
      });
      servers.push(
        await startMetricsServer({ registry: schedulerMetrics.registry, host: '127.0.0.1', port: 0 }),
      );
      const workerMetrics = new KubesoakMetrics();
      const executor = createIterationExecutor({
        logger,
        env: { ...process.env, ...HELM_ENV, KUBECONFIG: sim.kubeconfigPath },
      });
      worker = await startIterationWorker(
        { redisUrl: redisUrl ?? '', prefix, concurrency: 3, workerId: 'e2e' },
        executor,
        logger,
        { metrics: workerMetrics },
      );
      servers.push(
        await startMetricsServer({ registry: workerMetrics.registry, host: '127.0.0.1', port: 0 }),
      );
      prometheus = await startPrometheus(tools.prometheus ?? 'prometheus', {
        'kubesoak-scheduler': [`127.0.0.1:${servers[0]?.port}`],
        'kubesoak-worker': [`127.0.0.1:${servers[1]?.port}`],
      });
      await waitFor('both targets scraped', async () => {
        const up = await prometheus.query('sum(up)');
        return Number(up.data?.result[0]?.value[1]) === 2;
      });
      run = await scheduler.submit({
        name: 'e2e',
        chart: { ref: FIXTURE_CHART },
        iterations: 6,
        parallel: 3,
        plan: quickPlan(tools.helm),
      });
      labels = { chart: chartLabel(run.chart.ref), run: runLabel(run) };
      await waitFor(
        'run completed',
        async () => (await scheduler.status(run.id))?.state === 'completed',
        50_000,
      );
      // Prometheus has scraped the final totals.
      await waitFor('final totals scraped', async () => {
        const answer = await prometheus.query(`sum(kubesoak_iterations_total{run="${labels.run}"})`);
        return Number(answer.data?.result[0]?.value[1]) === 6;
      });
    }, 90_000);

    afterAll(async () => {
      await prometheus?.stop();
      await worker?.close();
      await scheduler?.close();
      for (const server of servers) await server.close();
      await sim?.stop();
    });

    /** Grafana's $chart and $run set to this run; the other variables as promql-sources sets them. */
    const promql = (expr: string) =>
      toPromql(expr.replaceAll('$chart', labels.chart).replaceAll('$run', labels.run));

    it('the run passed on the sim and its counts reached Prometheus', async () => {
      const done = await scheduler.status(run.id);
      expect(done?.counts).toEqual({ passed: 4, failed: 2, error: 0 });
      expect((await scheduler.iteration(run.id, 3))?.category).toBe('test-failed');
      expect(labels).toEqual({ chart: 'soak-app', run: `e2e-${run.id.slice(0, 8)}` });
      const byOutcome = await prometheus.query(
        `sum by (outcome) (kubesoak_iterations_total{chart="soak-app",run="${labels.run}"})`,
      );
      expect(
        Object.fromEntries(
          (byOutcome.data?.result ?? []).map((row) => [row.metric.outcome, Number(row.value[1])]),
        ),
        // An ended run keeps only its non-zero series (docs/metrics.md, cardinality).
      ).toEqual({ passed: 4, failed: 2 });
      const nodes = await prometheus.query('sum(kubesoak_node_failures_total{category="test-failed"})');
      expect(Number(nodes.data?.result[0]?.value[1])).toBeGreaterThanOrEqual(2);
    });

    it('every PromQL expression of the dashboards and rules parses and evaluates', async () => {
      const sources = await collectPromql();
      expect(sources.length).toBeGreaterThan(40);
      const failures: string[] = [];
      for (const source of sources) {
        const expr = promql(source.expr);
        const answer = await prometheus.query(expr);
        if (answer.status !== 'success')
          failures.push(`${source.origin}: ${answer.error ?? answer.status}\n  ${expr}`);
      }
      expect(failures).toEqual([]);
    });

    it('the core panels return data', async () => {
      const panels = panelQueries();
      const empty: string[] = [];
      for (const title of CORE_PANELS) {
        const exprs = panels.get(title);
        expect(exprs, `panel "${title}" not found in the dashboards`).toBeDefined();
        // The 7-day baseline needs a week of history: the only target allowed to stay empty here.
        for (const expr of (exprs ?? []).filter((text) => !text.includes('baseline7d'))) {
          const answer = await prometheus.query(promql(expr));
          if (answer.status !== 'success' || (answer.data?.result.length ?? 0) === 0)
            empty.push(`${title}: ${promql(expr)}`);
        }
      }
      expect(empty).toEqual([]);
    });

    it('every kubesoak_ metric the dashboards and rules name is exposed by the running processes', async () => {
      const recorded = new Set(
        (await readRules()).groups.flatMap((group) =>
          group.rules.flatMap((rule) => (rule.record ? [rule.record] : [])),
        ),
      );
      const named = new Set(
        (await collectPromql()).flatMap((source) =>
          metricNames(promql(source.expr)).filter(
            (name) => name.startsWith('kubesoak_') && !recorded.has(name),
          ),
        ),
      );
      const response = await fetch(`${prometheus.url}/api/v1/label/__name__/values`);
      const scraped = new Set(((await response.json()) as { data: string[] }).data);
      expect([...named].filter((name) => !scraped.has(name))).toEqual([]);
      expect(named.size).toBeGreaterThan(10);
    });
  },
);
