/**
 * Decoder for request bodies sent as `application/vnd.kubernetes.protobuf`.
 *
 * client-go (and so helm 3 and 4) sends some bodies in the Kubernetes protobuf envelope instead of
 * JSON: the release Secrets it creates and updates, and the DeleteOptions of a DELETE. The simulated
 * server works on plain JSON objects, so this module turns such a body into exactly the object the
 * JSON form of the same request would carry.
 *
 * Field numbers follow the upstream generated.proto files (k8s.io/api core/v1,
 * k8s.io/apimachinery pkg/apis/meta/v1 and pkg/runtime). Presence rules follow the Go types: fields
 * that are pointers in Go (`*bool`, `*int64`, ...) keep their zero value when it is on the wire,
 * because Go's generated marshaller writes them exactly when they are set; plain fields are written
 * unconditionally by Go, so their zero values are dropped as `omitempty` drops them in JSON.
 */
import { Buffer } from 'node:buffer';

/** The media type whose bodies this module decodes. */
export const KUBERNETES_PROTOBUF_CONTENT_TYPE = 'application/vnd.kubernetes.protobuf';

/** Why a body could not be decoded: the server answers 400 for `malformed`, 415 for `unsupported`. */
export const ProtobufDecodeReason = {
  Malformed: 'malformed',
  Unsupported: 'unsupported',
} as const;
export type ProtobufDecodeReason = (typeof ProtobufDecodeReason)[keyof typeof ProtobufDecodeReason];

/** A body that is not valid Kubernetes protobuf, or carries a kind this decoder does not know. */
export class ProtobufDecodeError extends Error {
  readonly code = 'protobuf-decode';
  readonly reason: ProtobufDecodeReason;

  constructor(reason: ProtobufDecodeReason, message: string) {
    super(message);
    this.name = 'ProtobufDecodeError';
    this.reason = reason;
  }
}

function malformed(message: string): ProtobufDecodeError {
  return new ProtobufDecodeError(ProtobufDecodeReason.Malformed, `protobuf: ${message}`);
}

// 'k8s\0': distinguishes the envelope from a raw message, as the upstream serializer requires.
const MAGIC = [0x6b, 0x38, 0x73, 0x00] as const;

const WireType = {
  Varint: 0,
  Fixed64: 1,
  Len: 2,
  StartGroup: 3,
  EndGroup: 4,
  Fixed32: 5,
} as const;
type WireType = (typeof WireType)[keyof typeof WireType];

// Go converts bytes to strings without validation and its JSON encoder then replaces invalid UTF-8
// with U+FFFD; a non-fatal decoder does the same. The BOM is kept because Go keeps it.
const utf8 = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

/** Cursor over one protobuf message; `next()` moves to each field in turn. */
class WireReader {
  /** Number of the current field. */
  field = 0;
  /** Wire type of the current field. */
  wireType = 0;
  readonly #buf: Uint8Array;
  readonly #message: string;
  #pos = 0;
  // Varints are read into two 32-bit halves so tags and lengths never need a BigInt.
  #lo = 0;
  #hi = 0;

  constructor(buf: Uint8Array, message: string) {
    this.#buf = buf;
    this.#message = message;
  }

