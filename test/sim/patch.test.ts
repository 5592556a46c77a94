import { describe, expect, it } from 'vitest';
import {
  ApplyConflictError,
  PatchError,
  applyJsonPatch,
  applyMergePatch,
  applyStrategicMergePatch,
  recordUpdateManager,
  serverSideApply,
} from '../../src/sim/api/patch.ts';
import type { KubeObject } from '../../src/sim/api/kube-object.ts';

const NOW = '2025-01-02T03:04:05Z';
const LATER = '2025-01-02T04:00:00Z';

/** Frozen inputs make any mutation by the module under test throw. */
function frozen<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) frozen(child);
    Object.freeze(value);
  }
  return value;
}

function deployment(): KubeObject {
  return frozen({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'web',
      namespace: 'default',
      uid: 'uid-1',
      resourceVersion: '10',
      labels: { app: 'web' },
      finalizers: ['example.com/a'],
    },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            {
              name: 'web',
              image: 'nginx:1.25',
              ports: [{ containerPort: 80, protocol: 'TCP' }],
              env: [
                { name: 'A', value: '1' },
                { name: 'B', value: '2' },
                { name: 'C', value: '3' },
              ],
            },
            { name: 'sidecar', image: 'busybox:1.36' },
          ],
          tolerations: [{ key: 'old', operator: 'Exists' }],
        },
      },
    },
    status: { replicas: 2 },
  });
}

/** Reads a nested value by keys and indexes; undefined when the path does not exist. */
function at(value: unknown, ...path: Array<string | number>): unknown {
  let node = value;
  for (const step of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<string | number, unknown>)[step];
  }
  return node;
}

function list(value: unknown, ...path: Array<string | number>): unknown[] {
  const found = at(value, ...path);
  return Array.isArray(found) ? (found as unknown[]) : [];
}

function containersOf(object: unknown): unknown[] {
  return list(object, 'spec', 'template', 'spec', 'containers');
}

function entryOf(object: unknown, manager: string): unknown {
  return list(object, 'metadata', 'managedFields').find((entry) => at(entry, 'manager') === manager);
}

