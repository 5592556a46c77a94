import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../src/sim/api/kube-object.ts';
import { R } from '../../../src/sim/resources.ts';
import type { SimContext } from '../../../src/sim/sim-context.ts';
import { controlPlaneHarness, eventsFor, list, settle, waitFor } from './sim-harness.ts';

const start = controlPlaneHarness('apps');

function deployment(
  name: string,
  replicas: number,
  image: string,
  extra: Record<string, unknown> = {},
): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'apps', annotations: { 'meta.helm.sh/release-name': 'rel' } },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'main', image, ports: [{ name: 'http', containerPort: 8080 }] }] },
      },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
      ...extra,
    },
  };
}

function status(ctx: SimContext, name: string): Record<string, unknown> {
  return ctx.store.get(R.deployment, 'apps', name)?.status ?? {};
}

function condition(ctx: SimContext, name: string, type: string): Record<string, unknown> | undefined {
  const conditions = (status(ctx, name).conditions ?? []) as Array<Record<string, unknown>>;
  return conditions.find((entry) => entry.type === type);
}

function complete(ctx: SimContext, name: string): boolean {
  return condition(ctx, name, 'Progressing')?.reason === 'NewReplicaSetAvailable';
}

describe('DeploymentController', () => {
  it('creates a ReplicaSet and 3 pods, then reports the real status', async () => {
    const { ctx } = start();
    ctx.store.create(R.deployment, deployment('web', 3, 'registry.example/web:1.0'));
    await waitFor(() => complete(ctx, 'web'), 5000, 'rollout');

    const [rs] = list(ctx, R.replicaSet, 'apps');
    expect(rs).toBeDefined();
    const hash = rs?.metadata.labels?.['pod-template-hash'] ?? '';
    expect(hash).toMatch(/^[4-9bcdf]{1,10}$/);
    expect(rs?.metadata.name).toBe(`web-${hash}`);
    expect(rs?.metadata.ownerReferences).toEqual([
      expect.objectContaining({
        kind: 'Deployment',
        name: 'web',
        controller: true,
        blockOwnerDeletion: true,
      }),
    ]);
    expect(rs?.metadata.annotations).toMatchObject({
      'deployment.kubernetes.io/revision': '1',
      'deployment.kubernetes.io/desired-replicas': '3',
      'deployment.kubernetes.io/max-replicas': '4',
      'meta.helm.sh/release-name': 'rel',
    });
    expect(rs?.spec?.selector).toEqual({ matchLabels: { app: 'web', 'pod-template-hash': hash } });
    expect(rs?.status).toEqual({
      replicas: 3,
      fullyLabeledReplicas: 3,
      readyReplicas: 3,
      availableReplicas: 3,
      observedGeneration: 1,
    });

    const pods = list(ctx, R.pod, 'apps');
    expect(pods).toHaveLength(3);
    for (const pod of pods) {
      expect(pod.metadata.name).toMatch(new RegExp(`^web-${hash}-[bcdfghjklmnpqrstvwxz2456789]{5}$`));
      expect(pod.metadata.generateName).toBe(`web-${hash}-`);
      expect(pod.metadata.labels).toEqual({ app: 'web', 'pod-template-hash': hash });
      expect(pod.metadata.ownerReferences?.[0]).toMatchObject({
        kind: 'ReplicaSet',
        name: rs?.metadata.name,
        controller: true,
      });
      const spec = pod.spec as Record<string, unknown> & { containers: Array<Record<string, unknown>> };
      expect(spec).toMatchObject({
        restartPolicy: 'Always',
        dnsPolicy: 'ClusterFirst',
        schedulerName: 'default-scheduler',
        terminationGracePeriodSeconds: 30,
        serviceAccountName: 'default',
        serviceAccount: 'default',
        securityContext: {},
        enableServiceLinks: true,
        priority: 0,
      });
      expect(spec.containers[0]).toMatchObject({
        imagePullPolicy: 'IfNotPresent',
        terminationMessagePath: '/dev/termination-log',
        terminationMessagePolicy: 'File',
        resources: {},
        ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
      });
    }

    const deploy = ctx.store.get(R.deployment, 'apps', 'web');
    expect(deploy?.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('1');
    const { conditions, ...counts } = status(ctx, 'web');
    expect(counts).toEqual({
      observedGeneration: 1,
      replicas: 3,
      updatedReplicas: 3,
      readyReplicas: 3,
      availableReplicas: 3,
    });
    expect(conditions).toEqual([
      expect.objectContaining({
        type: 'Available',
        status: 'True',
        reason: 'MinimumReplicasAvailable',
        message: 'Deployment has minimum availability.',
      }),
      expect.objectContaining({
        type: 'Progressing',
        status: 'True',
        reason: 'NewReplicaSetAvailable',
        message: `ReplicaSet "web-${hash}" has successfully progressed.`,
      }),
    ]);
    for (const entry of conditions as Array<Record<string, unknown>>) {
      expect(entry.lastUpdateTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      expect(entry.lastTransitionTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    }
    expect(eventsFor(ctx, 'apps', 'web')).toContain(
      `ScalingReplicaSet: Scaled up replica set web-${hash} from 0 to 3`,
    );
    expect(
      eventsFor(ctx, 'apps', `web-${hash}`).filter((entry) =>
        entry.startsWith('SuccessfulCreate: Created pod: '),
      ),
    ).toHaveLength(3);
  });

  it('reports unavailability while pods are not ready', async () => {
    const { ctx } = start({ holdReady: () => true });
    ctx.store.create(R.deployment, deployment('web', 2, 'web:1'));
    await waitFor(() => (status(ctx, 'web').replicas as number | undefined) === 2, 5000, 'pods');
    await settle();
    expect(status(ctx, 'web')).toMatchObject({ replicas: 2, updatedReplicas: 2, unavailableReplicas: 2 });
    expect(status(ctx, 'web').readyReplicas).toBeUndefined();
    expect(condition(ctx, 'web', 'Available')).toMatchObject({
      status: 'False',
      reason: 'MinimumReplicasUnavailable',
      message: 'Deployment does not have minimum availability.',
    });
    const rsName = list(ctx, R.replicaSet, 'apps')[0]?.metadata.name ?? '';
    expect(condition(ctx, 'web', 'Progressing')).toMatchObject({
      status: 'True',
      reason: 'ReplicaSetUpdated',
      message: `ReplicaSet "${rsName}" is progressing.`,
    });
  });

  it('rolls a template change to a new ReplicaSet within maxUnavailable and maxSurge', async () => {
    const { ctx } = start({ startDelayMs: 200 });
    const strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } };
    ctx.store.create(R.deployment, deployment('web', 4, 'web:1', { strategy }));
    await waitFor(() => complete(ctx, 'web'), 5000, 'first rollout');
    const [first] = list(ctx, R.replicaSet, 'apps');

    // maxUnavailable bounds serving pods; maxSurge bounds the ReplicaSets' desired replicas (the
    // ReplicaSet controller may create a new pod just before marking an old one terminating).
    let minServing = Infinity;
    let maxDesired = 0;
    ctx.store.subscribe((event) => {
      if (event.resource === R.replicaSet) {
        const desired = ctx.store
          .list(R.replicaSet, { namespace: 'apps' })
          .reduce((sum, rs) => sum + ((rs.spec as { replicas?: number }).replicas ?? 0), 0);
        maxDesired = Math.max(maxDesired, desired);
      }
      if (event.resource !== R.pod) return;
      const serving = ctx.store
        .list(R.pod, { namespace: 'apps' })
        .filter(
          (pod) =>
            !pod.metadata.deletionTimestamp &&
            ((pod.status?.conditions ?? []) as Array<{ type: string; status: string }>).some(
              (c) => c.type === 'Ready' && c.status === 'True',
            ),
        );
      minServing = Math.min(minServing, serving.length);
    });

    const current = ctx.store.get(R.deployment, 'apps', 'web') as KubeObject;
    const template = (current.spec as { template: { spec: { containers: Array<{ image: string }> } } })
      .template;
    (template.spec.containers[0] as { image: string }).image = 'web:2';
    ctx.store.update(R.deployment, current);
    await waitFor(
      () =>
        complete(ctx, 'web') &&
        status(ctx, 'web').observedGeneration === 2 &&
        status(ctx, 'web').replicas === 4,
      8000,
      'second rollout',
    );

    expect(minServing).toBe(3);
    expect(maxDesired).toBe(4);
    const sets = list(ctx, R.replicaSet, 'apps');
    expect(sets).toHaveLength(2);
    const second = sets.find((rs) => rs.metadata.uid !== first?.metadata.uid);
    expect(second?.spec?.replicas).toBe(4);
    expect(second?.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('2');
    expect(ctx.store.get(R.replicaSet, 'apps', first?.metadata.name ?? '')?.spec?.replicas).toBe(0);
    expect(
      ctx.store.get(R.deployment, 'apps', 'web')?.metadata.annotations?.['deployment.kubernetes.io/revision'],
    ).toBe('2');
    await waitFor(() => list(ctx, R.pod, 'apps').length === 4, 5000, 'old pods gone');
    expect(
      list(ctx, R.pod, 'apps').every(
        (pod) => pod.metadata.ownerReferences?.[0]?.name === second?.metadata.name,
      ),
    ).toBe(true);
    const events = eventsFor(ctx, 'apps', 'web');
    expect(events).toContain(
      `ScalingReplicaSet: Scaled down replica set ${first?.metadata.name ?? ''} from 4 to 3`,
    );
    expect(events).toContain(
      `ScalingReplicaSet: Scaled up replica set ${second?.metadata.name ?? ''} from 0 to 1`,
    );
  });

  it('recreates: old pods are gone before the new ReplicaSet scales up', async () => {
    const { ctx } = start();
    ctx.store.create(R.deployment, deployment('db', 2, 'db:1', { strategy: { type: 'Recreate' } }));
    await waitFor(() => complete(ctx, 'db'), 5000, 'first rollout');
    let overlap = false;
    ctx.store.subscribe((event) => {
      if (event.resource !== R.pod) return;
      const images = new Set(
        ctx.store
          .list(R.pod, { namespace: 'apps' })
          .map((pod) => (pod.spec as { containers: Array<{ image: string }> }).containers[0]?.image),
      );
      if (images.has('db:1') && images.has('db:2')) overlap = true;
    });
    const current = ctx.store.get(R.deployment, 'apps', 'db') as KubeObject;
    const spec = current.spec as { template: { spec: { containers: Array<{ image: string }> } } };
    (spec.template.spec.containers[0] as { image: string }).image = 'db:2';
    ctx.store.update(R.deployment, current);
    await waitFor(() => complete(ctx, 'db') && status(ctx, 'db').observedGeneration === 2, 5000, 'recreate');
    await waitFor(() => list(ctx, R.pod, 'apps').length === 2, 5000, 'pods');
    expect(overlap).toBe(false);
  });

  it('marks ProgressDeadlineExceeded when pods never become ready', async () => {
    const { ctx } = start({ holdReady: () => true });
    ctx.store.create(R.deployment, deployment('stuck', 1, 'web:1', { progressDeadlineSeconds: 2 }));
    const progressing = await waitFor(
      () => {
        const found = condition(ctx, 'stuck', 'Progressing');
        return found?.reason === 'ProgressDeadlineExceeded' ? found : undefined;
      },
      5000,
      'deadline',
    );
    const rsName = list(ctx, R.replicaSet, 'apps')[0]?.metadata.name ?? '';
    expect(progressing).toMatchObject({
      status: 'False',
      message: `ReplicaSet "${rsName}" has timed out progressing.`,
    });
  });

  it('scales proportionally and records scaling events', async () => {
    const { ctx } = start();
    ctx.store.create(R.deployment, deployment('web', 2, 'web:1'));
    await waitFor(() => complete(ctx, 'web'), 5000, 'rollout');
    const current = ctx.store.get(R.deployment, 'apps', 'web') as KubeObject;
    (current.spec as { replicas: number }).replicas = 5;
    ctx.store.update(R.deployment, current);
    await waitFor(() => status(ctx, 'web').availableReplicas === 5 && complete(ctx, 'web'), 5000, 'scale up');
    const rs = list(ctx, R.replicaSet, 'apps')[0];
    expect(rs?.metadata.annotations?.['deployment.kubernetes.io/desired-replicas']).toBe('5');
    expect(eventsFor(ctx, 'apps', 'web')).toContain(
      `ScalingReplicaSet: Scaled up replica set ${rs?.metadata.name ?? ''} from 2 to 5`,
    );
  });

  it('reports FailedCreate until the service account exists, then recovers', async () => {
    const { ctx } = start();
    const withAccount = deployment('api', 1, 'api:1');
    const spec = withAccount.spec as { template: { spec: Record<string, unknown> } };
    spec.template.spec.serviceAccountName = 'api';
    ctx.store.create(R.deployment, withAccount);
    const failure = await waitFor(() => condition(ctx, 'api', 'ReplicaFailure'), 5000, 'ReplicaFailure');
    expect(failure).toMatchObject({ status: 'True', reason: 'FailedCreate' });
    expect(String(failure.message)).toContain(
      'error looking up service account apps/api: serviceaccount "api" not found',
    );
    const rsName = list(ctx, R.replicaSet, 'apps')[0]?.metadata.name ?? '';
    expect(
      eventsFor(ctx, 'apps', rsName).some((entry) =>
        entry.startsWith('FailedCreate: Error creating: pods "'),
      ),
    ).toBe(true);

    ctx.store.create(R.serviceAccount, {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'api', namespace: 'apps' },
    });
    await waitFor(() => complete(ctx, 'api'), 5000, 'recovery');
    expect(condition(ctx, 'api', 'ReplicaFailure')).toBeUndefined();
  });
});
