import { describe, expect, it } from 'vitest';
import {
  decodeKubernetesProtobuf,
  ProtobufDecodeError,
  ProtobufDecodeReason,
} from '../../src/sim/api/protobuf-codec.ts';

// A minimal protobuf encoder, written from the upstream .proto field numbers independently of the
// decoder. Each helper returns the bytes of one field (tag included).
type Bytes = number[];

function varint(value: number | bigint): Bytes {
  let v = BigInt.asUintN(64, BigInt(value));
  const out: Bytes = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}
const tag = (field: number, wireType: number): Bytes => varint((field << 3) | wireType);
const len = (field: number, payload: Bytes): Bytes => [
  ...tag(field, 2),
  ...varint(payload.length),
  ...payload,
];
const utf8 = (s: string): Bytes => [...new TextEncoder().encode(s)];
const str = (field: number, s: string): Bytes => len(field, utf8(s));
const msg = (field: number, ...parts: Bytes[]): Bytes => len(field, parts.flat());
const int = (field: number, value: number | bigint): Bytes => [...tag(field, 0), ...varint(value)];
const bool = (field: number, value: boolean): Bytes => int(field, value ? 1 : 0);
const strEntry = (field: number, key: string, value: string): Bytes => msg(field, str(1, key), str(2, value));
const bytesEntry = (field: number, key: string, value: Bytes): Bytes =>
  msg(field, str(1, key), len(2, value));
const time = (field: number, iso: string): Bytes => msg(field, int(1, Date.parse(iso) / 1000));

/** `k8s\0` + runtime.Unknown{typeMeta{apiVersion=1, kind=2}=1, raw=2}. */
function envelope(apiVersion: string, kind: string, raw: Bytes, ...extra: Bytes[]): Uint8Array {
  return Uint8Array.from([
    0x6b,
    0x38,
    0x73,
    0x00,
    ...msg(1, str(1, apiVersion), str(2, kind)),
    ...len(2, raw),
    ...extra.flat(),
  ]);
}

function decodeError(body: Uint8Array): ProtobufDecodeError {
  try {
    decodeKubernetesProtobuf(body);
  } catch (error) {
    if (error instanceof ProtobufDecodeError) return error;
    throw error;
  }
  throw new Error('expected a ProtobufDecodeError');
}

describe('decodeKubernetesProtobuf: hand-written bytes', () => {
  it('decodes a Secret written byte by byte from the proto definitions', () => {
    // prettier-ignore
    const body = Uint8Array.from([
      0x6b, 0x38, 0x73, 0x00, // magic "k8s\0"
      0x0a, 0x0c, // Unknown.typeMeta (1, LEN 12)
      0x0a, 0x02, 0x76, 0x31, // TypeMeta.apiVersion (1) "v1"
      0x12, 0x06, 0x53, 0x65, 0x63, 0x72, 0x65, 0x74, // TypeMeta.kind (2) "Secret"
      0x12, 0x28, // Unknown.raw (2, LEN 40)
      0x0a, 0x15, // Secret.metadata (1, LEN 21)
      0x0a, 0x01, 0x73, // ObjectMeta.name (1) "s"
      0x42, 0x08, // ObjectMeta.creationTimestamp (8, LEN 8)
      0x08, 0xa5, 0xeb, 0xdc, 0xca, 0x06, // Time.seconds (1) 1767323045
      0x10, 0x05, // Time.nanos (2) 5: JSON has whole seconds only
      0x5a, 0x06, 0x0a, 0x01, 0x61, 0x12, 0x01, 0x62, // ObjectMeta.labels (11) entry a=b
      0x12, 0x07, 0x0a, 0x01, 0x6b, 0x12, 0x02, 0x00, 0xff, // Secret.data (2) entry k=[00 ff]
      0x1a, 0x06, 0x4f, 0x70, 0x61, 0x71, 0x75, 0x65, // Secret.type (3) "Opaque"
      0x1a, 0x00, // Unknown.contentEncoding (3) ""
      0x22, 0x00, // Unknown.contentType (4) ""
    ]);
    expect(decodeKubernetesProtobuf(body)).toEqual({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's', creationTimestamp: '2026-01-02T03:04:05Z', labels: { a: 'b' } },
      data: { k: 'AP8=' },
      type: 'Opaque',
    });
  });

  it('decodes DeleteOptions{gracePeriodSeconds: 0, propagationPolicy: Background} as client-go sends it', () => {
    // prettier-ignore
    const body = Uint8Array.from([
      0x6b, 0x38, 0x73, 0x00,
      0x0a, 0x13, 0x0a, 0x02, 0x76, 0x31, // typeMeta, apiVersion "v1"
      0x12, 0x0d, ...utf8('DeleteOptions'),
      0x12, 0x0e, // raw (LEN 14)
      0x08, 0x00, // gracePeriodSeconds (1) = 0
      0x22, 0x0a, ...utf8('Background'), // propagationPolicy (4)
      0x1a, 0x00, 0x22, 0x00,
    ]);
    expect(decodeKubernetesProtobuf(body)).toEqual({
      apiVersion: 'v1',
      kind: 'DeleteOptions',
      gracePeriodSeconds: 0,
      propagationPolicy: 'Background',
    });
  });
});

