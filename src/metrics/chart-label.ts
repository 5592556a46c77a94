/** Longest label value the registry accepts (see kubesoak-metrics.ts). */
const MAX_LENGTH = 63;

/**
 * The `chart` label of a chart reference, as helm takes it (a path, REPO/CHART, an OCI URL or a
 * packaged .tgz): its base name without a packaged version or `.tgz`, reduced to
 * `[A-Za-z0-9._-]` and at most 63 characters. `./charts/nginx`, `bitnami/nginx`,
 * `oci://registry/charts/nginx:1.2.3` and `nginx-1.2.3.tgz` all become `nginx`. The version is left
 * out on purpose: a chart's failure ratio is compared across its versions. "unknown" when nothing
 * is left (e.g. `.`).
 */
export function chartLabel(ref: string): string {
  const path = ref
    .trim()
    .replace(/[?#].*$/, '')
    .replace(/\/+$/, '');
  let base = path.slice(path.lastIndexOf('/') + 1);
  base = base.replace(/\.(tgz|tar\.gz)$/i, '');
  // An OCI tag (chart:1.2.3) or a packaged file's version (chart-1.2.3).
  base = base.replace(/:[^:]*$/, '');
  base = base.replace(/-v?\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]*)?$/, '');
  const safe = base
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, MAX_LENGTH)
    .replace(/[-.]+$/, '');
  return safe || 'unknown';
}
