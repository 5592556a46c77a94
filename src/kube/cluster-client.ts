import type { KubeObject } from '../sim/api/kube-object.ts';

/** A Kubernetes object as JSON (the same loose shape the simulated cluster stores). */
export type { KubeObject } from '../sim/api/kube-object.ts';

/**
 * The kinds kubesoak reads and writes. Each maps to one API path; the adapter knows the paths so
 * the core never builds URLs.
 */
export const KubeKind = {
  Namespace: 'Namespace',
  Pod: 'Pod',
  Event: 'Event',
  Node: 'Node',
  Service: 'Service',
  Endpoints: 'Endpoints',
  ConfigMap: 'ConfigMap',
  PersistentVolumeClaim: 'PersistentVolumeClaim',
  Deployment: 'Deployment',
  ReplicaSet: 'ReplicaSet',
  StatefulSet: 'StatefulSet',
  DaemonSet: 'DaemonSet',
  Job: 'Job',
  ResourceQuota: 'ResourceQuota',
  LimitRange: 'LimitRange',
  ServiceAccount: 'ServiceAccount',
  CronJob: 'CronJob',
  Ingress: 'Ingress',
  NetworkPolicy: 'NetworkPolicy',
  PodDisruptionBudget: 'PodDisruptionBudget',
  HorizontalPodAutoscaler: 'HorizontalPodAutoscaler',
  Role: 'Role',
  RoleBinding: 'RoleBinding',
  ClusterRole: 'ClusterRole',
  ClusterRoleBinding: 'ClusterRoleBinding',
} as const;
export type KubeKind = (typeof KubeKind)[keyof typeof KubeKind];

export interface ListQuery {
  /** Omit for cluster-scoped kinds or an all-namespaces list. */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

export interface ListResult {
  items: KubeObject[];
  /** The list's resourceVersion, to start a watch from. */
  resourceVersion: string;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';

export interface WatchQuery extends ListQuery {
  /** Start after this version (from a list). */
  resourceVersion: string;
  allowBookmarks?: boolean;
}

/**
 * Why a watch ended: `closed` (server or network ended it; resume from the last version),
 * `expired` (410 Gone: re-list), `aborted` (our signal), `error` (anything else; see `error`).
 */
export interface WatchEnd {
  reason: 'closed' | 'expired' | 'aborted' | 'error';
  error?: unknown;
  /** The last resourceVersion seen (events and bookmarks), to resume from. */
  resourceVersion: string;
}

export interface LogQuery {
  container: string;
  previous?: boolean;
  tailLines?: number;
  limitBytes?: number;
}

/**
 * Everything kubesoak needs from a Kubernetes API server. The one production adapter is
 * KubeClusterClient (src/kube/kube-cluster-client.ts), the only module that imports
 * @kubernetes/client-node. Every call takes an AbortSignal; aborting closes the request or watch.
 * Errors are ClusterApiError with the HTTP status and Kubernetes reason when there was a response.
 */
export interface ClusterClient {
  /** The kubeconfig context in use, and its file for helm's --kubeconfig (undefined: in-cluster). */
  readonly context: string;
  readonly kubeconfigPath: string | undefined;

  get(
    kind: KubeKind,
    name: string,
    namespace: string | undefined,
    signal: AbortSignal,
  ): Promise<KubeObject | undefined>;
  list(kind: KubeKind, query: ListQuery, signal: AbortSignal): Promise<ListResult>;
  /**
   * Streams events until the watch ends; resolves with why it ended. Never reconnects by itself:
   * callers resume from `resourceVersion` after `closed`, re-list after `expired`.
   */
  watch(
    kind: KubeKind,
    query: WatchQuery,
    onEvent: (type: WatchEventType, object: KubeObject) => void,
    signal: AbortSignal,
  ): Promise<WatchEnd>;
  create(object: KubeObject, signal: AbortSignal): Promise<KubeObject>;
  /** Deletes; resolves false when it was already gone (404). */
  delete(
    kind: KubeKind,
    name: string,
    namespace: string | undefined,
    options: { propagationPolicy?: 'Background' | 'Foreground' | 'Orphan'; gracePeriodSeconds?: number },
    signal: AbortSignal,
  ): Promise<boolean>;
  /** Merge-patches metadata (labels/annotations), e.g. to extend a namespace's expiry. */
  patchMetadata(
    kind: KubeKind,
    name: string,
    namespace: string | undefined,
    metadata: { labels?: Record<string, string | null>; annotations?: Record<string, string | null> },
    signal: AbortSignal,
  ): Promise<KubeObject>;
  readPodLog(namespace: string, pod: string, query: LogQuery, signal: AbortSignal): Promise<string>;
  /** The API server's version (also a cheap reachability check). */
  serverVersion(signal: AbortSignal): Promise<string>;
}
