import { parseAllDocuments } from 'yaml';

/** One object a release's manifest creates. */
export interface ManifestObject {
  apiVersion: string;
  kind: string;
  name: string;
  /** Set when the manifest names it; undefined means the release namespace (or cluster scope). */
  namespace: string | undefined;
}

/** Kinds whose pods kubesoak watches for readiness. */
export const WORKLOAD_KINDS: ReadonlySet<string> = new Set([
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'Job',
  'Pod',
  'ReplicaSet',
]);

/** Kinds that live outside any namespace: they survive namespace deletion if uninstall misses them. */
export const CLUSTER_SCOPED_KINDS: ReadonlySet<string> = new Set([
  'Namespace',
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
  'PersistentVolume',
  'StorageClass',
  'PriorityClass',
  'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration',
  'APIService',
  'IngressClass',
  'RuntimeClass',
]);

/** Parses `helm get manifest` output (a YAML stream with `# Source:` comments) into its objects. */
export function parseReleaseManifest(text: string): ManifestObject[] {
  const objects: ManifestObject[] = [];
  for (const document of parseAllDocuments(text)) {
    if ('errors' in document && document.errors.length > 0) continue;
    const value = document.toJS() as unknown;
    collect(value, objects);
  }
  return objects;
}

function collect(value: unknown, into: ManifestObject[]): void {
  if (typeof value !== 'object' || value === null) return;
  const object = value as {
    apiVersion?: unknown;
    kind?: unknown;
    metadata?: { name?: unknown; namespace?: unknown };
    items?: unknown;
  };
  if (object.kind === 'List' && Array.isArray(object.items)) {
    for (const item of object.items) collect(item, into);
    return;
  }
  if (typeof object.kind !== 'string' || typeof object.metadata?.name !== 'string') return;
  into.push({
    apiVersion: typeof object.apiVersion === 'string' ? object.apiVersion : '',
    kind: object.kind,
    name: object.metadata.name,
    namespace: typeof object.metadata.namespace === 'string' ? object.metadata.namespace : undefined,
  });
}
