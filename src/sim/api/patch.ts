/**
 * PATCH semantics of the simulated API server: RFC 6902 JSON patch, RFC 7386 merge patch, Kubernetes
 * strategic merge patch, and server-side apply with managedFields bookkeeping.
 *
 * Every export is pure: inputs are cloned before any work and never mutated, and results share no
 * structure with them.
 */
import type { KubeObject } from './kube-object.ts';

// ---------------------------------------------------------------------------------------------------------------
// Errors

/** Why a patch failed: 'invalid-patch' and 'test-failed' map to 422 Invalid, 'conflict' to 409 Conflict. */
export const PatchErrorCode = {
  InvalidPatch: 'invalid-patch',
  TestFailed: 'test-failed',
  Conflict: 'conflict',
} as const;
export type PatchErrorCode = (typeof PatchErrorCode)[keyof typeof PatchErrorCode];

/** A patch or apply configuration that cannot be applied to the object. */
export class PatchError extends Error {
  readonly code: PatchErrorCode;

  constructor(code: PatchErrorCode, message: string) {
    super(message);
    this.name = 'PatchError';
    this.code = code;
  }
}

/** One field that an apply would take from another field manager. */
export interface ApplyConflict {
  /** The manager that owns the field. */
  readonly manager: string;
  readonly operation: 'Apply' | 'Update';
  readonly apiVersion: string;
  readonly subresource?: string | undefined;
  /** The field path as the real server prints it, e.g. `.spec.template.spec.containers[name="web"].image`. */
  readonly field: string;
}

/**
 * Server-side apply refused because other managers own fields it would change. The message is the
 * real server's (`Apply failed with 1 conflict: conflict with "kubectl": .spec.replicas`) and
 * `causes` are the metav1.StatusCause entries for the 409 Status details.
 */
export class ApplyConflictError extends PatchError {
  readonly conflicts: readonly ApplyConflict[];
  readonly causes: ReadonlyArray<{
    readonly reason: 'FieldManagerConflict';
    readonly message: string;
    readonly field: string;
  }>;

  constructor(conflicts: readonly ApplyConflict[]) {
    super(PatchErrorCode.Conflict, conflictMessage(conflicts));
    this.name = 'ApplyConflictError';
    this.conflicts = conflicts;
    this.causes = conflicts.map((conflict) => ({
      reason: 'FieldManagerConflict' as const,
      message: `conflict with ${describeManager(conflict)}`,
      field: conflict.field,
    }));
  }
}

function describeManager(owner: Omit<ApplyConflict, 'field'>): string {
  let text = JSON.stringify(owner.manager);
  if (owner.subresource) text += ` with subresource ${JSON.stringify(owner.subresource)}`;
  if (owner.operation === 'Update') text += ` using ${owner.apiVersion}`;
  return text;
}

