/**
 * Server-side printing: the meta.k8s.io/v1 Table a real API server answers `kubectl get` with. kubectl
 * prints only what the server puts in the Table, so the columns and cells here follow the printers in
 * kubernetes/pkg/printers/internalversion/printers.go (as served to kubectl 1.33) one for one. The server
 * always generates the wide (priority 1) columns too; kubectl hides them unless asked for `-o wide`.
 */
import { formatAge, formatRestarts, humanDuration, summarizePod } from '../../kube/pod-display.ts';
import type { PodLike } from '../../kube/pod-display.ts';
import { ApiError } from './api-error.ts';

/** metav1.TableColumnDefinition; every field is always serialised. */
export interface TableColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

/** A cell as the server encodes it: Go strings, int64s and bools. */
export type TableCell = string | number | boolean;

/** metav1.TableRowCondition; the pod printer marks finished pods with one. */
export interface TableRowCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

/** metav1.TableRow. */
export interface TableRow {
  cells: TableCell[];
  conditions?: TableRowCondition[];
  object?: Record<string, unknown>;
}

/** metav1.Table. */
export interface Table {
  kind: 'Table';
  apiVersion: 'meta.k8s.io/v1';
  metadata: { resourceVersion: string; continue?: string; remainingItemCount?: number };
  columnDefinitions: TableColumnDefinition[];
  rows: TableRow[];
}

/** metav1.IncludeObjectPolicy: what each row carries besides its cells. */
export const IncludeObject = { None: 'None', Metadata: 'Metadata', Object: 'Object' } as const;
export type IncludeObjectPolicy = (typeof IncludeObject)[keyof typeof IncludeObject];

/** How to build a Table. */
export interface BuildTableOptions {
  /** The moment AGE and other "time since" cells are measured from (the sim clock, not the wall clock). */
  now: Date;
  includeObject: IncludeObjectPolicy;
  /** The list's resourceVersion, or the object's for a single GET. */
  resourceVersion: string;
  /** Carried over from the list being converted, as the real TableConvertor does. */
  continue?: string;
  remainingItemCount?: number;
  /** TableOptions.noHeaders: rows only, as used for the follow-up pages of a watch. */
  noHeaders?: boolean;
}

/**
 * Renders objects of one kind as the Table kubectl expects. Kinds without a server-side printer fall back
 * to what the real server does for them: "Name, Created At" for the built-in kinds served by the default
 * convertor (Role, ClusterRole, LimitRange, CustomResourceDefinition), "Name, Age" for anything else (the
 * custom-resource convertor's default columns).
 */
export function buildTable(
  kind: string,
  objects: Array<Record<string, unknown>>,
  options: BuildTableOptions,
): Table {
  const printer =
    PRINTERS.get(kind) ?? (DEFAULT_CONVERTOR_KINDS.has(kind) ? DEFAULT_PRINTER : CUSTOM_RESOURCE_PRINTER);
  const rows = objects.map((object): TableRow => {
    const row: TableRow = { cells: printer.cells(object, options.now) };
    const conditions = printer.conditions?.(object);
    if (conditions) row.conditions = conditions;
    const attached = rowObject(object, options.includeObject);
    if (attached) row.object = attached;
    return row;
  });
  const metadata: Table['metadata'] = { resourceVersion: options.resourceVersion };
  if (options.continue) metadata.continue = options.continue;
  if (options.remainingItemCount !== undefined) metadata.remainingItemCount = options.remainingItemCount;
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata,
    columnDefinitions: options.noHeaders ? [] : printer.columns.map((column) => ({ ...column })),
    rows,
  };
}

/** What the Accept header asks for: a Table (and of which meta.k8s.io version) or the plain object. */
export interface TableRequest {
  table: boolean;
  /** The Table version negotiated; kubectl offers v1 first and v1beta1 as a fallback. */
  version?: 'v1' | 'v1beta1';
}

/**
 * Reads an Accept header the way the API server negotiates it: media ranges in order of preference (q),
 * the first one the server can produce wins. A range with `as=Table;g=meta.k8s.io;v=v1|v1beta1` asks for
 * server-side printing; a plain JSON range ranked before it does not.
 */
export function parseTableAccept(accept: string | undefined): TableRequest {
  if (!accept) return { table: false };
  const ranges = accept
    .split(',')
    .map((text, order) => ({ ...parseMediaRange(text), order }))
    .filter((range) => range.q > 0)
    .sort((a, b) => b.q - a.q || a.order - b.order);
  for (const range of ranges) {
    if (!JSON_RANGES.has(range.type)) continue;
    const as = range.params.get('as');
    if (as === undefined) return { table: false };
    if (as !== 'Table' || range.params.get('g') !== 'meta.k8s.io') continue;
    const version = range.params.get('v');
    if (version === 'v1' || version === 'v1beta1') return { table: true, version };
  }
  return { table: false };
}

/**
 * The includeObject query parameter of a Table request. Unset means Metadata (what kubectl gets unless it
 * sorts); anything else unknown is refused with 400, as the real server does.
 */
export function includeObjectFrom(query: URLSearchParams): IncludeObjectPolicy {
  const value = query.get('includeObject');
  if (value === null || value === '') return IncludeObject.Metadata;
  if (value === IncludeObject.None || value === IncludeObject.Metadata || value === IncludeObject.Object) {
    return value;
  }
  throw ApiError.badRequest(`unrecognized includeObject value: "${value}"`);
}

// ---------------------------------------------------------------------------------------------------
// Reading loosely typed JSON objects.

type Obj = Record<string, unknown>;

function rec(value: unknown): Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Obj) : {};
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? (value as unknown[]) : [];
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function int(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? Math.trunc(value) : 0;
}

/** A pointer field in Go: absent and null are both nil. */
function present(value: unknown): boolean {
  return value !== undefined && value !== null;
}

function meta(object: Obj): Obj {
  return rec(object.metadata);
}

function name(object: Obj): string {
  return str(meta(object).name);
}

function age(object: Obj, now: Date): string {
  return formatAge(str(meta(object).creationTimestamp), now);
}

/** translateTimestampSince for any timestamp field: "<unknown>" when unset. */
function since(value: unknown, now: Date): string {
  return formatAge(str(value), now);
}

function keyCount(value: unknown): number {
  return Object.keys(rec(value)).length;
}

// ---------------------------------------------------------------------------------------------------
// Formatting helpers shared by the printers (ports of the Go helpers of the same purpose).

/** labels.FormatLabels: sorted key=value pairs, "<none>" when empty. */
function formatLabels(value: unknown): string {
  const entries = Object.entries(rec(value))
    .map(([key, label]) => [key, str(label)] as const)
    .sort(([a], [b]) => compare(a, b));
  const text = entries.map(([key, label]) => `${key}=${label}`).join(',');
  return text === '' ? '<none>' : text;
}

