import type { ResourceType } from './resource-types.ts';
import { apiVersionOf } from './resource-types.ts';

/** The version the simulated server claims; kubectl 1.33 and helm accept it. */
export const SIM_SERVER_VERSION = {
  major: '1',
  minor: '33',
  gitVersion: 'v1.33.0-kubesoak-sim',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2026-01-01T00:00:00Z',
  goVersion: 'go1.24.0',
  compiler: 'gc',
  platform: 'linux/amd64',
} as const;

const VERBS_BY_SUBRESOURCE: Record<string, string[]> = {
  status: ['get', 'patch', 'update'],
  log: ['get'],
  scale: ['get', 'patch', 'update'],
  binding: ['create'],
  eviction: ['create'],
  finalize: ['update'],
};

/** The group versions served, core first, as /apis lists them. */
export function groupVersions(types: readonly ResourceType[]): Array<{ group: string; version: string }> {
  const seen = new Map<string, { group: string; version: string }>();
  for (const type of types) seen.set(apiVersionOf(type), { group: type.group, version: type.version });
  return [...seen.values()];
}

/** GET /api */
export function apiVersions(serverAddress: string): Record<string, unknown> {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

/**
 * GET /apis. Clients that ask for aggregated discovery (apidiscovery.k8s.io/v2) accept this legacy
 * APIGroupList when it comes back as plain application/json, then fetch each group version.
 */
export function apiGroupList(types: readonly ResourceType[]): Record<string, unknown> {
  const groups = new Map<string, string[]>();
  for (const { group, version } of groupVersions(types)) {
    if (group === '') continue;
    groups.set(group, [...(groups.get(group) ?? []), version]);
  }
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: [...groups.entries()].map(([name, versions]) => ({
      name,
      versions: versions.map((version) => ({ groupVersion: `${name}/${version}`, version })),
      preferredVersion: { groupVersion: `${name}/${versions[0]}`, version: versions[0] },
    })),
  };
}

/** GET /apis/GROUP */
export function apiGroup(types: readonly ResourceType[], group: string): Record<string, unknown> | undefined {
  const versions = groupVersions(types).filter((gv) => gv.group === group && group !== '');
  if (versions.length === 0) return undefined;
  const first = versions[0] as { version: string };
  return {
    kind: 'APIGroup',
    apiVersion: 'v1',
    name: group,
    versions: versions.map((gv) => ({ groupVersion: `${group}/${gv.version}`, version: gv.version })),
    preferredVersion: { groupVersion: `${group}/${first.version}`, version: first.version },
  };
}

/** GET /api/v1 or /apis/GROUP/VERSION */
export function apiResourceList(
  types: readonly ResourceType[],
  group: string,
  version: string,
): Record<string, unknown> | undefined {
  const served = types.filter((type) => type.group === group && type.version === version);
  if (served.length === 0) return undefined;
  const resources: Array<Record<string, unknown>> = [];
  for (const type of served) {
    resources.push({
      name: type.plural,
      singularName: type.singular,
      namespaced: type.namespaced,
      kind: type.kind,
      verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
      ...(type.shortNames.length > 0 ? { shortNames: [...type.shortNames] } : {}),
      ...(type.categories.length > 0 ? { categories: [...type.categories] } : {}),
    });
    for (const sub of type.subresources) {
      resources.push({
        name: `${type.plural}/${sub}`,
        singularName: '',
        namespaced: type.namespaced,
        ...(sub === 'scale'
          ? { group: 'autoscaling', version: 'v1', kind: 'Scale' }
          : sub === 'eviction'
            ? { group: 'policy', version: 'v1', kind: 'Eviction' }
            : sub === 'binding'
              ? { kind: 'Binding' }
              : { kind: type.kind }),
        verbs: VERBS_BY_SUBRESOURCE[sub] ?? ['get'],
      });
    }
  }
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: group ? `${group}/${version}` : version,
    resources,
  };
}