  /** Advances to the next field; false once the message is exhausted. */
  next(): boolean {
    if (this.#pos >= this.#buf.length) return false;
    this.#readVarint('tag');
    const field = this.#lo >>> 3;
    if (this.#hi !== 0 || field === 0) throw malformed(`illegal tag in ${this.#message}`);
    this.field = field;
    this.wireType = this.#lo & 7;
    if (this.wireType === WireType.EndGroup) {
      throw malformed(`end-group tag without a group in ${this.#message}`);
    }
    return true;
  }

  string(name: string): string {
    return utf8.decode(this.bytes(name));
  }

  /** The bytes of a length-delimited field, as a view into the body (not a copy). */
  bytes(name: string): Uint8Array {
    this.#expect(WireType.Len, name);
    return this.#readLen(name);
  }

  bool(name: string): boolean {
    this.#expect(WireType.Varint, name);
    this.#readVarint(name);
    return this.#lo !== 0 || this.#hi !== 0;
  }

  int32(name: string): number {
    this.#expect(WireType.Varint, name);
    this.#readVarint(name);
    return this.#lo | 0;
  }

  /** An int64 as a Number; values beyond 2^53 are refused rather than silently rounded. */
  int64(name: string): number {
    this.#expect(WireType.Varint, name);
    this.#readVarint(name);
    if (this.#hi === 0) return this.#lo >>> 0;
    const value = Number(BigInt.asIntN(64, (BigInt(this.#hi >>> 0) << 32n) | BigInt(this.#lo >>> 0)));
    if (!Number.isSafeInteger(value)) {
      throw malformed(`${this.#message}.${name} does not fit a JavaScript number`);
    }
    return value;
  }

  /** Skips the current field, whatever its wire type, including nested groups. */
  skip(): void {
    let depth = 0;
    let wireType = this.wireType;
    for (;;) {
      switch (wireType) {
        case WireType.Varint:
          this.#readVarint('unknown field');
          break;
        case WireType.Fixed64:
          this.#advance(8);
          break;
        case WireType.Fixed32:
          this.#advance(4);
          break;
        case WireType.Len:
          this.#readLen('unknown field');
          break;
        case WireType.StartGroup:
          depth++;
          break;
        case WireType.EndGroup:
          depth--;
          break;
        default:
          throw malformed(`illegal wire type ${wireType} in ${this.#message}`);
      }
      if (depth === 0) return;
      if (this.#pos >= this.#buf.length) throw malformed(`unterminated group in ${this.#message}`);
      this.#readVarint('tag');
      if (this.#hi !== 0 || this.#lo >>> 3 === 0) throw malformed(`illegal tag in ${this.#message}`);
      wireType = this.#lo & 7;
    }
  }

  #expect(wireType: WireType, name: string): void {
    if (this.wireType !== wireType) {
      throw malformed(`wrong wire type ${this.wireType} for ${this.#message}.${name}`);
    }
  }

  #readVarint(name: string): void {
    const buf = this.#buf;
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 10; i++) {
      if (this.#pos >= buf.length) throw malformed(`truncated varint in ${this.#message}.${name}`);
      const b = buf[this.#pos++] ?? 0;
      if (i < 4) {
        lo |= (b & 0x7f) << (7 * i);
      } else if (i === 4) {
        lo |= (b & 0x0f) << 28;
        hi |= (b & 0x7f) >> 4;
      } else {
        // Bits past 64 fall off the top, as in Go's generated decoder.
        hi |= (b & 0x7f) << (7 * i - 32);
      }
      if (b < 0x80) {
        this.#lo = lo;
        this.#hi = hi;
        return;
      }
    }
    throw malformed(`varint overflows 64 bits in ${this.#message}.${name}`);
  }

  #readLen(name: string): Uint8Array {
    this.#readVarint(name);
    const length = this.#lo >>> 0;
    if (this.#hi !== 0 || length > this.#buf.length - this.#pos) {
      throw malformed(`truncated message: ${this.#message}.${name} runs past the end of the body`);
    }
    const start = this.#pos;
    this.#pos += length;
    return this.#buf.subarray(start, this.#pos);
  }

  #advance(count: number): void {
    if (count > this.#buf.length - this.#pos)
      throw malformed(`truncated fixed-width field in ${this.#message}`);
    this.#pos += count;
  }
}

type JsonObject = Record<string, unknown>;

// A plain assignment of '__proto__' would change the prototype instead of adding the key, and
// '__proto__' is a legal Secret or ConfigMap data key.
function setKey(target: JsonObject, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

/** Sets a plain (non-pointer) Go field: its zero value is what `omitempty` leaves out of the JSON. */
function setOmitEmpty(target: JsonObject, key: string, value: string | number | boolean): void {
  if (value === '' || value === 0 || value === false) delete target[key];
  else target[key] = value;
}

/** The object under `key`, created on first use: repeated embedded messages merge in Go. */
function childObject(target: JsonObject, key: string): JsonObject {
  const existing = target[key];
  if (typeof existing === 'object' && existing !== null && !Array.isArray(existing)) {
    return existing as JsonObject;
  }
  const created: JsonObject = {};
  target[key] = created;
  return created;
}

function childArray(target: JsonObject, key: string): unknown[] {
  const existing = target[key];
  if (Array.isArray(existing)) return existing;
  const created: unknown[] = [];
  target[key] = created;
  return created;
}

const MapValue = { String: 'string', Bytes: 'bytes' } as const;
type MapValue = (typeof MapValue)[keyof typeof MapValue];

/** Decodes one map entry (key = 1, value = 2) into `target[key]`; bytes become base64 as in JSON. */
function decodeMapEntry(bytes: Uint8Array, message: string, valueType: MapValue, target: JsonObject): void {
  const r = new WireReader(bytes, message);
  let key = '';
  let value = '';
  while (r.next()) {
    if (r.field === 1) key = r.string('key');
    else if (r.field === 2) {
      value =
        valueType === MapValue.String ? r.string('value') : Buffer.from(r.bytes('value')).toString('base64');
    } else r.skip();
  }
  setKey(target, key, value);
}

// metav1.Time only holds whole seconds in JSON, and Go's unmarshaller discards nanos too.
const ZERO_TIME_SECONDS = -62135596800; // 0001-01-01T00:00:00Z, Go's zero time.Time
const MAX_TIME_SECONDS = 253402300799; // 9999-12-31T23:59:59Z

/**
 * A metav1.Time as its RFC 3339 JSON string, or undefined for the zero time: Go writes the zero
 * time as an empty message, and JSON has `null` for it, which callers treat as absent.
 */
function decodeTime(bytes: Uint8Array, message: string): string | undefined {
  if (bytes.length === 0) return undefined;
  const r = new WireReader(bytes, message);
  let seconds = 0;
  while (r.next()) {
    if (r.field === 1) seconds = r.int64('seconds');
    else if (r.field === 2) r.int32('nanos');
    else r.skip();
  }
  if (seconds === ZERO_TIME_SECONDS) return undefined;
  if (seconds < ZERO_TIME_SECONDS || seconds > MAX_TIME_SECONDS) {
    throw malformed(`${message} is outside 0001-01-01..9999-12-31`);
  }
  return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function setTime(target: JsonObject, key: string, bytes: Uint8Array, message: string): void {
  const time = decodeTime(bytes, message);
  if (time === undefined) delete target[key];
  else target[key] = time;
}

function decodeOwnerReference(bytes: Uint8Array): JsonObject {
  // These four have no omitempty in the Go type, so JSON always carries them.
  const ref: JsonObject = { apiVersion: '', kind: '', name: '', uid: '' };
  const r = new WireReader(bytes, 'OwnerReference');
  while (r.next()) {
    switch (r.field) {
      case 1:
        ref.kind = r.string('kind');
        break;
      case 3:
        ref.name = r.string('name');
        break;
      case 4:
        ref.uid = r.string('uid');
        break;
      case 5:
        ref.apiVersion = r.string('apiVersion');
        break;
      case 6:
        ref.controller = r.bool('controller');
        break;
      case 7:
        ref.blockOwnerDeletion = r.bool('blockOwnerDeletion');
        break;
      default:
        r.skip();
    }
  }
  return ref;
}

/** FieldsV1 marshals to JSON as its raw bytes, so the raw bytes are JSON to be parsed. */
function decodeFieldsV1(bytes: Uint8Array): unknown {
  const r = new WireReader(bytes, 'FieldsV1');
  let raw: Uint8Array | undefined;
  while (r.next()) {
    if (r.field === 1) raw = r.bytes('Raw');
    else r.skip();
  }
  if (raw === undefined || raw.length === 0) return undefined;
  try {
    return JSON.parse(utf8.decode(raw)) as unknown;
  } catch {
    throw malformed('ManagedFieldsEntry.fieldsV1 is not valid JSON');
  }
}

function decodeManagedFieldsEntry(bytes: Uint8Array): JsonObject {
  const entry: JsonObject = {};
  const r = new WireReader(bytes, 'ManagedFieldsEntry');
  while (r.next()) {
    switch (r.field) {
      case 1:
        setOmitEmpty(entry, 'manager', r.string('manager'));
        break;
      case 2:
        setOmitEmpty(entry, 'operation', r.string('operation'));
        break;
      case 3:
        setOmitEmpty(entry, 'apiVersion', r.string('apiVersion'));
        break;
      case 4:
        setTime(entry, 'time', r.bytes('time'), 'ManagedFieldsEntry.time');
        break;
      case 6:
        setOmitEmpty(entry, 'fieldsType', r.string('fieldsType'));
        break;
      case 7: {
        const fields = decodeFieldsV1(r.bytes('fieldsV1'));
        if (fields === undefined) delete entry.fieldsV1;
        else entry.fieldsV1 = fields;
        break;
      }
      case 8:
        setOmitEmpty(entry, 'subresource', r.string('subresource'));
        break;
      default:
        r.skip();
    }
  }
  return entry;
}

function decodeObjectMeta(bytes: Uint8Array, meta: JsonObject): void {
  const r = new WireReader(bytes, 'ObjectMeta');
  while (r.next()) {
    switch (r.field) {
      case 1:
        setOmitEmpty(meta, 'name', r.string('name'));
        break;
      case 2:
        setOmitEmpty(meta, 'generateName', r.string('generateName'));
        break;
      case 3:
        setOmitEmpty(meta, 'namespace', r.string('namespace'));
        break;
      case 4:
        setOmitEmpty(meta, 'selfLink', r.string('selfLink'));
        break;
      case 5:
        setOmitEmpty(meta, 'uid', r.string('uid'));
        break;
      case 6:
        setOmitEmpty(meta, 'resourceVersion', r.string('resourceVersion'));
        break;
      case 7:
        setOmitEmpty(meta, 'generation', r.int64('generation'));
        break;
      case 8:
        setTime(meta, 'creationTimestamp', r.bytes('creationTimestamp'), 'ObjectMeta.creationTimestamp');
        break;
      case 9:
        setTime(meta, 'deletionTimestamp', r.bytes('deletionTimestamp'), 'ObjectMeta.deletionTimestamp');
        break;
      case 10:
        meta.deletionGracePeriodSeconds = r.int64('deletionGracePeriodSeconds');
        break;
      case 11:
        decodeMapEntry(r.bytes('labels'), 'ObjectMeta.labels', MapValue.String, childObject(meta, 'labels'));
        break;
      case 12:
        decodeMapEntry(
          r.bytes('annotations'),
          'ObjectMeta.annotations',
          MapValue.String,
          childObject(meta, 'annotations'),
        );
        break;
      case 13:
        childArray(meta, 'ownerReferences').push(decodeOwnerReference(r.bytes('ownerReferences')));
        break;
      case 14:
        childArray(meta, 'finalizers').push(r.string('finalizers'));
        break;
      case 17:
        childArray(meta, 'managedFields').push(decodeManagedFieldsEntry(r.bytes('managedFields')));
        break;
      default:
        r.skip();
    }
  }
}

function decodeSecret(bytes: Uint8Array, out: JsonObject): void {
  const r = new WireReader(bytes, 'Secret');
  while (r.next()) {
    switch (r.field) {
      case 1:
        decodeObjectMeta(r.bytes('metadata'), childObject(out, 'metadata'));
        break;
      case 2:
        decodeMapEntry(r.bytes('data'), 'Secret.data', MapValue.Bytes, childObject(out, 'data'));
        break;
      case 3:
        setOmitEmpty(out, 'type', r.string('type'));
        break;
      case 4:
        decodeMapEntry(
          r.bytes('stringData'),
          'Secret.stringData',
          MapValue.String,
          childObject(out, 'stringData'),
        );
        break;
      case 5:
        out.immutable = r.bool('immutable');
        break;
      default:
        r.skip();
    }
  }
}

function decodeConfigMap(bytes: Uint8Array, out: JsonObject): void {
  const r = new WireReader(bytes, 'ConfigMap');
  while (r.next()) {
    switch (r.field) {
      case 1:
        decodeObjectMeta(r.bytes('metadata'), childObject(out, 'metadata'));
        break;
      case 2:
        decodeMapEntry(r.bytes('data'), 'ConfigMap.data', MapValue.String, childObject(out, 'data'));
        break;
      case 3:
        decodeMapEntry(
          r.bytes('binaryData'),
          'ConfigMap.binaryData',
          MapValue.Bytes,
          childObject(out, 'binaryData'),
        );
        break;
      case 4:
        out.immutable = r.bool('immutable');
        break;
      default:
        r.skip();
    }
  }
}

function decodeNamespaceCondition(bytes: Uint8Array): JsonObject {
  // type and status have no omitempty in the Go type.
  const condition: JsonObject = { type: '', status: '' };
  const r = new WireReader(bytes, 'NamespaceCondition');
  while (r.next()) {
    switch (r.field) {
      case 1:
        condition.type = r.string('type');
        break;
      case 2:
        condition.status = r.string('status');
        break;
      case 4:
        setTime(
          condition,
          'lastTransitionTime',
          r.bytes('lastTransitionTime'),
          'NamespaceCondition.lastTransitionTime',
        );
        break;
      case 5:
        setOmitEmpty(condition, 'reason', r.string('reason'));
        break;
      case 6:
        setOmitEmpty(condition, 'message', r.string('message'));
        break;
      default:
        r.skip();
    }
  }
  return condition;
}

function decodeNamespace(bytes: Uint8Array, out: JsonObject): void {
  // spec and status are non-pointer structs in Go, so JSON always has them, if only as {}.
  const spec = childObject(out, 'spec');
  const status = childObject(out, 'status');
  const r = new WireReader(bytes, 'Namespace');
  while (r.next()) {
    switch (r.field) {
      case 1:
        decodeObjectMeta(r.bytes('metadata'), childObject(out, 'metadata'));
        break;
      case 2: {
        const s = new WireReader(r.bytes('spec'), 'NamespaceSpec');
        while (s.next()) {
          if (s.field === 1) childArray(spec, 'finalizers').push(s.string('finalizers'));
          else s.skip();
        }
        break;
      }
      case 3: {
        const s = new WireReader(r.bytes('status'), 'NamespaceStatus');
        while (s.next()) {
          if (s.field === 1) setOmitEmpty(status, 'phase', s.string('phase'));
          else if (s.field === 2) {
            childArray(status, 'conditions').push(decodeNamespaceCondition(s.bytes('conditions')));
          } else s.skip();
        }
        break;
      }
      default:
        r.skip();
    }
  }
}

function decodeDeleteOptions(bytes: Uint8Array, out: JsonObject): void {
  // Every scalar here is a pointer in Go: a zero on the wire (gracePeriodSeconds: 0) is meaningful.
  const r = new WireReader(bytes, 'DeleteOptions');
  while (r.next()) {
    switch (r.field) {
      case 1:
        out.gracePeriodSeconds = r.int64('gracePeriodSeconds');
        break;
      case 2: {
        const preconditions = childObject(out, 'preconditions');
        const p = new WireReader(r.bytes('preconditions'), 'Preconditions');
        while (p.next()) {
          if (p.field === 1) preconditions.uid = p.string('uid');
          else if (p.field === 2) preconditions.resourceVersion = p.string('resourceVersion');
          else p.skip();
        }
        break;
      }
      case 3:
        out.orphanDependents = r.bool('orphanDependents');
        break;
      case 4:
        out.propagationPolicy = r.string('propagationPolicy');
        break;
      case 5:
        childArray(out, 'dryRun').push(r.string('dryRun'));
        break;
      case 6:
        out.ignoreStoreReadErrorWithClusterBreakingPotential = r.bool(
          'ignoreStoreReadErrorWithClusterBreakingPotential',
        );
        break;
      default:
        r.skip();
    }
  }
}

type MessageDecoder = (bytes: Uint8Array, out: JsonObject) => void;

/** Decoders by `apiVersion/kind`, with the fields the JSON form always carries. */
const KIND_DECODERS: ReadonlyMap<string, { decode: MessageDecoder; withMetadata: boolean }> = new Map([
  ['v1/Secret', { decode: decodeSecret, withMetadata: true }],
  ['v1/ConfigMap', { decode: decodeConfigMap, withMetadata: true }],
  ['v1/Namespace', { decode: decodeNamespace, withMetadata: true }],
]);

function decoderFor(apiVersion: string, kind: string) {
  // client-go stamps DeleteOptions with the group version of the resource being deleted ("v1",
  // "apps/v1", ...) or with meta.k8s.io/v1; the message is the same metav1.DeleteOptions in all.
  if (kind === 'DeleteOptions' && apiVersion !== '')
    return { decode: decodeDeleteOptions, withMetadata: false };
  return KIND_DECODERS.get(`${apiVersion}/${kind}`);
}

/**
 * Decodes a Kubernetes protobuf request body (`k8s\0` + runtime.Unknown) into the object its JSON
 * form would be: `apiVersion`, `kind`, then the kind's fields under their JSON names, with bytes
 * fields as base64 strings and times as RFC 3339 strings.
 *
 * Supports v1 Secret, ConfigMap and Namespace, and DeleteOptions under any apiVersion.
 *
 * @throws ProtobufDecodeError with reason `malformed` for a body that is not valid protobuf (missing
 *   magic, truncation, bad tags or wire types, int64 values beyond 2^53), and `unsupported` for an
 *   unknown kind or a contentEncoding/contentType this decoder cannot read.
 */
export function decodeKubernetesProtobuf(body: Uint8Array): Record<string, unknown> {
  if (body.length < MAGIC.length || MAGIC.some((byte, i) => body[i] !== byte)) {
    throw malformed('body does not start with the k8s\\0 magic prefix');
  }
  let apiVersion = '';
  let kind = '';
  let raw: Uint8Array = new Uint8Array(0);
  let contentEncoding = '';
  let contentType = '';
  const r = new WireReader(body.subarray(MAGIC.length), 'Unknown');
  while (r.next()) {
    switch (r.field) {
      case 1: {
        const t = new WireReader(r.bytes('typeMeta'), 'TypeMeta');
        while (t.next()) {
          if (t.field === 1) apiVersion = t.string('apiVersion');
          else if (t.field === 2) kind = t.string('kind');
          else t.skip();
        }
        break;
      }
      case 2:
        raw = r.bytes('raw');
        break;
      case 3:
        contentEncoding = r.string('contentEncoding');
        break;
      case 4:
        contentType = r.string('contentType');
        break;
      default:
        r.skip();
    }
  }

  if (contentEncoding !== '') {
    throw new ProtobufDecodeError(
      ProtobufDecodeReason.Unsupported,
      `protobuf: unsupported contentEncoding "${contentEncoding}"`,
    );
  }
  if (contentType !== '' && contentType !== KUBERNETES_PROTOBUF_CONTENT_TYPE) {
    throw new ProtobufDecodeError(
      ProtobufDecodeReason.Unsupported,
      `protobuf: unsupported contentType "${contentType}"`,
    );
  }
  const decoder = decoderFor(apiVersion, kind);
  if (!decoder) {
    const named = kind === '' ? 'an object without a kind' : `kind "${kind}" of apiVersion "${apiVersion}"`;
    throw new ProtobufDecodeError(
      ProtobufDecodeReason.Unsupported,
      `protobuf: cannot decode ${named}; supported: v1 Secret, ConfigMap, Namespace and DeleteOptions`,
    );
  }
  const out: JsonObject = { apiVersion, kind };
  // ObjectMeta is a non-pointer struct in Go, so JSON always carries metadata, if only as {}.
  if (decoder.withMetadata) out.metadata = {};
  decoder.decode(raw, out);
  return out;
}