/** metav1.LabelSelectorAsSelector(...).String(); undefined when the selector is invalid. */
function selectorString(value: unknown): string | undefined {
  if (!present(value)) return '';
  const selector = rec(value);
  const requirements: Array<{ key: string; text: string }> = [];
  for (const [key, label] of Object.entries(rec(selector.matchLabels))) {
    requirements.push({ key, text: `${key}=${str(label)}` });
  }
  for (const item of list(selector.matchExpressions)) {
    const expression = rec(item);
    const key = str(expression.key);
    const values = list(expression.values).map(str);
    switch (expression.operator) {
      case 'In':
      case 'NotIn': {
        if (values.length === 0) return undefined;
        const word = expression.operator === 'In' ? 'in' : 'notin';
        requirements.push({ key, text: `${key} ${word} (${[...values].sort(compare).join(',')})` });
        break;
      }
      case 'Exists':
      case 'DoesNotExist':
        if (values.length > 0) return undefined;
        requirements.push({ key, text: expression.operator === 'Exists' ? key : `!${key}` });
        break;
      default:
        return undefined;
    }
  }
  return requirements
    .sort((a, b) => compare(a.key, b.key))
    .map((requirement) => requirement.text)
    .join(',');
}

/** metav1.FormatLabelSelector: like selectorString but "<none>" when empty and "<error>" when invalid. */
function formatLabelSelector(value: unknown): string {
  const text = selectorString(value);
  if (text === undefined) return '<error>';
  return text === '' ? '<none>' : text;
}

/** layoutContainerCells: container names and images, comma-joined. */
function containerCells(podSpec: unknown): [string, string] {
  const containers = list(rec(podSpec).containers).map(rec);
  return [containers.map((c) => str(c.name)).join(','), containers.map((c) => str(c.image)).join(',')];
}

function templateSpec(object: Obj): Obj {
  return rec(rec(rec(object.spec).template).spec);
}

/** resource.Quantity.String() of a JSON quantity; the API already stores the canonical text. */
function quantity(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  return '<nil>';
}

/** intstr.IntOrString.String(). */
function intOrString(value: unknown): string {
  return typeof value === 'number' ? String(Math.trunc(value)) : str(value);
}

/** net.JoinHostPort. */
function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Go's string ordering (byte-wise); label keys and values are ASCII. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A sorted, de-duplicated, comma-joined set (sets.String.List()). */
function sortedSet(values: string[]): string {
  return [...new Set(values)].sort(compare).join(',');
}

// ---------------------------------------------------------------------------------------------------
// Column descriptions: the API field docs (SwaggerDoc) the real server puts in each column definition.

