import { setTimeout as sleep } from 'node:timers/promises';
import { KubesoakError } from '../errors/kubesoak-error.ts';
import { KubeKind } from '../kube/cluster-client.ts';
import type { ClusterClient, KubeObject } from '../kube/cluster-client.ts';

/** The labels and annotation that mark a namespace as kubesoak's. */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY_VALUE = 'kubesoak';
export const RUN_LABEL = 'kubesoak.io/run';
export const ITERATION_LABEL = 'kubesoak.io/iteration';
/**
 * The 1-based attempt of the iteration that created the namespace, as the queue counts attempts:
 * the janitor deletes a namespace whose attempt is older than the iteration's latest one.
 */
export const ATTEMPT_LABEL = 'kubesoak.io/attempt';
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

/**
 * Creates the iteration's namespace with kubesoak's labels and an expiry; 409 if the name is taken.
 * `attempt` is 1-based (the first attempt is 1).
 */
export async function createManagedNamespace(
  client: ClusterClient,
  options: { name: string; run: string; iteration: number; attempt: number; expiresAt: Date },
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
          [ATTEMPT_LABEL]: String(options.attempt),
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

/**
 * Polls until the namespace is gone from the API (Terminating counts as present); resolves false
 * when `timeoutMs` passes first. A retry waits for its predecessor this way, so a run never holds
 * more than P live namespaces, not even for the moment of a retry.
 */
export async function awaitNamespaceGone(
  client: ClusterClient,
  name: string,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!(await client.get(KubeKind.Namespace, name, undefined, signal))) return true;
    if (Date.now() >= deadline) return false;
    await sleep(200, undefined, { signal });
  }
}