function conflictMessage(conflicts: readonly ApplyConflict[]): string {
  const [only] = conflicts;
  if (conflicts.length === 1 && only)
    return `Apply failed with 1 conflict: conflict with ${describeManager(only)}: ${only.field}`;
  const byManager = new Map<string, string[]>();
  for (const conflict of conflicts) {
    const who = describeManager(conflict);
    byManager.set(who, [...(byManager.get(who) ?? []), conflict.field]);
  }
  const lines: string[] = [];
  for (const who of [...byManager.keys()].sort()) {
    lines.push(`conflicts with ${who}:`, ...(byManager.get(who) ?? []).map((field) => `- ${field}`));
  }
  return `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
}

function invalidPatch(message: string): PatchError {
  return new PatchError(PatchErrorCode.InvalidPatch, message);
}

// ---------------------------------------------------------------------------------------------------------------
// JSON helpers

type JsonRecord = Record<string, unknown>;

function isRecord(value: unknown): value is JsonRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isArray(value: unknown): value is unknown[] {
  return Array.isArray(value);
}

function isScalar(value: unknown): boolean {
  return value === null || ['string', 'number', 'boolean'].includes(typeof value);
}

/** Own properties only: keys such as "constructor" must not resolve to Object.prototype members. */
function own(record: JsonRecord, key: string): unknown {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** "__proto__" is a legal JSON key, but plain assignment would replace the prototype instead. */
function put(record: JsonRecord, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    record[key] = value;
  }
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (isArray(a))
    return isArray(b) && a.length === b.length && a.every((item, index) => deepEqual(item, b[index]));
  if (isRecord(a) && isRecord(b)) {
    const keys = Object.keys(a);
    return (
      keys.length === Object.keys(b).length &&
      keys.every((key) => Object.hasOwn(b, key) && deepEqual(a[key], b[key]))
    );
  }
  return false;
}

function cloneRecord(value: object, what: string): JsonRecord {
  const copy: unknown = structuredClone(value);
  if (!isRecord(copy)) throw invalidPatch(`${what} must be a JSON object`);
  return copy;
}

/** Go decoding drops JSON nulls in object fields, so stored values never carry them. */
function withoutNullFields(value: unknown): unknown {
  if (isArray(value)) return value.map(withoutNullFields);
  if (!isRecord(value)) return value;
  const out: JsonRecord = {};
  for (const [key, child] of Object.entries(value)) {
    if (child !== null) put(out, key, withoutNullFields(child));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// RFC 6902 JSON patch

/** One RFC 6902 operation. */
export interface JsonPatchOperation {
  readonly op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  readonly path: string;
  readonly from?: string;
  readonly value?: unknown;
}

interface ParsedOperation {
  readonly op: JsonPatchOperation['op'];
  readonly path: string;
  readonly from: string;
  readonly value: unknown;
}

const JSON_PATCH_OPS: ReadonlySet<string> = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test']);
const MISSING = Symbol('missing');

/**
 * Applies an RFC 6902 JSON patch (add, remove, replace, move, copy, test) to an object. Operations
 * apply in order and all-or-nothing. A failed `test` throws PatchError 'test-failed'; anything else
 * wrong (malformed operation, missing path, bad index) throws 'invalid-patch', as does a patch that
 * turns the object into a non-object, which the API server could not decode. `operations` is the
 * decoded request body, validated here against {@link JsonPatchOperation}.
 */
export function applyJsonPatch(target: object, operations: unknown): Record<string, unknown> {
  if (!isArray(operations)) throw invalidPatch('json patch must be a JSON array of operations');
  let document: unknown = structuredClone(target);
  for (const [index, raw] of operations.entries()) {
    document = applyOperation(document, readOperation(raw, index));
  }
  if (!isRecord(document)) throw invalidPatch('the json patch did not produce a JSON object');
  return document;
}

function readOperation(raw: unknown, index: number): ParsedOperation {
  if (!isRecord(raw)) throw invalidPatch(`json patch operation ${index} is not an object`);
  const op = own(raw, 'op');
  const path = own(raw, 'path');
  const from = own(raw, 'from');
  if (typeof op !== 'string' || !JSON_PATCH_OPS.has(op))
    throw invalidPatch(`Unexpected kind: ${JSON.stringify(op)}`);
  if (typeof path !== 'string') throw invalidPatch(`json patch ${op} operation ${index} is missing "path"`);
  if ((op === 'move' || op === 'copy') && typeof from !== 'string') {
    throw invalidPatch(`json patch ${op} operation ${index} is missing "from"`);
  }
  if ((op === 'add' || op === 'replace' || op === 'test') && !Object.hasOwn(raw, 'value')) {
    throw invalidPatch(`json patch ${op} operation ${index} is missing "value"`);
  }
  return {
    op: op as ParsedOperation['op'],
    path,
    from: typeof from === 'string' ? from : '',
    value: own(raw, 'value'),
  };
}

function applyOperation(document: unknown, operation: ParsedOperation): unknown {
  const { op, path, from } = operation;
  switch (op) {
    case 'add':
      return addValue(document, parsePointer(path), structuredClone(operation.value), path);
    case 'remove':
      return removeValue(document, parsePointer(path), path).document;
    case 'replace':
      return replaceValue(document, parsePointer(path), structuredClone(operation.value), path);
    case 'move': {
      if (path !== from && path.startsWith(`${from}/`)) {
        throw invalidPatch(`move operation cannot move ${from} into one of its own children (${path})`);
      }
      const removed = removeValue(document, parsePointer(from), from);
      return addValue(removed.document, parsePointer(path), removed.value, path);
    }
    case 'copy': {
      const value = lookup(document, parsePointer(from));
      if (value === MISSING)
        throw invalidPatch(`copy operation does not apply: doc is missing from path: ${from}: missing value`);
      return addValue(document, parsePointer(path), structuredClone(value), path);
    }
    case 'test': {
      const value = lookup(document, parsePointer(path));
      if (value === MISSING || !deepEqual(value, operation.value)) {
        throw new PatchError(PatchErrorCode.TestFailed, `testing value ${path} failed: test failed`);
      }
      return document;
    }
  }
}

function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/'))
    throw invalidPatch(`JSON pointer must be empty or start with "/": ${JSON.stringify(pointer)}`);
  return pointer
    .slice(1)
    .split('/')
    .map((token) => {
      if (/~(?![01])/.test(token))
        throw invalidPatch(`invalid escape in JSON pointer ${JSON.stringify(pointer)}`);
      return token.replaceAll('~1', '/').replaceAll('~0', '~');
    });
}

function arrayIndex(token: string, length: number, pointer: string, allowEnd: boolean): number {
  if (allowEnd && token === '-') return length;
  if (!/^(0|[1-9][0-9]*)$/.test(token))
    throw invalidPatch(`invalid array index ${JSON.stringify(token)} in ${pointer}`);
  const index = Number(token);
  if (index > length || (!allowEnd && index === length)) {
    throw invalidPatch(`Unable to access invalid index: ${index}: invalid index referenced`);
  }
  return index;
}

function lookup(document: unknown, tokens: readonly string[]): unknown {
  let node: unknown = document;
  for (const token of tokens) {
    if (isArray(node)) {
      if (!/^(0|[1-9][0-9]*)$/.test(token) || Number(token) >= node.length) return MISSING;
      node = node[Number(token)];
    } else if (isRecord(node) && Object.hasOwn(node, token)) {
      node = node[token];
    } else {
      return MISSING;
    }
  }
  return node;
}

function addValue(document: unknown, tokens: readonly string[], value: unknown, pointer: string): unknown {
  const last = tokens.at(-1);
  if (last === undefined) return value;
  const parent = lookup(document, tokens.slice(0, -1));
  if (isArray(parent)) parent.splice(arrayIndex(last, parent.length, pointer, true), 0, value);
  else if (isRecord(parent)) put(parent, last, value);
  else
    throw invalidPatch(
      `add operation does not apply: doc is missing path: ${JSON.stringify(pointer)}: missing value`,
    );
  return document;
}

function removeValue(
  document: unknown,
  tokens: readonly string[],
  pointer: string,
): { document: unknown; value: unknown } {
  const last = tokens.at(-1);
  if (last === undefined)
    throw invalidPatch('remove operation does not apply: cannot remove the whole document');
  const parent = lookup(document, tokens.slice(0, -1));
  if (isArray(parent)) {
    const [value] = parent.splice(arrayIndex(last, parent.length, pointer, false), 1);
    return { document, value };
  }
  if (isRecord(parent) && Object.hasOwn(parent, last)) {
    const value = parent[last];
    delete parent[last];
    return { document, value };
  }
  throw invalidPatch(
    `remove operation does not apply: doc is missing path: ${JSON.stringify(pointer)}: missing value`,
  );
}

function replaceValue(
  document: unknown,
  tokens: readonly string[],
  value: unknown,
  pointer: string,
): unknown {
  const last = tokens.at(-1);
  if (last === undefined) return value;
  const parent = lookup(document, tokens.slice(0, -1));
  if (isArray(parent)) parent[arrayIndex(last, parent.length, pointer, false)] = value;
  else if (isRecord(parent) && Object.hasOwn(parent, last)) put(parent, last, value);
  else throw invalidPatch(`replace operation does not apply: doc is missing key: ${pointer}: missing value`);
  return document;
}

// ---------------------------------------------------------------------------------------------------------------
// RFC 7386 JSON merge patch

/**
 * Applies an RFC 7386 JSON merge patch: objects merge recursively, null deletes a field, and
 * everything else (arrays included) replaces. The patch must be a JSON object, as the API server
 * requires; anything else throws PatchError 'invalid-patch'.
 */
export function applyMergePatch(target: object, patch: unknown): Record<string, unknown> {
  if (!isRecord(patch)) throw invalidPatch('merge patch must be a JSON object');
  const merged = mergePatchValue(structuredClone(target), patch);
  return isRecord(merged) ? merged : {};
}

function mergePatchValue(target: unknown, patch: unknown): unknown {
  if (!isRecord(patch)) return structuredClone(patch);
  const result: JsonRecord = isRecord(target) ? target : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else put(result, key, mergePatchValue(own(result, key), value));
  }
  return result;
}

// ---------------------------------------------------------------------------------------------------------------
// Schema: the list semantics of the built-in kinds the simulated cluster serves.
//
// Taken from the patchStrategy/patchMergeKey and listType/listMapKey tags in k8s.io/api. Strategic
// merge patch reads `smpKey` (the patchMergeKey); server-side apply reads `keys` (the listMapKeys,
// which for ports include the protocol, defaulted to TCP). Lists without an entry are atomic for
// both: replaced whole. Objects not described are granular structs.

interface AssociativeList {
  readonly type: 'map';
  readonly keys: readonly string[];
  readonly defaults?: Readonly<Record<string, string>>;
  /** The patchMergeKey when it differs from keys[0]; null when strategic merge replaces the list. */
  readonly smpKey?: string | null;
}

interface SetList {
  readonly type: 'set';
}

interface FieldSchema {
  readonly fields?: Readonly<Record<string, FieldSchema>>;
  readonly list?: AssociativeList | SetList;
  /** Schema of the items of an associative list. */
  readonly item?: FieldSchema;
  /** Owned and replaced as a whole by server-side apply (structType/mapType=atomic). */
  readonly atomic?: boolean;
  /** A Go value struct: always present, so an Update never records it as added or removed. */
  readonly embedded?: boolean;
}

function struct(fields: Record<string, FieldSchema>, embedded = false): FieldSchema {
  return { fields, embedded };
}

function mapList(
  keys: readonly string[],
  item?: FieldSchema,
  options: { defaults?: Record<string, string>; smpKey?: string | null } = {},
): FieldSchema {
  return { list: { type: 'map', keys, ...options }, item };
}

const ATOMIC: FieldSchema = { atomic: true };
const SET: FieldSchema = { list: { type: 'set' } };
const EMBEDDED = struct({}, true);
const CONDITIONS = mapList(['type']);
const LABEL_SELECTOR = ATOMIC;
const TCP = { protocol: 'TCP' };

const OBJECT_META = struct({ ownerReferences: mapList(['uid']), finalizers: SET }, true);

const CONTAINER = struct({
  ports: mapList(['containerPort', 'protocol'], undefined, { defaults: TCP, smpKey: 'containerPort' }),
  env: mapList(
    ['name'],
    struct({
      valueFrom: struct({
        configMapKeyRef: ATOMIC,
        secretKeyRef: ATOMIC,
        fieldRef: ATOMIC,
        resourceFieldRef: ATOMIC,
      }),
    }),
  ),
  volumeMounts: mapList(['mountPath']),
  volumeDevices: mapList(['devicePath']),
});

const POD_SPEC = struct(
  {
    volumes: mapList(['name']),
    initContainers: mapList(['name'], CONTAINER),
    containers: mapList(['name'], CONTAINER),
    ephemeralContainers: mapList(['name'], CONTAINER),
    imagePullSecrets: mapList(['name']),
    hostAliases: mapList(['ip']),
    topologySpreadConstraints: mapList(['topologyKey', 'whenUnsatisfiable'], undefined, {
      smpKey: 'topologyKey',
    }),
    schedulingGates: mapList(['name']),
    resourceClaims: mapList(['name']),
    nodeSelector: ATOMIC,
  },
  true,
);

const POD_TEMPLATE = struct({ metadata: OBJECT_META, spec: POD_SPEC }, true);
const STATUS_WITH_CONDITIONS = struct({ conditions: CONDITIONS }, true);
const JOB_SPEC = struct({ selector: LABEL_SELECTOR, template: POD_TEMPLATE }, true);

function resource(
  spec?: FieldSchema,
  status?: FieldSchema,
  extra: Record<string, FieldSchema> = {},
): FieldSchema {
  return struct({
    ...extra,
    metadata: OBJECT_META,
    ...(spec ? { spec } : {}),
    ...(status ? { status } : {}),
  });
}

const KIND_SCHEMAS: Readonly<Record<string, FieldSchema>> = {
  Pod: resource(
    POD_SPEC,
    struct({ conditions: CONDITIONS, podIPs: mapList(['ip']), hostIPs: mapList(['ip']) }, true),
  ),
  Deployment: resource(
    struct({ selector: LABEL_SELECTOR, template: POD_TEMPLATE, strategy: EMBEDDED }, true),
    STATUS_WITH_CONDITIONS,
  ),
  ReplicaSet: resource(
    struct({ selector: LABEL_SELECTOR, template: POD_TEMPLATE }, true),
    STATUS_WITH_CONDITIONS,
  ),
  StatefulSet: resource(
    struct({ selector: LABEL_SELECTOR, template: POD_TEMPLATE, updateStrategy: EMBEDDED }, true),
    STATUS_WITH_CONDITIONS,
  ),
  DaemonSet: resource(
    struct({ selector: LABEL_SELECTOR, template: POD_TEMPLATE, updateStrategy: EMBEDDED }, true),
    STATUS_WITH_CONDITIONS,
  ),
  Job: resource(JOB_SPEC, STATUS_WITH_CONDITIONS),
  CronJob: resource(
    struct({ jobTemplate: struct({ metadata: OBJECT_META, spec: JOB_SPEC }, true) }, true),
    EMBEDDED,
  ),
  Service: resource(
    struct(
      {
        ports: mapList(['port', 'protocol'], undefined, { defaults: TCP, smpKey: 'port' }),
        selector: ATOMIC,
      },
      true,
    ),
    STATUS_WITH_CONDITIONS,
  ),
  ServiceAccount: resource(undefined, undefined, { secrets: mapList(['name']) }),
  Node: resource(
    struct({ podCIDRs: SET }, true),
    struct({ conditions: CONDITIONS, addresses: mapList(['type']) }, true),
  ),
  Namespace: resource(EMBEDDED, STATUS_WITH_CONDITIONS),
  PersistentVolumeClaim: resource(EMBEDDED, STATUS_WITH_CONDITIONS),
  PodDisruptionBudget: resource(struct({ selector: LABEL_SELECTOR }, true), STATUS_WITH_CONDITIONS),
  HorizontalPodAutoscaler: resource(EMBEDDED, STATUS_WITH_CONDITIONS),
  Ingress: resource(EMBEDDED, EMBEDDED),
  NetworkPolicy: resource(struct({ podSelector: LABEL_SELECTOR }, true)),
  ResourceQuota: resource(EMBEDDED, EMBEDDED),
  LimitRange: resource(EMBEDDED),
};

/** Custom resources are unstructured: only ObjectMeta is known, and spec is an ordinary map. */
const GENERIC_SCHEMA = struct({ metadata: OBJECT_META });

function schemaForKind(kind: string): FieldSchema {
  return (Object.hasOwn(KIND_SCHEMAS, kind) ? KIND_SCHEMAS[kind] : undefined) ?? GENERIC_SCHEMA;
}

function fieldSchema(schema: FieldSchema | undefined, field: string): FieldSchema | undefined {
  const fields = schema?.fields;
  return fields && Object.hasOwn(fields, field) ? fields[field] : undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Strategic merge patch

const DIRECTIVE = '$patch';
const RETAIN_KEYS = '$retainKeys';
const SET_ELEMENT_ORDER = '$setElementOrder/';
const DELETE_FROM_PRIMITIVE_LIST = '$deleteFromPrimitiveList/';
const DELETED = Symbol('deleted');

type ListStrategy =
  | { readonly kind: 'replace' }
  | { readonly kind: 'primitive' }
  | { readonly kind: 'key'; readonly key: string };

/**
 * Applies a Kubernetes strategic merge patch to an object of the given kind ('Deployment', 'Pod',
 * ...). Lists with a patch merge key (containers by name, ports by containerPort, ...) merge item by
 * item, primitive lists with the merge strategy (finalizers) merge as sets, all other lists are
 * replaced. Honours null (delete a field), `$patch: replace|delete|merge`, `$retainKeys`,
 * `$deleteFromPrimitiveList/<field>` and `$setElementOrder/<field>`, with the real ordering rules.
 * Kinds without a known schema get only the ObjectMeta rules.
 */
export function applyStrategicMergePatch(
  target: object,
  patch: unknown,
  kind: string,
): Record<string, unknown> {
  if (!isRecord(patch)) throw invalidPatch('strategic merge patch must be a JSON object');
  const merged = mergeStrategicMap(cloneRecord(target, 'the patched object'), patch, schemaForKind(kind));
  return merged === DELETED ? {} : merged;
}

function isDirectiveKey(key: string): boolean {
  return (
    key === DIRECTIVE ||
    key === RETAIN_KEYS ||
    key.startsWith(SET_ELEMENT_ORDER) ||
    key.startsWith(DELETE_FROM_PRIMITIVE_LIST)
  );
}

function listStrategy(schema: FieldSchema | undefined): ListStrategy {
  const list = schema?.list;
  if (list?.type === 'set') return { kind: 'primitive' };
  if (list?.type === 'map') {
    const key = list.smpKey === undefined ? list.keys[0] : list.smpKey;
    return key ? { kind: 'key', key } : { kind: 'replace' };
  }
  return { kind: 'replace' };
}

function strategyKey(strategy: ListStrategy): (item: unknown) => unknown {
  if (strategy.kind !== 'key') return (item) => item;
  return (item) => (isRecord(item) ? own(item, strategy.key) : undefined);
}

function noMergeKey(item: unknown, key: string): PatchError {
  return invalidPatch(`map: ${JSON.stringify(item)} does not contain declared merge key: ${key}`);
}

/** `original` is owned by the caller and may be mutated; `patch` is only read. */
function mergeStrategicMap(
  original: JsonRecord | undefined,
  patch: JsonRecord,
  schema: FieldSchema | undefined,
): JsonRecord | typeof DELETED {
  const directive = own(patch, DIRECTIVE);
  if (directive === 'replace') {
    const replacement = { ...patch };
    delete replacement[DIRECTIVE];
    return mergeStrategicMap(undefined, replacement, schema);
  }
  // A deleted map is dropped rather than left as {}: Go omits empty maps, and nothing reads the husk.
  if (directive === 'delete') return DELETED;
  if (directive !== undefined && directive !== 'merge') {
    throw invalidPatch(`Unknown patch type: ${JSON.stringify(directive)} in map: ${JSON.stringify(patch)}`);
  }
  const result: JsonRecord = original ?? {};

  const retain = own(patch, RETAIN_KEYS);
  if (retain !== undefined) {
    if (!isArray(retain) || !retain.every((key) => typeof key === 'string')) {
      throw invalidPatch('invalid patch format of retainKeys');
    }
    const keep = new Set<unknown>(retain);
    for (const [key, value] of Object.entries(patch)) {
      if (value !== null && !isDirectiveKey(key) && !keep.has(key))
        throw invalidPatch('invalid patch format of retainKeys');
    }
    for (const key of Object.keys(result)) if (!keep.has(key)) delete result[key];
  }

  const ordered = new Set<string>();
  for (const [key, order] of Object.entries(patch)) {
    if (!key.startsWith(SET_ELEMENT_ORDER)) continue;
    if (!isArray(order)) throw invalidPatch('invalid patch format of setElementOrder list');
    const field = key.slice(SET_ELEMENT_ORDER.length);
    const listSchema = fieldSchema(schema, field);
    const current = own(result, field);
    const patchList = own(patch, field);
    const base = isArray(current) ? current : undefined;
    let merged: unknown[];
    if (isArray(patchList)) merged = mergeStrategicList(base, patchList, listSchema);
    else if (base && patchList === undefined) merged = base;
    else continue;
    const strategy = listStrategy(listSchema);
    if (strategy.kind !== 'replace') {
      const keyOf = strategyKey(strategy);
      const inOrder = (item: unknown): boolean => order.some((entry) => keyOf(entry) === keyOf(item));
      merged = normalizeOrder(
        merged.filter(inOrder),
        merged.filter((item) => !inOrder(item)),
        order,
        base ?? [],
        keyOf,
      );
    }
    put(result, field, merged);
    ordered.add(field);
  }

  for (const [key, values] of Object.entries(patch)) {
    if (!key.startsWith(DELETE_FROM_PRIMITIVE_LIST)) continue;
    if (!isArray(values)) throw invalidPatch('invalid patch format of primitive list');
    const field = key.slice(DELETE_FROM_PRIMITIVE_LIST.length);
    const current = own(result, field);
    if (isArray(current)) {
      put(
        result,
        field,
        current.filter((item) => !values.some((value) => deepEqual(value, item))),
      );
    }
  }

  for (const [key, value] of Object.entries(patch)) {
    if (isDirectiveKey(key) || ordered.has(key)) continue;
    if (value === null) {
      delete result[key];
      continue;
    }
    const childSchema = fieldSchema(schema, key);
    const current = own(result, key);
    let next: unknown;
    if (isRecord(value))
      next = mergeStrategicMap(isRecord(current) ? current : undefined, value, childSchema);
    else if (isArray(value))
      next = mergeStrategicList(isArray(current) ? current : undefined, value, childSchema);
    else next = value;
    if (next === DELETED) delete result[key];
    else put(result, key, next);
  }
  return result;
}

/** Patch items are merged against nothing so that their directives and nulls are resolved, not stored. */
function sanitizeItem(item: unknown, schema: FieldSchema | undefined): unknown[] {
  if (isRecord(item)) {
    const merged = mergeStrategicMap(undefined, item, schema);
    return merged === DELETED ? [] : [merged];
  }
  if (isArray(item)) return [item.flatMap((child) => sanitizeItem(child, undefined))];
  return [item];
}

function mergeStrategicList(
  original: unknown[] | undefined,
  patch: unknown[],
  schema: FieldSchema | undefined,
): unknown[] {
  const strategy = listStrategy(schema);
  if (strategy.kind === 'replace') return patch.flatMap((item) => sanitizeItem(item, schema?.item));

  const keyOf = strategyKey(strategy);
  if (strategy.kind === 'primitive') {
    if (!patch.every(isScalar)) throw invalidPatch('cannot merge lists without merge key');
    const base = original ?? [];
    const merged: unknown[] = [];
    for (const item of [...base, ...patch]) if (!merged.includes(item)) merged.push(item);
    const inPatch = (item: unknown): boolean => patch.includes(item);
    return normalizeOrder(
      merged.filter(inPatch),
      merged.filter((item) => !inPatch(item)),
      patch,
      base,
      keyOf,
    );
  }

  const { key } = strategy;
  let base = [...(original ?? [])];
  const patchItems: JsonRecord[] = [];
  let replace = false;
  for (const item of patch) {
    if (!isRecord(item)) throw noMergeKey(item, key);
    const directive = own(item, DIRECTIVE);
    if (directive === undefined || directive === 'merge') {
      patchItems.push(item);
    } else if (directive === 'delete') {
      if (!Object.hasOwn(item, key)) throw noMergeKey(item, key);
      base = base.filter((existing) => keyOf(existing) !== item[key]);
    } else if (directive === 'replace') {
      replace = true;
    } else {
      throw invalidPatch(`Unknown patch type: ${JSON.stringify(directive)} in map: ${JSON.stringify(item)}`);
    }
  }
  if (replace) return patchItems.flatMap((item) => sanitizeItem(item, schema?.item));

  const merged = [...base];
  for (const item of patchItems) {
    if (!Object.hasOwn(item, key)) throw noMergeKey(item, key);
    const index = merged.findIndex((existing) => keyOf(existing) === item[key]);
    const current = index >= 0 ? merged[index] : undefined;
    const next = mergeStrategicMap(isRecord(current) ? current : undefined, item, schema?.item);
    if (index < 0) {
      if (next !== DELETED) merged.push(next);
    } else if (next === DELETED) {
      merged.splice(index, 1);
    } else {
      merged[index] = next;
    }
  }
  const patchKeys = patchItems.map(keyOf);
  const inPatch = (item: unknown): boolean => patchKeys.includes(keyOf(item));
  return normalizeOrder(
    merged.filter(inPatch),
    merged.filter((item) => !inPatch(item)),
    patchItems,
    base,
    keyOf,
  );
}

/**
 * The order strategic merge gives a merged list: patch items in patch (or $setElementOrder) order,
 * server-only items in live order, interleaved by their live positions. Items new to the list sort
 * before the server-only items that follow them, so an added item lands first when the patch holds
 * nothing else, as the real apiserver does.
 */
function normalizeOrder(
  patchItems: readonly unknown[],
  serverOnly: readonly unknown[],
  patchOrder: readonly unknown[],
  serverOrder: readonly unknown[],
  keyOf: (item: unknown) => unknown,
): unknown[] {
  const indexIn = (list: readonly unknown[], item: unknown): number => {
    const wanted = keyOf(item);
    return list.findIndex((entry) => keyOf(entry) === wanted);
  };
  const sortBy = (items: readonly unknown[], order: readonly unknown[]): unknown[] =>
    items
      .map((item, position) => ({ item, position, rank: indexIn(order, item) }))
      .sort((a, b) => {
        if (a.rank >= 0 && b.rank >= 0) return a.rank - b.rank;
        if (a.rank >= 0 || b.rank >= 0) return a.rank >= 0 ? -1 : 1;
        return a.position - b.position;
      })
      .map((entry) => entry.item);
  const left = sortBy(serverOnly, serverOrder);
  const right = sortBy(patchItems, patchOrder);
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (i >= left.length) out.push(right[j++]);
    else if (j >= right.length) out.push(left[i++]);
    else {
      const leftRank = indexIn(serverOrder, left[i]);
      const rightRank = indexIn(serverOrder, right[j]);
      if (leftRank >= 0 && rightRank >= 0 && leftRank < rightRank) out.push(left[i++]);
      else out.push(right[j++]);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Field sets (the model behind managedFields)
//
// A path is a list of FieldsV1 path elements: `f:<field>`, `k:<json of key fields>` for an item of
// an associative list, `v:<json>` for an item of a set, `i:<index>` for a positional item.

type FieldPath = readonly string[];

class FieldSet implements Iterable<FieldPath> {
  readonly #paths = new Map<string, FieldPath>();

  constructor(paths: Iterable<FieldPath> = []) {
    for (const path of paths) this.add(path);
  }

  add(path: FieldPath): void {
    this.#paths.set(JSON.stringify(path), path);
  }

  has(path: FieldPath): boolean {
    return this.#paths.has(JSON.stringify(path));
  }

  get size(): number {
    return this.#paths.size;
  }

  [Symbol.iterator](): Iterator<FieldPath> {
    return this.#paths.values();
  }

  filter(keep: (path: FieldPath) => boolean): FieldSet {
    return new FieldSet([...this].filter(keep));
  }

  union(other: FieldSet): FieldSet {
    return new FieldSet([...this, ...other]);
  }

  difference(other: FieldSet): FieldSet {
    return this.filter((path) => !other.has(path));
  }

  intersection(other: FieldSet): FieldSet {
    return this.filter((path) => other.has(path));
  }
}

const ELEMENT_RANK: Readonly<Record<string, number>> = { f: 0, k: 1, v: 2, i: 3 };

function compareElements(a: string, b: string): number {
  const rank = (ELEMENT_RANK[a.slice(0, 1)] ?? 4) - (ELEMENT_RANK[b.slice(0, 1)] ?? 4);
  if (rank !== 0) return rank;
  return a < b ? -1 : a > b ? 1 : 0;
}

function comparePaths(a: FieldPath, b: FieldPath): number {
  for (let index = 0; index < Math.min(a.length, b.length); index++) {
    const order = compareElements(a[index] ?? '', b[index] ?? '');
    if (order !== 0) return order;
  }
  return a.length - b.length;
}

interface FieldTree {
  member: boolean;
  readonly children: Map<string, FieldTree>;
}

function toFieldsV1(set: FieldSet): JsonRecord {
  const root: FieldTree = { member: false, children: new Map() };
  for (const path of set) {
    let node = root;
    for (const element of path) {
      let child = node.children.get(element);
      if (!child) {
        child = { member: false, children: new Map() };
        node.children.set(element, child);
      }
      node = child;
    }
    node.member = true;
  }
  return encodeTree(root);
}

function encodeTree(node: FieldTree): JsonRecord {
  const out: JsonRecord = {};
  if (node.member && node.children.size > 0) out['.'] = {};
  const children = [...node.children.entries()].sort(([a], [b]) => compareElements(a, b));
  for (const [element, child] of children) put(out, element, encodeTree(child));
  return out;
}

function fromFieldsV1(value: unknown, prefix: FieldPath = [], out = new FieldSet()): FieldSet {
  if (!isRecord(value)) return out;
  for (const [element, child] of Object.entries(value)) {
    if (element === '.') {
      if (prefix.length > 0) out.add(prefix);
      continue;
    }
    const path = [...prefix, element];
    if (isRecord(child) && Object.keys(child).length === 0) out.add(path);
    else fromFieldsV1(child, path, out);
  }
  return out;
}

function keyElement(item: JsonRecord, list: AssociativeList, onMissing?: (field: string) => never): string {
  const key: JsonRecord = {};
  for (const field of [...list.keys].sort()) {
    const value = own(item, field) ?? list.defaults?.[field];
    if (value === undefined) {
      onMissing?.(field);
      continue;
    }
    put(key, field, value);
  }
  return `k:${JSON.stringify(key)}`;
}

function elementFor(
  item: unknown,
  listSchema: FieldSchema | undefined,
  onMissing?: (field: string) => never,
): string {
  const list = listSchema?.list;
  if (list?.type === 'map' && isRecord(item)) return keyElement(item, list, onMissing);
  return `v:${JSON.stringify(item)}`;
}

function formatElement(element: string): string {
  const body = element.slice(2);
  switch (element.slice(0, 2)) {
    case 'f:':
      return `.${body}`;
    case 'k:': {
      const key: unknown = JSON.parse(body);
      const parts = isRecord(key)
        ? Object.entries(key).map(([field, value]) => `${field}=${JSON.stringify(value)}`)
        : [];
      return `[${parts.join(',')}]`;
    }
    case 'v:':
      return `[=${body}]`;
    default:
      return `[${body}]`;
  }
}

/** A field path as the real server prints it in conflicts and errors. */
function formatPath(path: FieldPath): string {
  return path.map(formatElement).join('');
}

type Shape = 'absent' | 'struct' | 'map' | 'set' | 'leaf';

function shapeOf(value: unknown, schema: FieldSchema | undefined): Shape {
  if (value === undefined) return 'absent';
  if (isArray(value)) {
    if (schema?.atomic) return 'leaf';
    if (schema?.list?.type === 'map' && value.every(isRecord)) return 'map';
    if (schema?.list?.type === 'set' && value.every(isScalar)) return 'set';
    return 'leaf';
  }
  return isRecord(value) && !schema?.atomic ? 'struct' : 'leaf';
}

/**
 * The fields an apply configuration sets (structured-merge-diff's ToFieldSet): leaves, atomic
 * values, empty maps and every item of an associative list or set. With `strict`, list items with a
 * missing key or a duplicate key are errors, as they are for a real apply.
 */
function collectFields(
  value: unknown,
  schema: FieldSchema | undefined,
  path: FieldPath,
  out: FieldSet,
  strict: boolean,
): void {
  const shape = shapeOf(value, schema);
  if ((shape === 'map' || shape === 'set') && isArray(value)) {
    const seen = new Set<string>();
    for (const [index, item] of value.entries()) {
      const element = elementFor(
        item,
        schema,
        strict
          ? (field) => {
              throw invalidPatch(
                `${formatPath(path)}: element ${index}: associative list with keys has an element that omits key field ${JSON.stringify(field)} (and doesn't have default value)`,
              );
            }
          : undefined,
      );
      if (seen.has(element)) {
        if (strict)
          throw invalidPatch(`${formatPath(path)}: duplicate entries for key ${formatElement(element)}`);
        continue;
      }
      seen.add(element);
      const itemPath = [...path, element];
      out.add(itemPath);
      if (isRecord(item)) collectChildren(item, schema?.item, itemPath, out, strict);
    }
    return;
  }
  if (shape === 'struct' && isRecord(value) && Object.keys(value).length > 0) {
    collectChildren(value, schema, path, out, strict);
    return;
  }
  if (path.length > 0) out.add(path);
}

