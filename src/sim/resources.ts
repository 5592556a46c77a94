import type { ResourceType } from './api/resource-types.ts';
import { RESOURCE_TYPES } from './api/resource-types.ts';

function find(group: string, plural: string): ResourceType {
  const type = RESOURCE_TYPES.find((candidate) => candidate.group === group && candidate.plural === plural);
  if (!type) throw new Error(`unknown resource ${group}/${plural}`);
  return type;
}

/** Direct handles on the resource types the simulated controllers work with. */
export const R = {
  namespace: find('', 'namespaces'),
  pod: find('', 'pods'),
  service: find('', 'services'),
  endpoints: find('', 'endpoints'),
  configMap: find('', 'configmaps'),
  secret: find('', 'secrets'),
  serviceAccount: find('', 'serviceaccounts'),
  event: find('', 'events'),
  node: find('', 'nodes'),
  pvc: find('', 'persistentvolumeclaims'),
  deployment: find('apps', 'deployments'),
  replicaSet: find('apps', 'replicasets'),
  statefulSet: find('apps', 'statefulsets'),
  daemonSet: find('apps', 'daemonsets'),
  job: find('batch', 'jobs'),
  cronJob: find('batch', 'cronjobs'),
} as const;
