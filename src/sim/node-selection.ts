import type { NodeSelectorRequirement, PodSpec, Taint, Toleration } from './kubelet/kube-shapes.ts';

/**
 * Which nodes a pod may run on, as the scheduler and the DaemonSet controller both decide it
 * (one implementation, so they never disagree about a node).
 */

/** `v1.Toleration.ToleratesTaint`. */
export function tolerates(tolerations: readonly Toleration[] | undefined, taint: Taint): boolean {
  return (tolerations ?? []).some((toleration) => {
    if (toleration.effect && toleration.effect !== taint.effect) return false;
    if (toleration.key && toleration.key !== taint.key) return false;
    if (toleration.operator === 'Exists') return true;
    if (toleration.operator && toleration.operator !== 'Equal') return false;
    return (toleration.value ?? '') === (taint.value ?? '');
  });
}

/** nodeSelector and required node affinity (terms ORed, expressions ANDed). */
export function matchesNodeAffinity(
  spec: Pick<PodSpec, 'nodeSelector' | 'affinity'>,
  node: { readonly name: string; readonly labels: Readonly<Record<string, string>> },
): boolean {
  for (const [key, value] of Object.entries(spec.nodeSelector ?? {}))
    if (node.labels[key] !== value) return false;
  const required = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (!required) return true;
  return (required.nodeSelectorTerms ?? []).some((term) => {
    const expressions = term.matchExpressions ?? [];
    const fields = term.matchFields ?? [];
    // An empty term selects nothing, as in the API.
    if (expressions.length === 0 && fields.length === 0) return false;
    return (
      expressions.every((req) => requirementMatches(req, node.labels[req.key])) &&
      fields.every((req) => req.key === 'metadata.name' && requirementMatches(req, node.name))
    );
  });
}

function requirementMatches(req: NodeSelectorRequirement, value: string | undefined): boolean {
  const values = req.values ?? [];
  switch (req.operator) {
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
      // Both sides must be integers (strconv.ParseInt in the real matcher).
      const actual = Number.parseInt(value ?? '', 10);
      const bound = Number.parseInt(values[0] ?? '', 10);
      if (Number.isNaN(actual) || Number.isNaN(bound)) return false;
      return req.operator === 'Gt' ? actual > bound : actual < bound;
    }
    default:
      return false;
  }
}