describe('decodeKubernetesProtobuf: Secret', () => {
  it('decodes a helm release Secret with data, labels, annotations and creationTimestamp', () => {
    const release = utf8('H4sIAAAAAAAC/+x9');
    const raw = [
      msg(
        1,
        str(1, 'sh.helm.release.v1.demo.v1'),
        str(3, 'soak-1'),
        time(8, '2026-01-02T03:04:05Z'),
        strEntry(11, 'name', 'demo'),
        strEntry(11, 'owner', 'helm'),
        strEntry(11, 'status', 'deployed'),
        strEntry(11, 'version', '1'),
        strEntry(12, 'meta.helm.sh/release-name', 'demo'),
      ),
      bytesEntry(2, 'release', release),
      str(3, 'helm.sh/release.v1'),
    ].flat();
    expect(decodeKubernetesProtobuf(envelope('v1', 'Secret', raw))).toEqual({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: 'sh.helm.release.v1.demo.v1',
        namespace: 'soak-1',
        creationTimestamp: '2026-01-02T03:04:05Z',
        labels: { name: 'demo', owner: 'helm', status: 'deployed', version: '1' },
        annotations: { 'meta.helm.sh/release-name': 'demo' },
      },
      data: { release: Buffer.from(release).toString('base64') },
      type: 'helm.sh/release.v1',
    });
  });

  it('drops the zero values Go writes for plain fields but keeps set pointer fields', () => {
    // Go's marshaller writes every non-pointer field, empty or not; JSON omitempty then drops them.
    const raw = [
      msg(
        1,
        str(1, 'x'),
        str(2, ''),
        str(3, ''),
        str(4, ''),
        str(5, ''),
        str(6, ''),
        int(7, 0),
        len(8, []), // zero creationTimestamp: Go writes an empty Time
      ),
      str(3, ''),
      bool(5, false), // immutable is *bool: an explicit false stays
      strEntry(4, 'plain', 'text'),
    ].flat();
    expect(decodeKubernetesProtobuf(envelope('v1', 'Secret', raw))).toEqual({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'x' },
      immutable: false,
      stringData: { plain: 'text' },
    });
  });

  it('always carries metadata, even for an empty message', () => {
    expect(decodeKubernetesProtobuf(envelope('v1', 'Secret', []))).toEqual({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {},
    });
  });

  it('decodes the rest of ObjectMeta: owner references, finalizers, managed fields, deletion', () => {
    const fields = { 'f:data': { '.': {}, 'f:release': {} } };
    const meta = msg(
      1,
      str(1, 'cm'),
      str(2, 'cm-'),
      str(5, 'uid-1'),
      str(6, '42'),
      int(7, 3),
      time(9, '2026-03-04T05:06:07Z'),
      int(10, 0),
      msg(13, str(5, 'apps/v1'), str(1, 'Deployment'), str(3, 'web'), str(4, 'uid-2'), bool(6, true)),
      msg(13, str(1, 'ConfigMap'), bool(7, false)),
      str(14, 'example.com/a'),
      str(14, 'example.com/b'),
      msg(
        17,
        str(1, 'helm'),
        str(2, 'Update'),
        str(3, 'v1'),
        time(4, '2026-01-02T03:04:05Z'),
        str(6, 'FieldsV1'),
        msg(7, len(1, utf8(JSON.stringify(fields)))),
        str(8, ''),
      ),
      msg(17, str(1, 'kubectl'), str(8, 'status')),
    );
    expect(decodeKubernetesProtobuf(envelope('v1', 'ConfigMap', meta)).metadata).toEqual({
      name: 'cm',
      generateName: 'cm-',
      uid: 'uid-1',
      resourceVersion: '42',
      generation: 3,
      deletionTimestamp: '2026-03-04T05:06:07Z',
      deletionGracePeriodSeconds: 0,
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'uid-2', controller: true },
        { apiVersion: '', kind: 'ConfigMap', name: '', uid: '', blockOwnerDeletion: false },
      ],
      finalizers: ['example.com/a', 'example.com/b'],
      managedFields: [
        {
          manager: 'helm',
          operation: 'Update',
          apiVersion: 'v1',
          time: '2026-01-02T03:04:05Z',
          fieldsType: 'FieldsV1',
          fieldsV1: fields,
        },
        { manager: 'kubectl', subresource: 'status' },
      ],
    });
  });

  it('skips unknown fields of every wire type, at the top level and nested', () => {
    const unknown = [
      int(99, 123456789),
      [...tag(98, 1), 1, 2, 3, 4, 5, 6, 7, 8], // fixed64
      [...tag(97, 5), 1, 2, 3, 4], // fixed32
      str(96, 'ignored'),
      [...tag(95, 3), ...int(1, 1), ...tag(94, 3), ...str(2, 'x'), ...tag(94, 4), ...tag(95, 4)], // nested groups
    ].flat();
    const raw = [
      unknown,
      msg(1, str(16, 'old-clusterName'), str(1, 'kept'), unknown, strEntry(11, 'a', 'b')),
      bytesEntry(2, 'k', [1]),
      unknown,
    ].flat();
    const body = envelope('v1', 'Secret', raw, unknown);
    expect(decodeKubernetesProtobuf(body)).toEqual({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'kept', labels: { a: 'b' } },
      data: { k: 'AQ==' },
    });
  });

  it('merges a repeated metadata field the way Go does', () => {
    const raw = [
      msg(1, str(1, 'a'), strEntry(11, 'x', '1')),
      msg(1, str(3, 'ns'), strEntry(11, 'y', '2')),
    ].flat();
    expect(decodeKubernetesProtobuf(envelope('v1', 'Secret', raw)).metadata).toEqual({
      name: 'a',
      namespace: 'ns',
      labels: { x: '1', y: '2' },
    });
  });

  it('keeps a "__proto__" data key as an own property', () => {
    const decoded = decodeKubernetesProtobuf(envelope('v1', 'Secret', bytesEntry(2, '__proto__', [0x41])));
    const data = decoded.data as Record<string, unknown>;
    expect(Object.getPrototypeOf(data)).toBe(Object.prototype);
    expect(Object.keys(data)).toEqual(['__proto__']);
    expect(JSON.parse(JSON.stringify(decoded))).toEqual(decoded);
  });
});