const DOC = {
  name:
    'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a ' +
    'client to request the generation of an appropriate name automatically. Name is primarily intended for creation ' +
    'idempotence and configuration definition. Cannot be updated. More info: ' +
    'https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names',
  creationTimestamp:
    'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed ' +
    'to be set in happens-before order across separate operations. Clients may not set this value. It is represented ' +
    'in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: ' +
    'https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata',
  containers: 'Names of each container in the template.',
  images: 'Images referenced by each container in the template.',
  podIP:
    'podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.',
  nodeName:
    'NodeName is a request to schedule this pod onto a specific node. If it is non-empty, the scheduler simply ' +
    'schedules this pod onto that node, assuming that it fits resource requirements.',
  nominatedNodeName:
    'nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right ' +
    'away as preemption victims receive their graceful termination periods. This field does not guarantee that the ' +
    'pod will be scheduled on this node. Scheduler may decide to place the pod elsewhere if other nodes become ' +
    'available sooner. Scheduler may also decide to give the resources on this node to a higher priority pod that is ' +
    'created after preemption. As a result, this field may be different than PodSpec.nodeName when the pod is ' +
    'scheduled.',
  readinessGates:
    'If specified, all readiness gates will be evaluated for pod readiness. A pod is ready when all its containers ' +
    'are ready AND all conditions specified in the readiness gates have status equal to "True" More info: ' +
    'https://git.k8s.io/enhancements/keps/sig-network/580-pod-readiness-gates',
  nodeSelector:
    "NodeSelector is a selector which must be true for the pod to fit on a node. Selector which must match a node's " +
    'labels for the pod to be scheduled on that node. More info: ' +
    'https://kubernetes.io/docs/concepts/configuration/assign-pod-node/',
  rsReplicas:
    'Replicas is the number of desired replicas. This is a pointer to distinguish between explicit zero and ' +
    'unspecified. Defaults to 1. More info: ' +
    'https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller/#what-is-a-replicationcontroller',
  rsStatusReplicas:
    'Replicas is the most recently oberved number of replicas. More info: ' +
    'https://kubernetes.io/docs/concepts/workloads/controllers/replicationcontroller/#what-is-a-replicationcontroller',
  rsReadyReplicas: 'The number of ready replicas for this replica set.',
  rsSelector:
    'Selector is a label query over pods that should match the replica count. If the selector is empty, it is ' +
    'defaulted to the labels present on the pod template. Label keys and values that must match in order to be ' +
    'controlled by this replica set. More info: ' +
    'https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors',
  dsDesired:
    'The total number of nodes that should be running the daemon pod (including nodes correctly running the daemon ' +
    'pod). More info: https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/',
  dsCurrent:
    'The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod. More info: ' +
    'https://kubernetes.io/docs/concepts/workloads/controllers/daemonset/',
  dsReady:
    'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ' +
    'ready.',
  dsUpToDate: 'The total number of nodes that are running updated daemon pod',
  dsAvailable:
    'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ' +
    'available (ready for at least spec.minReadySeconds)',
  dsSelector:
    'A label query over pods that are managed by the daemon set. Must match in order to be controlled. If empty, ' +
    'defaulted to labels on Pod template. More info: ' +
    'https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors',
  jobSucceeded:
    'The number of pods which reached phase Succeeded. The value increases monotonically for a given spec. However, ' +
    'it may decrease in reaction to scale down of elastic indexed jobs.',
  jobSelector:
    'A label query over pods that should match the pod count. Normally, the system sets this field for you. More ' +
    'info: https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors',
  cronSchedule: 'The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron.',
  cronTimeZone:
    'The time zone name for the given schedule, see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones. ' +
    'If not specified, this will default to the time zone of the kube-controller-manager process. The set of valid ' +
    'time zone names and the time zone offset is loaded from the system-wide time zone database by the API server ' +
    'during CronJob validation and the controller manager during execution. If no system-wide time zone database ' +
    'can be found a bundled version of the database is used instead. If the time zone name becomes invalid during ' +
    'the lifetime of a CronJob or due to a change in host configuration, the controller will stop creating new new ' +
    'Jobs and will create a system event with the reason UnknownTimeZone. More information can be found in ' +
    'https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/#time-zones',
  cronSuspend:
    'This flag tells the controller to suspend subsequent executions, it does not apply to already started ' +
    'executions.  Defaults to false.',
  cronActive: 'A list of pointers to currently running jobs.',
  cronLastSchedule: 'Information when was the last time the job was successfully scheduled.',
  svcType:
    'type determines how the Service is exposed. Defaults to ClusterIP. Valid options are ExternalName, ClusterIP, ' +
    'NodePort, and LoadBalancer. "ClusterIP" allocates a cluster-internal IP address for load-balancing to ' +
    'endpoints. Endpoints are determined by the selector or if that is not specified, by manual construction of an ' +
    'Endpoints object or EndpointSlice objects. If clusterIP is "None", no virtual IP is allocated and the endpoints ' +
    'are published as a set of endpoints rather than a virtual IP. "NodePort" builds on ClusterIP and allocates a ' +
    'port on every node which routes to the same endpoints as the clusterIP. "LoadBalancer" builds on NodePort and ' +
    'creates an external load-balancer (if supported in the current cloud) which routes to the same endpoints as the ' +
    'clusterIP. "ExternalName" aliases this service to the specified externalName. Several other fields do not ' +
    'apply to ExternalName services. More info: ' +
    'https://kubernetes.io/docs/concepts/services-networking/service/#publishing-services-service-types',
  svcClusterIP:
    'clusterIP is the IP address of the service and is usually assigned randomly. If an address is specified ' +
    'manually, is in-range (as per system configuration), and is not in use, it will be allocated to the service; ' +
    'otherwise creation of the service will fail. This field may not be changed through updates unless the type ' +
    'field is also being changed to ExternalName (which requires this field to be blank) or the type field is being ' +
    'changed from ExternalName (in which case this field may optionally be specified, as describe above).  Valid ' +
    'values are "None", empty string (""), or a valid IP address. Setting this to "None" makes a "headless service" ' +
    '(no virtual IP), which is useful when direct endpoint connections are preferred and proxying is not required.  ' +
    'Only applies to types ClusterIP, NodePort, and LoadBalancer. If this field is specified when creating a Service ' +
    'of type ExternalName, creation will fail. This field will be wiped when updating a Service to type ' +
    'ExternalName. More info: https://kubernetes.io/docs/concepts/services-networking/service/#virtual-ips-and-service-proxies',
  svcExternalIPs:
    'externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this ' +
    'service.  These IPs are not managed by Kubernetes.  The user is responsible for ensuring that traffic arrives ' +
    'at a node with this IP.  A common example is external load-balancers that are not part of the Kubernetes ' +
    'system.',
  svcPorts:
    'The list of ports that are exposed by this service. More info: ' +
    'https://kubernetes.io/docs/concepts/services-networking/service/#virtual-ips-and-service-proxies',
  svcSelector:
    'Route service traffic to pods with label keys and values matching this selector. If empty or not present, the ' +
    'service is assumed to have an external process managing its endpoints, which Kubernetes will not modify. Only ' +
    'applies to types ClusterIP, NodePort, and LoadBalancer. Ignored if type is ExternalName. More info: ' +
    'https://kubernetes.io/docs/concepts/services-networking/service/',
  endpointsSubsets:
    'The set of all endpoints is the union of all subsets. Addresses are placed into subsets according to the IPs ' +
    'they share. A single address with multiple ports, some of which are ready and some of which are not (because ' +
    'they come from different containers) will result in the address being displayed in different subsets for the ' +
    'different ports. No address will appear in both Addresses and NotReadyAddresses in the same subset. Sets of ' +
    'addresses and ports that comprise a service.',
  kubeletVersion: 'Kubelet Version reported by the node.',
  nodeAddresses:
    'List of addresses reachable to the node. Queried from cloud provider, if available. More info: ' +
    'https://kubernetes.io/docs/concepts/nodes/node/#addresses Note: This field is declared as mergeable, but the ' +
    'merge key is not sufficiently unique, which can cause data corruption when it is merged. Callers should ' +
    'instead use a full-replacement patch. See https://pr.k8s.io/79391 for an example. Consumers should assume that ' +
    'addresses can change during the lifetime of a Node. However, there are some exceptions where this may not be ' +
    "possible, such as Pods that inherit a Node's address in its own status or consumers of the downward API " +
    '(status.hostIP).',
  osImage: 'OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).',
  kernelVersion: "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).",
  containerRuntimeVersion:
    'ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).',
  eventLastTimestamp: 'The time at which the most recent occurrence of this event was recorded.',
  eventType: 'Type of this event (Normal, Warning), new types could be added in the future',
  eventReason:
    "This should be a short, machine understandable string that gives the reason for the transition into the object's current status.",
  eventInvolvedObject: 'The object that this event is about.',
  eventFieldPath:
    'If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go ' +
    'field access statement, such as desiredState.manifest.containers[2]. For example, if the object reference is ' +
    'to a container within a pod, this would take on a value like: "spec.containers{name}" (where "name" refers to ' +
    'the name of the container that triggered the event) or if no container name is specified ' +
    '"spec.containers[2]" (container with index 2 in this pod). This syntax is chosen only to have some ' +
    'well-defined way of referencing a part of an object.',
  eventSource: 'The component reporting this event. Should be a short machine understandable string.',
  eventMessage: 'A human-readable description of the status of this operation.',
  eventFirstTimestamp:
    'The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)',
  eventCount: 'The number of times this event has occurred.',
  secretType:
    'Used to facilitate programmatic handling of secret data. More info: ' +
    'https://kubernetes.io/docs/concepts/configuration/secret/#secret-types',
  secretData:
    "Data contains the secret data. Each key must consist of alphanumeric characters, '-', '_' or '.'. The " +
    'serialized form of the secret data is a base64 encoded string, representing the arbitrary (possibly ' +
    'non-string) data value here. Described in https://tools.ietf.org/html/rfc4648#section-4',
  serviceAccountSecrets:
    'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed ' +
    'to use. Pods are only limited to this list if this service account has a ' +
    '"kubernetes.io/enforce-mountable-secrets" annotation set to "true". This field should not be used to find ' +
    'auto-generated service account token secrets for use outside of pods. Instead, tokens can be requested ' +
    'directly using the TokenRequest API, or service account token secrets can be manually created. More info: ' +
    'https://kubernetes.io/docs/concepts/configuration/secret',
  pvcPhase: 'phase represents the current phase of PersistentVolumeClaim.',
  pvcVolumeName: 'volumeName is the binding reference to the PersistentVolume backing this claim.',
  pvcCapacity: 'capacity represents the actual resources of the underlying volume.',
  pvcAccessModes:
    'accessModes contains the actual access modes the volume backing the PVC has. More info: ' +
    'https://kubernetes.io/docs/concepts/storage/persistent-volumes#access-modes-1',
  pvcVolumeMode:
    'volumeMode defines what type of volume is required by the claim. Value of Filesystem is implied when not ' +
    'included in claim spec.',
  deployUpdated:
    'Total number of non-terminated pods targeted by this deployment that have the desired template spec.',
  deployAvailable:
    'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.',
  deploySelector:
    'Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by ' +
    'this deployment.',
  configMapData:
    "Data contains the configuration data. Each key must consist of alphanumeric characters, '-', '_' or '.'. " +
    'Values with non-UTF-8 byte sequences must use the BinaryData field. The keys stored in Data must not overlap ' +
    'with the keys in the BinaryData field, this is enforced during validation process.',
  podSelector:
    'Selects the pods to which this NetworkPolicy object applies.  The array of ingress rules is applied to any pods ' +
    'selected by this field. Multiple network policies can select the same set of pods.  In this case, the ingress ' +
    'rules for each are combined additively. This field is NOT optional and follows standard label selector ' +
    'semantics. An empty podSelector matches all pods in this namespace.',
  roleBindingRoleRef:
    'RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace. If the RoleRef ' +
    'cannot be resolved, the Authorizer must return an error.',
  clusterRoleBindingRoleRef:
    'RoleRef can only reference a ClusterRole in the global namespace. If the RoleRef cannot be resolved, the ' +
    'Authorizer must return an error.',
  hpaScaleTargetRef:
    'scaleTargetRef points to the target resource to scale, and is used to the pods for which metrics should be ' +
    'collected, as well as to actually change the replica count.',
  hpaMetrics:
    'metrics contains the specifications for which to use to calculate the desired replica count (the maximum ' +
    'replica count across all metrics will be used).  The desired replica count is calculated multiplying the ratio ' +
    'between the target value and the current value by the current number of pods.  Ergo, metrics used must ' +
    'decrease as the pod count is increased, and vice-versa.  See the individual metric source types for more ' +
    'information about how each type of metric must respond.',
  hpaMinReplicas:
    'minReplicas is the lower limit for the number of replicas to which the autoscaler can scale down.  It defaults ' +
    'to 1 pod.  minReplicas is allowed to be 0 if the alpha feature gate HPAScaleToZero is enabled and at least one ' +
    'Object or External metric is configured.  Scaling is active as long as at least one metric value is available.',
  hpaMaxReplicas:
    'maxReplicas is the upper limit for the number of replicas to which the autoscaler can scale up. It cannot be ' +
    'less that minReplicas.',
  hpaCurrentReplicas:
    'currentReplicas is current number of replicas of pods managed by this autoscaler, as last seen by the ' +
    'autoscaler.',
} as const;

