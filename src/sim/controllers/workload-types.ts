/**
 * Loose shapes of the workload fields the controllers read and write. Objects are plain JSON in the
 * store, so these only name what the controllers touch; everything else passes through untouched.
 */

/** metav1.LabelSelector. */
export interface LabelSelectorSpec {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}

/** An int-or-string field such as maxSurge ("25%" or 1). */
export type IntOrString = number | string;

/** core/v1 Container, as far as defaulting and controllers care. */
export interface ContainerSpec {
  name?: string;
  image?: string;
  imagePullPolicy?: string;
  ports?: Array<{ name?: string; containerPort?: number; protocol?: string; hostPort?: number }>;
  env?: Array<Record<string, unknown>>;
  resources?: { limits?: Record<string, string | number>; requests?: Record<string, string | number> };
  volumeMounts?: Array<{ name: string; mountPath: string; readOnly?: boolean }>;
  livenessProbe?: Record<string, unknown>;
  readinessProbe?: Record<string, unknown>;
  startupProbe?: Record<string, unknown>;
  lifecycle?: Record<string, unknown>;
  terminationMessagePath?: string;
  terminationMessagePolicy?: string;
  [field: string]: unknown;
}

/** core/v1 PodSpec, as far as defaulting and controllers care. */
export interface PodSpec {
  containers?: ContainerSpec[];
  initContainers?: ContainerSpec[];
  volumes?: Array<Record<string, unknown> & { name: string }>;
  restartPolicy?: string;
  nodeName?: string;
  nodeSelector?: Record<string, string>;
  affinity?: Record<string, unknown>;
  tolerations?: Array<Record<string, unknown>>;
  serviceAccountName?: string;
  serviceAccount?: string;
  automountServiceAccountToken?: boolean;
  hostname?: string;
  subdomain?: string;
  hostNetwork?: boolean;
  priorityClassName?: string;
  priority?: number;
  terminationGracePeriodSeconds?: number;
  [field: string]: unknown;
}

/** core/v1 PodTemplateSpec. */
export interface PodTemplateSpec {
  metadata?: {
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    finalizers?: string[];
    [field: string]: unknown;
  };
  spec?: PodSpec;
}

/** The common shape of workload status conditions (apps, batch, core). */
export interface StatusCondition {
  type: string;
  status: string;
  lastProbeTime?: string;
  lastUpdateTime?: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

/** core/v1 PodStatus, as far as controllers read it. */
export interface PodStatus {
  phase?: string;
  conditions?: StatusCondition[];
  podIP?: string;
  podIPs?: Array<{ ip: string }>;
  containerStatuses?: Array<{ name: string; restartCount?: number; ready?: boolean }>;
  initContainerStatuses?: Array<{ name: string; restartCount?: number }>;
  [field: string]: unknown;
}
