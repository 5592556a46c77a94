import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  openApiV2Document,
  openApiV2Protobuf,
  openApiV3Document,
  openApiV3Hash,
  openApiV3PathOf,
  openApiV3Root,
} from '../../src/sim/api/openapi.ts';
import type {
  GroupVersionKind,
  OpenApiOperation,
  OpenApiPathItem,
  OpenApiV3Document,
} from '../../src/sim/api/openapi.ts';
import { RESOURCE_TYPES } from '../../src/sim/api/resource-types.ts';
import type { ResourceType } from '../../src/sim/api/resource-types.ts';

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

function groupVersionPaths(types: readonly ResourceType[]): string[] {
  return [...new Set(types.map((type) => openApiV3PathOf(type.group, type.version)))].sort();
}

function docFor(type: ResourceType): OpenApiV3Document {
  const doc = openApiV3Document(RESOURCE_TYPES, type.group, type.version);
  if (!doc) throw new Error(`no document for ${type.group}/${type.version}`);
  return doc;
}

function allDocs(): OpenApiV3Document[] {
  return groupVersionPaths(RESOURCE_TYPES).map((path) => {
    const [prefix, a, b] = path.split('/');
    const doc =
      prefix === 'api'
        ? openApiV3Document(RESOURCE_TYPES, '', a ?? '')
        : openApiV3Document(RESOURCE_TYPES, a ?? '', b ?? '');
    if (!doc) throw new Error(`no document for ${path}`);
    return doc;
  });
}

function operations(doc: OpenApiV3Document): Array<[string, string, OpenApiOperation]> {
  const out: Array<[string, string, OpenApiOperation]> = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (op) out.push([path, method, op]);
    }
  }
  return out;
}

function sameGvk(a: GroupVersionKind | undefined, b: GroupVersionKind): boolean {
  return a !== undefined && a.group === b.group && a.version === b.version && a.kind === b.kind;
}

function gvkOf(type: ResourceType): GroupVersionKind {
  return { group: type.group, kind: type.kind, version: type.version };
}

/** What cli-runtime's supportsQueryParamV3 concludes, for any order it may visit the paths in. */
function patchOperationsFor(doc: OpenApiV3Document, gvk: GroupVersionKind): OpenApiOperation[] {
  return Object.values(doc.paths)
    .map((item) => item.patch)
    .filter((op): op is OpenApiOperation => sameGvk(op?.['x-kubernetes-group-version-kind'], gvk));
}

function basePath(type: ResourceType): string {
  return `/${openApiV3PathOf(type.group, type.version)}`;
}

describe('openApiV3Root', () => {
  it('lists every served group version with a serverRelativeURL carrying the document hash', () => {
    const root = openApiV3Root(RESOURCE_TYPES);
    expect(Object.keys(root.paths).sort()).toEqual(groupVersionPaths(RESOURCE_TYPES));
    expect(root.paths['api/v1']).toBeDefined();
    expect(root.paths['apis/apps/v1']).toBeDefined();
    for (const [path, entry] of Object.entries(root.paths)) {
      const [prefix, a, b] = path.split('/');
      const doc =
        prefix === 'api'
          ? openApiV3Document(RESOURCE_TYPES, '', a ?? '')
          : openApiV3Document(RESOURCE_TYPES, a ?? '', b ?? '');
      expect(doc, path).toBeDefined();
      if (!doc) continue;
      const hash = createHash('sha512').update(JSON.stringify(doc)).digest('hex').toUpperCase();
      expect(openApiV3Hash(doc)).toBe(hash);
      expect(entry.serverRelativeURL).toBe(`/openapi/v3/${path}?hash=${hash}`);
    }
  });

  it('serializes in handler3 OpenAPIV3Discovery form', () => {
    const parsed = JSON.parse(JSON.stringify(openApiV3Root(RESOURCE_TYPES))) as {
      paths: Record<string, { serverRelativeURL: string }>;
    };
    expect(Object.keys(parsed)).toEqual(['paths']);
    expect(parsed.paths['apis/batch/v1']?.serverRelativeURL).toMatch(
      /^\/openapi\/v3\/apis\/batch\/v1\?hash=[0-9A-F]{128}$/,
    );
  });

  it('hashes the same types identically whatever their order', () => {
    const reversed = [...RESOURCE_TYPES].reverse();
    expect(openApiV3Root(reversed)).toEqual(openApiV3Root(RESOURCE_TYPES));
  });
});

