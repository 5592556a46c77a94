import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../src/sim/api/kube-object.ts';
import { R } from '../../../src/sim/resources.ts';
import type { SimContext } from '../../../src/sim/sim-context.ts';
import { controlPlaneHarness, eventsFor, list, recordEvents, settle, waitFor } from './sim-harness.ts';

const start = controlPlaneHarness('data');

function statefulSet(replicas: number, extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: { name: 'web', namespace: 'data' },
    spec: {
      replicas,
      serviceName: 'web',
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [{ name: 'db', image: 'db:1', volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
          volumes: [{ name: 'config', configMap: { name: 'cfg' } }],
        },
      },
      volumeClaimTemplates: [
        {
          metadata: { name: 'data' },
          spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } },
        },
      ],
      podManagementPolicy: 'OrderedReady',
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
      ...extra,
    },
  };
}

function stsStatus(ctx: SimContext): Record<string, unknown> {
  return ctx.store.get(R.statefulSet, 'data', 'web')?.status ?? {};
}

describe('StatefulSetController', () => {
  it('creates web-0, waits for it to be Running and Ready, then web-1, each after its PVC', async () => {
    let holdFirst = true;
    const { ctx, kubelet } = start({ holdReady: (pod) => holdFirst && pod.metadata.name === 'web-0' });
    const seen = recordEvents(ctx);
    ctx.store.create(R.statefulSet, statefulSet(2));
    await waitFor(
      () => ctx.store.get(R.pod, 'data', 'web-0')?.status?.phase === 'Running',
      5000,
      'web-0 running',
    );
    await settle(50);
    expect(ctx.store.get(R.pod, 'data', 'web-1')).toBeUndefined();

    holdFirst = false;
    kubelet.poke();
    await waitFor(
      () => stsStatus(ctx).readyReplicas === 2 && stsStatus(ctx).currentReplicas === 2,
      5000,
      'both ready',
    );

    const added = seen
      .filter((event) => event.type === 'ADDED')
      .map((event) => `${event.resource.kind}/${event.object.metadata.name ?? ''}`);
    const order = [
      'PersistentVolumeClaim/data-web-0',
      'Pod/web-0',
      'PersistentVolumeClaim/data-web-1',
      'Pod/web-1',
    ];
    expect(added.filter((entry) => order.includes(entry))).toEqual(order);

    const pod = ctx.store.get(R.pod, 'data', 'web-1') as KubeObject;
    const revision = stsStatus(ctx).updateRevision as string;
    expect(revision).toMatch(/^web-[4-9bcdf]{1,10}$/);
    expect(pod.metadata.labels).toEqual({
      app: 'web',
      'statefulset.kubernetes.io/pod-name': 'web-1',
      'apps.kubernetes.io/pod-index': '1',
      'controller-revision-hash': revision,
    });
    expect(pod.metadata.ownerReferences?.[0]).toMatchObject({
      kind: 'StatefulSet',
      name: 'web',
      controller: true,
      blockOwnerDeletion: true,
    });
    const spec = pod.spec as { hostname: string; subdomain: string; volumes: Array<Record<string, unknown>> };
    expect(spec.hostname).toBe('web-1');
    expect(spec.subdomain).toBe('web');
    expect(spec.volumes.slice(0, 2)).toEqual([
      { name: 'data', persistentVolumeClaim: { claimName: 'data-web-1' } },
      { name: 'config', configMap: { name: 'cfg', defaultMode: 420 } },
    ]);

    const claim = await waitFor(() => {
      const found = ctx.store.get(R.pvc, 'data', 'data-web-1');
      return found?.status?.phase === 'Bound' ? found : undefined;
    });
    expect(claim.metadata.ownerReferences).toBeUndefined();
    expect(claim.metadata.labels).toEqual({ app: 'web' });
    expect(claim.metadata.finalizers).toEqual(['kubernetes.io/pvc-protection']);
    expect(claim.spec).toMatchObject({
      storageClassName: 'standard',
      volumeMode: 'Filesystem',
      volumeName: `pvc-${claim.metadata.uid ?? ''}`,
    });
    expect(claim.status).toEqual({
      phase: 'Bound',
      accessModes: ['ReadWriteOnce'],
      capacity: { storage: '1Gi' },
    });

    expect(stsStatus(ctx)).toEqual({
      observedGeneration: 1,
      replicas: 2,
      readyReplicas: 2,
      currentReplicas: 2,
      updatedReplicas: 2,
      currentRevision: revision,
      updateRevision: revision,
      collisionCount: 0,
      availableReplicas: 2,
    });
    const events = eventsFor(ctx, 'data', 'web');
    expect(events).toContain(
      'SuccessfulCreate: create Claim data-web-0 Pod web-0 in StatefulSet web success',
    );
    expect(events).toContain('SuccessfulCreate: create Pod web-0 in StatefulSet web successful');
    expect(events).toContain('SuccessfulCreate: create Pod web-1 in StatefulSet web successful');
  });

  it('rolls an update in reverse ordinal order and keeps PVCs when the set is deleted', async () => {
    const { ctx } = start();
    ctx.store.create(R.statefulSet, statefulSet(3));
    await waitFor(() => stsStatus(ctx).readyReplicas === 3, 5000, 'ready');
    const before = stsStatus(ctx).updateRevision;
    const deleted: string[] = [];
    ctx.store.subscribe((event) => {
      if (event.resource === R.pod && event.type === 'DELETED')
        deleted.push(event.object.metadata.name ?? '');
    });
    const current = ctx.store.get(R.statefulSet, 'data', 'web') as KubeObject;
    const spec = current.spec as { template: { spec: { containers: Array<{ image: string }> } } };
    (spec.template.spec.containers[0] as { image: string }).image = 'db:2';
    ctx.store.update(R.statefulSet, current);
    await waitFor(
      () =>
        stsStatus(ctx).observedGeneration === 2 &&
        stsStatus(ctx).currentRevision === stsStatus(ctx).updateRevision &&
        stsStatus(ctx).updatedReplicas === 3 &&
        stsStatus(ctx).readyReplicas === 3,
      8000,
      'rolled',
    );
    expect(stsStatus(ctx).updateRevision).not.toBe(before);
    expect(deleted).toEqual(['web-2', 'web-1', 'web-0']);

    ctx.store.delete(R.statefulSet, 'data', 'web', { propagationPolicy: 'Background' });
    await waitFor(() => list(ctx, R.pod, 'data').length === 0, 5000, 'pods collected');
    expect(list(ctx, R.pvc, 'data').map((claim) => claim.metadata.name)).toEqual([
      'data-web-0',
      'data-web-1',
      'data-web-2',
    ]);
  });

  it('scales down from the highest ordinal and deletes claims with whenDeleted: Delete', async () => {
    const { ctx } = start();
    ctx.store.create(
      R.statefulSet,
      statefulSet(2, {
        persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete', whenScaled: 'Retain' },
      }),
    );
    await waitFor(() => stsStatus(ctx).readyReplicas === 2, 5000, 'ready');
    expect(ctx.store.get(R.pvc, 'data', 'data-web-0')?.metadata.ownerReferences?.[0]).toMatchObject({
      kind: 'StatefulSet',
      name: 'web',
    });
    const current = ctx.store.get(R.statefulSet, 'data', 'web') as KubeObject;
    (current.spec as { replicas: number }).replicas = 1;
    ctx.store.update(R.statefulSet, current);
    await waitFor(
      () => !ctx.store.get(R.pod, 'data', 'web-1') && stsStatus(ctx).replicas === 1,
      5000,
      'scaled down',
    );
    expect(ctx.store.get(R.pod, 'data', 'web-0')).toBeDefined();
    ctx.store.delete(R.statefulSet, 'data', 'web', { propagationPolicy: 'Background' });
    await waitFor(
      () => list(ctx, R.pvc, 'data').length === 0 && list(ctx, R.pod, 'data').length === 0,
      5000,
      'claims collected',
    );
  });

  it('creates pods in parallel with the Parallel policy', async () => {
    const { ctx } = start({ holdReady: () => true });
    ctx.store.create(R.statefulSet, statefulSet(3, { podManagementPolicy: 'Parallel' }));
    await waitFor(() => list(ctx, R.pod, 'data').length === 3, 5000, 'three pods');
  });
});