function fieldsOf(object: unknown, manager: string, ...path: string[]): unknown {
  return at(entryOf(object, manager), 'fieldsV1', ...path);
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

describe('applyStrategicMergePatch', () => {
  it("merges a container's image by name in a Deployment, keeping everything else", () => {
    const original = deployment();
    const patched = applyStrategicMergePatch(
      original,
      { spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } } } },
      'Deployment',
    );
    const [web, sidecar] = containersOf(patched);
    expect(web).toMatchObject({
      name: 'web',
      image: 'nginx:1.27',
      ports: [{ containerPort: 80, protocol: 'TCP' }],
    });
    expect(at(web, 'env')).toHaveLength(3);
    expect(sidecar).toEqual({ name: 'sidecar', image: 'busybox:1.36' });
    expect(at(containersOf(original), 0, 'image')).toBe('nginx:1.25');
  });

  it('deletes an env entry with $patch: delete', () => {
    const patched = applyStrategicMergePatch(
      deployment(),
      {
        spec: {
          template: { spec: { containers: [{ name: 'web', env: [{ name: 'B', $patch: 'delete' }] }] } },
        },
      },
      'Deployment',
    );
    expect(at(containersOf(patched), 0, 'env')).toEqual([
      { name: 'A', value: '1' },
      { name: 'C', value: '3' },
    ]);
  });

  it('replaces tolerations, which have no merge key', () => {
    const patched = applyStrategicMergePatch(
      deployment(),
      { spec: { template: { spec: { tolerations: [{ key: 'new', operator: 'Equal', value: 'x' }] } } } },
      'Deployment',
    );
    expect(at(patched, 'spec', 'template', 'spec', 'tolerations')).toEqual([
      { key: 'new', operator: 'Equal', value: 'x' },
    ]);
  });

  it('places new list items as the real server does and honours $setElementOrder', () => {
    const added = applyStrategicMergePatch(
      deployment(),
      { spec: { template: { spec: { containers: [{ name: 'web', env: [{ name: 'D', value: '4' }] }] } } } },
      'Deployment',
    );
    expect(list(containersOf(added), 0, 'env').map((env) => at(env, 'name'))).toEqual(['D', 'A', 'B', 'C']);

    const ordered = applyStrategicMergePatch(
      deployment(),
      {
        spec: {
          template: {
            spec: {
              '$setElementOrder/containers': [{ name: 'sidecar' }, { name: 'web' }],
              containers: [{ name: 'web', image: 'nginx:1.27' }],
            },
          },
        },
      },
      'Deployment',
    );
    expect(containersOf(ordered).map((container) => at(container, 'name'))).toEqual(['sidecar', 'web']);
    expect(at(containersOf(ordered), 1, 'image')).toBe('nginx:1.27');
  });

  it('handles null deletes, $patch: replace, $retainKeys and primitive-list directives', () => {
    const patched = applyStrategicMergePatch(
      deployment(),
      {
        metadata: {
          labels: { app: null, tier: 'front' },
          finalizers: ['example.com/b'],
          '$deleteFromPrimitiveList/finalizers': ['example.com/a'],
        },
        spec: {
          selector: { $patch: 'replace', matchLabels: { app: 'web', v: '2' } },
          strategy: { $retainKeys: ['type'], type: 'Recreate' },
        },
      },
      'Deployment',
    );
    expect(at(patched, 'metadata', 'labels')).toEqual({ tier: 'front' });
    expect(at(patched, 'metadata', 'finalizers')).toEqual(['example.com/b']);
    expect(at(patched, 'spec', 'selector')).toEqual({ matchLabels: { app: 'web', v: '2' } });
    expect(at(patched, 'spec', 'strategy')).toEqual({ type: 'Recreate' });
  });

  it('merges Service ports by port and Pod containers at spec', () => {
    const service = frozen({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web' },
      spec: { ports: [{ name: 'http', port: 80, targetPort: 8080 }], selector: { app: 'web' } },
    });
    const patched = applyStrategicMergePatch(
      service,
      {
        spec: {
          ports: [
            { port: 80, targetPort: 9090 },
            { name: 'https', port: 443 },
          ],
        },
      },
      'Service',
    );
    expect(at(patched, 'spec', 'ports')).toEqual([
      { name: 'http', port: 80, targetPort: 9090 },
      { name: 'https', port: 443 },
    ]);

    const pod = frozen({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: { containers: [{ name: 'a', image: 'x' }] },
    });
    const patchedPod = applyStrategicMergePatch(
      pod,
      { spec: { containers: [{ name: 'a', image: 'y' }] } },
      'Pod',
    );
    expect(at(patchedPod, 'spec', 'containers')).toEqual([{ name: 'a', image: 'y' }]);
  });

  it('rejects list items without their merge key', () => {
    const error = thrown(() =>
      applyStrategicMergePatch(
        deployment(),
        { spec: { template: { spec: { containers: [{ image: 'x' }] } } } },
        'Deployment',
      ),
    );
    expect(error).toBeInstanceOf(PatchError);
    expect((error as PatchError).code).toBe('invalid-patch');
    expect((error as PatchError).message).toMatch(/does not contain declared merge key: name/);
  });
});

describe('applyJsonPatch', () => {
  it('applies add, remove, replace, move, copy and test in order', () => {
    const original = frozen({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cm', annotations: { 'example.com/a~b': 'x' }, finalizers: ['a'] },
      data: { one: '1', two: '2' },
    });
    const patched = applyJsonPatch(original, [
      { op: 'test', path: '/data/one', value: '1' },
      { op: 'add', path: '/metadata/labels', value: { app: 'web' } },
      { op: 'add', path: '/metadata/finalizers/-', value: 'b' },
      { op: 'add', path: '/metadata/finalizers/0', value: 'first' },
      { op: 'replace', path: '/metadata/annotations/example.com~1a~0b', value: 'y' },
      { op: 'remove', path: '/data/two' },
      { op: 'move', from: '/data/one', path: '/data/uno' },
      { op: 'copy', from: '/metadata/labels/app', path: '/data/app' },
    ]);
    expect(patched).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'cm',
        annotations: { 'example.com/a~b': 'y' },
        finalizers: ['first', 'a', 'b'],
        labels: { app: 'web' },
      },
      data: { uno: '1', app: 'web' },
    });
    expect(original.data).toEqual({ one: '1', two: '2' });
  });

  it('fails a test operation with code test-failed and leaves nothing half-applied', () => {
    const original = deployment();
    const error = thrown(() =>
      applyJsonPatch(original, [
        { op: 'replace', path: '/spec/replicas', value: 5 },
        { op: 'test', path: '/metadata/resourceVersion', value: '9' },
      ]),
    );
    expect(error).toBeInstanceOf(PatchError);
    expect((error as PatchError).code).toBe('test-failed');
    expect((error as PatchError).message).toBe('testing value /metadata/resourceVersion failed: test failed');
    expect(at(original, 'spec', 'replicas')).toBe(2);
  });

  it.each([
    ['a non-array body', { op: 'add' }],
    ['an unknown op', [{ op: 'frob', path: '/a' }]],
    ['a missing value', [{ op: 'add', path: '/a' }]],
    ['a missing path', [{ op: 'remove', path: '/metadata/nope' }]],
    ['a replace of a missing key', [{ op: 'replace', path: '/nope', value: 1 }]],
    ['an out-of-range index', [{ op: 'add', path: '/metadata/finalizers/5', value: 'x' }]],
    ['a bad escape', [{ op: 'add', path: '/metadata/a~2b', value: 'x' }]],
    ['a non-object result', [{ op: 'replace', path: '', value: [] }]],
  ])('refuses %s as invalid-patch', (_label, operations) => {
    const error = thrown(() => applyJsonPatch(deployment(), operations));
    expect(error).toBeInstanceOf(PatchError);
    expect((error as PatchError).code).toBe('invalid-patch');
  });
});

