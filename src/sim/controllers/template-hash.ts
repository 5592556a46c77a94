import { SAFE_ALPHABET } from './random-name.ts';

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/**
 * JSON with object keys sorted and empty values (null, {}, []) dropped, so two encodings of the
 * same object hash and compare alike whatever their key order or omitted empties, as Go's
 * semantic equality treats nil and empty alike.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(prune(value)) ?? 'null';
}

function prune(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value.map(prune);
    return items.length === 0 ? undefined : items.map((item) => item ?? null);
  }
  if (value === null || value === undefined) return undefined;
  if (typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const pruned = prune((value as Record<string, unknown>)[key]);
    if (pruned !== undefined) out[key] = pruned;
  }
  return Object.keys(out).length === 0 ? undefined : out;
}

/** Semantic equality of two JSON values (see {@link canonicalJson}). */
export function semanticEqual(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

function fnv32(bytes: Uint8Array, variantA: boolean): number {
  let hash = FNV_OFFSET;
  for (const byte of bytes) {
    if (variantA) {
      hash ^= byte;
      hash = Math.imul(hash, FNV_PRIME) >>> 0;
    } else {
      hash = Math.imul(hash, FNV_PRIME) >>> 0;
      hash ^= byte;
    }
  }
  return hash >>> 0;
}

/**
 * `rand.SafeEncodeString(fmt.Sprint(hash))`: each decimal digit of the 32-bit hash mapped through
 * the safe alphabet, which is why real hashes only use 4-9 and b, c, d, f and are 10 characters at
 * most.
 */
function safeEncode(hash: number): string {
  return [...String(hash)]
    .map((digit) => SAFE_ALPHABET[digit.charCodeAt(0) % SAFE_ALPHABET.length] ?? '')
    .join('');
}

/**
 * `controller.ComputeHash`: FNV-32a of the pod template, then the collision count as 8
 * little-endian bytes when set. Used for pod-template-hash (Deployments) and DaemonSet revisions.
 * The bytes hashed are canonical JSON rather than Go's object dump, so values differ from a real
 * cluster's but keep their form and stability.
 */
export function computeTemplateHash(template: unknown, collisionCount?: number): string {
  const data = new TextEncoder().encode(canonicalJson(template));
  let bytes = data;
  if (collisionCount !== undefined) {
    bytes = new Uint8Array(data.length + 8);
    bytes.set(data);
    new DataView(bytes.buffer).setUint32(data.length, collisionCount >>> 0, true);
  }
  return safeEncode(fnv32(bytes, true));
}

/**
 * `history.HashControllerRevision`: FNV-32 (not 32a) of the revision's data, the collision count
 * appended as decimal text. StatefulSets name their revisions `<set>-<this hash>`.
 */
export function computeRevisionHash(data: unknown, collisionCount?: number): string {
  const text = canonicalJson(data) + (collisionCount !== undefined ? String(collisionCount) : '');
  return safeEncode(fnv32(new TextEncoder().encode(text), false));
}