describe('DaemonSetController', () => {
  it('runs one pod per node, pinned by node affinity, and counts them', async () => {
    const { ctx } = start({ nodes: ['node-1', 'node-2'] });
    ctx.store.create(R.daemonSet, {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: {
        name: 'agent',
        namespace: 'data',
        annotations: { 'deprecated.daemonset.template.generation': '1' },
      },
      spec: {
        selector: { matchLabels: { app: 'agent' } },
        template: {
          metadata: { labels: { app: 'agent' } },
          spec: { containers: [{ name: 'agent', image: 'agent:1' }] },
        },
        updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
      },
    });
    await waitFor(
      () => ctx.store.get(R.daemonSet, 'data', 'agent')?.status?.numberAvailable === 2,
      5000,
      'daemon pods',
    );
    const pods = list(ctx, R.pod, 'data');
    expect(pods.map((pod) => (pod.spec as { nodeName: string }).nodeName).sort()).toEqual([
      'node-1',
      'node-2',
    ]);
    const pod = pods[0] as KubeObject;
    const nodeName = (pod.spec as { nodeName: string }).nodeName;
    expect(pod.metadata.name).toMatch(/^agent-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    expect(pod.metadata.labels).toMatchObject({ app: 'agent', 'pod-template-generation': '1' });
    expect(pod.metadata.labels?.['controller-revision-hash']).toMatch(/^[4-9bcdf]{1,10}$/);
    expect((pod.spec as { affinity: unknown }).affinity).toEqual({
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            { matchFields: [{ key: 'metadata.name', operator: 'In', values: [nodeName] }] },
          ],
        },
      },
    });
    expect((pod.spec as { tolerations: unknown[] }).tolerations).toContainEqual({
      key: 'node.kubernetes.io/unschedulable',
      operator: 'Exists',
      effect: 'NoSchedule',
    });
    expect(ctx.store.get(R.daemonSet, 'data', 'agent')?.status).toEqual({
      currentNumberScheduled: 2,
      numberMisscheduled: 0,
      desiredNumberScheduled: 2,
      numberReady: 2,
      observedGeneration: 1,
      updatedNumberScheduled: 2,
      numberAvailable: 2,
    });
  });
});