function column(
  name: string,
  type: string,
  description: string,
  extra: { priority?: number; format?: string } = {},
): TableColumnDefinition {
  return { name, type, format: extra.format ?? '', description, priority: extra.priority ?? 0 };
}

const NAME_COLUMN = column('Name', 'string', DOC.name, { format: 'name' });
const AGE_COLUMN = column('Age', 'string', DOC.creationTimestamp);
const WIDE = { priority: 1 } as const;
const CONTAINERS_COLUMN = column('Containers', 'string', DOC.containers, WIDE);
const IMAGES_COLUMN = column('Images', 'string', DOC.images, WIDE);

// ---------------------------------------------------------------------------------------------------
// Printers, one per kind, each a port of the printX function in printers.go.

interface Printer {
  readonly columns: readonly TableColumnDefinition[];
  cells(object: Obj, now: Date): TableCell[];
  conditions?(object: Obj): TableRowCondition[] | undefined;
}

const podPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.'),
    column('Status', 'string', 'The aggregate status of the containers in this pod.'),
    column(
      'Restarts',
      'string',
      'The number of times the containers in this pod have been restarted and when the last container in this pod ' +
        'has restarted.',
    ),
    AGE_COLUMN,
    column('IP', 'string', DOC.podIP, WIDE),
    column('Node', 'string', DOC.nodeName, WIDE),
    column('Nominated Node', 'string', DOC.nominatedNodeName, WIDE),
    column('Readiness Gates', 'string', DOC.readinessGates, WIDE),
  ],
  cells(object, now) {
    const pod = object as PodLike;
    const summary = summarizePod(pod);
    const status = rec(object.status);
    const spec = rec(object.spec);
    const restarts = formatRestarts(
      summary.lastRestartAt === undefined
        ? { count: summary.restarts }
        : { count: summary.restarts, lastRestartAt: summary.lastRestartAt },
      now,
    );
    // The internal Pod type always has podIPs: conversion fills it from podIP when a client sent only that.
    const podIP = str(rec(list(status.podIPs)[0]).ip) || str(status.podIP) || '<none>';
    const gates = list(spec.readinessGates).map(rec);
    let readinessGates = '<none>';
    if (gates.length > 0) {
      const conditions = list(status.conditions).map(rec);
      const satisfied = gates.filter((gate) => {
        const condition = conditions.find((c) => c.type === gate.conditionType);
        return condition?.status === 'True';
      }).length;
      readinessGates = `${satisfied}/${gates.length}`;
    }
    return [
      name(object),
      `${summary.ready}/${summary.total}`,
      summary.status,
      restarts,
      age(object, now),
      podIP,
      str(spec.nodeName) || '<none>',
      str(status.nominatedNodeName) || '<none>',
      readinessGates,
    ];
  },
  conditions(object) {
    switch (rec(object.status).phase) {
      case 'Succeeded':
        return [
          {
            type: 'Completed',
            status: 'True',
            reason: 'Succeeded',
            message: 'The pod has completed successfully.',
          },
        ];
      case 'Failed':
        return [{ type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' }];
      default:
        return undefined;
    }
  },
};

/** Only the Ready condition makes a node's STATUS; anything else about it shows in describe. */
const nodePrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('Status', 'string', 'The status of the node'),
    column('Roles', 'string', 'The roles of the node'),
    AGE_COLUMN,
    column('Version', 'string', DOC.kubeletVersion),
    column('Internal-IP', 'string', DOC.nodeAddresses, WIDE),
    column('External-IP', 'string', DOC.nodeAddresses, WIDE),
    column('OS-Image', 'string', DOC.osImage, WIDE),
    column('Kernel-Version', 'string', DOC.kernelVersion, WIDE),
    column('Container-Runtime', 'string', DOC.containerRuntimeVersion, WIDE),
  ],
  cells(object, now) {
    const status = rec(object.status);
    const nodeInfo = rec(status.nodeInfo);
    // Go builds a map by type, so the last Ready condition wins.
    const ready = list(status.conditions)
      .map(rec)
      .filter((condition) => condition.type === 'Ready')
      .at(-1);
    const states: string[] = [];
    if (ready) states.push(ready.status === 'True' ? 'Ready' : 'NotReady');
    else states.push('Unknown');
    if (rec(object.spec).unschedulable === true) states.push('SchedulingDisabled');
    const roles: string[] = [];
    for (const [key, value] of Object.entries(rec(meta(object).labels))) {
      if (key.startsWith('node-role.kubernetes.io/')) {
        const role = key.slice('node-role.kubernetes.io/'.length);
        if (role) roles.push(role);
      } else if (key === 'kubernetes.io/role' && str(value) !== '') {
        roles.push(str(value));
      }
    }
    const addresses = list(status.addresses).map(rec);
    const address = (type: string): string =>
      str(addresses.find((candidate) => candidate.type === type)?.address) || '<none>';
    return [
      name(object),
      states.join(','),
      sortedSet(roles) || '<none>',
      age(object, now),
      str(nodeInfo.kubeletVersion),
      address('InternalIP'),
      address('ExternalIP'),
      str(nodeInfo.osImage) || '<unknown>',
      str(nodeInfo.kernelVersion) || '<unknown>',
      str(nodeInfo.containerRuntimeVersion) || '<unknown>',
    ];
  },
};

