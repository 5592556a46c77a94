import { DashboardBuilder, RowBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as StatPanel } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TimeSeriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';
import { PanelBuilder as BarGaugePanel } from '@grafana/grafana-foundation-sdk/bargauge';
import { PanelBuilder as HeatmapPanel } from '@grafana/grafana-foundation-sdk/heatmap';
import { PanelBuilder as TablePanel } from '@grafana/grafana-foundation-sdk/table';
import { BigValueGraphMode, GraphDrawStyle, VizOrientation } from '@grafana/grafana-foundation-sdk/common';
import { datasourceVariable, labelVariable } from './dashboard-variables.ts';
import { stacked, successThresholds } from './panel-defaults.ts';
import { promQuery } from './prometheus-query.ts';

const SELECTED = 'chart=~"$chart",run=~"$run"';
// Errors are infrastructure, not the chart: success rate is passed / (passed + failed), as in the
// alert rules (docs/runbooks.md).
const DECIDED = `outcome=~"passed|failed"`;

function successRatio(by: string, range: string): string {
  const grouping = by ? ` by (${by})` : '';
  return (
    `sum${grouping} (increase(kubesoak_iterations_total{${SELECTED},outcome="passed"}[${range}]))\n` +
    `/\nsum${grouping} (increase(kubesoak_iterations_total{${SELECTED},${DECIDED}}[${range}]))`
  );
}