describe('JobController', () => {
  function job(name: string, spec: Record<string, unknown>): KubeObject {
    return {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name, namespace: 'data' },
      spec: {
        template: { spec: { restartPolicy: 'Never', containers: [{ name: 'task', image: 'task:1' }] } },
        ...spec,
      },
    };
  }

  function jobStatus(ctx: SimContext, name: string): Record<string, unknown> {
    return ctx.store.get(R.job, 'data', name)?.status ?? {};
  }

  it('runs pods to the wanted completions and completes as Kubernetes 1.31+ reports it', async () => {
    const { ctx } = start({ finish: () => 'Succeeded' });
    const created = ctx.store.create(
      R.job,
      job('migrate', { completions: 2, parallelism: 1, backoffLimit: 6 }),
    );
    const uid = created.metadata.uid ?? '';
    await waitFor(
      () => (jobStatus(ctx, 'migrate').conditions as unknown[] | undefined)?.length === 2,
      5000,
      'completion',
    );
    const status = jobStatus(ctx, 'migrate');
    expect(status).toMatchObject({ succeeded: 2, terminating: 0, ready: 0, uncountedTerminatedPods: {} });
    expect(status.active).toBeUndefined();
    expect(status.failed).toBeUndefined();
    expect(status.startTime).toEqual(expect.any(String));
    expect(status.completionTime).toEqual(expect.any(String));
    expect(status.conditions).toEqual([
      expect.objectContaining({
        type: 'SuccessCriteriaMet',
        status: 'True',
        reason: 'CompletionsReached',
        message: 'Reached expected number of succeeded pods',
      }),
      expect.objectContaining({
        type: 'Complete',
        status: 'True',
        reason: 'CompletionsReached',
        message: 'Reached expected number of succeeded pods',
      }),
    ]);
    const pods = list(ctx, R.pod, 'data');
    expect(pods).toHaveLength(2);
    for (const pod of pods) {
      expect(pod.metadata.labels).toMatchObject({
        'batch.kubernetes.io/controller-uid': uid,
        'batch.kubernetes.io/job-name': 'migrate',
        'controller-uid': uid,
        'job-name': 'migrate',
      });
      expect(pod.metadata.finalizers).toBeUndefined();
      expect(pod.status?.phase).toBe('Succeeded');
    }
    const events = eventsFor(ctx, 'data', 'migrate');
    expect(
      events.filter((entry) => entry.startsWith('SuccessfulCreate: Created pod: migrate-')),
    ).toHaveLength(2);
    expect(events).toContain('Completed: Job completed');
  });

  it('fails with BackoffLimitExceeded after backoffLimit retries', async () => {
    const { ctx } = start({ finish: () => 'Failed' });
    ctx.store.create(R.job, job('broken', { backoffLimit: 1 }));
    await waitFor(
      () =>
        ((jobStatus(ctx, 'broken').conditions ?? []) as Array<{ type: string }>).some(
          (c) => c.type === 'Failed',
        ),
      8000,
      'failure',
    );
    const status = jobStatus(ctx, 'broken');
    expect(status).toMatchObject({ failed: 2, terminating: 0, ready: 0, uncountedTerminatedPods: {} });
    expect(status.completionTime).toBeUndefined();
    expect(status.conditions).toEqual([
      expect.objectContaining({
        type: 'FailureTarget',
        reason: 'BackoffLimitExceeded',
        message: 'Job has reached the specified backoff limit',
      }),
      expect.objectContaining({
        type: 'Failed',
        reason: 'BackoffLimitExceeded',
        message: 'Job has reached the specified backoff limit',
      }),
    ]);
    expect(eventsFor(ctx, 'data', 'broken')).toContain(
      'BackoffLimitExceeded: Job has reached the specified backoff limit',
    );
  });

  it('releases the tracking finalizer of pods whose job is deleted', async () => {
    const { ctx } = start();
    ctx.store.create(R.job, job('long', {}));
    await waitFor(() => list(ctx, R.pod, 'data')[0]?.status?.phase === 'Running', 5000, 'running');
    expect(list(ctx, R.pod, 'data')[0]?.metadata.finalizers).toEqual(['batch.kubernetes.io/job-tracking']);
    ctx.store.delete(R.job, 'data', 'long', { propagationPolicy: 'Background' });
    await waitFor(() => list(ctx, R.pod, 'data').length === 0, 5000, 'pods gone');
  });

  it('deletes a finished job after ttlSecondsAfterFinished', async () => {
    const { ctx } = start({ finish: () => 'Succeeded' });
    ctx.store.create(R.job, job('hook', { ttlSecondsAfterFinished: 5 }));
    await waitFor(
      () => !ctx.store.get(R.job, 'data', 'hook') && list(ctx, R.pod, 'data').length === 0,
      5000,
      'ttl',
    );
  });
});
