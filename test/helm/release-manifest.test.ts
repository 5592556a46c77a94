import { describe, expect, it } from 'vitest';
import { parseReleaseManifest } from '../../src/helm/release-manifest.ts';

describe('parseReleaseManifest', () => {
  it('reads every object of a `helm get manifest` stream, comments and empty documents included', () => {
    const manifest = [
      '---',
      '# Source: app/templates/sa.yaml',
      'apiVersion: v1',
      'kind: ServiceAccount',
      'metadata:',
      '  name: rel-web',
      '---',
      '# Source: app/templates/empty.yaml',
      '---',
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata: { name: rel-web, namespace: other }',
      '---',
      'apiVersion: rbac.authorization.k8s.io/v1',
      'kind: ClusterRole',
      'metadata: { name: rel-reader }',
      '---',
      'apiVersion: v1',
      'kind: List',
      'items:',
      '  - { apiVersion: v1, kind: ConfigMap, metadata: { name: a } }',
    ].join('\n');
    expect(parseReleaseManifest(manifest)).toEqual([
      { apiVersion: 'v1', kind: 'ServiceAccount', name: 'rel-web', namespace: undefined },
      { apiVersion: 'apps/v1', kind: 'Deployment', name: 'rel-web', namespace: 'other' },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        name: 'rel-reader',
        namespace: undefined,
      },
      { apiVersion: 'v1', kind: 'ConfigMap', name: 'a', namespace: undefined },
    ]);
  });
});
