/** The storage class the simulated cluster marks as default, as kind does. */
export const DEFAULT_STORAGE_CLASS = 'standard';

/**
 * What the API server gives a new PVC's spec: defaulting (volumeMode Filesystem) and the
 * DefaultStorageClass admission plugin (storageClassName when unset; an explicit "" means no
 * class and is kept). Returns a defaulted copy.
 */
export function defaultPvcSpec(input: Record<string, unknown> | undefined): Record<string, unknown> {
  const spec = structuredClone(input ?? {});
  spec.volumeMode ??= 'Filesystem';
  spec.storageClassName ??= DEFAULT_STORAGE_CLASS;
  return spec;
}