describe('decodeKubernetesProtobuf: ConfigMap and Namespace', () => {
  it('decodes a ConfigMap with data, binaryData and immutable', () => {
    const raw = [
      msg(1, str(1, 'settings'), str(3, 'default')),
      strEntry(2, 'app.yaml', 'replicas: 2\n'),
      strEntry(2, 'empty', ''),
      bytesEntry(3, 'blob', [0xde, 0xad, 0xbe, 0xef]),
      bool(4, true),
    ].flat();
    expect(decodeKubernetesProtobuf(envelope('v1', 'ConfigMap', raw))).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'settings', namespace: 'default' },
      data: { 'app.yaml': 'replicas: 2\n', empty: '' },
      binaryData: { blob: '3q2+7w==' },
      immutable: true,
    });
  });

  it('decodes a Namespace with spec and status', () => {
    const raw = [
      msg(1, str(1, 'soak-7'), strEntry(11, 'kubernetes.io/metadata.name', 'soak-7')),
      msg(2, str(1, 'kubernetes')),
      msg(
        3,
        str(1, 'Terminating'),
        msg(2, str(1, 'NamespaceDeletionContentFailure'), str(2, 'False'), str(5, 'Ok')),
      ),
    ].flat();
    expect(decodeKubernetesProtobuf(envelope('v1', 'Namespace', raw))).toEqual({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'soak-7', labels: { 'kubernetes.io/metadata.name': 'soak-7' } },
      spec: { finalizers: ['kubernetes'] },
      status: {
        phase: 'Terminating',
        conditions: [{ type: 'NamespaceDeletionContentFailure', status: 'False', reason: 'Ok' }],
      },
    });
    expect(decodeKubernetesProtobuf(envelope('v1', 'Namespace', []))).toEqual({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {},
      spec: {},
      status: {},
    });
  });
});

describe('decodeKubernetesProtobuf: DeleteOptions', () => {
  it('decodes every field under meta.k8s.io/v1', () => {
    const raw = [
      int(1, 30),
      msg(2, str(1, 'uid-1'), str(2, '7')),
      bool(3, false),
      str(4, 'Foreground'),
      str(5, 'All'),
      bool(6, true),
    ].flat();
    expect(decodeKubernetesProtobuf(envelope('meta.k8s.io/v1', 'DeleteOptions', raw))).toEqual({
      apiVersion: 'meta.k8s.io/v1',
      kind: 'DeleteOptions',
      gracePeriodSeconds: 30,
      preconditions: { uid: 'uid-1', resourceVersion: '7' },
      orphanDependents: false,
      propagationPolicy: 'Foreground',
      dryRun: ['All'],
      ignoreStoreReadErrorWithClusterBreakingPotential: true,
    });
  });

  it('accepts the group version of the deleted resource and an empty body', () => {
    expect(decodeKubernetesProtobuf(envelope('apps/v1', 'DeleteOptions', []))).toEqual({
      apiVersion: 'apps/v1',
      kind: 'DeleteOptions',
    });
  });

  it('decodes negative and large int64 values, and refuses ones beyond 2^53', () => {
    const decode = (value: bigint) =>
      decodeKubernetesProtobuf(envelope('v1', 'DeleteOptions', int(1, value))).gracePeriodSeconds;
    expect(decode(-1n)).toBe(-1);
    expect(decode(2n ** 40n)).toBe(2 ** 40);
    expect(decode(2n ** 53n - 1n)).toBe(Number.MAX_SAFE_INTEGER);
    expect(decodeError(envelope('v1', 'DeleteOptions', int(1, 2n ** 60n))).reason).toBe(
      ProtobufDecodeReason.Malformed,
    );
  });
});

