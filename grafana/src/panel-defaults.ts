import { ThresholdsConfigBuilder, ThresholdsMode } from '@grafana/grafana-foundation-sdk/dashboard';
import { StackingConfigBuilder, StackingMode } from '@grafana/grafana-foundation-sdk/common';

/** Success-rate colours: red below 90%, amber below 98%, green above. */
export function successThresholds(): ThresholdsConfigBuilder {
  return new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps([
    { value: null, color: 'red' },
    { value: 0.9, color: 'orange' },
    { value: 0.98, color: 'green' },
  ]);
}

/** Stacked series, for counts whose parts add up to a whole (outcomes, categories, states). */
export function stacked(): StackingConfigBuilder {
  return new StackingConfigBuilder().mode(StackingMode.Normal);
}