const namespacePrinter: Printer = {
  columns: [NAME_COLUMN, column('Status', 'string', 'The status of the namespace'), AGE_COLUMN],
  cells: (object, now) => [name(object), str(rec(object.status).phase), age(object, now)],
};

const deploymentPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('Ready', 'string', 'Number of the pod with ready state'),
    column('Up-to-date', 'string', DOC.deployUpdated),
    column('Available', 'string', DOC.deployAvailable),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    column('Selector', 'string', DOC.deploySelector, WIDE),
  ],
  cells(object, now) {
    const spec = rec(object.spec);
    const status = rec(object.status);
    const [containers, images] = containerCells(templateSpec(object));
    return [
      name(object),
      `${int(status.readyReplicas)}/${desiredReplicas(spec)}`,
      int(status.updatedReplicas),
      int(status.availableReplicas),
      age(object, now),
      containers,
      images,
      selectorString(spec.selector) ?? '<invalid>',
    ];
  },
};

/** spec.replicas is defaulted to 1 by the API server, so only hand-built objects lack it. */
function desiredReplicas(spec: Obj): number {
  return present(spec.replicas) ? int(spec.replicas) : 1;
}

const replicaSetPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('Desired', 'integer', DOC.rsReplicas),
    column('Current', 'integer', DOC.rsStatusReplicas),
    column('Ready', 'integer', DOC.rsReadyReplicas),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    column('Selector', 'string', DOC.rsSelector, WIDE),
  ],
  cells(object, now) {
    const spec = rec(object.spec);
    const status = rec(object.status);
    const [containers, images] = containerCells(templateSpec(object));
    return [
      name(object),
      desiredReplicas(spec),
      int(status.replicas),
      int(status.readyReplicas),
      age(object, now),
      containers,
      images,
      formatLabelSelector(spec.selector),
    ];
  },
};

const statefulSetPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('Ready', 'string', 'Number of the pod with ready state'),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
  ],
  cells(object, now) {
    const [containers, images] = containerCells(templateSpec(object));
    return [
      name(object),
      `${int(rec(object.status).readyReplicas)}/${desiredReplicas(rec(object.spec))}`,
      age(object, now),
      containers,
      images,
    ];
  },
};

const daemonSetPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('Desired', 'integer', DOC.dsDesired),
    column('Current', 'integer', DOC.dsCurrent),
    column('Ready', 'integer', DOC.dsReady),
    column('Up-to-date', 'integer', DOC.dsUpToDate),
    column('Available', 'integer', DOC.dsAvailable),
    column('Node Selector', 'string', DOC.nodeSelector),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    column('Selector', 'string', DOC.dsSelector, WIDE),
  ],
  cells(object, now) {
    const status = rec(object.status);
    const podSpec = templateSpec(object);
    const [containers, images] = containerCells(podSpec);
    return [
      name(object),
      int(status.desiredNumberScheduled),
      int(status.currentNumberScheduled),
      int(status.numberReady),
      int(status.updatedNumberScheduled),
      int(status.numberAvailable),
      formatLabels(podSpec.nodeSelector),
      age(object, now),
      containers,
      images,
      formatLabelSelector(rec(object.spec).selector),
    ];
  },
};

/** hasJobCondition: the first condition of the type decides. */
function jobCondition(status: Obj, type: string): boolean {
  const condition = list(status.conditions)
    .map(rec)
    .find((candidate) => candidate.type === type);
  return condition?.status === 'True';
}

const jobPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('Status', 'string', 'Status of the job.'),
    column('Completions', 'string', DOC.jobSucceeded),
    column('Duration', 'string', 'Time required to complete the job.'),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    column('Selector', 'string', DOC.jobSelector, WIDE),
  ],
  cells(object, now) {
    const spec = rec(object.spec);
    const status = rec(object.status);
    const succeeded = int(status.succeeded);
    let completions: string;
    if (present(spec.completions)) {
      completions = `${succeeded}/${int(spec.completions)}`;
    } else {
      const parallelism = int(spec.parallelism);
      completions = parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
    }
    let duration = '';
    const started = Date.parse(str(status.startTime));
    if (!Number.isNaN(started)) {
      const completed = Date.parse(str(status.completionTime));
      duration = humanDuration((Number.isNaN(completed) ? now.getTime() : completed) - started);
    }
    let state = 'Running';
    if (jobCondition(status, 'Complete')) state = 'Complete';
    else if (jobCondition(status, 'Failed')) state = 'Failed';
    else if (present(meta(object).deletionTimestamp)) state = 'Terminating';
    else if (jobCondition(status, 'Suspended')) state = 'Suspended';
    else if (jobCondition(status, 'FailureTarget')) state = 'FailureTarget';
    const [containers, images] = containerCells(templateSpec(object));
    return [
      name(object),
      state,
      completions,
      duration,
      age(object, now),
      containers,
      images,
      formatLabelSelector(spec.selector),
    ];
  },
};

const cronJobPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('Schedule', 'string', DOC.cronSchedule),
    column('Timezone', 'string', DOC.cronTimeZone),
    column('Suspend', 'boolean', DOC.cronSuspend),
    column('Active', 'integer', DOC.cronActive),
    column('Last Schedule', 'string', DOC.cronLastSchedule),
    AGE_COLUMN,
    CONTAINERS_COLUMN,
    IMAGES_COLUMN,
    column('Selector', 'string', DOC.jobSelector, WIDE),
  ],
  cells(object, now) {
    const spec = rec(object.spec);
    const status = rec(object.status);
    const jobSpec = rec(rec(spec.jobTemplate).spec);
    const [containers, images] = containerCells(rec(rec(jobSpec.template).spec));
    let suspend = '<unset>';
    if (typeof spec.suspend === 'boolean') suspend = spec.suspend ? 'True' : 'False';
    return [
      name(object),
      str(spec.schedule),
      present(spec.timeZone) ? str(spec.timeZone) : '<none>',
      suspend,
      list(status.active).length,
      present(status.lastScheduleTime) ? since(status.lastScheduleTime, now) : '<none>',
      age(object, now),
      containers,
      images,
      formatLabelSelector(jobSpec.selector),
    ];
  },
};

