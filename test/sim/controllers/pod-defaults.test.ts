import { describe, expect, it } from 'vitest';
import { defaultPodSpec } from '../../../src/sim/controllers/pod-defaults.ts';
import { podQosClass } from '../../../src/sim/controllers/pod-qos.ts';
import { computeTemplateHash } from '../../../src/sim/controllers/template-hash.ts';

describe('defaultPodSpec', () => {
  it('applies the API server defaults to a pod', () => {
    const spec = defaultPodSpec({
      containers: [
        {
          name: 'web',
          image: 'nginx',
          ports: [{ containerPort: 80 }],
          readinessProbe: { httpGet: { port: 80 } },
          resources: { limits: { cpu: '100m', memory: '64Mi' } },
          env: [{ name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
        },
      ],
      volumes: [{ name: 'scratch' }, { name: 'cfg', configMap: { name: 'cfg' } }],
    });
    expect(spec).toEqual({
      containers: [
        {
          name: 'web',
          image: 'nginx',
          imagePullPolicy: 'Always',
          ports: [{ containerPort: 80, protocol: 'TCP' }],
          readinessProbe: {
            httpGet: { port: 80, path: '/', scheme: 'HTTP' },
            timeoutSeconds: 1,
            periodSeconds: 10,
            successThreshold: 1,
            failureThreshold: 3,
          },
          resources: { limits: { cpu: '100m', memory: '64Mi' }, requests: { cpu: '100m', memory: '64Mi' } },
          env: [{ name: 'NODE', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'spec.nodeName' } } }],
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
        },
      ],
      volumes: [
        { name: 'scratch', emptyDir: {} },
        { name: 'cfg', configMap: { name: 'cfg', defaultMode: 420 } },
      ],
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'ClusterFirst',
      securityContext: {},
      schedulerName: 'default-scheduler',
      serviceAccountName: 'default',
      serviceAccount: 'default',
      enableServiceLinks: true,
    });
  });

  it.each([
    ['nginx', 'Always'],
    ['nginx:latest', 'Always'],
    ['nginx:1.27', 'IfNotPresent'],
    ['localhost:5000/nginx', 'Always'],
    ['localhost:5000/nginx:1.0', 'IfNotPresent'],
    ['nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef', 'IfNotPresent'],
  ])('pulls %s with %s', (image, policy) => {
    expect(defaultPodSpec({ containers: [{ name: 'c', image }] }).containers?.[0]?.imagePullPolicy).toBe(
      policy,
    );
  });

  it('leaves pod-only defaults out of templates and keeps explicit values', () => {
    const spec = defaultPodSpec(
      {
        restartPolicy: 'Never',
        containers: [
          { name: 'c', image: 'x:1', imagePullPolicy: 'Always', resources: { limits: { cpu: '1' } } },
        ],
      },
      { template: true },
    );
    expect(spec.restartPolicy).toBe('Never');
    expect(spec.containers?.[0]?.imagePullPolicy).toBe('Always');
    expect(spec.containers?.[0]?.resources).toEqual({ limits: { cpu: '1' } });
    expect(spec).not.toHaveProperty('serviceAccountName');
    expect(spec).not.toHaveProperty('enableServiceLinks');
  });
});

describe('podQosClass', () => {
  it('classifies as GetPodQOS does', () => {
    expect(podQosClass({ containers: [{ name: 'a' }] })).toBe('BestEffort');
    expect(podQosClass({ containers: [{ name: 'a', resources: { requests: { cpu: '100m' } } }] })).toBe(
      'Burstable',
    );
    const limits = { cpu: '0.5', memory: '1Gi' };
    expect(
      podQosClass({
        containers: [{ name: 'a', resources: { limits, requests: { cpu: '500m', memory: '1024Mi' } } }],
      }),
    ).toBe('Guaranteed');
  });
});

describe('computeTemplateHash', () => {
  it('is stable, key-order independent, in the real alphabet, and changes with the collision count', () => {
    const a = computeTemplateHash({
      metadata: { labels: { app: 'x' } },
      spec: { containers: [{ name: 'c', image: 'i' }] },
    });
    const b = computeTemplateHash({
      spec: { containers: [{ image: 'i', name: 'c' }] },
      metadata: { labels: { app: 'x' } },
    });
    expect(a).toBe(b);
    expect(a).toMatch(/^[4-9bcdf]{1,10}$/);
    expect(computeTemplateHash({ spec: {} }, 1)).not.toBe(computeTemplateHash({ spec: {} }, 2));
  });
});