describe('applyMergePatch', () => {
  it('merges objects, deletes on null and replaces arrays', () => {
    const original = deployment();
    const patched = applyMergePatch(original, {
      metadata: { labels: { app: null, tier: 'front' } },
      spec: { replicas: 3, template: { spec: { containers: [{ name: 'only', image: 'x' }] } } },
      status: null,
    });
    expect(at(patched, 'metadata', 'labels')).toEqual({ tier: 'front' });
    expect(at(patched, 'spec', 'replicas')).toBe(3);
    expect(at(patched, 'spec', 'selector')).toEqual({ matchLabels: { app: 'web' } });
    expect(containersOf(patched)).toEqual([{ name: 'only', image: 'x' }]);
    expect(at(patched, 'spec', 'template', 'spec', 'tolerations')).toHaveLength(1);
    expect(patched).not.toHaveProperty('status');
    expect(original.status).toEqual({ replicas: 2 });
  });

  it('refuses a patch that is not an object', () => {
    const error = thrown(() => applyMergePatch(deployment(), ['x']));
    expect((error as PatchError).code).toBe('invalid-patch');
  });
});

function appliedDeployment(
  overrides: { replicas?: number; image?: string; labels?: Record<string, string> } = {},
): KubeObject {
  return frozen({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', labels: overrides.labels ?? { app: 'web' } },
    spec: {
      replicas: overrides.replicas ?? 1,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            { name: 'web', image: overrides.image ?? 'nginx:1.25', ports: [{ containerPort: 80 }] },
          ],
        },
      },
    },
    status: {},
  });
}

