import { describe, expect, it } from 'vitest';
import type { HelmDriver } from '../../src/helm/helm-driver.ts';
import { collectDebugSnapshot } from '../../src/iteration/collect-debug-snapshot.ts';
import { diagnoseIteration } from '../../src/iteration/diagnose-iteration.ts';
import type { ClusterClient, KubeKind, KubeObject, ListQuery } from '../../src/kube/cluster-client.ts';

/** A pod that was OOMKilled once and is Ready again: only lastState and restartCount remember it. */
const recovered: KubeObject = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'soak-datastore-0', namespace: 'ns' },
  spec: {
    nodeName: 'node-1',
    containers: [{ name: 'datastore', image: 'redis', resources: { limits: { memory: '256Mi' } } }],
  },
  status: {
    phase: 'Running',
    conditions: [{ type: 'Ready', status: 'True' }],
    containerStatuses: [
      {
        name: 'datastore',
        ready: true,
        restartCount: 1,
        state: { running: { startedAt: '2026-11-25T05:00:02Z' } },
        lastState: { terminated: { reason: 'OOMKilled', exitCode: 137, finishedAt: '2026-11-25T05:00:01Z' } },
      },
    ],
  },
};

const node: KubeObject = {
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name: 'node-1' },
  status: { conditions: [{ type: 'Ready', status: 'True' }], allocatable: { memory: '8Gi', cpu: '4' } },
};

/** Lists and gets from fixed objects; the snapshot treats any other failure as a gap. */
function fixedCluster(objects: Partial<Record<KubeKind, KubeObject[]>>): ClusterClient {
  const client: Partial<ClusterClient> = {
    list: (kind: KubeKind, _query: ListQuery) =>
      Promise.resolve({ items: objects[kind] ?? [], resourceVersion: '1' }),
    get: (kind: KubeKind, name: string) =>
      Promise.resolve((objects[kind] ?? []).find((object) => object.metadata.name === name)),
    readPodLog: () => Promise.resolve('oom\n'),
  };
  return client as ClusterClient;
}

const helm = { status: () => Promise.reject(new Error('not needed')) } as unknown as HelmDriver;

describe('debug snapshot of a pod that restarted and recovered', () => {
  it('keeps the restarted pod in podDetails, so an OOM kill seen by await-ready is diagnosed as oom-killed', async () => {
    const snapshot = await collectDebugSnapshot(
      fixedCluster({ Pod: [recovered], Node: [node] }),
      helm,
      {
        namespace: 'ns',
        release: 'soak',
        logTailLines: 50,
        maxBytes: 1_000_000,
        maskPatterns: [],
        helmCommands: [],
        now: new Date('2026-11-25T05:00:05Z'),
      },
      new AbortController().signal,
    );
    expect(snapshot.podDetails.map((pod) => pod.name)).toEqual(['soak-datastore-0']);
    const diagnosis = diagnoseIteration({
      steps: [
        {
          name: 'await-ready',
          phase: 'main',
          status: 'failed',
          reason: 'oom-killed',
          message: 'OOMKilled: pod soak-datastore-0 container datastore',
        },
      ],
      snapshot,
    });
    expect(diagnosis.category).toBe('oom-killed');
    expect(diagnosis.evidence[0]).toMatchObject({
      pod: 'soak-datastore-0',
      container: 'datastore',
      reason: 'OOMKilled',
    });
    expect(diagnosis.evidence[0]?.message).toMatch(/256Mi/);
  });
});
