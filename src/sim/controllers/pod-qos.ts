import { parseQuantity } from '../../kube/quantity.ts';
import type { ContainerSpec, PodSpec } from './workload-types.ts';

const QOS_RESOURCES = ['cpu', 'memory'] as const;

function nonZero(list: Record<string, string | number> | undefined, name: string): boolean {
  const value = list?.[name];
  return value !== undefined && parseQuantity(value) > 0;
}

/**
 * The pod's QoS class as `qos.GetPodQOS` computes it (status.qosClass, set by the API server on
 * create): BestEffort without any cpu/memory request or limit, Guaranteed when every container
 * limits both and requests equal limits, Burstable otherwise. Expects requests already defaulted
 * from limits.
 */
export function podQosClass(spec: PodSpec): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const containers: ContainerSpec[] = [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
  let anySet = false;
  let guaranteed = true;
  for (const container of containers) {
    const { requests, limits } = container.resources ?? {};
    for (const name of QOS_RESOURCES) {
      if (nonZero(requests, name) || nonZero(limits, name)) anySet = true;
      if (!nonZero(limits, name)) {
        guaranteed = false;
        continue;
      }
      const request = requests?.[name];
      if (request === undefined || parseQuantity(request) !== parseQuantity(limits?.[name]))
        guaranteed = false;
    }
  }
  if (!anySet) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}
