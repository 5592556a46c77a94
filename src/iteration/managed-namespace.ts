import { KubesoakError } from '../errors/kubesoak-error.ts';
import { KubeKind } from '../kube/cluster-client.ts';
import type { ClusterClient, KubeObject } from '../kube/cluster-client.ts';

/** The labels and annotation that mark a namespace as kubesoak's. */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY_VALUE = 'kubesoak';
export const RUN_LABEL = 'kubesoak.io/run';
export const ITERATION_LABEL = 'kubesoak.io/iteration';
export const EXPIRES_ANNOTATION = 'kubesoak.io/expires-at';

/** Refused: the namespace is not labelled as kubesoak's, so kubesoak will not delete it. */
export class UnmanagedNamespaceError extends KubesoakError {
  constructor(namespace: string) {
    super('namespace-not-managed', `namespace ${namespace} is not managed by kubesoak; not deleting it`, {
      retryable: false,
      hint: `only namespaces labelled ${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE} are ever deleted`,
    });
  }
}

/** True when the object carries the managed-by label with kubesoak's value. */
export function isManagedNamespace(namespace: KubeObject | undefined): boolean {
  return namespace?.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY_VALUE;
}

/** Creates the iteration's namespace with kubesoak's labels and an expiry; 409 if the name is taken. */
export async function createManagedNamespace(
  client: ClusterClient,
  options: { name: string; run: string; iteration: number; expiresAt: Date },
  signal: AbortSignal,
): Promise<KubeObject> {
  return client.create(
    {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: options.name,
        labels: {
          [MANAGED_BY_LABEL]: MANAGED_BY_VALUE,
          [RUN_LABEL]: options.run,
          [ITERATION_LABEL]: String(options.iteration),
        },
        annotations: { [EXPIRES_ANNOTATION]: options.expiresAt.toISOString() },
      },
    },
    signal,
  );
}

/**
 * Deletes a namespace only after reading it back and finding kubesoak's label: the one guard every
 * cleanup path goes through. Resolves false when it was already gone.
 */
export async function deleteManagedNamespace(
  client: ClusterClient,
  name: string,
  signal: AbortSignal,
): Promise<boolean> {
  const current = await client.get(KubeKind.Namespace, name, undefined, signal);
  if (!current) return false;
  if (!isManagedNamespace(current)) throw new UnmanagedNamespaceError(name);
  return client.delete(KubeKind.Namespace, name, undefined, { propagationPolicy: 'Background' }, signal);
}
