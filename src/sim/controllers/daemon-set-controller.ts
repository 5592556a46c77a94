import { ApiError } from '../api/api-error.ts';
import type { KubeObject } from '../api/kube-object.ts';
import { R } from '../resources.ts';
import type { StoreEvent } from '../store/object-store.ts';
import { nodeMatchesPod, untoleratedTaints } from './node-fit.ts';
import { createObject, isNamespaceTerminating } from './object-create.ts';
import { claimObjects } from './owner-refs.ts';
import { podFromTemplate } from './pod-factory.ts';
import { isPodReady, isPodTerminal, podAvailableIn, podSpec, podStatus } from './pod-state.ts';
import { asError, objectKey, QueueController, splitKey } from './queue-controller.ts';
import { scaledValue } from './scaled-value.ts';
import { selectorFromSpec } from './selector-spec.ts';
import { computeTemplateHash } from './template-hash.ts';
import type {
  IntOrString,
  LabelSelectorSpec,
  PodSpec,
  PodTemplateSpec,
  StatusCondition,
} from './workload-types.ts';

const COMPONENT = { component: 'daemonset-controller' };
const HASH_LABEL = 'controller-revision-hash';
const GENERATION_LABEL = 'pod-template-generation';
const GENERATION_ANNOTATION = 'deprecated.daemonset.template.generation';
const BURST_REPLICAS = 250;
const FAILED_BACKOFF_BASE_MS = 1000;
const FAILED_BACKOFF_MAX_MS = 15 * 60 * 1000;

/** The tolerations `util.AddOrUpdateDaemonPodTolerations` gives every daemon pod. */
const DAEMON_TOLERATIONS = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
];
const NETWORK_TOLERATION = {
  key: 'node.kubernetes.io/network-unavailable',
  operator: 'Exists',
  effect: 'NoSchedule',
};

interface DaemonSetSpec {
  selector?: LabelSelectorSpec;
  template?: PodTemplateSpec;
  updateStrategy?: {
    type?: string;
    rollingUpdate?: { maxUnavailable?: IntOrString; maxSurge?: IntOrString };
  };
  minReadySeconds?: number;
}

interface DaemonSetStatus {
  collisionCount?: number;
  conditions?: StatusCondition[];
}