describe('serverSideApply', () => {
  it('creates an object with an Apply entry in FieldsV1 form', () => {
    const applied = frozen({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cm', namespace: 'default', labels: { app: 'web' } },
      data: { key: 'value' },
    });
    const { object, created } = serverSideApply(undefined, applied, {
      manager: 'helm',
      force: false,
      kind: 'ConfigMap',
      now: NOW,
    });
    expect(created).toBe(true);
    expect(object.data).toEqual({ key: 'value' });
    expect(object.metadata.managedFields).toEqual([
      {
        manager: 'helm',
        operation: 'Apply',
        apiVersion: 'v1',
        time: NOW,
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:data': { 'f:key': {} }, 'f:metadata': { 'f:labels': { 'f:app': {} } } },
      },
    ]);
  });

  it('describes associative list items with k: keys, defaulted key fields and "." members', () => {
    const { object } = serverSideApply(undefined, appliedDeployment(), {
      manager: 'helm',
      force: false,
      kind: 'Deployment',
      now: NOW,
    });
    expect(fieldsOf(object, 'helm')).toEqual({
      'f:metadata': { 'f:labels': { 'f:app': {} } },
      'f:spec': {
        'f:replicas': {},
        'f:selector': {},
        'f:template': {
          'f:metadata': { 'f:labels': { 'f:app': {} } },
          'f:spec': {
            'f:containers': {
              'k:{"name":"web"}': {
                '.': {},
                'f:image': {},
                'f:name': {},
                'f:ports': { 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } },
              },
            },
          },
        },
      },
    });
  });

  it('ignores status on the main resource', () => {
    const existing = serverSideApply(undefined, appliedDeployment(), {
      manager: 'helm',
      force: false,
      kind: 'Deployment',
      now: NOW,
    }).object;
    const withStatus = frozen({ ...existing, status: { replicas: 1, readyReplicas: 1 } });
    const { object } = serverSideApply(
      withStatus,
      frozen({ ...appliedDeployment(), status: { replicas: 99 } }),
      { manager: 'helm', force: false, kind: 'Deployment', now: LATER },
    );
    expect(object.status).toEqual({ replicas: 1, readyReplicas: 1 });
    expect(fieldsOf(object, 'helm')).not.toHaveProperty('f:status');
    expect(object.metadata.uid).toBe(existing.metadata.uid);
  });

  it('removes fields the same manager applied before but dropped, and merges the rest', () => {
    const first = serverSideApply(undefined, appliedDeployment({ labels: { app: 'web', tier: 'front' } }), {
      manager: 'helm',
      force: false,
      kind: 'Deployment',
      now: NOW,
    }).object;
    const live = frozen({ ...first, metadata: { ...first.metadata, uid: 'uid-1', resourceVersion: '5' } });
    const { object, created } = serverSideApply(live, appliedDeployment({ image: 'nginx:1.27' }), {
      manager: 'helm',
      force: false,
      kind: 'Deployment',
      now: LATER,
    });
    expect(created).toBe(false);
    expect(object.metadata.labels).toEqual({ app: 'web' });
    expect(object.metadata.uid).toBe('uid-1');
    expect(at(containersOf(object), 0, 'image')).toBe('nginx:1.27');
    expect(object.metadata.managedFields).toHaveLength(1);
    expect(at(entryOf(object, 'helm'), 'time')).toBe(LATER);
    expect(fieldsOf(object, 'helm', 'f:metadata')).toEqual({ 'f:labels': { 'f:app': {} } });
  });

  it('keeps a dropped field that another manager also owns', () => {
    const first = serverSideApply(undefined, appliedDeployment({ labels: { app: 'web', tier: 'front' } }), {
      manager: 'helm',
      force: false,
      kind: 'Deployment',
      now: NOW,
    }).object;
    const coOwned = serverSideApply(
      first,
      frozen({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web', labels: { tier: 'front' } },
      }),
      { manager: 'ops', force: false, kind: 'Deployment', now: NOW },
    ).object;
    const { object } = serverSideApply(coOwned, appliedDeployment(), {
      manager: 'helm',
      force: false,
      kind: 'Deployment',
      now: LATER,
    });
    expect(object.metadata.labels).toEqual({ app: 'web', tier: 'front' });
    expect(fieldsOf(object, 'ops')).toEqual({ 'f:metadata': { 'f:labels': { 'f:tier': {} } } });
  });

  it('conflicts with another apply manager, and force takes ownership', () => {
    const byKubectl = serverSideApply(undefined, appliedDeployment({ replicas: 3 }), {
      manager: 'kubectl',
      force: false,
      kind: 'Deployment',
      now: NOW,
    }).object;

    const error = thrown(() =>
      serverSideApply(byKubectl, appliedDeployment({ replicas: 5 }), {
        manager: 'helm',
        force: false,
        kind: 'Deployment',
        now: LATER,
      }),
    );
    expect(error).toBeInstanceOf(ApplyConflictError);
    expect((error as ApplyConflictError).code).toBe('conflict');
    expect((error as ApplyConflictError).message).toBe(
      'Apply failed with 1 conflict: conflict with "kubectl": .spec.replicas',
    );
    expect((error as ApplyConflictError).causes).toEqual([
      { reason: 'FieldManagerConflict', message: 'conflict with "kubectl"', field: '.spec.replicas' },
    ]);

    const { object } = serverSideApply(byKubectl, appliedDeployment({ replicas: 5 }), {
      manager: 'helm',
      force: true,
      kind: 'Deployment',
      now: LATER,
    });
    expect(at(object, 'spec', 'replicas')).toBe(5);
    expect(fieldsOf(object, 'helm', 'f:spec')).toHaveProperty('f:replicas');
    expect(fieldsOf(object, 'kubectl', 'f:spec')).not.toHaveProperty('f:replicas');
    // Fields both applied with equal values stay shared.
    expect(fieldsOf(object, 'kubectl', 'f:spec')).toHaveProperty('f:selector');
  });

  it('lists several conflicts the way the real server does', () => {
    const byKubectl = serverSideApply(undefined, appliedDeployment({ replicas: 3 }), {
      manager: 'kubectl',
      force: false,
      kind: 'Deployment',
      now: NOW,
    }).object;
    const error = thrown(() =>
      serverSideApply(byKubectl, appliedDeployment({ replicas: 5, image: 'nginx:2' }), {
        manager: 'helm',
        force: false,
        kind: 'Deployment',
        now: LATER,
      }),
    );
    expect((error as Error).message).toBe(
      'Apply failed with 2 conflicts: conflicts with "kubectl":\n- .spec.replicas\n- .spec.template.spec.containers[name="web"].image',
    );
  });

  it('conflicts with a field an Update manager set, naming its API version', () => {
    const applied = serverSideApply(undefined, appliedDeployment({ replicas: 3 }), {
      manager: 'helm',
      force: false,
      kind: 'Deployment',
      now: NOW,
    }).object;
    const scaled = recordUpdateManager(
      applied,
      frozen({ ...applied, spec: { ...applied.spec, replicas: 7 } }),
      'kube-controller-manager',
      LATER,
    );
    expect(fieldsOf(scaled, 'helm', 'f:spec')).not.toHaveProperty('f:replicas');
    expect(entryOf(scaled, 'kube-controller-manager')).toMatchObject({
      operation: 'Update',
      apiVersion: 'apps/v1',
      fieldsV1: { 'f:spec': { 'f:replicas': {} } },
    });
    const error = thrown(() =>
      serverSideApply(scaled, appliedDeployment({ replicas: 3 }), {
        manager: 'helm',
        force: false,
        kind: 'Deployment',
        now: LATER,
      }),
    );
    expect((error as Error).message).toBe(
      'Apply failed with 1 conflict: conflict with "kube-controller-manager" using apps/v1: .spec.replicas',
    );
  });

  it('refuses duplicate associative list keys and managedFields in the configuration', () => {
    const duplicate = frozen({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', namespace: 'default' },
      spec: { containers: [{ name: 'a', image: 'x', env: [{ name: 'E' }, { name: 'E' }] }] },
    });
    const error = thrown(() =>
      serverSideApply(undefined, duplicate, { manager: 'helm', force: false, kind: 'Pod', now: NOW }),
    );
    expect((error as PatchError).code).toBe('invalid-patch');
    expect((error as Error).message).toBe(
      'failed to create typed patch object (default/p; v1, Kind=Pod): .spec.containers[name="a"].env: duplicate entries for key [name="E"]',
    );

    const withManaged = frozen({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c', managedFields: [] },
    });
    expect(
      thrown(() =>
        serverSideApply(undefined, withManaged, {
          manager: 'helm',
          force: false,
          kind: 'ConfigMap',
          now: NOW,
        }),
      ),
    ).toBeInstanceOf(PatchError);
  });
});

