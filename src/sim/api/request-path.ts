import type { ResourceType } from './resource-types.ts';
import { typeForPath } from './resource-types.ts';

/** A request path resolved against the served resource types. */
export interface ResourcePath {
  readonly resource: ResourceType;
  readonly namespace: string | undefined;
  readonly name: string | undefined;
  readonly subresource: string | undefined;
  /** A legacy /watch/ path prefix was used. */
  readonly legacyWatch: boolean;
}

export type ParsedPath =
  | { kind: 'resource'; path: ResourcePath }
  | { kind: 'group-version'; group: string; version: string }
  | { kind: 'unknown-resource'; group: string; version: string; plural: string };

/**
 * Parses /api/v1/... and /apis/GROUP/VERSION/... paths. Returns undefined when the path is not an
 * API resource path at all (the caller then tries discovery, OpenAPI and health endpoints).
 */
export function parseResourcePath(pathname: string, types: readonly ResourceType[]): ParsedPath | undefined {
  const segments = pathname
    .split('/')
    .filter((segment) => segment !== '')
    .map(decodeURIComponent);
  let group: string;
  let version: string;
  let rest: string[];
  if (segments[0] === 'api' && segments.length >= 2) {
    group = '';
    version = segments[1] as string;
    rest = segments.slice(2);
  } else if (segments[0] === 'apis' && segments.length >= 3) {
    group = segments[1] as string;
    version = segments[2] as string;
    rest = segments.slice(3);
  } else {
    return undefined;
  }
  if (rest.length === 0) return { kind: 'group-version', group, version };
  let legacyWatch = false;
  if (rest[0] === 'watch') {
    legacyWatch = true;
    rest = rest.slice(1);
  }
  let namespace: string | undefined;
  // /namespaces/NS/PLURAL/... is a namespaced resource; /namespaces/NAME[/status] is a Namespace.
  if (rest[0] === 'namespaces' && rest.length >= 3 && !isNamespaceSubresource(rest[2])) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [plural, name, subresource, ...extra] = rest;
  if (!plural || extra.length > 0)
    return { kind: 'unknown-resource', group, version, plural: rest.join('/') };
  const resource = typeForPath(group, version, plural);
  if (!resource || !types.includes(resource)) return { kind: 'unknown-resource', group, version, plural };
  if (namespace !== undefined && !resource.namespaced)
    return { kind: 'unknown-resource', group, version, plural };
  return { kind: 'resource', path: { resource, namespace, name, subresource, legacyWatch } };
}

function isNamespaceSubresource(segment: string | undefined): boolean {
  return segment === 'status' || segment === 'finalize';
}