describe('decodeKubernetesProtobuf: errors', () => {
  const secret = envelope('v1', 'Secret', [
    ...msg(1, str(1, 'sh.helm.release.v1.demo.v1'), strEntry(11, 'owner', 'helm')),
    ...bytesEntry(2, 'release', utf8('payload')),
  ]);
  const typeMetaEnd = 4 + msg(1, str(1, 'v1'), str(2, 'Secret')).length;

  it('raises ProtobufDecodeError for a truncated buffer', () => {
    const error = decodeError(secret.subarray(0, secret.length - 1));
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe('protobuf-decode');
    expect(error.reason).toBe(ProtobufDecodeReason.Malformed);
    expect(error.message).toMatch(/truncated/);
    // Every cut inside the type meta or the raw message is detected.
    for (let cut = 5; cut < secret.length; cut++) {
      if (cut === typeMetaEnd) continue; // a whole Unknown without raw: a valid empty Secret
      expect(() => decodeKubernetesProtobuf(secret.subarray(0, cut)), `cut at ${cut}`).toThrow(
        ProtobufDecodeError,
      );
    }
  });

  it('raises ProtobufDecodeError for a truncated varint', () => {
    expect(decodeError(Uint8Array.from([0x6b, 0x38, 0x73, 0x00, 0x48, 0x80])).message).toMatch(/varint/);
  });

  it('raises ProtobufDecodeError without the k8s\\0 magic prefix', () => {
    const json = new TextEncoder().encode('{"apiVersion":"v1","kind":"Secret"}');
    expect(decodeError(json).reason).toBe(ProtobufDecodeReason.Malformed);
    expect(decodeError(new Uint8Array(0)).message).toMatch(/magic/);
    expect(decodeError(Uint8Array.from([0x6b, 0x38, 0x73, 0x01, ...secret.subarray(4)])).message).toMatch(
      /magic/,
    );
    expect(decodeError(secret.subarray(4)).message).toMatch(/magic/);
  });

  it('raises an unsupported ProtobufDecodeError that names an unknown kind', () => {
    const pod = decodeError(envelope('v1', 'Pod', []));
    expect(pod.reason).toBe(ProtobufDecodeReason.Unsupported);
    expect(pod.message).toContain('Pod');
    expect(decodeError(envelope('apps/v1', 'Secret', [])).message).toContain('apps/v1');
    expect(decodeError(Uint8Array.from([0x6b, 0x38, 0x73, 0x00])).message).toMatch(/without a kind/);
  });

  it('refuses content encodings and foreign content types', () => {
    expect(decodeError(envelope('v1', 'Secret', [], str(3, 'gzip'))).reason).toBe(
      ProtobufDecodeReason.Unsupported,
    );
    expect(decodeError(envelope('v1', 'Secret', [], str(4, 'application/json'))).message).toContain(
      'application/json',
    );
    expect(
      decodeKubernetesProtobuf(envelope('v1', 'Secret', [], str(4, 'application/vnd.kubernetes.protobuf'))),
    ).toEqual({ apiVersion: 'v1', kind: 'Secret', metadata: {} });
  });

  it('raises ProtobufDecodeError for a known field with the wrong wire type or an illegal tag', () => {
    expect(decodeError(envelope('v1', 'Secret', int(1, 5))).message).toMatch(/wrong wire type.*metadata/);
    expect(decodeError(envelope('v1', 'Secret', tag(0, 0).concat(0))).message).toMatch(/illegal tag/);
    expect(decodeError(envelope('v1', 'Secret', tag(9, 4))).message).toMatch(/end-group/);
    expect(decodeError(envelope('v1', 'Secret', tag(9, 3))).message).toMatch(/unterminated group/);
    expect(decodeError(envelope('v1', 'Secret', tag(9, 6))).message).toMatch(/illegal wire type/);
  });

  it('raises ProtobufDecodeError for managed fields that are not JSON', () => {
    const raw = msg(1, msg(17, msg(7, len(1, utf8('{not json')))));
    expect(decodeError(envelope('v1', 'Secret', raw)).message).toMatch(/fieldsV1/);
  });
});