function collectChildren(
  record: JsonRecord,
  schema: FieldSchema | undefined,
  path: FieldPath,
  out: FieldSet,
  strict: boolean,
): void {
  for (const [key, child] of Object.entries(record)) {
    collectFields(child, fieldSchema(schema, key), [...path, `f:${key}`], out, strict);
  }
}

function indexItems(value: unknown, schema: FieldSchema | undefined): Map<string, unknown> {
  const items = new Map<string, unknown>();
  if (!isArray(value)) return items;
  for (const item of value) {
    const element = elementFor(item, schema);
    if (!items.has(element)) items.set(element, item);
  }
  return items;
}

interface Comparison {
  readonly added: FieldSet;
  readonly modified: FieldSet;
  readonly removed: FieldSet;
}

/**
 * What changed between two versions of an object: leaves added, modified or removed, and granular
 * nodes (maps, list items) added or removed as a whole, which is how an Update gains `.` entries.
 */
function compareValues(
  lhs: unknown,
  rhs: unknown,
  schema: FieldSchema | undefined,
  path: FieldPath,
  out: Comparison,
): void {
  const left = shapeOf(lhs, schema);
  const right = shapeOf(rhs, schema);
  if (left === 'absent' && right === 'absent') return;
  if (left !== right && left !== 'absent' && right !== 'absent') {
    compareValues(lhs, undefined, schema, path, out);
    compareValues(undefined, rhs, schema, path, out);
    return;
  }
  const shape = left === 'absent' ? right : left;
  if (shape === 'leaf') {
    if (path.length === 0) return;
    if (left === 'absent') out.added.add(path);
    else if (right === 'absent') out.removed.add(path);
    else if (!deepEqual(lhs, rhs)) out.modified.add(path);
    return;
  }
  if (shape === 'struct') {
    const l = isRecord(lhs) ? lhs : {};
    const r = isRecord(rhs) ? rhs : {};
    for (const key of new Set([...Object.keys(l), ...Object.keys(r)])) {
      compareValues(own(l, key), own(r, key), fieldSchema(schema, key), [...path, `f:${key}`], out);
    }
  } else {
    const l = indexItems(lhs, schema);
    const r = indexItems(rhs, schema);
    for (const element of new Set([...l.keys(), ...r.keys()])) {
      const itemPath = [...path, element];
      if (shape === 'map') compareValues(l.get(element), r.get(element), schema?.item, itemPath, out);
      else if (!r.has(element)) out.removed.add(itemPath);
      else if (!l.has(element)) out.added.add(itemPath);
    }
  }
  if (path.length > 0 && !schema?.embedded) {
    if (left === 'absent') out.added.add(path);
    else if (right === 'absent') out.removed.add(path);
  }
}

