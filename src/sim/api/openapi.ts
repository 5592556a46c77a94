/**
 * OpenAPI documents of the simulated API server: /openapi/v3 (root and one document per group
 * version) and a deliberately empty /openapi/v2.
 *
 * What the real clients read (client-go, cli-runtime and kubectl 1.33, which helm 3.18 and 4.1 embed):
 *
 * - helm install/upgrade/test and kubectl apply/create/replace/diff build objects through
 *   cmdutil.Factory.Validator("Strict"). Per object it asks whether the object's GVK supports the
 *   `fieldValidation` query parameter. The v3 verifier (query_param_verifier_v3.go) GETs /openapi/v3,
 *   takes `paths["api/v1" | "apis/G/V"].serverRelativeURL`, GETs that (Accept: application/json),
 *   parses it as spec3.OpenAPI and scans `paths` (keys must start with "/") for PATCH operations whose
 *   `x-kubernetes-group-version-kind` (a single object) equals the GVK. The first match decides, and
 *   map order is random, so every matching PATCH (status too) must carry `fieldValidation` among its
 *   own inline `parameters`: `$ref` parameters are not followed. Supported: the client sends
 *   fieldValidation=Strict and reads no schema at all; the server does the validating.
 *   Any other failure (root missing, document unparsable) falls back to the v2 verifier, which
 *   downloads /openapi/v2: that is the "failed to download openapi" seen when both were 404.
 *   GVK absent from v3 (kind `v1 List`, group versions not served, custom resources) means
 *   "unsupported", and then the v2 schema is downloaded for client-side validation.
 * - kubectl apply (client-side) and diff compute a strategic merge patch from the v3 kind schema only
 *   when the PATCH requestBody lists application/strategic-merge-patch+json. With the permissive
 *   schemas here that fails ("unable to find api field") and prints a warning per object, so it is not
 *   listed: kubectl then tries v2 (empty: nothing found) and falls back to its compiled-in Go types,
 *   which carry the real patch strategies and merge keys. The server still accepts the patch type.
 * - kubectl explain finds /api[s]/G/V[/namespaces/{namespace}]/PLURAL[/{name}], takes the GVK of any
 *   operation there, then the components.schemas entry whose `x-kubernetes-group-version-kind` list
 *   holds an identical {group, kind, version} map, and walks properties, allOf and $ref.
 * - helm's own patches (3-way for typed objects, JSON merge otherwise, server-side apply in helm 4)
 *   and @kubernetes/client-node read no OpenAPI.
 *
 * /openapi/v2 is therefore not needed for served kinds, but it is still fetched for the cases above.
 * client-go's OpenAPISchema() always asks for `application/com.github.proto-openapi.spec.v2@v1.0+protobuf`
 * and proto-decodes whatever body comes back, whatever its Content-Type: a JSON answer fails to decode,
 * and 404 or 406 surface as errors where a real server would let the object through to the usual
 * "no matches for kind" mapping error. Serve {@link openApiV2Protobuf} there: an empty gnostic Document,
 * on which validation finds no model and passes (as a real server does for kinds it does not know),
 * and the apply fallback finds no patch metadata. A schema-carrying v2 would be worse: client-side
 * validation would then reject every field these permissive schemas do not list.
 */
import { createHash } from 'node:crypto';
import { SIM_SERVER_VERSION } from './discovery.ts';
import type { ResourceType, Subresource } from './resource-types.ts';

/** The identity of a kind as OpenAPI extensions carry it. */
export interface GroupVersionKind {
  readonly group: string;
  readonly kind: string;
  readonly version: string;
}

/** The subset of an OpenAPI 3.0 schema object the generated documents use. */
export interface OpenApiSchema {
  readonly $ref?: string;
  readonly allOf?: readonly OpenApiSchema[];
  readonly type?: 'object' | 'array' | 'string' | 'integer' | 'boolean' | 'number';
  readonly format?: string;
  readonly description?: string;
  readonly properties?: Readonly<Record<string, OpenApiSchema>>;
  readonly additionalProperties?: OpenApiSchema;
  readonly items?: OpenApiSchema;
  readonly required?: readonly string[];
  readonly default?: unknown;
  readonly uniqueItems?: boolean;
  readonly 'x-kubernetes-preserve-unknown-fields'?: boolean;
  readonly 'x-kubernetes-map-type'?: string;
  readonly 'x-kubernetes-list-type'?: string;
  readonly 'x-kubernetes-group-version-kind'?: readonly GroupVersionKind[];
}

/** An inline OpenAPI parameter (never a $ref: the fieldValidation check reads only inline ones). */
export interface OpenApiParameter {
  readonly name: string;
  readonly in: 'path' | 'query';
  readonly description: string;
  readonly required?: boolean;
  readonly schema: OpenApiSchema;
}

/** One entry of a request or response `content` map. */
export interface OpenApiMediaType {
  readonly schema: OpenApiSchema;
}

/** A response of an operation, keyed by status code in `responses`. */
export interface OpenApiResponse {
  readonly description: string;
  readonly content?: Readonly<Record<string, OpenApiMediaType>>;
}

/** Values of `x-kubernetes-action`, as the real server spells them. */
export const KubernetesAction = {
  get: 'get',
  list: 'list',
  post: 'post',
  put: 'put',
  patch: 'patch',
  delete: 'delete',
  deletecollection: 'deletecollection',
} as const;
export type KubernetesAction = (typeof KubernetesAction)[keyof typeof KubernetesAction];

/** One HTTP method of a path, with the Kubernetes extensions clients match on. */
export interface OpenApiOperation {
  readonly description: string;
  readonly operationId: string;
  readonly tags: readonly string[];
  readonly parameters?: readonly OpenApiParameter[];
  readonly requestBody?: {
    readonly content: Readonly<Record<string, OpenApiMediaType>>;
    readonly required?: boolean;
  };
  readonly responses: Readonly<Record<string, OpenApiResponse>>;
  readonly 'x-kubernetes-action'?: KubernetesAction;
  readonly 'x-kubernetes-group-version-kind'?: GroupVersionKind;
}

/** The operations of one URL template; `parameters` apply to all of them. */
export interface OpenApiPathItem {
  readonly parameters?: readonly OpenApiParameter[];
  readonly get?: OpenApiOperation;
  readonly put?: OpenApiOperation;
  readonly post?: OpenApiOperation;
  readonly delete?: OpenApiOperation;
  readonly patch?: OpenApiOperation;
}

