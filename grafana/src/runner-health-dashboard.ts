import { DashboardBuilder, RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as StatPanel } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TimeSeriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';
import { BigValueGraphMode } from '@grafana/grafana-foundation-sdk/common';
import { datasourceVariable } from './dashboard-variables.ts';
import { stacked } from './panel-defaults.ts';
import { promQuery } from './prometheus-query.ts';

// The janitor and queue gauges are exported (as 0) by every process; only the scheduler sets
// them, so max() picks its report without double counting.
const KUBESOAK_JOBS = 'job=~"kubesoak.*"';

/** "kubesoak — runner health": queue, workers, Redis, janitor and the processes themselves. */
export function runnerHealthDashboard(): Dashboard {
  return new DashboardBuilder('kubesoak — runner health')
    .uid('kubesoak-runner-health')
    .tags(['kubesoak'])
    .description('Queue, workers, Redis latency, janitor and process metrics of the kubesoak runner.')
    .refresh('30s')
    .time({ from: 'now-6h', to: 'now' })
    .withVariable(datasourceVariable())
    .withRow(new RowBuilder('Queue and workers'))
    .withPanel(
      new StatPanel()
        .title('Workers up')
        .graphMode(BigValueGraphMode.Area)
        .withTarget(promQuery('sum(up{job="kubesoak-worker"}) or vector(0)', { legend: 'workers up' }))
        .height(5)
        .span(6),
    )
    .withPanel(
      new StatPanel()
        .title('Waiting jobs')
        .graphMode(BigValueGraphMode.Area)
        .withTarget(
          promQuery('sum(max by (queue, state) (kubesoak_queue_jobs{state=~"waiting|prioritized"}))', {
            legend: 'waiting',
          }),
        )
        .height(5)
        .span(6),
    )
    .withPanel(
      new StatPanel()
        .title('Busy / total slots')
        .withTarget(promQuery('sum(kubesoak_worker_busy_slots)', { legend: 'busy' }))
        .withTarget(promQuery('sum(kubesoak_worker_slots)', { legend: 'total' }))
        .height(5)
        .span(6),
    )
    .withPanel(
      new StatPanel()
        .title('Runs by state')
        .withTarget(promQuery('max by (state) (kubesoak_runs)', { legend: '{{state}}', instant: true }))
        .height(5)
        .span(6),
    )
    .withPanel(
      new TimeSeriesPanel()
        .title('Queue jobs by state')
        .stacking(stacked())
        .withTarget(
          promQuery('max by (queue, state) (kubesoak_queue_jobs{state!~"completed|failed"})', {
            legend: '{{queue}} {{state}}',
          }),
        )
        .height(8)
        .span(12),
    )
    .withPanel(
      new TimeSeriesPanel()
        .title('Worker slots by instance')
        .withTarget(promQuery('kubesoak_worker_busy_slots', { legend: '{{instance}} busy' }))
        .withTarget(promQuery('kubesoak_worker_slots', { legend: '{{instance}} slots' }))
        .height(8)
        .span(12),
    )
    .withRow(new RowBuilder('Redis and janitor'))
    .withPanel(
      new TimeSeriesPanel()
        .title('Redis latency')
        .unit('s')
        .withTarget(
          promQuery(
            'histogram_quantile(0.5, sum by (le) (rate(kubesoak_redis_latency_seconds_bucket[$__rate_interval])))',
            { legend: 'p50' },
          ),
        )
        .withTarget(
          promQuery(
            'histogram_quantile(0.99, sum by (le) (rate(kubesoak_redis_latency_seconds_bucket[$__rate_interval])))',
            { legend: 'p99' },
          ),
        )
        .height(8)
        .span(12),
    )
    .withPanel(
      new TimeSeriesPanel()
        .title('Managed namespaces and janitor deletions')
        .withTarget(promQuery('max(kubesoak_managed_namespaces)', { legend: 'managed namespaces' }))
        .withTarget(promQuery('max(kubesoak_managed_namespaces_expired)', { legend: 'past expiry' }))
        .withTarget(
          promQuery('sum(increase(kubesoak_janitor_deleted_namespaces_total[$__rate_interval]))', {
            legend: 'deleted by janitor',
          }),
        )
        .height(8)
        .span(12),
    )
    .withRow(new RowBuilder('Processes'))
    .withPanel(
      new TimeSeriesPanel()
        .title('CPU')
        .unit('percentunit')
        .withTarget(
          promQuery(`rate(process_cpu_seconds_total{${KUBESOAK_JOBS}}[$__rate_interval])`, {
            legend: '{{job}} {{instance}}',
          }),
        )
        .height(8)
        .span(8),
    )
    .withPanel(
      new TimeSeriesPanel()
        .title('Memory')
        .unit('bytes')
        .withTarget(
          promQuery(`process_resident_memory_bytes{${KUBESOAK_JOBS}}`, {
            legend: '{{job}} {{instance}} rss',
          }),
        )
        .withTarget(
          promQuery(`nodejs_heap_size_used_bytes{${KUBESOAK_JOBS}}`, { legend: '{{job}} {{instance}} heap' }),
        )
        .height(8)
        .span(8),
    )
    .withPanel(
      new TimeSeriesPanel()
        .title('Event loop lag p99')
        .unit('s')
        .withTarget(
          promQuery(`nodejs_eventloop_lag_p99_seconds{${KUBESOAK_JOBS}}`, { legend: '{{job}} {{instance}}' }),
        )
        .height(8)
        .span(8),
    )
    .build();
}