function compareObjects(
  lhs: unknown,
  rhs: unknown,
  schema: FieldSchema,
  tracked: (path: FieldPath) => boolean,
): Comparison {
  const raw: Comparison = { added: new FieldSet(), modified: new FieldSet(), removed: new FieldSet() };
  compareValues(lhs, rhs, schema, [], raw);
  return {
    added: raw.added.filter(tracked),
    modified: raw.modified.filter(tracked),
    removed: raw.removed.filter(tracked),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Server-side apply

/** Metadata the server owns: never taken from an apply configuration. */
const SYSTEM_METADATA = [
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'selfLink',
  'managedFields',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
] as const;

/** Fields the real field manager strips before tracking ownership (its stripMeta list). */
const UNTRACKED_METADATA: ReadonlySet<string> = new Set([
  'f:name',
  'f:namespace',
  'f:uid',
  'f:resourceVersion',
  'f:generation',
  'f:creationTimestamp',
  'f:selfLink',
  'f:managedFields',
  'f:clusterName',
]);

const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';
const BEFORE_FIRST_APPLY = 'before-first-apply';

/**
 * Whether managedFields track a path. The main resource ignores status (reset by the strategy);
 * the status subresource tracks nothing else.
 */
function isTracked(path: FieldPath, subresource: string | undefined): boolean {
  const [first, second] = path;
  if (first === undefined || first === 'f:apiVersion' || first === 'f:kind') return false;
  if (first === 'f:metadata' && (second === undefined || UNTRACKED_METADATA.has(second))) return false;
  return subresource === 'status' ? first === 'f:status' : first !== 'f:status';
}

interface ManagerEntry {
  readonly manager: string;
  readonly operation: 'Apply' | 'Update';
  readonly apiVersion: string;
  time: string | undefined;
  readonly subresource: string | undefined;
  readonly set: FieldSet;
}

type ManagerIdentity = Pick<ManagerEntry, 'manager' | 'operation' | 'apiVersion' | 'subresource'>;

/** The real manager identity: appliers are one manager across API versions, updaters are not. */
function sameManager(a: ManagerIdentity, b: ManagerIdentity): boolean {
  return (
    a.manager === b.manager &&
    a.operation === b.operation &&
    (a.operation === 'Apply' || a.apiVersion === b.apiVersion) &&
    (a.subresource ?? '') === (b.subresource ?? '')
  );
}

/** Undefined when the entries are malformed, which the real server treats as having none. */
function decodeManagedFields(value: unknown): ManagerEntry[] | undefined {
  if (value === undefined || value === null) return [];
  if (!isArray(value)) return undefined;
  const entries: ManagerEntry[] = [];
  for (const raw of value) {
    if (!isRecord(raw)) return undefined;
    const manager = own(raw, 'manager');
    const operation = own(raw, 'operation');
    const fieldsType = own(raw, 'fieldsType');
    if (typeof manager !== 'string' || (operation !== 'Apply' && operation !== 'Update')) return undefined;
    if (fieldsType !== undefined && fieldsType !== 'FieldsV1') return undefined;
    const apiVersion = own(raw, 'apiVersion');
    const time = own(raw, 'time');
    const subresource = own(raw, 'subresource');
    entries.push({
      manager,
      operation,
      apiVersion: typeof apiVersion === 'string' ? apiVersion : '',
      time: typeof time === 'string' ? time : undefined,
      subresource: typeof subresource === 'string' && subresource !== '' ? subresource : undefined,
      set: fromFieldsV1(own(raw, 'fieldsV1')),
    });
  }
  return entries;
}

function entrySeconds(entry: ManagerEntry): number {
  const millis = entry.time === undefined ? Number.NaN : Date.parse(entry.time);
  return Number.isNaN(millis) ? 0 : Math.floor(millis / 1000);
}

/** The real server's order: Apply before Update, then by time, manager, apiVersion, subresource. */
function compareEntries(a: ManagerEntry, b: ManagerEntry): number {
  const byText = (x: string, y: string): number => (x < y ? -1 : x > y ? 1 : 0);
  return (
    byText(a.operation, b.operation) ||
    entrySeconds(a) - entrySeconds(b) ||
    byText(a.manager, b.manager) ||
    byText(a.apiVersion, b.apiVersion) ||
    byText(a.subresource ?? '', b.subresource ?? '')
  );
}

function metadataOf(object: JsonRecord): JsonRecord {
  const metadata = own(object, 'metadata');
  if (isRecord(metadata)) return metadata;
  const created: JsonRecord = {};
  object.metadata = created;
  return created;
}

function managedFieldsOf(object: unknown): unknown {
  if (!isRecord(object)) return undefined;
  const metadata = own(object, 'metadata');
  return isRecord(metadata) ? own(metadata, 'managedFields') : undefined;
}

function writeManagedFields(object: JsonRecord, entries: readonly ManagerEntry[]): void {
  const metadata = metadataOf(object);
  const encoded = entries
    .filter((entry) => entry.set.size > 0)
    .sort(compareEntries)
    .map((entry) => ({
      manager: entry.manager,
      operation: entry.operation,
      apiVersion: entry.apiVersion,
      ...(entry.time === undefined ? {} : { time: entry.time }),
      fieldsType: 'FieldsV1',
      fieldsV1: toFieldsV1(entry.set),
      ...(entry.subresource ? { subresource: entry.subresource } : {}),
    }));
  if (encoded.length > 0) metadata.managedFields = encoded;
  else delete metadata.managedFields;
}

function withoutManagedFields(object: object): JsonRecord {
  const copy = cloneRecord(object, 'the object');
  const metadata = own(copy, 'metadata');
  if (isRecord(metadata)) delete metadata.managedFields;
  return copy;
}

/** Options of {@link serverSideApply}. */
export interface ServerSideApplyOptions {
  /** The fieldManager query parameter. */
  readonly manager: string;
  /** The force query parameter: take ownership of conflicting fields instead of failing. */
  readonly force: boolean;
  /** The kind being applied, which selects the list semantics. */
  readonly kind: string;
  /** RFC 3339 time recorded in the manager's managedFields entry. */
  readonly now: string;
  /** 'status' when applying to the status subresource, which owns only status. */
  readonly subresource?: string | undefined;
}

/** Result of {@link serverSideApply}. */
export interface ServerSideApplyResult {
  readonly object: KubeObject;
  /** True when there was no existing object, so the server should create it (201). */
  readonly created: boolean;
}

/**
 * Server-side apply, as structured-merge-diff does it on a real API server.
 *
 * The applied configuration is merged into the live object (associative lists by their keys, atomic
 * values replaced). Fields the manager applied last time but omits now are removed unless another
 * manager (Apply or Update) still owns them. Changing a field another manager owns is a conflict:
 * ApplyConflictError unless `force`, which moves ownership to this manager. `kubectl` may take over
 * fields listed in its client-side last-applied annotation without forcing, as the real server
 * lets it. metadata.managedFields is rewritten in FieldsV1 form; an object that has none is treated
 * as owned by "before-first-apply". Status in the configuration is ignored on the main resource,
 * and server-owned metadata (uid, resourceVersion, creationTimestamp, ...) is never taken from it.
 * Malformed configurations (duplicate or keyless list items, managedFields set) throw PatchError
 * 'invalid-patch'.
 */
export function serverSideApply(
  existing: object | undefined,
  applied: object,
  options: ServerSideApplyOptions,
): ServerSideApplyResult {
  const { manager, force, kind, now, subresource } = options;
  if (manager === '') throw invalidPatch('fieldManager is required for apply patch');
  const config = cloneRecord(applied, 'the apply configuration');
  const apiVersion = own(config, 'apiVersion');
  const appliedKind = own(config, 'kind');
  if (typeof apiVersion !== 'string' || apiVersion === '')
    throw invalidPatch('apiVersion must be set in the apply configuration');
  if (typeof appliedKind !== 'string' || appliedKind === '')
    throw invalidPatch('kind must be set in the apply configuration');
  const configMetadata = own(config, 'metadata');
  if (configMetadata !== undefined && !isRecord(configMetadata))
    throw invalidPatch('metadata must be an object');
  const requestedManaged = configMetadata === undefined ? undefined : own(configMetadata, 'managedFields');
  if (requestedManaged !== undefined && requestedManaged !== null)
    throw invalidPatch('metadata.managedFields must be nil');

  const schema = schemaForKind(kind);
  const tracked = (path: FieldPath): boolean => isTracked(path, subresource);
  keepApplicableFields(config, subresource);

  const appliedSet = new FieldSet();
  try {
    collectFields(config, schema, [], appliedSet, true);
  } catch (error) {
    if (!(error instanceof PatchError)) throw error;
    const namespace = typeof configMetadata?.namespace === 'string' ? configMetadata.namespace : '';
    const name = typeof configMetadata?.name === 'string' ? configMetadata.name : '';
    throw invalidPatch(
      `failed to create typed patch object (${namespace}/${name}; ${apiVersion}, Kind=${appliedKind}): ${error.message}`,
    );
  }

  const live = existing === undefined ? undefined : withoutManagedFields(existing);
  let entries = (existing === undefined ? [] : decodeManagedFields(managedFieldsOf(existing))) ?? [];
  if (live !== undefined && entries.length === 0) {
    const before = compareObjects({}, live, schema, tracked);
    const liveApiVersion = own(live, 'apiVersion');
    entries = [
      {
        manager: BEFORE_FIRST_APPLY,
        operation: 'Update',
        apiVersion: typeof liveApiVersion === 'string' ? liveApiVersion : apiVersion,
        time: now,
        subresource: undefined,
        set: before.added.union(before.modified),
      },
    ];
  }

  const identity: ManagerIdentity = { manager, operation: 'Apply', apiVersion, subresource };
  const previous = entries.find((entry) => sameManager(entry, identity));
  const applier: ManagerEntry = { ...identity, time: previous?.time, set: appliedSet.filter(tracked) };
  entries = [...entries.filter((entry) => entry !== previous), applier];

  const merged = mergeApplied(live === undefined ? {} : structuredClone(live), config, schema);
  if (!isRecord(merged)) throw invalidPatch('the apply configuration did not produce an object');

  if (previous) {
    const owned = entries.reduce((all, entry) => all.union(entry.set), new FieldSet());
    const dropped = [...previous.set].filter((path) => tracked(path) && !owned.has(path)).sort(comparePaths);
    for (const path of dropped) prunePath(merged, schema, path, 0, owned);
  }

  const comparison = compareObjects(live ?? {}, merged, schema, tracked);
  const changed = comparison.added.union(comparison.modified);
  const conflicts: Array<{ readonly entry: ManagerEntry; readonly path: FieldPath }> = [];
  for (const entry of entries) {
    if (entry === applier) continue;
    for (const path of [...entry.set.intersection(changed)].sort(comparePaths))
      conflicts.push({ entry, path });
  }
  if (conflicts.length > 0 && !force) {
    const allowed = manager === 'kubectl' && live !== undefined ? lastAppliedFields(live, schema) : undefined;
    const blocking = allowed ? conflicts.filter(({ path }) => !allowed.has(path)) : conflicts;
    if (blocking.length > 0) {
      throw new ApplyConflictError(
        blocking.map(({ entry, path }) => ({
          manager: entry.manager,
          operation: entry.operation,
          apiVersion: entry.apiVersion,
          subresource: entry.subresource,
          field: formatPath(path),
        })),
      );
    }
  }

  entries = entries.map((entry) =>
    entry === applier
      ? entry
      : { ...entry, set: entry.set.difference(changed).difference(comparison.removed) },
  );
  if (previous === undefined || !deepEqual(live, merged)) applier.time = now;
  if (manager === 'kubectl') syncLastApplied(merged, applied);
  writeManagedFields(merged, entries);
  return { object: merged as unknown as KubeObject, created: existing === undefined };
}

/** Drops what an apply may not set: server-owned metadata, and status (or all but status). */
function keepApplicableFields(config: JsonRecord, subresource: string | undefined): void {
  if (subresource === 'status') {
    for (const key of Object.keys(config)) {
      if (!['apiVersion', 'kind', 'metadata', 'status'].includes(key)) delete config[key];
    }
    const metadata = own(config, 'metadata');
    if (isRecord(metadata)) {
      for (const key of Object.keys(metadata))
        if (key !== 'name' && key !== 'namespace') delete metadata[key];
    }
    return;
  }
  delete config.status;
  const metadata = own(config, 'metadata');
  if (isRecord(metadata)) for (const key of SYSTEM_METADATA) delete metadata[key];
}

/** `live` is owned by the caller and is merged into in place; `config` is only read. */
function mergeApplied(live: unknown, config: unknown, schema: FieldSchema | undefined): unknown {
  const shape = shapeOf(config, schema);
  if (shape === 'struct' && isRecord(config)) {
    const result: JsonRecord = isRecord(live) && shapeOf(live, schema) === 'struct' ? live : {};
    for (const [key, value] of Object.entries(config)) {
      if (value === null) delete result[key];
      else put(result, key, mergeApplied(own(result, key), value, fieldSchema(schema, key)));
    }
    return result;
  }
  if ((shape === 'map' || shape === 'set') && isArray(config)) {
    const current = isArray(live) && shapeOf(live, schema) === shape ? live : [];
    return mergeAssociative(current, config, schema, shape);
  }
  return withoutNullFields(config);
}

/**
 * Merges an associative list or set the way structured-merge-diff does: live-only items keep their
 * place, configured items follow the configuration's order, and new items go where the
 * configuration puts them (at the end when it lists nothing else).
 */
function mergeAssociative(
  live: unknown[],
  config: unknown[],
  schema: FieldSchema | undefined,
  shape: 'map' | 'set',
): unknown[] {
  const liveEntries = live.map((item) => ({ element: elementFor(item, schema), item }));
  const configEntries = config.map((item) => ({ element: elementFor(item, schema), item }));
  const firstByElement = (entries: Array<{ element: string; item: unknown }>): Map<string, unknown> => {
    const map = new Map<string, unknown>();
    for (const { element, item } of entries) if (!map.has(element)) map.set(element, item);
    return map;
  };
  const liveByElement = firstByElement(liveEntries);
  const configByElement = firstByElement(configEntries);
  const shared = [
    ...new Set(configEntries.map(({ element }) => element).filter((element) => liveByElement.has(element))),
  ];
  const emitted = new Set<string>();
  const out: unknown[] = [];
  const emit = (element: string): void => {
    emitted.add(element);
    if (!configByElement.has(element)) out.push(liveByElement.get(element));
    else if (shape === 'set') out.push(configByElement.get(element));
    else out.push(mergeApplied(liveByElement.get(element), configByElement.get(element), schema?.item));
  };
  let i = 0;
  let j = 0;
  let nextShared = 0;
  while (i < liveEntries.length || j < configEntries.length) {
    const current = liveEntries[i];
    if (current !== undefined) {
      const configured = configByElement.has(current.element);
      if (emitted.has(current.element) || (configured && current.element !== shared[nextShared])) {
        i++;
        continue;
      }
      if (!configured) {
        emit(current.element);
        i++;
        continue;
      }
    }
    const next = configEntries[j];
    if (next === undefined) {
      i++;
      continue;
    }
    j++;
    if (emitted.has(next.element)) continue;
    emit(next.element);
    if (next.element === shared[nextShared]) nextShared++;
  }
  return out;
}

function childOf(node: unknown, element: string, schema: FieldSchema | undefined): unknown {
  if (element.startsWith('f:')) return isRecord(node) ? own(node, element.slice(2)) : undefined;
  if (!isArray(node)) return undefined;
  const index = indexOfElement(node, element, schema);
  return index >= 0 ? node[index] : undefined;
}

function indexOfElement(list: unknown[], element: string, schema: FieldSchema | undefined): number {
  if (element.startsWith('i:')) {
    const index = Number(element.slice(2));
    return Number.isInteger(index) && index < list.length ? index : -1;
  }
  return list.findIndex((item) => elementFor(item, schema) === element);
}

function removeChild(node: unknown, element: string, schema: FieldSchema | undefined): void {
  if (element.startsWith('f:')) {
    if (isRecord(node)) delete node[element.slice(2)];
    return;
  }
  if (!isArray(node)) return;
  const index = indexOfElement(node, element, schema);
  if (index >= 0) node.splice(index, 1);
}

function childSchemaOf(schema: FieldSchema | undefined, element: string): FieldSchema | undefined {
  return element.startsWith('f:') ? fieldSchema(schema, element.slice(2)) : schema?.item;
}

/**
 * Removes a field the applier no longer sets, then any map or list that removal emptied, unless
 * someone owns it or it is a Go value struct: the real server drops such containers as a whole.
 */
function prunePath(
  node: unknown,
  schema: FieldSchema | undefined,
  path: FieldPath,
  depth: number,
  owned: FieldSet,
): void {
  const element = path[depth];
  if (element === undefined) return;
  if (depth === path.length - 1) {
    removeChild(node, element, schema);
    return;
  }
  const child = childOf(node, element, schema);
  if (child === undefined) return;
  const childSchema = childSchemaOf(schema, element);
  prunePath(child, childSchema, path, depth + 1, owned);
  const empty = isArray(child) ? child.length === 0 : isRecord(child) && Object.keys(child).length === 0;
  if (empty && !owned.has(path.slice(0, depth + 1)) && !childSchema?.embedded)
    removeChild(node, element, schema);
}

function lastAppliedAnnotations(object: JsonRecord): JsonRecord | undefined {
  const annotations = own(metadataOf(object), 'annotations');
  return isRecord(annotations) && typeof own(annotations, LAST_APPLIED_ANNOTATION) === 'string'
    ? annotations
    : undefined;
}

/** The fields kubectl's client-side apply recorded, which kubectl may take over without forcing. */
function lastAppliedFields(live: JsonRecord, schema: FieldSchema): FieldSet | undefined {
  const annotations = lastAppliedAnnotations(structuredClone(live));
  const text = annotations ? own(annotations, LAST_APPLIED_ANNOTATION) : undefined;
  if (typeof text !== 'string' || text === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  const set = new FieldSet();
  collectFields(parsed, schema, [], set, false);
  return set;
}

/** kubectl server-side apply keeps an existing client-side last-applied annotation current. */
function syncLastApplied(merged: JsonRecord, applied: object): void {
  const annotations = lastAppliedAnnotations(merged);
  if (!annotations) return;
  const record = cloneRecord(applied, 'the apply configuration');
  const appliedMetadata = own(record, 'metadata');
  const appliedAnnotations = isRecord(appliedMetadata) ? own(appliedMetadata, 'annotations') : undefined;
  if (isRecord(appliedAnnotations)) delete appliedAnnotations[LAST_APPLIED_ANNOTATION];
  annotations[LAST_APPLIED_ANNOTATION] = JSON.stringify(record);
}

// ---------------------------------------------------------------------------------------------------------------
// Update managers

/** Options of {@link recordUpdateManager}. */
export interface RecordUpdateOptions {
  /** 'status' for writes through the status subresource, which track only status. */
  readonly subresource?: string | undefined;
}

/**
 * Records a non-apply write (POST, PUT, or a JSON/merge/strategic PATCH) in managedFields, as the
 * real server does for `?fieldManager=` (or the user-agent-derived manager): the manager gains an
 * `operation: 'Update'` entry owning every field the write added or changed (with `.` entries for
 * maps and list items it created), other managers lose those fields and any the write removed, and
 * emptied entries disappear. Pass `existing: undefined` for a create. A request that sets
 * managedFields to `[]` or `[{}]` clears them; one that carries other managedFields has them used
 * in place of the live ones, as on a real server. Returns a new object; inputs are not mutated.
 */
export function recordUpdateManager<T extends object>(
  existing: object | undefined,
  updated: T,
  manager: string,
  now: string,
  options: RecordUpdateOptions = {},
): T {
  const { subresource } = options;
  const result = cloneRecord(updated, 'the updated object');
  const kindField = own(result, 'kind');
  const schema = schemaForKind(typeof kindField === 'string' ? kindField : '');
  const tracked = (path: FieldPath): boolean => isTracked(path, subresource);

  const liveEntries = (existing === undefined ? [] : decodeManagedFields(managedFieldsOf(existing))) ?? [];
  const requested = managedFieldsOf(result);
  let entries: ManagerEntry[];
  if (subresource !== undefined) entries = liveEntries;
  else if (isResetRequest(requested)) entries = [];
  else {
    const decoded = decodeManagedFields(requested);
    entries = decoded !== undefined && decoded.length > 0 ? decoded : liveEntries;
  }

  const comparison = compareObjects(
    existing === undefined ? {} : withoutManagedFields(existing),
    withoutManagedFields(result),
    schema,
    tracked,
  );
  const changed = comparison.added.union(comparison.modified);
  entries = entries.map((entry) => ({
    ...entry,
    set: entry.set.difference(changed).difference(comparison.removed),
  }));
  if (changed.size > 0) {
    const apiVersion = own(result, 'apiVersion');
    const identity: ManagerIdentity = {
      manager,
      operation: 'Update',
      apiVersion: typeof apiVersion === 'string' ? apiVersion : '',
      subresource,
    };
    const previous = entries.find((entry) => sameManager(entry, identity));
    const entry: ManagerEntry = {
      ...identity,
      time: now,
      set: previous ? previous.set.union(changed) : changed,
    };
    entries = [...entries.filter((other) => other !== previous), entry];
  }
  writeManagedFields(result, entries);
  return result as T;
}

function isResetRequest(managedFields: unknown): boolean {
  if (!isArray(managedFields)) return false;
  const [first] = managedFields;
  return (
    managedFields.length === 0 ||
    (managedFields.length === 1 && isRecord(first) && Object.keys(first).length === 0)
  );
}
