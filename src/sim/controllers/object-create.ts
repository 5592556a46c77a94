import { ApiError } from '../api/api-error.ts';
import type { KubeObject } from '../api/kube-object.ts';
import type { ResourceType } from '../api/resource-types.ts';
import { R } from '../resources.ts';
import type { SimContext } from '../sim-context.ts';
import { admitPod } from './pod-admission.ts';
import { defaultPvcSpec } from './pvc-defaults.ts';
import { generateName } from './random-name.ts';

const NAME_ATTEMPTS = 8;

/**
 * Creates an object the way a controller's POST would be handled: the NamespaceLifecycle admission
 * check (404 for a missing namespace, 403 NamespaceTerminating for one being deleted, which stops
 * controllers re-populating a namespace under deletion) and, for pods and PVCs, defaulting and
 * admission.
 * With `metadata.generateName` and no name, the name is drawn from `random` (seeded, so runs
 * repeat) and redrawn on the rare collision.
 */
export function createObject(
  ctx: SimContext,
  resource: ResourceType,
  input: KubeObject,
  random: () => number,
): KubeObject {
  const namespace = input.metadata.namespace;
  if (resource.namespaced) {
    const ns = ctx.store.get(R.namespace, undefined, namespace ?? '');
    if (!ns) throw ApiError.notFound('namespaces', namespace ?? '');
    if (ns.metadata.deletionTimestamp) {
      const name = input.metadata.name ?? input.metadata.generateName ?? '';
      throw ApiError.namespaceTerminating(resource.plural, name, namespace ?? '', resource.group);
    }
  }
  const object = structuredClone(input);
  if (resource.kind === 'Pod') admitPod(ctx.store, object, random);
  if (resource.kind === 'PersistentVolumeClaim') object.spec = defaultPvcSpec(object.spec);
  if (object.metadata.name || !object.metadata.generateName) return ctx.store.create(resource, object);
  for (let attempt = 1; ; attempt += 1) {
    object.metadata.name = generateName(object.metadata.generateName, random);
    try {
      return ctx.store.create(resource, object);
    } catch (error) {
      if (!(error instanceof ApiError && error.reason === 'AlreadyExists') || attempt >= NAME_ATTEMPTS)
        throw error;
    }
  }
}

/** True for the 403 NamespaceTerminating answer, which controllers do not report as events. */
export function isNamespaceTerminating(error: unknown): boolean {
  return (
    error instanceof ApiError &&
    (error.details?.causes ?? []).some((cause) => cause.reason === 'NamespaceTerminating')
  );
}