/** loadBalancerStatusStringer with wide=true: the server never truncates, kubectl does no truncation either. */
function loadBalancerIngress(loadBalancer: unknown): string {
  const addresses = list(rec(loadBalancer).ingress)
    .map(rec)
    .map((ingress) => str(ingress.ip) || str(ingress.hostname))
    .filter((address) => address !== '');
  return sortedSet(addresses);
}

const servicePrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('Type', 'string', DOC.svcType),
    column('Cluster-IP', 'string', DOC.svcClusterIP),
    column('External-IP', 'string', DOC.svcExternalIPs),
    column('Port(s)', 'string', DOC.svcPorts),
    AGE_COLUMN,
    column('Selector', 'string', DOC.svcSelector, WIDE),
  ],
  cells(object, now) {
    const spec = rec(object.spec);
    const type = str(spec.type) || 'ClusterIP';
    // The internal type always has clusterIPs: conversion fills it from clusterIP when only that was sent.
    const clusterIPs = list(spec.clusterIPs).map(str);
    const clusterIP = clusterIPs.length > 0 ? (clusterIPs[0] ?? '') : str(spec.clusterIP) || '<none>';
    const ports = list(spec.ports)
      .map(rec)
      .map((port) => {
        const protocol = str(port.protocol) || 'TCP';
        return int(port.nodePort) > 0
          ? `${int(port.port)}:${int(port.nodePort)}/${protocol}`
          : `${int(port.port)}/${protocol}`;
      })
      .join(',');
    return [
      name(object),
      type,
      clusterIP,
      serviceExternalIP(type, spec, rec(object.status)),
      ports || '<none>',
      age(object, now),
      formatLabels(spec.selector),
    ];
  },
};

function serviceExternalIP(type: string, spec: Obj, status: Obj): string {
  const externalIPs = list(spec.externalIPs).map(str);
  switch (type) {
    case 'ClusterIP':
    case 'NodePort':
      return externalIPs.length > 0 ? externalIPs.join(',') : '<none>';
    case 'LoadBalancer': {
      const ingress = loadBalancerIngress(status.loadBalancer);
      if (externalIPs.length > 0) return [...(ingress ? ingress.split(',') : []), ...externalIPs].join(',');
      return ingress || '<pending>';
    }
    case 'ExternalName':
      return str(spec.externalName);
    default:
      return '<unknown>';
  }
}

const endpointsPrinter: Printer = {
  columns: [NAME_COLUMN, column('Endpoints', 'string', DOC.endpointsSubsets), AGE_COLUMN],
  cells: (object, now) => [name(object), formatEndpoints(list(object.subsets)), age(object, now)],
};

/** formatEndpoints with all ports: at most three ip:port pairs, then "+ N more...". */
function formatEndpoints(subsets: unknown[]): string {
  if (subsets.length === 0) return '<none>';
  const max = 3;
  const shown: string[] = [];
  let more = false;
  let count = 0;
  for (const subset of subsets.map(rec)) {
    const addresses = list(subset.addresses).map((address) => str(rec(address).ip));
    const ports = list(subset.ports).map(rec);
    // Headless services can have addresses without ports.
    const targets = ports.length === 0 ? [undefined] : ports.map((port) => int(port.port));
    for (const port of targets) {
      count += addresses.length;
      for (const ip of addresses) {
        if (shown.length === max) {
          more = true;
          break;
        }
        shown.push(port === undefined ? ip : joinHostPort(ip, port));
      }
    }
  }
  const text = shown.join(',');
  return more ? `${text} + ${count - max} more...` : text;
}

const eventPrinter: Printer = {
  columns: [
    column('Last Seen', 'string', DOC.eventLastTimestamp),
    column('Type', 'string', DOC.eventType),
    column('Reason', 'string', DOC.eventReason),
    column('Object', 'string', DOC.eventInvolvedObject),
    column('Subobject', 'string', DOC.eventFieldPath, WIDE),
    column('Source', 'string', DOC.eventSource, WIDE),
    column('Message', 'string', DOC.eventMessage),
    column('First Seen', 'string', DOC.eventFirstTimestamp, WIDE),
    column('Count', 'string', DOC.eventCount, WIDE),
    column('Name', 'string', DOC.name, { priority: 1, format: 'name' }),
  ],
  cells(object, now) {
    const firstSeen = present(object.firstTimestamp)
      ? since(object.firstTimestamp, now)
      : since(object.eventTime, now);
    let lastSeen = present(object.lastTimestamp) ? since(object.lastTimestamp, now) : firstSeen;
    let count = int(object.count);
    if (present(object.series)) {
      const series = rec(object.series);
      lastSeen = since(series.lastObservedTime, now);
      count = int(series.count);
    } else if (count === 0) {
      // Events written through events.k8s.io are singletons without a count.
      count = 1;
    }
    const involved = rec(object.involvedObject);
    const kind = str(involved.kind).toLowerCase();
    const target = str(involved.name) ? `${kind}/${str(involved.name)}` : kind;
    const source = rec(object.source);
    const component = str(source.component) || str(object.reportingComponent);
    const host = str(source.host) || str(object.reportingInstance);
    return [
      lastSeen,
      str(object.type),
      str(object.reason),
      target,
      str(involved.fieldPath),
      host ? `${component}, ${host}` : component,
      str(object.message).trim(),
      firstSeen,
      count,
      name(object),
    ];
  },
};

const configMapPrinter: Printer = {
  columns: [NAME_COLUMN, column('Data', 'string', DOC.configMapData), AGE_COLUMN],
  cells: (object, now) => [
    name(object),
    keyCount(object.data) + keyCount(object.binaryData),
    age(object, now),
  ],
};

const secretPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('Type', 'string', DOC.secretType),
    column('Data', 'string', DOC.secretData),
    AGE_COLUMN,
  ],
  cells(object, now) {
    // Conversion to the internal type merges stringData into data, so the server counts both.
    const keys = new Set([...Object.keys(rec(object.data)), ...Object.keys(rec(object.stringData))]);
    return [name(object), str(object.type), keys.size, age(object, now)];
  },
};

