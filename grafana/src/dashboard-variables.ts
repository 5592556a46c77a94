import {
  DatasourceVariableBuilder,
  QueryVariableBuilder,
  VariableRefresh,
} from '@grafana/grafana-foundation-sdk/dashboard';
import type { VariableModel } from '@grafana/grafana-foundation-sdk/dashboard';
import type { Builder } from '@grafana/grafana-foundation-sdk/cog';
import { PROMETHEUS } from './prometheus-query.ts';

/** The Prometheus datasource picker every kubesoak dashboard starts with. */
export function datasourceVariable(): Builder<VariableModel> {
  return new DatasourceVariableBuilder('datasource').label('Prometheus').type('prometheus');
}

/**
 * A multi-value label variable over kubesoak_iterations_total. "All" is `.*` rather than the list
 * of values, so queries stay short however many runs are retained.
 */
export function labelVariable(name: 'chart' | 'run', filter: string): Builder<VariableModel> {
  const selector = filter ? `kubesoak_iterations_total{${filter}}` : 'kubesoak_iterations_total';
  const query = `label_values(${selector}, ${name})`;
  return new QueryVariableBuilder(name)
    .label(name)
    .datasource(PROMETHEUS)
    .query({ query, refId: `${name}-values`, qryType: 1 })
    .definition(query)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .multi(true)
    .includeAll(true)
    .allValue('.*');
}
