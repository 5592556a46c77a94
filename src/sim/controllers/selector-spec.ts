import type { LabelSelector } from '../store/selectors.ts';
import { labelSelectorText, parseLabelSelector } from '../store/selectors.ts';
import type { LabelSelectorSpec } from './workload-types.ts';

const NOTHING: LabelSelector = { requirements: [], matches: () => false };

/**
 * `metav1.LabelSelectorAsSelector`: a nil selector selects nothing, an empty one everything.
 * Gt/Lt expressions (node selectors only) are not label selector operators and are ignored.
 */
export function selectorFromSpec(spec: LabelSelectorSpec | undefined | null): LabelSelector {
  if (!spec) return NOTHING;
  return parseLabelSelector(labelSelectorText(spec));
}

/** Whether a selector spec selects everything (no labels, no expressions). */
export function isEmptySelector(spec: LabelSelectorSpec | undefined | null): boolean {
  return (
    !!spec && Object.keys(spec.matchLabels ?? {}).length === 0 && (spec.matchExpressions ?? []).length === 0
  );
}