const serviceAccountPrinter: Printer = {
  columns: [NAME_COLUMN, column('Secrets', 'string', DOC.serviceAccountSecrets), AGE_COLUMN],
  cells: (object, now) => [name(object), list(object.secrets).length, age(object, now)],
};

/** helper.GetAccessModesAsString: fixed order, duplicates dropped. */
function accessModes(modes: unknown): string {
  const requested = new Set(list(modes).map(str));
  const short: Array<[string, string]> = [
    ['ReadWriteOnce', 'RWO'],
    ['ReadOnlyMany', 'ROX'],
    ['ReadWriteMany', 'RWX'],
    ['ReadWriteOncePod', 'RWOP'],
  ];
  return short
    .filter(([mode]) => requested.has(mode))
    .map(([, abbreviation]) => abbreviation)
    .join(',');
}

const persistentVolumeClaimPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('Status', 'string', DOC.pvcPhase),
    column('Volume', 'string', DOC.pvcVolumeName),
    column('Capacity', 'string', DOC.pvcCapacity),
    column('Access Modes', 'string', DOC.pvcAccessModes),
    column('StorageClass', 'string', 'StorageClass of the pvc'),
    column('VolumeAttributesClass', 'string', 'VolumeAttributesClass of the pvc'),
    AGE_COLUMN,
    column('VolumeMode', 'string', DOC.pvcVolumeMode, WIDE),
  ],
  cells(object, now) {
    const spec = rec(object.spec);
    const status = rec(object.status);
    const volumeName = str(spec.volumeName);
    let capacity = '';
    let modes = '';
    if (volumeName !== '') {
      modes = accessModes(status.accessModes);
      const storage = rec(status.capacity).storage;
      capacity = present(storage) ? quantity(storage) : '0';
    }
    const annotations = rec(meta(object).annotations);
    const betaClass = annotations['volume.beta.kubernetes.io/storage-class'];
    const storageClass = typeof betaClass === 'string' ? betaClass : str(spec.storageClassName);
    return [
      name(object),
      present(meta(object).deletionTimestamp) ? 'Terminating' : str(status.phase),
      volumeName,
      capacity,
      modes,
      storageClass,
      present(spec.volumeAttributesClassName) ? str(spec.volumeAttributesClassName) : '<unset>',
      age(object, now),
      present(spec.volumeMode) ? str(spec.volumeMode) : '<unset>',
    ];
  },
};

const ingressPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column(
      'Class',
      'string',
      'The name of the IngressClass resource that should be used for additional configuration',
    ),
    column('Hosts', 'string', 'Hosts that incoming requests are matched against before the ingress rule'),
    column('Address', 'string', 'Address is a list containing ingress points for the load-balancer'),
    column('Ports', 'string', 'Ports of TLS configurations that open'),
    AGE_COLUMN,
  ],
  cells(object, now) {
    const spec = rec(object.spec);
    const rules = list(spec.rules).map(rec);
    const max = 3;
    const hosts: string[] = [];
    let more = false;
    for (const rule of rules) {
      if (hosts.length === max) more = true;
      if (!more && str(rule.host) !== '') hosts.push(str(rule.host));
    }
    let hostText = hosts.length === 0 ? '*' : hosts.join(',');
    if (hosts.length > 0 && more) hostText = `${hostText} + ${rules.length - max} more...`;
    return [
      name(object),
      present(spec.ingressClassName) ? str(spec.ingressClassName) : '<none>',
      hostText,
      loadBalancerIngress(rec(object.status).loadBalancer),
      list(spec.tls).length > 0 ? '80, 443' : '80',
      age(object, now),
    ];
  },
};

const networkPolicyPrinter: Printer = {
  columns: [NAME_COLUMN, column('Pod-Selector', 'string', DOC.podSelector), AGE_COLUMN],
  cells: (object, now) => [
    name(object),
    formatLabelSelector(rec(rec(object.spec).podSelector)),
    age(object, now),
  ],
};

const podDisruptionBudgetPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('Min Available', 'string', 'The minimum number of pods that must be available.'),
    column('Max Unavailable', 'string', 'The maximum number of pods that may be unavailable.'),
    column('Allowed Disruptions', 'integer', 'Calculated number of pods that may be disrupted at this time.'),
    AGE_COLUMN,
  ],
  cells(object, now) {
    const spec = rec(object.spec);
    return [
      name(object),
      present(spec.minAvailable) ? intOrString(spec.minAvailable) : 'N/A',
      present(spec.maxUnavailable) ? intOrString(spec.maxUnavailable) : 'N/A',
      int(rec(object.status).disruptionsAllowed),
      age(object, now),
    ];
  },
};

function roleBindingPrinter(subject: string, roleRefDoc: string): Printer {
  return {
    columns: [
      NAME_COLUMN,
      column('Role', 'string', roleRefDoc),
      AGE_COLUMN,
      column('Users', 'string', `Users in the ${subject}`, WIDE),
      column('Groups', 'string', `Groups in the ${subject}`, WIDE),
      column('ServiceAccounts', 'string', `ServiceAccounts in the ${subject}`, WIDE),
    ],
    cells(object, now) {
      const roleRef = rec(object.roleRef);
      const users: string[] = [];
      const groups: string[] = [];
      const serviceAccounts: string[] = [];
      for (const item of list(object.subjects)) {
        const subjectRef = rec(item);
        if (subjectRef.kind === 'ServiceAccount') {
          serviceAccounts.push(`${str(subjectRef.namespace)}/${str(subjectRef.name)}`);
        } else if (subjectRef.kind === 'User') {
          users.push(str(subjectRef.name));
        } else if (subjectRef.kind === 'Group') {
          groups.push(str(subjectRef.name));
        }
      }
      return [
        name(object),
        `${str(roleRef.kind)}/${str(roleRef.name)}`,
        age(object, now),
        users.join(', '),
        groups.join(', '),
        serviceAccounts.join(', '),
      ];
    },
  };
}

const horizontalPodAutoscalerPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('Reference', 'string', DOC.hpaScaleTargetRef),
    column('Targets', 'string', DOC.hpaMetrics),
    column('MinPods', 'string', DOC.hpaMinReplicas),
    column('MaxPods', 'string', DOC.hpaMaxReplicas),
    column('Replicas', 'string', DOC.hpaCurrentReplicas),
    AGE_COLUMN,
  ],
  cells(object, now) {
    const spec = rec(object.spec);
    const status = rec(object.status);
    const target = rec(spec.scaleTargetRef);
    return [
      name(object),
      `${str(target.kind)}/${str(target.name)}`,
      formatHpaMetrics(list(spec.metrics).map(rec), list(status.currentMetrics).map(rec)),
      present(spec.minReplicas) ? String(int(spec.minReplicas)) : '<unset>',
      int(spec.maxReplicas),
      int(status.currentReplicas),
      age(object, now),
    ];
  },
};