/** The OpenAPI 3.0 document of one group version, as served at /openapi/v3/api/v1 etc. */
export interface OpenApiV3Document {
  readonly openapi: '3.0.0';
  readonly info: { readonly title: string; readonly version: string };
  readonly paths: Readonly<Record<string, OpenApiPathItem>>;
  readonly components: { readonly schemas: Readonly<Record<string, OpenApiSchema>> };
}

/** GET /openapi/v3, in kube-openapi handler3's OpenAPIV3Discovery format. */
export interface OpenApiV3Root {
  readonly paths: Readonly<Record<string, { readonly serverRelativeURL: string }>>;
}

/** The minimal Swagger 2.0 document {@link openApiV2Protobuf} encodes. */
export interface OpenApiV2Document {
  readonly swagger: '2.0';
  readonly info: { readonly title: string; readonly version: string };
  readonly paths: Readonly<Record<string, never>>;
  readonly definitions: Readonly<Record<string, never>>;
}

/** What client-go's OpenAPISchema() puts in Accept for /openapi/v2. */
export const OPENAPI_V2_PROTOBUF_ACCEPT = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';
/** The Content-Type a real server answers that request with (client-go does not check it). */
export const OPENAPI_V2_PROTOBUF_CONTENT_TYPE = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';

const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
const REF_PREFIX = '#/components/schemas/';
const INFO = Object.freeze({ title: 'Kubernetes', version: SIM_SERVER_VERSION.gitVersion });

/** The key of a group version in the /openapi/v3 root: `api/v1`, `apis/apps/v1`. */
export function openApiV3PathOf(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

interface GroupVersionCache {
  readonly docs: Map<string, OpenApiV3Document | undefined>;
  root?: OpenApiV3Root;
}

// Keyed by the (frozen) types array: kubectl fetches the root on every command and helm on every
// install, and each root needs every document built and hashed.
const cacheByTypes = new WeakMap<readonly ResourceType[], GroupVersionCache>();
const hashByDocument = new WeakMap<OpenApiV3Document, string>();

function cacheFor(types: readonly ResourceType[]): GroupVersionCache {
  let cache = cacheByTypes.get(types);
  if (!cache) {
    cache = { docs: new Map() };
    cacheByTypes.set(types, cache);
  }
  return cache;
}

/**
 * GET /openapi/v3: every served group version with the URL of its document. The `hash` query is the
 * document's {@link openApiV3Hash}; clients only use it to bust their HTTP caches.
 */
export function openApiV3Root(types: readonly ResourceType[]): OpenApiV3Root {
  const cache = cacheFor(types);
  if (cache.root) return cache.root;
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const { group, version } of servedGroupVersions(types)) {
    const doc = openApiV3Document(types, group, version);
    if (!doc) continue;
    const path = openApiV3PathOf(group, version);
    paths[path] = { serverRelativeURL: `/openapi/v3/${path}?hash=${openApiV3Hash(doc)}` };
  }
  cache.root = deepFreeze({ paths });
  return cache.root;
}

/**
 * The document for one group version (group '' is the core `api/v1`), or undefined when no served
 * type belongs to it. The result is frozen and shared between calls with the same `types` array.
 */
export function openApiV3Document(
  types: readonly ResourceType[],
  group: string,
  version: string,
): OpenApiV3Document | undefined {
  const cache = cacheFor(types);
  const key = openApiV3PathOf(group, version);
  if (cache.docs.has(key)) return cache.docs.get(key);
  const doc = buildDocument(types, group, version);
  if (doc) {
    deepFreeze(doc);
    hashByDocument.set(doc, computeHash(doc));
  }
  cache.docs.set(key, doc);
  return doc;
}

/**
 * The `hash` of a document's serverRelativeURL: upper-case hex SHA-512 of the JSON the server sends
 * (JSON.stringify of the document), the same form kube-openapi uses for its ETags.
 */
export function openApiV3Hash(doc: OpenApiV3Document): string {
  return hashByDocument.get(doc) ?? computeHash(doc);
}

/** The Swagger 2.0 document behind {@link openApiV2Protobuf}, for callers that ask for JSON. */
export function openApiV2Document(): OpenApiV2Document {
  return { swagger: '2.0', info: { ...INFO }, paths: {}, definitions: {} };
}

/**
 * GET /openapi/v2 in the gnostic openapi_v2.Document protobuf encoding client-go requires. Only
 * `swagger` (field 1) and `info` (field 2: title 1, version 2) are set; see the module comment for why
 * it carries no paths or definitions.
 */
export function openApiV2Protobuf(): Uint8Array {
  const info = [...protoString(1, INFO.title), ...protoString(2, INFO.version)];
  return Uint8Array.from([...protoString(1, '2.0'), ...protoBytes(2, info)]);
}

function computeHash(doc: OpenApiV3Document): string {
  return createHash('sha512').update(JSON.stringify(doc)).digest('hex').toUpperCase();
}

function protoString(field: number, value: string): number[] {
  return protoBytes(field, [...Buffer.from(value, 'utf8')]);
}

function protoBytes(field: number, bytes: readonly number[]): number[] {
  const wireTypeLengthDelimited = 2;
  return [...varint((field << 3) | wireTypeLengthDelimited), ...varint(bytes.length), ...bytes];
}

function varint(value: number): number[] {
  const out: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    out.push((rest & 0x7f) | 0x80);
    rest >>>= 7;
  }
  out.push(rest);
  return out;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

