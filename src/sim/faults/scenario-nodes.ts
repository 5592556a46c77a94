import type { NodeSpec } from '../kubelet/node-pool.ts';
import type { NodeTraits, Scenario } from './scenario-schema.ts';

/** Node specs for a scenario's `nodes` section (undefined when it has none). */
export function scenarioNodes(scenario: Scenario): NodeSpec[] | undefined {
  const nodes = scenario.nodes;
  if (!nodes) return undefined;
  const count = nodes.count ?? Math.max(3, Object.keys(nodes.traits ?? {}).length);
  return Array.from({ length: count }, (_, index) => {
    const name = `sim-node-${index + 1}`;
    const traits: NodeTraits = { ...nodes, ...nodes.traits?.[name] };
    const spec: NodeSpec = { name };
    if (traits.cpu !== undefined) spec.cpu = traits.cpu;
    if (traits.memory !== undefined) spec.memory = traits.memory;
    if (traits.pods !== undefined) spec.pods = traits.pods;
    if (traits.labels) spec.labels = traits.labels;
    if (traits.taints) spec.taints = traits.taints;
    return spec;
  });
}