/** formatHPAMetrics: "current/target" per metric (at most two), current read from the status at the same index. */
function formatHpaMetrics(specs: Obj[], statuses: Obj[]): string {
  if (specs.length === 0) return '<none>';
  const max = 2;
  const shown = specs.map((metric, index) => {
    const status = statuses[index];
    const current = (source: string): Obj | undefined => {
      const value = status?.[source];
      return present(value) ? rec(rec(value).current) : undefined;
    };
    switch (metric.type) {
      case 'External':
      case 'Object': {
        const source = metric.type === 'External' ? 'external' : 'object';
        const targetSpec = rec(rec(metric[source]).target);
        const now = current(source);
        if (present(targetSpec.averageValue)) {
          const value = now && present(now.averageValue) ? quantity(now.averageValue) : '<unknown>';
          return `${value}/${quantity(targetSpec.averageValue)} (avg)`;
        }
        return `${now ? quantity(now.value) : '<unknown>'}/${quantity(targetSpec.value)}`;
      }
      case 'Pods': {
        const now = current('pods');
        return `${now ? quantity(now.averageValue) : '<unknown>'}/${quantity(rec(rec(metric.pods).target).averageValue)}`;
      }
      case 'Resource':
      case 'ContainerResource': {
        const source = metric.type === 'Resource' ? 'resource' : 'containerResource';
        const resource = rec(metric[source]);
        const targetSpec = rec(resource.target);
        const now = current(source);
        if (present(targetSpec.averageValue)) {
          const value = now ? quantity(now.averageValue) : '<unknown>';
          return `${str(resource.name)}: ${value}/${quantity(targetSpec.averageValue)}`;
        }
        const value =
          now && present(now.averageUtilization) ? `${int(now.averageUtilization)}%` : '<unknown>';
        const goal = present(targetSpec.averageUtilization)
          ? `${int(targetSpec.averageUtilization)}%`
          : '<auto>';
        return `${str(resource.name)}: ${value}/${goal}`;
      }
      default:
        return '<unknown type>';
    }
  });
  if (shown.length <= max) return shown.join(', ');
  return `${shown.slice(0, max).join(', ')} + ${shown.length - max} more...`;
}

const resourceQuotaPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column(
      'Request',
      'string',
      'Request represents a minimum amount of cpu/memory that a container may consume.',
    ),
    column(
      'Limit',
      'string',
      'Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.',
    ),
    AGE_COLUMN,
  ],
  cells(object, now) {
    const status = rec(object.status);
    const hard = rec(status.hard);
    const used = rec(status.used);
    const requests: string[] = [];
    const limits: string[] = [];
    for (const resource of Object.keys(hard).sort(compare)) {
      const entry = `${resource}: ${present(used[resource]) ? quantity(used[resource]) : '0'}/${quantity(hard[resource])}`;
      const pieces = resource.split('.');
      (pieces.length > 1 && pieces[0] === 'limits' ? limits : requests).push(entry);
    }
    return [name(object), requests.join(', '), limits.join(', '), age(object, now)];
  },
};

const PRINTERS: ReadonlyMap<string, Printer> = new Map<string, Printer>([
  ['Pod', podPrinter],
  ['Node', nodePrinter],
  ['Namespace', namespacePrinter],
  ['Deployment', deploymentPrinter],
  ['ReplicaSet', replicaSetPrinter],
  ['StatefulSet', statefulSetPrinter],
  ['DaemonSet', daemonSetPrinter],
  ['Job', jobPrinter],
  ['CronJob', cronJobPrinter],
  ['Service', servicePrinter],
  ['Endpoints', endpointsPrinter],
  ['Event', eventPrinter],
  ['ConfigMap', configMapPrinter],
  ['Secret', secretPrinter],
  ['ServiceAccount', serviceAccountPrinter],
  ['PersistentVolumeClaim', persistentVolumeClaimPrinter],
  ['Ingress', ingressPrinter],
  ['NetworkPolicy', networkPolicyPrinter],
  ['PodDisruptionBudget', podDisruptionBudgetPrinter],
  ['RoleBinding', roleBindingPrinter('roleBinding', DOC.roleBindingRoleRef)],
  ['ClusterRoleBinding', roleBindingPrinter('clusterRoleBinding', DOC.clusterRoleBindingRoleRef)],
  ['HorizontalPodAutoscaler', horizontalPodAutoscalerPrinter],
  ['ResourceQuota', resourceQuotaPrinter],
]);

/** Built-in kinds whose storage has no printer and uses the apiserver's default table convertor. */
const DEFAULT_CONVERTOR_KINDS: ReadonlySet<string> = new Set([
  'Role',
  'ClusterRole',
  'LimitRange',
  'CustomResourceDefinition',
]);

/** rest.defaultTableConvertor: the creation time as an RFC 3339 date, which kubectl prints verbatim. */
const DEFAULT_PRINTER: Printer = {
  columns: [NAME_COLUMN, column('Created At', 'date', DOC.creationTimestamp)],
  cells(object) {
    const created = Date.parse(str(meta(object).creationTimestamp));
    const text = Number.isNaN(created) ? '0001-01-01T00:00:00Z' : new Date(created).toISOString();
    return [name(object), text.replace(/\.\d{3}Z$/, 'Z')];
  },
};

/** The custom-resource convertor with no additionalPrinterColumns: Name and an Age "date" column. */
const CUSTOM_RESOURCE_PRINTER: Printer = {
  columns: [
    NAME_COLUMN,
    column(
      'Age',
      'date',
      'Custom resource definition column (in JSONPath format): .metadata.creationTimestamp',
    ),
  ],
  cells: (object, now) => [name(object), age(object, now)],
};

// ---------------------------------------------------------------------------------------------------

function rowObject(object: Obj, policy: IncludeObjectPolicy): Record<string, unknown> | undefined {
  switch (policy) {
    case IncludeObject.None:
      return undefined;
    case IncludeObject.Object:
      return object;
    case IncludeObject.Metadata:
      return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: { ...meta(object) } };
  }
}

/** Media ranges the server can render a Table in. */
const JSON_RANGES: ReadonlySet<string> = new Set(['application/json', 'application/*', '*/*']);

function parseMediaRange(text: string): { type: string; params: Map<string, string>; q: number } {
  const [type = '', ...rawParams] = text.split(';').map((part) => part.trim());
  const params = new Map<string, string>();
  for (const raw of rawParams) {
    const eq = raw.indexOf('=');
    if (eq <= 0) continue;
    const key = raw.slice(0, eq).trim().toLowerCase();
    const value = raw
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1');
    params.set(key, value);
  }
  const q = params.has('q') ? Number(params.get('q')) : 1;
  return { type: type.toLowerCase(), params, q: Number.isFinite(q) ? q : 0 };
}
