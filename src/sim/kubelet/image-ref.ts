import { createHash } from 'node:crypto';

/** An image reference as containerd reports it. */
export interface ImageRef {
  /** What the pod spec says ("nginx:1.25"). */
  readonly spec: string;
  /** Fully qualified, as containerd reports it in container statuses ("docker.io/library/nginx:1.25"). */
  readonly normalized: string;
  /** Repository without tag or digest ("docker.io/library/nginx"). */
  readonly repository: string;
  /** The tag, or undefined for digest-only references. */
  readonly tag: string | undefined;
  /** The repo digest ("sha256:…"): the one in the reference, or a stable one derived from it. */
  readonly digest: string;
  /** containerStatuses[].imageID: "docker.io/library/nginx@sha256:…". */
  readonly imageID: string;
  /** Uncompressed size the Pulled event and node status report. */
  readonly sizeBytes: number;
}

// Rough real sizes of images charts use a lot, so events look familiar.
const KNOWN_SIZES: Array<[RegExp, number]> = [
  [/\/busybox$/, 2_160_406],
  [/\/alpine$/, 3_652_536],
  [/\/pause$/, 320_368],
  [/curl/, 8_761_522],
  [/netshoot/, 188_430_104],
  [/\/nginx$/, 72_195_292],
  [/redis/, 45_917_013],
  [/postgres/, 158_523_887],
  [/mysql|mariadb/, 176_283_655],
  [/python/, 48_902_132],
  [/node$/, 56_427_903],
];

/**
 * Parses and normalizes an image reference the way the docker reference library does: a first
 * path component without "." or ":" (and not "localhost") means Docker Hub, single names live in
 * "library/", and a missing tag means ":latest".
 */
export function parseImageRef(spec: string): ImageRef {
  let rest = spec.trim();
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  const firstSlash = rest.indexOf('/');
  const first = firstSlash >= 0 ? rest.slice(0, firstSlash) : '';
  let repository: string;
  if (firstSlash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    repository = rest;
  } else if (firstSlash >= 0) {
    repository = `docker.io/${rest}`;
  } else {
    repository = `docker.io/library/${rest}`;
  }
  if (!tag && !digest) tag = 'latest';
  const normalized = digest
    ? `${repository}${tag ? `:${tag}` : ''}@${digest}`
    : `${repository}:${tag ?? 'latest'}`;
  const hash = createHash('sha256').update(normalized).digest('hex');
  const repoDigest = digest ?? `sha256:${hash}`;
  const known = KNOWN_SIZES.find(([pattern]) => pattern.test(repository));
  // Unknown images: 10–250 MB, stable per image so every node reports the same size.
  const sizeBytes = known ? known[1] : 10_000_000 + (parseInt(hash.slice(0, 8), 16) % 240_000_000);
  return {
    spec,
    normalized,
    repository,
    tag,
    digest: repoDigest,
    imageID: `${repository}@${repoDigest}`,
    sizeBytes,
  };
}

/** The pull policy the API server defaults to: Always for ":latest" or untagged, else IfNotPresent. */
export function defaultPullPolicy(spec: string): string {
  const ref = parseImageRef(spec);
  if (spec.includes('@')) return 'IfNotPresent';
  return ref.tag === 'latest' ? 'Always' : 'IfNotPresent';
}