/** "kubesoak — soak runs": how the charts under soak are doing, per chart and per run. */
export function soakRunsDashboard(): Dashboard {
  return new DashboardBuilder('kubesoak — soak runs')
    .uid('kubesoak-soak-runs')
    .tags(['kubesoak'])
    .description(
      'Success rate, failures by category and node, step durations and queue of kubesoak soak runs.',
    )
    .refresh('1m')
    .time({ from: 'now-24h', to: 'now' })
    .withVariable(datasourceVariable())
    .withVariable(labelVariable('chart', ''))
    .withVariable(labelVariable('run', 'chart=~"$chart"'))
    .withRow(new RowBuilder('Success'))
    .withPanel(
      new StatPanel()
        .title('Success rate (time range)')
        .description('Passed / (passed + failed) over the dashboard time range; errors are excluded.')
        .unit('percentunit')
        .decimals(1)
        .thresholds(successThresholds())
        .graphMode(BigValueGraphMode.None)
        .withTarget(promQuery(successRatio('', '$__range'), { instant: true }))
        .height(6)
        .span(6),
    )
    .withPanel(
      new StatPanel()
        .title('Success rate per chart (time range)')
        .unit('percentunit')
        .decimals(1)
        .thresholds(successThresholds())
        .graphMode(BigValueGraphMode.None)
        .withTarget(promQuery(successRatio('chart', '$__range'), { instant: true, legend: '{{chart}}' }))
        .height(6)
        .span(18),
    )
    .withPanel(
      new TimeSeriesPanel()
        .title('Failure ratio per chart vs 7-day baseline')
        .description(
          'Last hour, its 95% Wilson lower bound (what the regression alert compares), and the baseline of the 7 days before yesterday.',
        )
        .unit('percentunit')
        .withTarget(
          promQuery('kubesoak:chart_failure_ratio:ratio1h{chart=~"$chart"}', { legend: '{{chart}} 1h' }),
        )
        .withTarget(
          promQuery('kubesoak:chart_failure_ratio:wilson_lower1h{chart=~"$chart"}', {
            legend: '{{chart}} 1h lower bound',
          }),
        )
        .withTarget(
          promQuery('kubesoak:chart_failure_ratio:baseline7d{chart=~"$chart"}', {
            legend: '{{chart}} baseline',
          }),
        )
        .height(8)
        .span(12),
    )
    .withPanel(
      new TimeSeriesPanel()
        .title('Success rate per run (1h)')
        .unit('percentunit')
        .min(0)
        .max(1)
        .thresholds(successThresholds())
        .withTarget(promQuery(successRatio('chart, run', '1h'), { legend: '{{chart}} {{run}}' }))
        .height(8)
        .span(12),
    )
    .withRow(new RowBuilder('Outcomes and failures'))
    .withPanel(
      new TimeSeriesPanel()
        .title('Iterations by outcome')
        .drawStyle(GraphDrawStyle.Bars)
        .stacking(stacked())
        .withTarget(
          promQuery(`sum by (outcome) (increase(kubesoak_iterations_total{${SELECTED}}[$__rate_interval]))`, {
            legend: '{{outcome}}',
          }),
        )
        .height(8)
        .span(8),
    )
    .withPanel(
      new TimeSeriesPanel()
        .title('Failures by category')
        .drawStyle(GraphDrawStyle.Bars)
        .stacking(stacked())
        .withTarget(
          promQuery(
            `sum by (outcome, category) (increase(kubesoak_iterations_total{${SELECTED},outcome!="passed"}[$__rate_interval]))`,
            { legend: '{{outcome}}: {{category}}' },
          ),
        )
        .height(8)
        .span(8),
    )
    .withPanel(
      new BarGaugePanel()
        .title('Failures by node (time range)')
        .description('Failed and errored iterations charged to the nodes that ran their pods (all charts).')
        .orientation(VizOrientation.Horizontal)
        .withTarget(
          promQuery('topk(20, sum by (node) (increase(kubesoak_node_failures_total[$__range])))', {
            instant: true,
            legend: '{{node}}',
          }),
        )
        .height(8)
        .span(8),
    )
    .withPanel(
      new TimeSeriesPanel()
        .title('Run iterations by state')
        .stacking(stacked())
        .withTarget(
          promQuery(`sum by (state) (kubesoak_run_iterations{${SELECTED}})`, {
            legend: '{{state}}',
          }),
        )
        .height(8)
        .span(12),
    )
    .withPanel(
      new TablePanel()
        .title('Firing kubesoak alerts')
        .withTarget(
          promQuery('ALERTS{alertname=~"Kubesoak.*", alertstate="firing"}', {
            instant: true,
            format: 'table',
          }),
        )
        .height(8)
        .span(12),
    )
    .withRow(new RowBuilder('Durations'))
    .withPanel(
      new TimeSeriesPanel()
        .title('Step duration percentiles')
        .unit('s')
        .withTarget(
          promQuery(
            'histogram_quantile(0.5, sum by (step, le) (rate(kubesoak_step_duration_seconds_bucket{chart=~"$chart"}[$__rate_interval])))',
            { legend: '{{step}} p50' },
          ),
        )
        .withTarget(
          promQuery(
            'histogram_quantile(0.95, sum by (step, le) (rate(kubesoak_step_duration_seconds_bucket{chart=~"$chart"}[$__rate_interval])))',
            { legend: '{{step}} p95' },
          ),
        )
        .withTarget(
          promQuery('kubesoak:step_duration_seconds:p95_baseline7d{chart=~"$chart"}', {
            legend: '{{chart}} {{step}} p95 7-day baseline',
          }),
        )
        .height(8)
        .span(12),
    )
    .withPanel(
      new HeatmapPanel()
        .title('Iteration duration')
        .withTarget(
          promQuery(
            'sum by (le) (increase(kubesoak_iteration_duration_seconds_bucket{chart=~"$chart"}[$__rate_interval]))',
            { format: 'heatmap', legend: '{{le}}' },
          ),
        )
        .height(8)
        .span(12),
    )
    .withRow(new RowBuilder('Runner'))
    .withPanel(
      new TimeSeriesPanel()
        .title('Queue depth')
        .stacking(stacked())
        // Every process may report the same queue: take one report per queue and state.
        .withTarget(
          promQuery(
            'max by (queue, state) (kubesoak_queue_jobs{state=~"waiting|prioritized|delayed|active"})',
            {
              legend: '{{queue}} {{state}}',
            },
          ),
        )
        .height(8)
        .span(12),
    )
    .withPanel(
      new TimeSeriesPanel()
        .title('Worker utilisation')
        .unit('percentunit')
        .min(0)
        .max(1)
        .withTarget(
          promQuery('sum(kubesoak_worker_busy_slots) / clamp_min(sum(kubesoak_worker_slots), 1)', {
            legend: 'busy slots',
          }),
        )
        .height(8)
        .span(12),
    )
    .build();
}
