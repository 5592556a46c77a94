import { defaultPodSpec } from '../controllers/pod-defaults.ts';
import { podQosClass } from '../controllers/pod-qos.ts';
import { defaultPvcSpec } from '../controllers/pvc-defaults.ts';
import type { PodSpec } from '../controllers/workload-types.ts';
import type { KubeObject } from './kube-object.ts';
import type { ResourceType } from './resource-types.ts';

type Obj = Record<string, unknown>;

/** Hands out Service cluster IPs from 10.96.0.0/12 like the real allocator (10.96.0.1 is kubernetes). */
export class ClusterIpAllocator {
  private next = 10;

  allocate(): string {
    const n = this.next++;
    return `10.96.${Math.floor(n / 250) % 256}.${(n % 250) + 1}`;
  }
}

/**
 * API defaulting applied on create (and on the object an update stores), so that what clients read
 * back — and `kubectl describe` shows — has the values a real API server fills in.
 */
export function applyDefaults(
  resource: ResourceType,
  object: KubeObject,
  ips: ClusterIpAllocator,
): KubeObject {
  const spec = (object.spec ??= {}) as Obj;
  switch (resource.kind) {
    case 'Namespace': {
      const name = object.metadata.name ?? '';
      object.metadata.labels = { ...object.metadata.labels, 'kubernetes.io/metadata.name': name };
      spec.finalizers ??= ['kubernetes'];
      object.status = { phase: 'Active', ...object.status };
      break;
    }
    case 'Pod':
      object.spec = defaultPodSpec(spec);
      object.status = { phase: 'Pending', qosClass: podQosClass(object.spec), ...object.status };
      break;
    case 'Deployment':
      spec.replicas ??= 1;
      spec.revisionHistoryLimit ??= 10;
      spec.progressDeadlineSeconds ??= 600;
      spec.strategy ??= { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } };
      defaultTemplate(spec);
      break;
    case 'ReplicaSet':
      spec.replicas ??= 1;
      defaultTemplate(spec);
      break;
    case 'StatefulSet':
      spec.replicas ??= 1;
      spec.podManagementPolicy ??= 'OrderedReady';
      spec.revisionHistoryLimit ??= 10;
      spec.updateStrategy ??= { type: 'RollingUpdate', rollingUpdate: { partition: 0 } };
      spec.persistentVolumeClaimRetentionPolicy ??= { whenDeleted: 'Retain', whenScaled: 'Retain' };
      for (const claim of (spec.volumeClaimTemplates as Obj[] | undefined) ?? []) {
        const claimSpec = (claim.spec ??= {}) as Obj;
        claimSpec.volumeMode ??= 'Filesystem';
        claim.apiVersion ??= 'v1';
        claim.kind ??= 'PersistentVolumeClaim';
        claim.status ??= { phase: 'Pending' };
      }
      defaultTemplate(spec);
      break;
    case 'DaemonSet':
      spec.revisionHistoryLimit ??= 10;
      spec.updateStrategy ??= { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } };
      defaultTemplate(spec);
      break;
    case 'Job': {
      spec.completions ??= 1;
      spec.parallelism ??= 1;
      spec.backoffLimit ??= 6;
      spec.completionMode ??= 'NonIndexed';
      spec.suspend ??= false;
      spec.manualSelector ??= false;
      spec.podReplacementPolicy ??= 'TerminatingOrFailed';
      const template = (spec.template ??= {}) as Obj;
      const templateSpec = (template.spec ??= {}) as Obj;
      templateSpec.restartPolicy ??= 'Never';
      defaultTemplate(spec);
      break;
    }
    case 'CronJob':
      spec.concurrencyPolicy ??= 'Allow';
      spec.suspend ??= false;
      spec.successfulJobsHistoryLimit ??= 3;
      spec.failedJobsHistoryLimit ??= 1;
      break;
    case 'Service': {
      spec.type ??= 'ClusterIP';
      spec.sessionAffinity ??= 'None';
      spec.internalTrafficPolicy ??= 'Cluster';
      if (spec.clusterIP === undefined || spec.clusterIP === '') spec.clusterIP = ips.allocate();
      spec.clusterIPs ??= [spec.clusterIP];
      spec.ipFamilies ??= ['IPv4'];
      spec.ipFamilyPolicy ??= 'SingleStack';
      for (const port of (spec.ports as Obj[] | undefined) ?? []) {
        port.protocol ??= 'TCP';
        port.targetPort ??= port.port;
      }
      object.status ??= { loadBalancer: {} };
      break;
    }
    case 'PersistentVolumeClaim':
      object.spec = defaultPvcSpec(spec);
      object.status ??= { phase: 'Pending' };
      break;
    case 'Secret': {
      object.type ??= 'Opaque';
      const stringData = object.stringData as Record<string, string> | undefined;
      if (stringData) {
        const data = { ...(object.data as Record<string, string> | undefined) };
        for (const [key, value] of Object.entries(stringData))
          data[key] = Buffer.from(value).toString('base64');
        object.data = data;
        delete object.stringData;
      }
      delete object.spec;
      break;
    }
    default:
      break;
  }
  if (object.spec && Object.keys(object.spec).length === 0 && !KINDS_WITH_SPEC.has(resource.kind))
    delete object.spec;
  return object;
}

const KINDS_WITH_SPEC = new Set([
  'Namespace',
  'Pod',
  'Deployment',
  'ReplicaSet',
  'StatefulSet',
  'DaemonSet',
  'Job',
  'CronJob',
  'Service',
  'PersistentVolumeClaim',
  'Ingress',
  'NetworkPolicy',
  'PodDisruptionBudget',
  'HorizontalPodAutoscaler',
  'ResourceQuota',
  'LimitRange',
  'Node',
]);

function defaultTemplate(spec: Obj): void {
  const template = (spec.template ??= {}) as Obj;
  template.metadata ??= {};
  template.spec = defaultPodSpec((template.spec ?? {}) as PodSpec, { template: true });
}
