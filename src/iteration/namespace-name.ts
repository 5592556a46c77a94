import { createHash } from 'node:crypto';

const MAX = 63;

/**
 * The namespace of one iteration: `<prefix>-<run>-<iteration>[-<attempt>]` (attempt only after the
 * first), lower-cased to DNS-1123. When that exceeds 63 characters the run part is shortened and a
 * hash of the full name keeps it unique.
 */
export function iterationNamespace(prefix: string, run: string, iteration: number, attempt = 0): string {
  const clean = (text: string) =>
    text
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/^-+|-+$/g, '');
  const tail = attempt > 0 ? `${iteration}-${attempt}` : `${iteration}`;
  const full = `${clean(prefix)}-${clean(run)}-${tail}`;
  if (full.length <= MAX) return full;
  const hash = createHash('sha256').update(full).digest('hex').slice(0, 8);
  const room = MAX - clean(prefix).length - tail.length - hash.length - 3;
  const runPart = clean(run).slice(0, Math.max(1, room)).replace(/-+$/, '');
  return `${clean(prefix)}-${runPart}-${hash}-${tail}`.slice(0, MAX).replace(/-+$/, '');
}