function servedGroupVersions(types: readonly ResourceType[]): Array<{ group: string; version: string }> {
  const seen = new Map<string, { group: string; version: string }>();
  for (const { group, version } of types) seen.set(openApiV3PathOf(group, version), { group, version });
  return [...seen.entries()].sort(([a], [b]) => compare(a, b)).map(([, gv]) => gv);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sortedRecord<V>(entries: Iterable<[string, V]>): Record<string, V> {
  return Object.fromEntries([...entries].sort(([a], [b]) => compare(a, b)));
}

// ---------------------------------------------------------------------------------------------
// Schema names

/** The Go package part of real schema names, for groups whose name does not derive it. */
const PACKAGE_BY_GROUP: Readonly<Record<string, string>> = {
  '': 'io.k8s.api.core',
  'rbac.authorization.k8s.io': 'io.k8s.api.rbac',
  'flowcontrol.apiserver.k8s.io': 'io.k8s.api.flowcontrol',
  'internal.apiserver.k8s.io': 'io.k8s.api.apiserverinternal',
  'apiextensions.k8s.io': 'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions',
  'apiregistration.k8s.io': 'io.k8s.kube-aggregator.pkg.apis.apiregistration',
};

/** `io.k8s.api.apps.v1` for built-in groups, the reversed group (`com.example.stable.v1`) otherwise. */
function schemaPackage(group: string, version: string): string {
  const known = PACKAGE_BY_GROUP[group];
  if (known !== undefined) return `${known}.${version}`;
  if (!group.includes('.')) return `io.k8s.api.${group}.${version}`;
  if (group.endsWith('.k8s.io')) return `io.k8s.api.${group.split('.')[0] ?? group}.${version}`;
  return `${group.split('.').reverse().join('.')}.${version}`;
}

function kindSchemaName(type: Pick<ResourceType, 'group' | 'version' | 'kind'>): string {
  return `${schemaPackage(type.group, type.version)}.${type.kind}`;
}

function ref(name: string): OpenApiSchema {
  return { $ref: `${REF_PREFIX}${name}` };
}

/** A property holding another named schema, in the allOf wrapping real documents use. */
function refProperty(name: string, description: string, withDefault = true): OpenApiSchema {
  return withDefault ? { allOf: [ref(name)], default: {}, description } : { allOf: [ref(name)], description };
}

function gvkOf(group: string, version: string, kind: string): GroupVersionKind {
  return { group, kind, version };
}

// ---------------------------------------------------------------------------------------------
// Shared schemas

const str = (description: string): OpenApiSchema => ({ type: 'string', description });
const bool = (description: string): OpenApiSchema => ({ type: 'boolean', description });
const int32 = (description: string): OpenApiSchema => ({ type: 'integer', format: 'int32', description });
const int64 = (description: string): OpenApiSchema => ({ type: 'integer', format: 'int64', description });
const stringMap = (description: string, format?: string): OpenApiSchema => ({
  type: 'object',
  additionalProperties: format ? { type: 'string', format } : { type: 'string', default: '' },
  description,
});
const stringList = (description: string): OpenApiSchema => ({
  type: 'array',
  items: { type: 'string', default: '' },
  description,
});
const listOf = (name: string, description: string): OpenApiSchema => ({
  type: 'array',
  items: { allOf: [ref(name)], default: {} },
  description,
});

/**
 * Objects whose fields are not described: the server validates them, and strict client-side
 * validation never runs against these documents (the fieldValidation check short-circuits it).
 */
const anyObject = (description: string): OpenApiSchema => ({
  type: 'object',
  description,
  'x-kubernetes-preserve-unknown-fields': true,
});

const API_VERSION = str('The versioned schema of this representation of an object.');
const KIND = str('The REST resource this object represents, in CamelCase.');

const OBJECT_REFERENCE = 'io.k8s.api.core.v1.ObjectReference';
const LOCAL_OBJECT_REFERENCE = 'io.k8s.api.core.v1.LocalObjectReference';
const SCALE = 'io.k8s.api.autoscaling.v1.Scale';
const BINDING = 'io.k8s.api.core.v1.Binding';
const EVICTION = 'io.k8s.api.policy.v1.Eviction';

function metaSchemas(
  servedGvs: ReadonlyArray<{ group: string; version: string }>,
): Record<string, OpenApiSchema> {
  const time: OpenApiSchema = { type: 'string', format: 'date-time', description: 'An RFC 3339 timestamp.' };
  return {
    [`${META}.APIResource`]: {
      type: 'object',
      description: 'A resource a group version serves, as discovery lists it.',
      properties: {
        name: str('The plural name of the resource.'),
        singularName: str('The singular name of the resource.'),
        namespaced: bool('Whether the resource lives in namespaces.'),
        group: str('The preferred group of the resource, when it differs.'),
        version: str('The preferred version of the resource, when it differs.'),
        kind: str('The kind of the resource.'),
        verbs: stringList('The verbs the resource supports.'),
        shortNames: stringList('Short names clients accept for the resource.'),
        categories: stringList('Groupings the resource belongs to, such as "all".'),
        storageVersionHash: str('An opaque hash of the storage version.'),
      },
      required: ['name', 'singularName', 'namespaced', 'kind', 'verbs'],
    },
    [`${META}.APIResourceList`]: {
      type: 'object',
      description: 'The resources a group version serves.',
      properties: {
        apiVersion: API_VERSION,
        kind: KIND,
        groupVersion: { type: 'string', default: '', description: 'The group version listed.' },
        resources: {
          ...listOf(`${META}.APIResource`, 'The resources of the group version.'),
          'x-kubernetes-list-type': 'atomic',
        },
      },
      required: ['groupVersion', 'resources'],
      'x-kubernetes-group-version-kind': [gvkOf('', 'v1', 'APIResourceList')],
    },
    [`${META}.DeleteOptions`]: {
      type: 'object',
      description: 'Options of a DELETE request.',
      properties: {
        apiVersion: API_VERSION,
        kind: KIND,
        dryRun: {
          ...stringList('"All" to process the request without persisting it.'),
          'x-kubernetes-list-type': 'atomic',
        },
        gracePeriodSeconds: int64('Seconds before the object is deleted; 0 deletes at once.'),
        ignoreStoreReadErrorWithClusterBreakingPotential: bool('Delete objects that cannot be decoded.'),
        orphanDependents: bool('Deprecated: use propagationPolicy.'),
        preconditions: refProperty(
          `${META}.Preconditions`,
          'Conditions the object must meet to be deleted.',
          false,
        ),
        propagationPolicy: str('Orphan, Background or Foreground garbage collection of dependents.'),
      },
      'x-kubernetes-group-version-kind': servedGvs.map(({ group, version }) =>
        gvkOf(group, version, 'DeleteOptions'),
      ),
    },
    [`${META}.FieldsV1`]: { type: 'object', description: 'A set of fields, in the managed-fields encoding.' },
    [`${META}.ListMeta`]: {
      type: 'object',
      description: 'Metadata of a list.',
      properties: {
        continue: str('Token to fetch the next page of a limited list.'),
        remainingItemCount: int64('Items left after this page, when known.'),
        resourceVersion: str('The version of the list, for watching from it.'),
        selfLink: str('Deprecated and unset.'),
      },
    },
    [`${META}.ManagedFieldsEntry`]: {
      type: 'object',
      description: 'Fields a manager owns.',
      properties: {
        apiVersion: str('The version of the fields set.'),
        fieldsType: str('The encoding of fieldsV1; always "FieldsV1".'),
        fieldsV1: refProperty(`${META}.FieldsV1`, 'The fields owned.', false),
        manager: str('Who manages the fields.'),
        operation: str('Apply or Update.'),
        subresource: str('The subresource the fields were set through, if any.'),
        time: refProperty(`${META}.Time`, 'When the entry last changed.', false),
      },
    },
    [`${META}.MicroTime`]: { ...time, description: 'An RFC 3339 timestamp with microseconds.' },
    [`${META}.ObjectMeta`]: {
      type: 'object',
      description: 'Metadata every persisted object has.',
      properties: {
        annotations: stringMap('Unstructured key-value data for tools.'),
        creationTimestamp: refProperty(`${META}.Time`, 'When the object was created; set by the server.'),
        deletionGracePeriodSeconds: int64('Seconds left to graceful deletion; set by the server.'),
        deletionTimestamp: refProperty(
          `${META}.Time`,
          'When the object will be deleted; set by the server.',
          false,
        ),
        finalizers: {
          ...stringList('Conditions that must clear before the object is deleted.'),
          'x-kubernetes-list-type': 'set',
        },
        generateName: str('Prefix the server completes into a unique name when name is empty.'),
        generation: int64('Sequence number of spec changes; set by the server.'),
        labels: stringMap('Key-value pairs selectors match on.'),
        managedFields: {
          ...listOf(`${META}.ManagedFieldsEntry`, 'Which manager owns which fields.'),
          'x-kubernetes-list-type': 'atomic',
        },
        name: str('Unique name within the namespace (or the cluster).'),
        namespace: str('The namespace of a namespaced object.'),
        ownerReferences: {
          ...listOf(`${META}.OwnerReference`, 'Objects this one depends on, for garbage collection.'),
          'x-kubernetes-list-type': 'map',
        },
        resourceVersion: str('Opaque version for optimistic concurrency and watches.'),
        selfLink: str('Deprecated and unset.'),
        uid: str('Unique identity over time; set by the server.'),
      },
    },
    [`${META}.OwnerReference`]: {
      type: 'object',
      description: 'Points at an owner of an object.',
      properties: {
        apiVersion: { type: 'string', default: '', description: 'API version of the owner.' },
        blockOwnerDeletion: bool('Foreground deletion of the owner waits for this object.'),
        controller: bool('The owner is the managing controller.'),
        kind: { type: 'string', default: '', description: 'Kind of the owner.' },
        name: { type: 'string', default: '', description: 'Name of the owner.' },
        uid: { type: 'string', default: '', description: 'UID of the owner.' },
      },
      required: ['apiVersion', 'kind', 'name', 'uid'],
      'x-kubernetes-map-type': 'atomic',
    },
    [`${META}.Patch`]: {
      type: 'object',
      description: 'A patch document; its format follows the request Content-Type.',
    },
    [`${META}.Preconditions`]: {
      type: 'object',
      description: 'Conditions checked before an operation.',
      properties: {
        resourceVersion: str('The object must have this resourceVersion.'),
        uid: str('The object must have this UID.'),
      },
    },
    [`${META}.Status`]: {
      type: 'object',
      description: 'The result of an operation that returns no object, and every error.',
      properties: {
        apiVersion: API_VERSION,
        code: int32('HTTP status code.'),
        details: refProperty(`${META}.StatusDetails`, 'Reason-specific details.', false),
        kind: KIND,
        message: str('Human-readable description.'),
        metadata: refProperty(`${META}.ListMeta`, 'Standard list metadata.'),
        reason: str('Machine-readable reason, such as NotFound.'),
        status: str('Success or Failure.'),
      },
      'x-kubernetes-group-version-kind': [gvkOf('', 'v1', 'Status')],
    },
    [`${META}.StatusCause`]: {
      type: 'object',
      description: 'One cause of an error.',
      properties: {
        field: str('The field at fault, if any.'),
        message: str('Human-readable description.'),
        reason: str('Machine-readable reason.'),
      },
    },
    [`${META}.StatusDetails`]: {
      type: 'object',
      description: 'Details of a Status.',
      properties: {
        causes: {
          ...listOf(`${META}.StatusCause`, 'What caused the failure.'),
          'x-kubernetes-list-type': 'atomic',
        },
        group: str('Group of the resource concerned.'),
        kind: str('Kind of the resource concerned.'),
        name: str('Name of the resource concerned.'),
        retryAfterSeconds: int32('Seconds to wait before retrying.'),
        uid: str('UID of the resource concerned.'),
      },
    },
    [`${META}.Time`]: time,
  };
}

function helperSchemas(): Record<string, OpenApiSchema> {
  return {
    [OBJECT_REFERENCE]: {
      type: 'object',
      description: 'A reference to an object.',
      properties: {
        apiVersion: str('API version of the referent.'),
        fieldPath: str('A field within the referent.'),
        kind: str('Kind of the referent.'),
        name: str('Name of the referent.'),
        namespace: str('Namespace of the referent.'),
        resourceVersion: str('Resource version of the referent.'),
        uid: str('UID of the referent.'),
      },
      'x-kubernetes-map-type': 'atomic',
    },
    [LOCAL_OBJECT_REFERENCE]: {
      type: 'object',
      description: 'A reference to an object in the same namespace.',
      properties: { name: { type: 'string', default: '', description: 'Name of the referent.' } },
      'x-kubernetes-map-type': 'atomic',
    },
    [SCALE]: {
      type: 'object',
      description: 'The scale subresource of a scalable workload.',
      properties: {
        apiVersion: API_VERSION,
        kind: KIND,
        metadata: refProperty(`${META}.ObjectMeta`, 'Standard object metadata.'),
        spec: refProperty(`${SCALE}Spec`, 'The desired scale.'),
        status: refProperty(`${SCALE}Status`, 'The current scale.', false),
      },
      'x-kubernetes-group-version-kind': [gvkOf('autoscaling', 'v1', 'Scale')],
    },
    [`${SCALE}Spec`]: {
      type: 'object',
      description: 'Desired scale.',
      properties: { replicas: int32('Desired number of instances.') },
    },
    [`${SCALE}Status`]: {
      type: 'object',
      description: 'Current scale.',
      properties: {
        replicas: { ...int32('Observed number of instances.'), default: 0 },
        selector: str('Label selector of the instances, in string form.'),
      },
      required: ['replicas'],
    },
    [BINDING]: {
      type: 'object',
      description: 'Binds a pod to a node.',
      properties: {
        apiVersion: API_VERSION,
        kind: KIND,
        metadata: refProperty(`${META}.ObjectMeta`, 'Standard object metadata.'),
        target: refProperty(OBJECT_REFERENCE, 'The node to bind to.'),
      },
      required: ['target'],
      'x-kubernetes-group-version-kind': [gvkOf('', 'v1', 'Binding')],
    },
    [EVICTION]: {
      type: 'object',
      description: 'Evicts a pod, honouring PodDisruptionBudgets.',
      properties: {
        apiVersion: API_VERSION,
        deleteOptions: refProperty(`${META}.DeleteOptions`, 'Options of the deletion.', false),
        kind: KIND,
        metadata: refProperty(`${META}.ObjectMeta`, 'Names the pod to evict.'),
      },
      'x-kubernetes-group-version-kind': [gvkOf('policy', 'v1', 'Eviction')],
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Kind schemas

type TopLevelFields = (names: { spec: string; status: string }) => Record<string, OpenApiSchema>;

const specAndStatus: TopLevelFields = ({ spec, status }) => ({
  spec: refProperty(spec, 'The desired state.'),
  status: refProperty(status, 'The observed state; written by controllers.'),
});
const specOnly: TopLevelFields = ({ spec }) => ({ spec: refProperty(spec, 'The desired state.') });

const rules: TopLevelFields = () => ({
  rules: { type: 'array', items: anyObject('A PolicyRule.'), description: 'What the role allows.' },
});
const binding: TopLevelFields = () => ({
  roleRef: anyObject('The Role or ClusterRole bound.'),
  subjects: { type: 'array', items: anyObject('A Subject.'), description: 'Who the role is bound to.' },
});

/**
 * Top-level fields of the built-in kinds, so kubectl explain lists them. Nested objects stay
 * undescribed (see anyObject).
 */
const TOP_LEVEL_FIELDS: Readonly<Record<string, TopLevelFields>> = {
  '/ConfigMap': () => ({
    binaryData: stringMap('Binary values, base64-encoded.', 'byte'),
    data: stringMap('UTF-8 values.'),
    immutable: bool('Data cannot change once set.'),
  }),
  '/Endpoints': () => ({
    subsets: { type: 'array', items: anyObject('An EndpointSubset.'), description: 'Addresses and ports.' },
  }),
  '/Event': () => ({
    action: str('What was done.'),
    count: int32('How often the event occurred.'),
    eventTime: refProperty(`${META}.MicroTime`, 'When the event first occurred.', false),
    firstTimestamp: refProperty(`${META}.Time`, 'When the event was first recorded.', false),
    involvedObject: refProperty(OBJECT_REFERENCE, 'The object the event is about.'),
    lastTimestamp: refProperty(`${META}.Time`, 'When the event was last recorded.', false),
    message: str('Human-readable description.'),
    reason: str('Machine-readable reason.'),
    related: refProperty(OBJECT_REFERENCE, 'A secondary object.', false),
    reportingComponent: { type: 'string', default: '', description: 'The controller that emitted it.' },
    reportingInstance: { type: 'string', default: '', description: 'The instance of that controller.' },
    series: anyObject('Data about a series of events.'),
    source: anyObject('The component reporting the event.'),
    type: str('Normal or Warning.'),
  }),
  '/LimitRange': specOnly,
  '/Namespace': specAndStatus,
  '/Node': specAndStatus,
  '/PersistentVolumeClaim': specAndStatus,
  '/Pod': specAndStatus,
  '/ResourceQuota': specAndStatus,
  '/Secret': () => ({
    data: stringMap('Secret values, base64-encoded.', 'byte'),
    immutable: bool('Data cannot change once set.'),
    stringData: stringMap('Write-only plain-text values merged into data.'),
    type: str('How the data is used, such as Opaque.'),
  }),
  '/Service': specAndStatus,
  '/ServiceAccount': () => ({
    automountServiceAccountToken: bool('Mount an API token into pods by default.'),
    imagePullSecrets: listOf(LOCAL_OBJECT_REFERENCE, 'Secrets for pulling images.'),
    secrets: listOf(OBJECT_REFERENCE, 'Secrets pods may use.'),
  }),
  'apps/DaemonSet': specAndStatus,
  'apps/Deployment': specAndStatus,
  'apps/ReplicaSet': specAndStatus,
  'apps/StatefulSet': specAndStatus,
  'autoscaling/HorizontalPodAutoscaler': specAndStatus,
  'batch/CronJob': specAndStatus,
  'batch/Job': specAndStatus,
  'networking.k8s.io/Ingress': specAndStatus,
  'networking.k8s.io/NetworkPolicy': specOnly,
  'policy/PodDisruptionBudget': specAndStatus,
  'rbac.authorization.k8s.io/ClusterRole': (names) => ({
    ...rules(names),
    aggregationRule: anyObject('Selects ClusterRoles whose rules are aggregated into this one.'),
  }),
  'rbac.authorization.k8s.io/ClusterRoleBinding': binding,
  'rbac.authorization.k8s.io/Role': rules,
  'rbac.authorization.k8s.io/RoleBinding': binding,
};

function kindSchemas(type: ResourceType): Record<string, OpenApiSchema> {
  const name = kindSchemaName(type);
  const names = { spec: `${name}Spec`, status: `${name}Status` };
  const known = TOP_LEVEL_FIELDS[`${type.group}/${type.kind}`];
  const fields = (known ?? specAndStatus)(names);
  const schemas: Record<string, OpenApiSchema> = {
    [name]: {
      type: 'object',
      description:
        `${type.kind} as the simulated API server serves it. Only top-level fields are described; ` +
        'nested objects accept any field and are validated by the server.',
      properties: sortedRecord(
        Object.entries({
          apiVersion: API_VERSION,
          kind: KIND,
          metadata: refProperty(`${META}.ObjectMeta`, 'Standard object metadata.'),
          ...fields,
        }),
      ),
      // A kind this module has no field list for may carry anything at the top level too.
      ...(known ? {} : { 'x-kubernetes-preserve-unknown-fields': true }),
      'x-kubernetes-group-version-kind': [gvkOf(type.group, type.version, type.kind)],
    },
    [`${name}List`]: {
      type: 'object',
      description: `A list of ${type.kind} objects.`,
      properties: {
        apiVersion: API_VERSION,
        items: listOf(name, `The ${type.kind} objects.`),
        kind: KIND,
        metadata: refProperty(`${META}.ListMeta`, 'Standard list metadata.'),
      },
      required: ['items'],
      'x-kubernetes-group-version-kind': [gvkOf(type.group, type.version, `${type.kind}List`)],
    },
  };
  if ('spec' in fields) schemas[names.spec] = anyObject(`The desired state of a ${type.kind}.`);
  if ('status' in fields) schemas[names.status] = anyObject(`The observed state of a ${type.kind}.`);
  return schemas;
}

// ---------------------------------------------------------------------------------------------
// Parameters

const query = (
  name: string,
  type: 'string' | 'integer' | 'boolean',
  description: string,
): OpenApiParameter => ({
  name,
  in: 'query',
  description,
  schema: { type, uniqueItems: true },
});

const P = {
  pretty: query('pretty', 'string', "If 'true', the output is pretty-printed."),
  namespace: {
    name: 'namespace',
    in: 'path',
    description: 'object name and auth scope, such as for teams and projects',
    required: true,
    schema: { type: 'string', uniqueItems: true },
  } satisfies OpenApiParameter,
  dryRun: query('dryRun', 'string', '"All" processes the request without persisting anything.'),
  fieldManager: query(
    'fieldManager',
    'string',
    'Name of the actor making the change; required for apply patches.',
  ),
  fieldValidation: query(
    'fieldValidation',
    'string',
    'How the server treats unknown or duplicate fields in the body: Ignore, Warn (the default) or Strict (reject).',
  ),
  force: query('force', 'boolean', 'Apply patches only: take over fields other managers own.'),
  gracePeriodSeconds: query(
    'gracePeriodSeconds',
    'integer',
    'Seconds before the object is deleted; 0 deletes at once.',
  ),
  ignoreStoreReadError: query(
    'ignoreStoreReadErrorWithClusterBreakingPotential',
    'boolean',
    'Delete objects that cannot be decoded.',
  ),
  orphanDependents: query('orphanDependents', 'boolean', 'Deprecated: use propagationPolicy.'),
  propagationPolicy: query(
    'propagationPolicy',
    'string',
    'Orphan, Background or Foreground garbage collection.',
  ),
  allowWatchBookmarks: query('allowWatchBookmarks', 'boolean', 'Watches may send BOOKMARK events.'),
  continue: query('continue', 'string', 'Token from a previous page of a limited list.'),
  fieldSelector: query('fieldSelector', 'string', 'Restricts the objects returned by their fields.'),
  labelSelector: query('labelSelector', 'string', 'Restricts the objects returned by their labels.'),
  limit: query('limit', 'integer', 'Maximum number of objects in one page.'),
  resourceVersion: query(
    'resourceVersion',
    'string',
    'Which version of the collection to list or watch from.',
  ),
  resourceVersionMatch: query(
    'resourceVersionMatch',
    'string',
    'How resourceVersion applies: Exact or NotOlderThan.',
  ),
  sendInitialEvents: query(
    'sendInitialEvents',
    'boolean',
    'A watch starts with the current objects as ADDED events.',
  ),
  timeoutSeconds: query('timeoutSeconds', 'integer', 'Upper bound on the duration of a list or watch.'),
  watch: query('watch', 'boolean', 'Stream changes instead of returning a list.'),
  container: query('container', 'string', 'The container to read; may be omitted for single-container pods.'),
  follow: query('follow', 'boolean', 'Keep streaming as the log grows.'),
  insecureSkipTLSVerifyBackend: query(
    'insecureSkipTLSVerifyBackend',
    'boolean',
    'Skip verifying the kubelet.',
  ),
  limitBytes: query('limitBytes', 'integer', 'Stop after this many bytes.'),
  previous: query('previous', 'boolean', 'Read the log of the previous, terminated container.'),
  sinceSeconds: query('sinceSeconds', 'integer', 'Only lines newer than this many seconds.'),
  stream: query('stream', 'string', 'All, Stdout or Stderr.'),
  tailLines: query('tailLines', 'integer', 'Only this many lines from the end.'),
  timestamps: query('timestamps', 'boolean', 'Prefix each line with an RFC 3339 timestamp.'),
} as const;

const LIST_PARAMS = [
  P.allowWatchBookmarks,
  P.continue,
  P.fieldSelector,
  P.labelSelector,
  P.limit,
  P.resourceVersion,
  P.resourceVersionMatch,
  P.sendInitialEvents,
  P.timeoutSeconds,
  P.watch,
];
const WRITE_PARAMS = [P.dryRun, P.fieldManager, P.fieldValidation];
const PATCH_PARAMS = [P.dryRun, P.fieldManager, P.fieldValidation, P.force];
const DELETE_PARAMS = [
  P.dryRun,
  P.gracePeriodSeconds,
  P.ignoreStoreReadError,
  P.orphanDependents,
  P.propagationPolicy,
];
const DELETE_COLLECTION_PARAMS = [
  P.continue,
  P.dryRun,
  P.fieldSelector,
  P.gracePeriodSeconds,
  P.ignoreStoreReadError,
  P.labelSelector,
  P.limit,
  P.orphanDependents,
  P.propagationPolicy,
  P.resourceVersion,
  P.resourceVersionMatch,
  P.sendInitialEvents,
  P.timeoutSeconds,
];
const LOG_PARAMS = [
  P.container,
  P.follow,
  P.insecureSkipTLSVerifyBackend,
  P.limitBytes,
  P.previous,
  P.sinceSeconds,
  P.stream,
  P.tailLines,
  P.timestamps,
];

function nameParam(kind: string): OpenApiParameter {
  return {
    name: 'name',
    in: 'path',
    description: `name of the ${kind}`,
    required: true,
    schema: { type: 'string', uniqueItems: true },
  };
}

// ---------------------------------------------------------------------------------------------
// Operations

const UNAUTHORIZED: OpenApiResponse = { description: 'Unauthorized' };

function body(schema: OpenApiSchema, mediaTypes: readonly string[]): Record<string, OpenApiMediaType> {
  return Object.fromEntries(mediaTypes.map((mediaType) => [mediaType, { schema }]));
}

function response(description: string, schema: OpenApiSchema, watch = false): OpenApiResponse {
  const mediaTypes = ['application/json', 'application/yaml'];
  if (watch) mediaTypes.push('application/json;stream=watch');
  return { description, content: body(schema, mediaTypes) };
}

/**
 * The patch types the server accepts, less strategic merge: listing it would make kubectl apply build
 * the patch from these permissive schemas instead of its compiled-in types (see the module comment).
 */
const PATCH_MEDIA_TYPES = [
  'application/apply-patch+yaml',
  'application/json-patch+json',
  'application/merge-patch+json',
];
const OBJECT_MEDIA_TYPES = ['application/json', 'application/yaml'];

interface OperationNames {
  /** `CoreV1`, `AppsV1`, `RbacAuthorizationV1`. */
  readonly gv: string;
  /** `core_v1`, `rbacAuthorization_v1`. */
  readonly tag: string;
}

function operationNames(group: string, version: string): OperationNames {
  const groupWords = (group === '' ? 'core' : group.replace(/\.k8s\.io$/, '')).split(/[.-]/).filter(Boolean);
  const groupToken = groupWords.map(capitalize).join('');
  return { gv: `${groupToken}${capitalize(version)}`, tag: `${lowerFirst(groupToken)}_${version}` };
}

function capitalize(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

function lowerFirst(word: string): string {
  return word.charAt(0).toLowerCase() + word.slice(1);
}

interface OperationSpec {
  readonly verb: string;
  readonly subject: string;
  readonly description: string;
  readonly action: KubernetesAction;
  readonly gvk: GroupVersionKind;
  readonly parameters?: readonly OpenApiParameter[];
  readonly requestBody?: OpenApiOperation['requestBody'];
  readonly responses: Readonly<Record<string, OpenApiResponse>>;
}

function operation(names: OperationNames, spec: OperationSpec): OpenApiOperation {
  return {
    description: spec.description,
    operationId: `${spec.verb}${names.gv}${spec.subject}`,
    tags: [names.tag],
    ...(spec.parameters ? { parameters: spec.parameters } : {}),
    ...(spec.requestBody ? { requestBody: spec.requestBody } : {}),
    responses: spec.responses,
    'x-kubernetes-action': spec.action,
    'x-kubernetes-group-version-kind': spec.gvk,
  };
}

function resourcePaths(type: ResourceType, names: OperationNames): Array<[string, OpenApiPathItem]> {
  const base = `/${openApiV3PathOf(type.group, type.version)}`;
  const collection = type.namespaced
    ? `${base}/namespaces/{namespace}/${type.plural}`
    : `${base}/${type.plural}`;
  const item = `${collection}/{name}`;
  const scope = type.namespaced ? 'Namespaced' : '';
  const subject = `${scope}${type.kind}`;
  const gvk = gvkOf(type.group, type.version, type.kind);
  const kind = ref(kindSchemaName(type));
  const list = ref(`${kindSchemaName(type)}List`);
  const status = ref(`${META}.Status`);
  const deleteBody = { content: body(ref(`${META}.DeleteOptions`), OBJECT_MEDIA_TYPES) };
  const objectBody = { content: body(kind, OBJECT_MEDIA_TYPES), required: true };
  const patchBody = { content: body(ref(`${META}.Patch`), PATCH_MEDIA_TYPES), required: true };
  const collectionParams = type.namespaced ? [P.namespace, P.pretty] : [P.pretty];
  const itemParams = [nameParam(type.kind), ...collectionParams];

  const read = (description: string, suffix = '') =>
    operation(names, {
      verb: 'read',
      subject: `${subject}${suffix}`,
      description,
      action: KubernetesAction.get,
      gvk,
      responses: { '200': response('OK', kind), '401': UNAUTHORIZED },
    });
  const replace = (description: string, suffix = '') =>
    operation(names, {
      verb: 'replace',
      subject: `${subject}${suffix}`,
      description,
      action: KubernetesAction.put,
      gvk,
      parameters: WRITE_PARAMS,
      requestBody: objectBody,
      responses: { '200': response('OK', kind), '201': response('Created', kind), '401': UNAUTHORIZED },
    });
  const patch = (description: string, suffix = '') =>
    operation(names, {
      verb: 'patch',
      subject: `${subject}${suffix}`,
      description,
      action: KubernetesAction.patch,
      gvk,
      parameters: PATCH_PARAMS,
      requestBody: patchBody,
      responses: { '200': response('OK', kind), '201': response('Created', kind), '401': UNAUTHORIZED },
    });

  const paths: Array<[string, OpenApiPathItem]> = [
    [
      collection,
      {
        parameters: collectionParams,
        get: operation(names, {
          verb: 'list',
          subject,
          description: `list or watch objects of kind ${type.kind}`,
          action: KubernetesAction.list,
          gvk,
          parameters: LIST_PARAMS,
          responses: { '200': response('OK', list, true), '401': UNAUTHORIZED },
        }),
        post: operation(names, {
          verb: 'create',
          subject,
          description: `create a ${type.kind}`,
          action: KubernetesAction.post,
          gvk,
          parameters: WRITE_PARAMS,
          requestBody: objectBody,
          responses: {
            '200': response('OK', kind),
            '201': response('Created', kind),
            '202': response('Accepted', kind),
            '401': UNAUTHORIZED,
          },
        }),
        delete: operation(names, {
          verb: 'delete',
          subject: `Collection${subject}`,
          description: `delete collection of ${type.kind}`,
          action: KubernetesAction.deletecollection,
          gvk,
          parameters: DELETE_COLLECTION_PARAMS,
          requestBody: deleteBody,
          responses: { '200': response('OK', status), '401': UNAUTHORIZED },
        }),
      },
    ],
    [
      item,
      {
        parameters: itemParams,
        get: read(`read the specified ${type.kind}`),
        put: replace(`replace the specified ${type.kind}`),
        patch: patch(`partially update the specified ${type.kind}`),
        delete: operation(names, {
          verb: 'delete',
          subject,
          description: `delete a ${type.kind}`,
          action: KubernetesAction.delete,
          gvk,
          parameters: DELETE_PARAMS,
          requestBody: deleteBody,
          responses: {
            '200': response('OK', status),
            '202': response('Accepted', status),
            '401': UNAUTHORIZED,
          },
        }),
      },
    ],
  ];
  if (type.namespaced) {
    paths.push([
      `${base}/${type.plural}`,
      {
        parameters: [P.pretty],
        get: operation(names, {
          verb: 'list',
          subject: `${type.kind}ForAllNamespaces`,
          description: `list or watch objects of kind ${type.kind}`,
          action: KubernetesAction.list,
          gvk,
          parameters: LIST_PARAMS,
          responses: { '200': response('OK', list, true), '401': UNAUTHORIZED },
        }),
      },
    ]);
  }
  for (const subresource of type.subresources) {
    const path = subresourcePath(subresource, {
      names,
      item,
      itemParams,
      collectionParams,
      subject,
      kind: type.kind,
      read,
      replace,
      patch,
      objectBody,
    });
    paths.push([`${item}/${subresource}`, path]);
  }
  return paths;
}

interface SubresourceContext {
  readonly names: OperationNames;
  readonly item: string;
  readonly itemParams: readonly OpenApiParameter[];
  readonly collectionParams: readonly OpenApiParameter[];
  readonly subject: string;
  readonly kind: string;
  readonly read: (description: string, suffix: string) => OpenApiOperation;
  readonly replace: (description: string, suffix: string) => OpenApiOperation;
  readonly patch: (description: string, suffix: string) => OpenApiOperation;
  readonly objectBody: NonNullable<OpenApiOperation['requestBody']>;
}

function subresourcePath(subresource: Subresource, c: SubresourceContext): OpenApiPathItem {
  switch (subresource) {
    case 'status':
      return {
        parameters: c.itemParams,
        get: c.read(`read status of the specified ${c.kind}`, 'Status'),
        put: c.replace(`replace status of the specified ${c.kind}`, 'Status'),
        patch: c.patch(`partially update status of the specified ${c.kind}`, 'Status'),
      };
    case 'finalize':
      return {
        parameters: c.itemParams,
        put: c.replace(`replace finalize of the specified ${c.kind}`, 'Finalize'),
      };
    case 'log':
      return {
        parameters: c.itemParams,
        get: operation(c.names, {
          verb: 'read',
          subject: `${c.subject}Log`,
          description: `read log of the specified ${c.kind}`,
          action: KubernetesAction.get,
          gvk: gvkOf('', 'v1', c.kind),
          parameters: LOG_PARAMS,
          responses: {
            '200': { description: 'OK', content: { 'text/plain': { schema: { type: 'string' } } } },
            '401': UNAUTHORIZED,
          },
        }),
      };
    case 'scale': {
      const scale = ref(SCALE);
      const gvk = gvkOf('autoscaling', 'v1', 'Scale');
      const ok = { '200': response('OK', scale), '401': UNAUTHORIZED };
      const written = { ...ok, '201': response('Created', scale) };
      return {
        parameters: [nameParam('Scale'), ...c.collectionParams],
        get: operation(c.names, {
          verb: 'read',
          subject: `${c.subject}Scale`,
          description: `read scale of the specified ${c.kind}`,
          action: KubernetesAction.get,
          gvk,
          responses: ok,
        }),
        put: operation(c.names, {
          verb: 'replace',
          subject: `${c.subject}Scale`,
          description: `replace scale of the specified ${c.kind}`,
          action: KubernetesAction.put,
          gvk,
          parameters: WRITE_PARAMS,
          requestBody: { content: body(scale, OBJECT_MEDIA_TYPES), required: true },
          responses: written,
        }),
        patch: operation(c.names, {
          verb: 'patch',
          subject: `${c.subject}Scale`,
          description: `partially update scale of the specified ${c.kind}`,
          action: KubernetesAction.patch,
          gvk,
          parameters: PATCH_PARAMS,
          requestBody: { content: body(ref(`${META}.Patch`), PATCH_MEDIA_TYPES), required: true },
          responses: written,
        }),
      };
    }
    case 'binding':
    case 'eviction': {
      const isBinding = subresource === 'binding';
      const schema = ref(isBinding ? BINDING : EVICTION);
      return {
        parameters: [nameParam(isBinding ? 'Binding' : 'Eviction'), ...c.collectionParams],
        post: operation(c.names, {
          verb: 'create',
          subject: `${c.subject}${isBinding ? 'Binding' : 'Eviction'}`,
          description: `create ${isBinding ? 'binding' : 'eviction'} of a ${c.kind}`,
          action: KubernetesAction.post,
          gvk: isBinding ? gvkOf('', 'v1', 'Binding') : gvkOf('policy', 'v1', 'Eviction'),
          parameters: WRITE_PARAMS,
          requestBody: { content: body(schema, OBJECT_MEDIA_TYPES), required: true },
          responses: {
            '200': response('OK', schema),
            '201': response('Created', schema),
            '202': response('Accepted', schema),
            '401': UNAUTHORIZED,
          },
        }),
      };
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Documents

function buildDocument(
  types: readonly ResourceType[],
  group: string,
  version: string,
): OpenApiV3Document | undefined {
  const members = types
    .filter((type) => type.group === group && type.version === version)
    .sort((a, b) => compare(a.plural, b.plural));
  if (members.length === 0) return undefined;
  const names = operationNames(group, version);
  const paths = new Map<string, OpenApiPathItem>();
  paths.set(`/${openApiV3PathOf(group, version)}/`, {
    get: {
      description: 'get available resources',
      operationId: `get${names.gv}APIResources`,
      tags: [names.tag],
      responses: { '200': response('OK', ref(`${META}.APIResourceList`)), '401': UNAUTHORIZED },
    },
  });
  for (const type of members) {
    for (const [path, item] of resourcePaths(type, names)) paths.set(path, item);
  }

  const available: Record<string, OpenApiSchema> = {
    ...metaSchemas(servedGroupVersions(types)),
    ...helperSchemas(),
  };
  const roots: string[] = [];
  for (const type of members) {
    for (const [name, schema] of Object.entries(kindSchemas(type))) available[name] = schema;
    roots.push(kindSchemaName(type), `${kindSchemaName(type)}List`);
  }
  const pathsRecord = sortedRecord(paths);
  const schemas = reachableSchemas([...roots, ...refsIn(pathsRecord)], available);
  return { openapi: '3.0.0', info: { ...INFO }, paths: pathsRecord, components: { schemas } };
}

/** The named schemas `roots` need, following $refs, so each document stays self-contained. */
function reachableSchemas(
  roots: readonly string[],
  available: Readonly<Record<string, OpenApiSchema>>,
): Record<string, OpenApiSchema> {
  const found = new Map<string, OpenApiSchema>();
  const pending = [...roots];
  for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
    if (found.has(name)) continue;
    const schema = available[name];
    if (!schema) throw new Error(`openapi: no schema named ${name}`);
    found.set(name, schema);
    pending.push(...refsIn(schema));
  }
  return sortedRecord(found);
}

function refsIn(value: unknown): string[] {
  const out: string[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const child of node) visit(child);
    } else if (node !== null && typeof node === 'object') {
      for (const [key, child] of Object.entries(node)) {
        if (key === '$ref' && typeof child === 'string' && child.startsWith(REF_PREFIX)) {
          out.push(child.slice(REF_PREFIX.length));
        } else {
          visit(child);
        }
      }
    }
  };
  visit(value);
  return out;
}