describe('recordUpdateManager', () => {
  it('records a create as an Update entry with "." for the maps it added', () => {
    const created = recordUpdateManager(
      undefined,
      frozen({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'cm', labels: { app: 'web' } },
        data: { k: 'v' },
      }),
      'kubectl-create',
      NOW,
    );
    expect(at(created, 'metadata', 'managedFields')).toEqual([
      {
        manager: 'kubectl-create',
        operation: 'Update',
        apiVersion: 'v1',
        time: NOW,
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:data': { '.': {}, 'f:k': {} },
          'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } },
        },
      },
    ]);
  });

  it('moves changed fields between managers and clears managedFields on request', () => {
    const created = recordUpdateManager(
      undefined,
      frozen({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm' }, data: { a: '1', b: '2' } }),
      'creator',
      NOW,
    );
    const edited = recordUpdateManager(
      created,
      frozen({ ...created, data: { a: '1', b: 'changed' } }),
      'editor',
      LATER,
    );
    expect(fieldsOf(edited, 'creator')).toEqual({ 'f:data': { '.': {}, 'f:a': {} } });
    expect(fieldsOf(edited, 'editor')).toEqual({ 'f:data': { 'f:b': {} } });

    const cleared = recordUpdateManager(
      edited,
      frozen({ ...edited, metadata: { ...edited.metadata, managedFields: [{}] } }),
      'editor',
      LATER,
    );
    expect(at(cleared, 'metadata')).not.toHaveProperty('managedFields');
  });
});