describe('openApiV3Document', () => {
  it('is undefined for a group version nothing is served in', () => {
    expect(openApiV3Document(RESOURCE_TYPES, 'apps', 'v1beta1')).toBeUndefined();
    expect(openApiV3Document(RESOURCE_TYPES, 'example.com', 'v1')).toBeUndefined();
  });

  it('is an OpenAPI 3.0 document spec3.OpenAPI can unmarshal', () => {
    for (const doc of allDocs()) {
      expect(doc.openapi).toBe('3.0.0');
      expect(doc.info.title).toBe('Kubernetes');
      expect(JSON.parse(JSON.stringify(doc))).toEqual(doc);
      // spec3.Paths keeps only keys starting with "/"; ResponsesProps only "default" and integers.
      for (const path of Object.keys(doc.paths)) expect(path.startsWith('/')).toBe(true);
      for (const [path, method, op] of operations(doc)) {
        for (const code of Object.keys(op.responses)) expect(code, `${method} ${path}`).toMatch(/^\d{3}$/);
      }
    }
  });

  it('gives every resource a PATCH with its GVK and an inline fieldValidation parameter', () => {
    for (const type of RESOURCE_TYPES) {
      const patches = patchOperationsFor(docFor(type), gvkOf(type));
      expect(patches.length, type.kind).toBeGreaterThan(0);
      for (const op of patches) {
        const names = (op.parameters ?? []).map((parameter) => parameter.name);
        expect(names, type.kind).toEqual(
          expect.arrayContaining(['fieldValidation', 'fieldManager', 'force', 'dryRun']),
        );
        expect(op['x-kubernetes-action']).toBe('patch');
      }
    }
  });

  it('serves collection, item, all-namespaces list and subresource paths', () => {
    for (const type of RESOURCE_TYPES) {
      const doc = docFor(type);
      const base = basePath(type);
      const collection = type.namespaced
        ? `${base}/namespaces/{namespace}/${type.plural}`
        : `${base}/${type.plural}`;
      const item = `${collection}/{name}`;
      const collectionPath = doc.paths[collection];
      const itemPath = doc.paths[item];
      expect(collectionPath?.get?.['x-kubernetes-action'], collection).toBe('list');
      expect(collectionPath?.post?.['x-kubernetes-action'], collection).toBe('post');
      expect(collectionPath?.delete?.['x-kubernetes-action'], collection).toBe('deletecollection');
      for (const method of ['get', 'put', 'patch', 'delete'] as const) {
        expect(
          sameGvk(itemPath?.[method]?.['x-kubernetes-group-version-kind'], gvkOf(type)),
          `${method} ${item}`,
        ).toBe(true);
      }
      if (type.namespaced) {
        expect(doc.paths[`${base}/${type.plural}`]?.get?.operationId).toMatch(/ForAllNamespaces$/);
      }
      for (const subresource of type.subresources) {
        expect(doc.paths[`${item}/${subresource}`], `${item}/${subresource}`).toBeDefined();
      }
    }
    const core = docFor(RESOURCE_TYPES.find((type) => type.kind === 'Pod') as ResourceType);
    expect(core.paths['/api/v1/namespaces/{namespace}/pods/{name}/log']?.get?.operationId).toBe(
      'readCoreV1NamespacedPodLog',
    );
    expect(core.paths['/api/v1/namespaces/{namespace}/pods/{name}']?.patch?.operationId).toBe(
      'patchCoreV1NamespacedPod',
    );
    const rbac = docFor(RESOURCE_TYPES.find((type) => type.kind === 'ClusterRole') as ResourceType);
    expect(rbac.paths['/apis/rbac.authorization.k8s.io/v1/clusterroles/{name}']?.patch?.operationId).toBe(
      'patchRbacAuthorizationV1ClusterRole',
    );
  });

  it('declares every parameter inline with a name and a location', () => {
    for (const doc of allDocs()) {
      const items: OpenApiPathItem[] = Object.values(doc.paths);
      const parameters = [
        ...items.flatMap((item) => item.parameters ?? []),
        ...operations(doc).flatMap(([, , op]) => op.parameters ?? []),
      ];
      for (const parameter of parameters) {
        expect(parameter).not.toHaveProperty('$ref');
        expect(parameter.name).not.toBe('');
        expect(['path', 'query']).toContain(parameter.in);
      }
      for (const [path, method, op] of operations(doc)) {
        if (!path.endsWith('/')) expect(op['x-kubernetes-action'], `${method} ${path}`).toBeDefined();
      }
    }
  });

  it('does not offer strategic merge patch, so kubectl apply uses its built-in patch metadata', () => {
    for (const doc of allDocs()) {
      for (const item of Object.values(doc.paths)) {
        if (!item.patch) continue;
        const content = Object.keys(item.patch.requestBody?.content ?? {});
        expect(content).toContain('application/merge-patch+json');
        expect(content).toContain('application/apply-patch+yaml');
        expect(content).not.toContain('application/strategic-merge-patch+json');
      }
    }
  });

  it('resolves every $ref to a schema in the same document', () => {
    for (const doc of allDocs()) {
      const refs = JSON.stringify(doc).match(/"\$ref":"[^"]*"/g) ?? [];
      expect(refs.length).toBeGreaterThan(0);
      for (const ref of refs) {
        const target = ref.slice('"$ref":"'.length, -1);
        expect(target.startsWith('#/components/schemas/'), target).toBe(true);
        expect(doc.components.schemas[target.slice('#/components/schemas/'.length)], target).toBeDefined();
      }
    }
  });

  it('names kind schemas as the real server does and tags them with their GVK', () => {
    const pod = docFor(RESOURCE_TYPES.find((type) => type.kind === 'Pod') as ResourceType);
    expect(pod.components.schemas['io.k8s.api.core.v1.Pod']?.['x-kubernetes-group-version-kind']).toEqual([
      { group: '', kind: 'Pod', version: 'v1' },
    ]);
    expect(
      pod.components.schemas['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta']?.properties?.labels,
    ).toBeDefined();
    expect(pod.components.schemas['io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions']).toBeDefined();
    expect(pod.components.schemas['io.k8s.apimachinery.pkg.apis.meta.v1.Status']).toBeDefined();
    expect(pod.components.schemas['io.k8s.apimachinery.pkg.apis.meta.v1.APIResourceList']).toBeDefined();
    expect(pod.components.schemas['io.k8s.api.policy.v1.Eviction']).toBeDefined();
    const apps = docFor(RESOURCE_TYPES.find((type) => type.kind === 'Deployment') as ResourceType);
    expect(apps.components.schemas['io.k8s.api.apps.v1.Deployment']?.properties?.spec).toBeDefined();
    expect(apps.components.schemas['io.k8s.api.apps.v1.DeploymentList']).toBeDefined();
    expect(apps.components.schemas['io.k8s.api.autoscaling.v1.Scale']).toBeDefined();
    const expectedNames: Record<string, string> = {
      HorizontalPodAutoscaler: 'io.k8s.api.autoscaling.v2.HorizontalPodAutoscaler',
      Ingress: 'io.k8s.api.networking.v1.Ingress',
      ClusterRole: 'io.k8s.api.rbac.v1.ClusterRole',
      PodDisruptionBudget: 'io.k8s.api.policy.v1.PodDisruptionBudget',
      CronJob: 'io.k8s.api.batch.v1.CronJob',
    };
    for (const [kind, name] of Object.entries(expectedNames)) {
      const type = RESOURCE_TYPES.find((candidate) => candidate.kind === kind) as ResourceType;
      expect(docFor(type).components.schemas[name], name).toBeDefined();
    }
  });

  it('lets kubectl explain find each kind: GVK from the resource path, then the schema carrying it', () => {
    for (const type of RESOURCE_TYPES) {
      const doc = docFor(type);
      const base = basePath(type);
      const candidates = [
        `${base}/${type.plural}`,
        `${base}/${type.plural}/{name}`,
        `${base}/namespaces/{namespace}/${type.plural}`,
        `${base}/namespaces/{namespace}/${type.plural}/{name}`,
      ];
      const gvk = candidates
        .map((path) => doc.paths[path])
        .flatMap((item) => METHODS.map((method) => item?.[method]?.['x-kubernetes-group-version-kind']))
        .find((found) => found !== undefined);
      expect(gvk, type.kind).toEqual(gvkOf(type));
      const schemas = Object.values(doc.components.schemas).filter((schema) =>
        (schema['x-kubernetes-group-version-kind'] ?? []).some(
          (entry) => JSON.stringify(entry) === JSON.stringify(gvk),
        ),
      );
      expect(schemas, type.kind).toHaveLength(1);
      expect(Object.keys(schemas[0]?.properties ?? {}), type.kind).toEqual(
        expect.arrayContaining(['apiVersion', 'kind', 'metadata']),
      );
    }
  });

  it('leaves nested objects open so ordinary chart fields are never rejected by a schema', () => {
    const apps = docFor(RESOURCE_TYPES.find((type) => type.kind === 'Deployment') as ResourceType);
    expect(
      apps.components.schemas['io.k8s.api.apps.v1.DeploymentSpec']?.['x-kubernetes-preserve-unknown-fields'],
    ).toBe(true);
    const unknownKind: ResourceType = {
      group: 'example.com',
      version: 'v1',
      kind: 'Widget',
      plural: 'widgets',
      singular: 'widget',
      namespaced: true,
      shortNames: [],
      categories: [],
      subresources: ['status'],
    };
    const doc = openApiV3Document([unknownKind], 'example.com', 'v1');
    const widget = doc?.components.schemas['com.example.v1.Widget'];
    expect(widget?.['x-kubernetes-preserve-unknown-fields']).toBe(true);
    expect(doc?.paths['/apis/example.com/v1/namespaces/{namespace}/widgets/{name}']?.patch?.operationId).toBe(
      'patchExampleComV1NamespacedWidget',
    );
  });
});

