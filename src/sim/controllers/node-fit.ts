import type { KubeObject } from '../api/kube-object.ts';
import type { PodSpec } from './workload-types.ts';

interface Requirement {
  key: string;
  operator: string;
  values?: string[];
}

interface NodeSelectorTerm {
  matchExpressions?: Requirement[];
  matchFields?: Requirement[];
}

/** core/v1 Taint. */
export interface Taint {
  key: string;
  value?: string;
  effect: string;
}

function requirementMatches(requirement: Requirement, value: string | undefined): boolean {
  const values = requirement.values ?? [];
  switch (requirement.operator) {
    case 'In':
      return value !== undefined && values.includes(value);
    case 'NotIn':
      return value === undefined || !values.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
    case 'Lt': {
      const actual = Number.parseInt(value ?? '', 10);
      const bound = Number.parseInt(values[0] ?? '', 10);
      if (Number.isNaN(actual) || Number.isNaN(bound)) return false;
      return requirement.operator === 'Gt' ? actual > bound : actual < bound;
    }
    default:
      return false;
  }
}

function termMatches(term: NodeSelectorTerm, node: KubeObject): boolean {
  const expressions = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  // An empty term selects nothing.
  if (expressions.length === 0 && fields.length === 0) return false;
  const labels = node.metadata.labels ?? {};
  return (
    expressions.every((requirement) => requirementMatches(requirement, labels[requirement.key])) &&
    fields.every((requirement) =>
      requirementMatches(requirement, requirement.key === 'metadata.name' ? node.metadata.name : undefined),
    )
  );
}

/** Whether the pod's nodeSelector and required node affinity admit the node. */
export function nodeMatchesPod(spec: PodSpec, node: KubeObject): boolean {
  const labels = node.metadata.labels ?? {};
  for (const [key, value] of Object.entries(spec.nodeSelector ?? {})) if (labels[key] !== value) return false;
  const affinity = spec.affinity as
    | {
        nodeAffinity?: {
          requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms?: NodeSelectorTerm[] };
        };
      }
    | undefined;
  const terms = affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (!terms) return true;
  return terms.some((term) => termMatches(term, node));
}

/** `Toleration.ToleratesTaint`. */
export function toleratesTaint(tolerations: ReadonlyArray<Record<string, unknown>>, taint: Taint): boolean {
  return tolerations.some((toleration) => {
    const effect = toleration.effect as string | undefined;
    if (effect && effect !== taint.effect) return false;
    const key = toleration.key as string | undefined;
    if (key && key !== taint.key) return false;
    if (toleration.operator === 'Exists') return true;
    return (toleration.value ?? '') === (taint.value ?? '') && !!key;
  });
}

/** The node's taints. */
export function nodeTaints(node: KubeObject): Taint[] {
  return ((node.spec as { taints?: Taint[] } | undefined)?.taints ?? []).filter(
    (taint) => taint.effect !== 'PreferNoSchedule',
  );
}