function dsSpec(ds: KubeObject): DaemonSetSpec {
  return ds.spec ?? {};
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function nodeSchedulingChanged(before: KubeObject, after: KubeObject): boolean {
  return (
    JSON.stringify(before.metadata.labels ?? {}) !== JSON.stringify(after.metadata.labels ?? {}) ||
    JSON.stringify(before.spec ?? {}) !== JSON.stringify(after.spec ?? {})
  );
}

/** The node a daemon pod is bound or pinned to (`util.GetTargetNodeName`). */
function targetNode(pod: KubeObject): string | undefined {
  const spec = podSpec(pod);
  if (spec.nodeName) return spec.nodeName;
  const affinity = spec.affinity as
    | {
        nodeAffinity?: {
          requiredDuringSchedulingIgnoredDuringExecution?: {
            nodeSelectorTerms?: Array<{ matchFields?: Array<{ key: string; values?: string[] }> }>;
          };
        };
      }
    | undefined;
  for (const term of affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution
    ?.nodeSelectorTerms ?? []) {
    for (const field of term.matchFields ?? []) {
      if (field.key === 'metadata.name' && field.values?.length === 1) return field.values[0];
    }
  }
  return undefined;
}

/** The daemon pod's spec for a node: the template with daemon tolerations, pinned to the node. */
function daemonPodSpec(template: PodTemplateSpec | undefined, nodeName: string | undefined): PodSpec {
  const spec: PodSpec = structuredClone(template?.spec ?? {});
  const tolerations = (spec.tolerations ??= []);
  const wanted = spec.hostNetwork ? [...DAEMON_TOLERATIONS, NETWORK_TOLERATION] : DAEMON_TOLERATIONS;
  for (const toleration of wanted) {
    if (
      !tolerations.some(
        (existing) => existing.key === toleration.key && existing.effect === toleration.effect,
      )
    ) {
      tolerations.push({ ...toleration });
    }
  }
  if (nodeName !== undefined) {
    // ReplaceDaemonSetPodNodeNameNodeAffinity: the scheduler binds it, as since Kubernetes 1.12.
    const term = { matchFields: [{ key: 'metadata.name', operator: 'In', values: [nodeName] }] };
    const affinity = (spec.affinity ??= {}) as { nodeAffinity?: Record<string, unknown> };
    const nodeAffinity = (affinity.nodeAffinity ??= {});
    const required = nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution as
      { nodeSelectorTerms?: unknown[] } | undefined;
    if (required) required.nodeSelectorTerms = [term];
    else nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution = { nodeSelectorTerms: [term] };
  }
  return spec;
}

/**
 * The DaemonSet controller: one pod per node that should run it (nodeSelector, required node
 * affinity and taints vs. tolerations, as `NodeShouldRunDaemonPod`), created unbound with a
 * `matchFields metadata.name` node affinity for the scheduler to honour, as current Kubernetes does,
 * carrying the daemon tolerations and controller-revision-hash / pod-template-generation labels.
 * Failed daemon pods are replaced with backoff, surplus and misplaced pods deleted, RollingUpdate
 * replaces old pods within maxUnavailable (maxSurge is treated as 0), and status counts are written
 * as `updateDaemonSetStatus` does.
 */
export class DaemonSetController extends QueueController {
  private readonly streams = new Map<string, () => number>();
  private readonly failedBackoff = new Map<string, { delay: number; until: number }>();

  protected initialKeys(): Iterable<string> {
    return this.cache.list(R.daemonSet).map(objectKey);
  }

  protected override onStop(): void {
    this.streams.clear();
    this.failedBackoff.clear();
  }

  protected onEvent(event: StoreEvent): void {
    const { resource, object } = event;
    if (resource === R.daemonSet) {
      if (event.type === 'DELETED') this.streams.delete(object.metadata.uid ?? '');
      this.enqueue(objectKey(object));
    } else if (resource === R.node) {
      // Status heartbeats do not change where daemons run (shouldIgnoreNodeUpdate).
      if (event.type === 'MODIFIED' && event.previous && !nodeSchedulingChanged(event.previous, object))
        return;
      for (const ds of this.cache.list(R.daemonSet)) this.enqueue(objectKey(ds));
    } else if (resource === R.pod) {
      this.enqueueControllerOf(event, 'DaemonSet');
    } else if (resource === R.serviceAccount && event.type === 'ADDED') {
      for (const ds of this.cache.list(R.daemonSet, object.metadata.namespace)) this.enqueue(objectKey(ds));
    }
  }

  protected reconcile(key: string): void {
    const { namespace, name } = splitKey(key);
    const ds = this.cache.get(R.daemonSet, namespace, name);
    if (!ds) return;
    const hash = computeTemplateHash(
      dsSpec(ds).template ?? {},
      (ds.status as DaemonSetStatus | undefined)?.collisionCount,
    );
    const nodes = this.cache
      .list(R.node)
      .sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
    let error: unknown;
    if (!ds.metadata.deletionTimestamp) {
      try {
        this.manage(ds, nodes, hash);
        if ((dsSpec(ds).updateStrategy?.type ?? 'RollingUpdate') === 'RollingUpdate')
          this.rollingUpdate(ds, nodes, hash);
      } catch (caught) {
        error = caught;
      }
    }
    this.updateStatus(key, ds, nodes, hash);
    if (error !== undefined) throw asError(error);
  }

  private nodeToDaemonPods(ds: KubeObject): Map<string, KubeObject[]> {
    const selector = selectorFromSpec(dsSpec(ds).selector);
    const pods = claimObjects(
      this.ctx.store,
      R.pod,
      ds,
      selector,
      this.cache.list(R.pod, ds.metadata.namespace),
    );
    const byNode = new Map<string, KubeObject[]>();
    for (const pod of pods) {
      if (isPodTerminal(pod) && pod.metadata.deletionTimestamp) continue;
      const node = targetNode(pod) ?? '';
      byNode.set(node, [...(byNode.get(node) ?? []), pod]);
    }
    for (const list of byNode.values()) list.sort((a, b) => this.comparePods(a, b));
    return byNode;
  }

  /** `podByCreationTimestampAndPhase`: bound first, then oldest. */
  private comparePods(a: KubeObject, b: KubeObject): number {
    const boundA = !!podSpec(a).nodeName;
    const boundB = !!podSpec(b).nodeName;
    if (boundA !== boundB) return boundA ? -1 : 1;
    return this.cache.compareCreation(a, b);
  }

  /** `NodeShouldRunDaemonPod`: [should run, should continue running]. */
  private shouldRun(ds: KubeObject, node: KubeObject): [boolean, boolean] {
    const templateNode = dsSpec(ds).template?.spec?.nodeName;
    if (templateNode && templateNode !== node.metadata.name) return [false, false];
    const spec = daemonPodSpec(dsSpec(ds).template, node.metadata.name);
    if (!nodeMatchesPod(spec, node)) return [false, false];
    const untolerated = untoleratedTaints(spec, node);
    if (untolerated.length > 0) return [false, !untolerated.some((taint) => taint.effect === 'NoExecute')];
    return [true, true];
  }

  private manage(ds: KubeObject, nodes: KubeObject[], hash: string): void {
    const byNode = this.nodeToDaemonPods(ds);
    const needing: string[] = [];
    const toDelete: KubeObject[] = [];
    const nodeNames = new Set<string>();
    for (const node of nodes) {
      const nodeName = node.metadata.name ?? '';
      nodeNames.add(nodeName);
      const [shouldRun, shouldContinue] = this.shouldRun(ds, node);
      const pods = byNode.get(nodeName);
      if (shouldRun && !pods) {
        needing.push(nodeName);
      } else if (shouldContinue && pods) {
        const running: KubeObject[] = [];
        for (const pod of pods) {
          if (pod.metadata.deletionTimestamp) continue;
          const phase = podStatus(pod).phase;
          if (phase === 'Failed') {
            if (this.inFailedBackoff(ds, nodeName)) continue;
            const message = `Found failed daemon pod ${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''} on node ${nodeName}, will try to kill it`;
            this.ctx.events.record(ds, 'Warning', 'FailedDaemonPod', message, COMPONENT);
            toDelete.push(pod);
          } else if (phase === 'Succeeded') {
            toDelete.push(pod);
          } else {
            running.push(pod);
          }
        }
        toDelete.push(...running.slice(1));
      } else if (!shouldContinue && pods) {
        toDelete.push(...pods.filter((pod) => !pod.metadata.deletionTimestamp));
      }
    }
    for (const [nodeName, pods] of byNode) {
      if (nodeNames.has(nodeName)) continue;
      // Pods pinned to a node that no longer exists and never bound.
      toDelete.push(...pods.filter((pod) => !podSpec(pod).nodeName && !pod.metadata.deletionTimestamp));
    }
    this.syncNodes(ds, toDelete, needing, hash);
  }

  private inFailedBackoff(ds: KubeObject, nodeName: string): boolean {
    const key = `${ds.metadata.uid ?? ''}/${nodeName}`;
    const now = performance.now();
    const entry = this.failedBackoff.get(key);
    if (entry && now < entry.until) {
      this.enqueueAfter(objectKey(ds), (entry.until - now) / this.ctx.clock.timeScale);
      return true;
    }
    const delay = entry ? Math.min(entry.delay * 2, FAILED_BACKOFF_MAX_MS) : FAILED_BACKOFF_BASE_MS;
    this.failedBackoff.set(key, { delay, until: now + this.ctx.clock.scale(delay) });
    return false;
  }

  private syncNodes(ds: KubeObject, toDelete: KubeObject[], needing: string[], hash: string): void {
    const template = structuredClone(dsSpec(ds).template ?? {});
    template.metadata ??= {};
    const labels: Record<string, string> = { ...(template.metadata.labels ?? {}) };
    const generation = ds.metadata.annotations?.[GENERATION_ANNOTATION];
    if (generation !== undefined) labels[GENERATION_LABEL] = generation;
    labels[HASH_LABEL] = hash;
    template.metadata.labels = labels;
    const random = this.streamFor(ds);
    for (const nodeName of needing.slice(0, BURST_REPLICAS)) {
      const pod = podFromTemplate(template, ds);
      pod.spec = daemonPodSpec(template, nodeName);
      try {
        const created = createObject(this.ctx, R.pod, pod, random);
        this.ctx.events.record(
          ds,
          'Normal',
          'SuccessfulCreate',
          `Created pod: ${created.metadata.name ?? ''}`,
          COMPONENT,
        );
      } catch (error) {
        if (!isNamespaceTerminating(error)) {
          this.ctx.events.record(
            ds,
            'Warning',
            'FailedCreate',
            `Error creating: ${errorMessage(error)}`,
            COMPONENT,
          );
        }
        throw error;
      }
    }
    for (const pod of toDelete.slice(0, BURST_REPLICAS)) {
      const podName = pod.metadata.name ?? '';
      try {
        this.ctx.store.delete(R.pod, pod.metadata.namespace, podName);
        this.ctx.events.record(ds, 'Normal', 'SuccessfulDelete', `Deleted pod: ${podName}`, COMPONENT);
      } catch (error) {
        if (error instanceof ApiError && error.code === 404) continue;
        this.ctx.events.record(
          ds,
          'Warning',
          'FailedDelete',
          `Error deleting: ${errorMessage(error)}`,
          COMPONENT,
        );
        throw error;
      }
    }
  }

  private isUpdated(ds: KubeObject, pod: KubeObject, hash: string): boolean {
    const generation = ds.metadata.annotations?.[GENERATION_ANNOTATION];
    const labels = pod.metadata.labels ?? {};
    return (
      labels[HASH_LABEL] === hash || (generation !== undefined && labels[GENERATION_LABEL] === generation)
    );
  }

  private available(ds: KubeObject, pod: KubeObject): boolean {
    return podAvailableIn(this.cache, this.ctx.clock, pod, dsSpec(ds).minReadySeconds ?? 0) === 0;
  }

  /** The no-surge branch of `dsc.rollingUpdate`. */
  private rollingUpdate(ds: KubeObject, nodes: KubeObject[], hash: string): void {
    const byNode = this.nodeToDaemonPods(ds);
    const eligible = nodes.filter((node) => this.shouldRun(ds, node)[0]);
    const maxUnavailableValue = dsSpec(ds).updateStrategy?.rollingUpdate?.maxUnavailable ?? 1;
    const maxUnavailable = scaledValue(maxUnavailableValue, eligible.length, true);
    const replaceable: KubeObject[] = [];
    const candidates: KubeObject[] = [];
    let unavailable = 0;
    for (const node of eligible) {
      const pods = (byNode.get(node.metadata.name ?? '') ?? []).filter(
        (pod) => !pod.metadata.deletionTimestamp,
      );
      const fresh = pods.filter((pod) => this.isUpdated(ds, pod, hash));
      const old = pods.filter((pod) => !this.isUpdated(ds, pod, hash));
      if (fresh.length > 1 || old.length > 1) continue;
      const [newPod] = fresh;
      const [oldPod] = old;
      if ((!newPod && !oldPod) || (newPod && oldPod)) {
        unavailable += 1;
      } else if (newPod) {
        if (!this.available(ds, newPod)) unavailable += 1;
      } else if (oldPod) {
        if (!this.available(ds, oldPod)) replaceable.push(oldPod);
        else if (unavailable < maxUnavailable) candidates.push(oldPod);
      }
    }
    const remaining = Math.min(Math.max(0, maxUnavailable - unavailable), candidates.length);
    this.syncNodes(ds, [...replaceable, ...candidates.slice(0, remaining)], [], hash);
  }

  private updateStatus(key: string, ds: KubeObject, nodes: KubeObject[], hash: string): void {
    const byNode = this.nodeToDaemonPods(ds);
    let desired = 0;
    let current = 0;
    let misscheduled = 0;
    let ready = 0;
    let available = 0;
    let updated = 0;
    for (const node of nodes) {
      const [shouldRun] = this.shouldRun(ds, node);
      const pods = byNode.get(node.metadata.name ?? '') ?? [];
      if (!shouldRun) {
        if (pods.length > 0) misscheduled += 1;
        continue;
      }
      desired += 1;
      const pod = pods[0];
      if (!pod) continue;
      current += 1;
      if (isPodReady(pod)) {
        ready += 1;
        if (this.available(ds, pod)) available += 1;
      }
      if (this.isUpdated(ds, pod, hash)) updated += 1;
    }
    const previous = (ds.status ?? {}) as DaemonSetStatus;
    const status: Record<string, unknown> = {
      currentNumberScheduled: current,
      numberMisscheduled: misscheduled,
      desiredNumberScheduled: desired,
      numberReady: ready,
    };
    if (ds.metadata.generation) status.observedGeneration = ds.metadata.generation;
    if (updated) status.updatedNumberScheduled = updated;
    if (available) status.numberAvailable = available;
    if (desired - available) status.numberUnavailable = desired - available;
    if (previous.collisionCount !== undefined) status.collisionCount = previous.collisionCount;
    if (previous.conditions && previous.conditions.length > 0) status.conditions = previous.conditions;
    try {
      this.writeStatus(R.daemonSet, ds, status);
    } catch (error) {
      if (!(error instanceof ApiError && error.code === 404)) throw error;
    }
    const minReady = dsSpec(ds).minReadySeconds ?? 0;
    if (minReady > 0 && ready !== available) this.enqueueAfter(key, minReady * 1000);
  }

  private streamFor(ds: KubeObject): () => number {
    const uid = ds.metadata.uid ?? '';
    let stream = this.streams.get(uid);
    if (!stream) {
      stream = this.ctx.random.stream(`daemonset/${objectKey(ds)}`);
      this.streams.set(uid, stream);
    }
    return stream;
  }
}