describe('openapi v2', () => {
  function decodeFields(bytes: Uint8Array): Map<number, Uint8Array> {
    const fields = new Map<number, Uint8Array>();
    let offset = 0;
    const varint = (): number => {
      let value = 0;
      let shift = 0;
      for (;;) {
        const byte = bytes[offset++] ?? 0;
        value |= (byte & 0x7f) << shift;
        if (byte < 0x80) return value;
        shift += 7;
      }
    };
    while (offset < bytes.length) {
      const tag = varint();
      expect(tag & 7).toBe(2);
      const length = varint();
      fields.set(tag >> 3, bytes.subarray(offset, offset + length));
      offset += length;
    }
    return fields;
  }

  it('encodes an empty gnostic Document with swagger and info only', () => {
    const json = openApiV2Document();
    const fields = decodeFields(openApiV2Protobuf());
    expect([...fields.keys()]).toEqual([1, 2]);
    expect(Buffer.from(fields.get(1) ?? []).toString()).toBe('2.0');
    const info = decodeFields(fields.get(2) ?? new Uint8Array());
    expect(Buffer.from(info.get(1) ?? []).toString()).toBe(json.info.title);
    expect(Buffer.from(info.get(2) ?? []).toString()).toBe(json.info.version);
    expect(json).toMatchObject({ swagger: '2.0', paths: {}, definitions: {} });
  });
});
