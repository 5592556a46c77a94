import { DataqueryBuilder, PromQueryFormat } from '@grafana/grafana-foundation-sdk/prometheus';
import type { DataSourceRef } from '@grafana/grafana-foundation-sdk/common';

/** Every panel queries the dashboard's `datasource` variable, so one import works on any Grafana. */
export const PROMETHEUS: DataSourceRef = { type: 'prometheus', uid: '${datasource}' };

/** Options for {@link promQuery}. */
export interface PromQueryOptions {
  legend?: string;
  /** One value per series (stat, table, bar gauge) instead of a range. */
  instant?: boolean;
  /** Heatmap or table frame instead of time series. */
  format?: 'heatmap' | 'table';
  refId?: string;
}

/** A Prometheus target: the one place where dashboards say how a PromQL expression is queried. */
export function promQuery(expr: string, options: PromQueryOptions = {}): DataqueryBuilder {
  const query = new DataqueryBuilder().datasource(PROMETHEUS).expr(expr);
  if (options.legend !== undefined) query.legendFormat(options.legend);
  if (options.instant) query.instant();
  else query.range();
  if (options.format)
    query.format(options.format === 'heatmap' ? PromQueryFormat.Heatmap : PromQueryFormat.Table);
  if (options.refId) query.refId(options.refId);
  return query;
}
