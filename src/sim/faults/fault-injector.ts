import type { RequestFault, RequestFaultHook, SimApiServer } from '../api/api-server.ts';
import type { KubeObject } from '../api/kube-object.ts';
import { parseResourcePath } from '../api/request-path.ts';
import { RESOURCE_TYPES } from '../api/resource-types.ts';
import { isHelmTestPod, targetsOf } from '../kubelet/container-logs.ts';
import type {
  ContainerBehaviour,
  ContainerFaultInput,
  FaultPlan,
  PullBehaviour,
  PullFaultInput,
} from '../kubelet/fault-plan.ts';
import { imageNotFoundError } from '../kubelet/fault-plan.ts';
import { parseImageRef } from '../kubelet/image-ref.ts';
import type { PodCondition } from '../kubelet/kube-shapes.ts';
import { podSpecOf, podStatusOf } from '../kubelet/kube-shapes.ts';
import type { NodeSide } from '../kubelet/node-side.ts';
import { parseQuantity } from '../../kube/quantity.ts';
import { R } from '../resources.ts';
import type { SimTimer } from '../sim-clock.ts';
import type { SimComponent, SimContext } from '../sim-context.ts';
import { kubeTime } from '../store/object-store.ts';
import { scheduleWindows, windowActive } from './fault-window.ts';
import { globPattern } from './glob-pattern.ts';
import { MemoryModel } from './memory-pressure.ts';
import type { FaultTarget, Scenario, ScenarioFault } from './scenario-schema.ts';

/** The finalizer that keeps a namespace Terminating under a namespaceStuck fault. */
export const STUCK_FINALIZER = 'kubesoak.io/stuck-terminating';
const SYSTEM_NAMESPACES = new Set(['default', 'kube-system', 'kube-public', 'kube-node-lease']);
const UNREACHABLE = 'node.kubernetes.io/unreachable';
const GONE_STORM_TICK_MS = 1000;

type Fault<K extends ScenarioFault['kind']> = Extract<ScenarioFault, { kind: K }>;

interface CompiledTarget {
  namespace?: RegExp;
  pod?: RegExp;
  container?: RegExp;
  node?: RegExp;
}

function compileTarget(target: FaultTarget | undefined): CompiledTarget {
  const out: CompiledTarget = {};
  if (target?.namespace) out.namespace = globPattern(target.namespace);
  if (target?.pod) out.pod = globPattern(target.pod);
  if (target?.container) out.container = globPattern(target.container);
  if (target?.node) out.node = globPattern(target.node);
  return out;
}

/**
 * Turns a scenario into the simulation's fault seams: a kubelet {@link FaultPlan}, an API request
 * fault hook, and timers for node, watch, connection and namespace faults. Every decision draws
 * from the seeded stream of the entity it concerns (container instance, pull, namespace), so a
 * scenario replayed with the same seed makes the same decisions.
 */
export class FaultInjector implements SimComponent {
  readonly plan: FaultPlan;
  readonly requestHook: RequestFaultHook;
  private readonly ctx: SimContext;
  private readonly scenario: Scenario;
  private readonly faults: ReadonlyArray<{ fault: ScenarioFault; target: CompiledTarget; paths?: RegExp[] }>;
  private readonly startedAt = performance.now();
  private readonly apiRandom: () => number;
  private readonly cancels: Array<() => void> = [];
  private readonly timers = new Set<SimTimer>();
  private memory: MemoryModel | undefined;
  private side: NodeSide | undefined;
  private unsubscribe: (() => void) | undefined;
  private running = false;

  constructor(ctx: SimContext, scenario: Scenario) {
    this.ctx = ctx;
    this.scenario = scenario;
    this.apiRandom = ctx.random.stream('faults/api');
    this.faults = (scenario.faults ?? []).map((fault) => ({
      fault,
      target: compileTarget(fault.target),
      ...('paths' in fault && fault.paths ? { paths: fault.paths.map(globPattern) } : {}),
    }));
    this.plan = {
      container: (input) => this.container(input),
      pull: (input) => this.pull(input),
    };
    this.requestHook = (request) => this.request(request);
  }

  /** Simulated ms since the cluster started. */
  get simNow(): number {
    return (performance.now() - this.startedAt) / this.ctx.clock.timeScale;
  }

  /** Connects the timers to the running cluster; call once the API server listens. */
  attach(api: SimApiServer, side: NodeSide): void {
    this.side = side;
    this.memory = new MemoryModel(this.ctx, side.pool, side.kubelet, (node, capacity) =>
      this.baseMemory(node, capacity),
    );
    for (const { fault } of this.faults) {
      const window = { at: fault.at, every: fault.every, for: fault.for };
      const random = this.ctx.random.stream(`faults/${fault.kind}/${fault.name ?? ''}`);
      const hit = () => fault.probability === undefined || random() < fault.probability;
      switch (fault.kind) {
        case 'nodeNotReady': {
          const pattern = globPattern(fault.node);
          const names = side.pool.names.filter((name) => pattern.test(name));
          const down = new Set<string>();
          this.cancels.push(
            scheduleWindows(
              this.ctx.clock,
              window,
              () => {
                for (const name of names) {
                  if (!hit()) continue;
                  down.add(name);
                  this.nodeDown(name);
                }
              },
              () => {
                for (const name of down) side.pool.setReady(name, true);
                down.clear();
              },
            ),
          );
          break;
        }
        case 'watchDrop':
          this.cancels.push(
            scheduleWindows(this.ctx.clock, { at: fault.at ?? fault.every, every: fault.every }, () => {
              if (hit()) api.dropWatches();
            }),
          );
          break;
        case 'gone': {
          let storming = false;
          const storm = () => {
            if (!storming) return;
            // Compacting the history makes every resuming watch answer 410 Gone "too old resource version".
            this.ctx.store.compact();
            api.dropWatches();
            this.later(GONE_STORM_TICK_MS, storm);
          };
          this.cancels.push(
            scheduleWindows(
              this.ctx.clock,
              { ...window, for: fault.for ?? 30_000 },
              () => {
                storming = hit();
                storm();
              },
              () => {
                storming = false;
              },
            ),
          );
          break;
        }
        case 'refuse':
          this.cancels.push(
            scheduleWindows(this.ctx.clock, { at: fault.at, every: fault.every }, () => {
              if (hit()) api.refuseConnections(fault.for ?? 10_000);
            }),
          );
          break;
        default:
          break;
      }
    }
    const stuck = this.faults.filter(
      (entry): entry is { fault: Fault<'namespaceStuck'>; target: CompiledTarget } =>
        entry.fault.kind === 'namespaceStuck',
    );
    if (stuck.length > 0)
      this.unsubscribe = this.ctx.store.subscribe((event) => this.onNamespace(event, stuck));
    if (this.running) this.memory.start();
  }

  start(): void {
    this.running = true;
    this.memory?.start();
  }

  stop(): void {
    this.running = false;
    this.memory?.stop();
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    for (const cancel of this.cancels.splice(0)) cancel();
    for (const timer of this.timers) timer.cancel();
    this.timers.clear();
  }

  /** The memory model, once attached (tests call synchronize() on it). */
  get memoryModel(): MemoryModel | undefined {
    return this.memory;
  }

  private later(delayMs: number, fn: () => void): void {
    const timer = this.ctx.clock.after(delayMs, () => {
      this.timers.delete(timer);
      fn();
    });
    this.timers.add(timer);
  }

  private active(fault: ScenarioFault): boolean {
    return windowActive({ at: fault.at, every: fault.every, for: fault.for }, this.simNow);
  }

  private matches(target: CompiledTarget, pod: KubeObject, container: string, node: string): boolean {
    return (
      (!target.namespace || target.namespace.test(pod.metadata.namespace ?? '')) &&
      (!target.pod || target.pod.test(pod.metadata.name ?? '')) &&
      (!target.container || target.container.test(container)) &&
      (!target.node || target.node.test(node))
    );
  }

  private baseMemory(node: string, capacity: number): number {
    const used = { ...this.scenario.nodes, ...this.scenario.nodes?.traits?.[node] }.memoryUsed;
    if (!used) return 0;
    return used.percent !== undefined ? (capacity * used.percent) / 100 : (used.bytes ?? 0);
  }

  private pull(input: PullFaultInput): PullBehaviour | undefined {
    let out: PullBehaviour | undefined;
    for (const { fault, target } of this.faults) {
      if (fault.kind !== 'imagePull') continue;
      if (!this.matches(target, input.pod, input.container.name, input.nodeName) || !this.active(fault))
        continue;
      if (fault.probability !== undefined && input.random() >= fault.probability) continue;
      out ??= {};
      if (fault.delay !== undefined) out.durationMs = fault.delay;
      if (fault.error === true) out.error = imageNotFoundError(parseImageRef(input.image).normalized);
      else if (typeof fault.error === 'string') out.error = fault.error;
    }
    return out;
  }

  private container(input: ContainerFaultInput): ContainerBehaviour | undefined {
    const { pod, container, kind, nodeName, random } = input;
    const behaviour: ContainerBehaviour = {};
    const helmTest = isHelmTestPod(pod);
    const podIP = podStatusOf(pod).podIP ?? '';
    const withIP = (output: string | undefined) =>
      output === undefined ? {} : { output: output.replaceAll('{podIP}', podIP) };
    let memoryRecorded = false;
    for (const { fault, target } of this.faults) {
      if (!this.matches(target, pod, container.name, nodeName) || !this.active(fault)) continue;
      const draw = () => fault.probability === undefined || random() < fault.probability;
      switch (fault.kind) {
        case 'initContainer':
          if (kind !== 'init' || !draw()) break;
          if (fault.mode === 'hang') behaviour.exitAfterMs = null;
          else if (fault.mode === 'slow') behaviour.exitAfterMs = fault.duration ?? 60_000;
          else {
            behaviour.exitAfterMs = fault.duration ?? 2000;
            behaviour.exitCode = fault.exitCode ?? 1;
            behaviour.logLines = [`error: ${container.name} failed, exiting with code ${behaviour.exitCode}`];
          }
          break;
        case 'readiness':
          if (kind === 'init' || helmTest || !container.readinessProbe || !draw()) break;
          behaviour.readiness = { failFirst: Infinity, ...withIP(fault.output) };
          break;
        case 'liveness': {
          if (kind === 'init' || helmTest || !container.livenessProbe || !draw()) break;
          const output = withIP(fault.output);
          if (fault.duringHelmTest) {
            const namespace = pod.metadata.namespace;
            behaviour.liveness = { ...output, failWhen: () => this.helmTestRunning(namespace) };
          } else behaviour.liveness = { ...output, failAfterMs: fault.after ?? 0 };
          break;
        }
        case 'crash':
          if (kind === 'init' || helmTest || !draw()) break;
          behaviour.exitAfterMs = fault.after ?? 5000;
          behaviour.exitCode = fault.exitCode ?? 1;
          if (fault.message) behaviour.logLines = [fault.message];
          break;
        case 'memory': {
          if (kind !== 'app' || helmTest || memoryRecorded || !draw()) break;
          const usage =
            typeof fault.usage === 'number'
              ? fault.usage
              : fault.usage.min + random() * (fault.usage.max - fault.usage.min);
          const rampMs = fault.rampUp ?? 30_000;
          memoryRecorded = true;
          this.memory?.record(pod.metadata.uid ?? '', container.name, input.restartCount, usage, rampMs);
          const limit = parseQuantity(container.resources?.limits?.memory ?? 0);
          if (limit > 0 && usage > limit) {
            // The cgroup OOM killer fires when the growing working set reaches the limit.
            behaviour.exitAfterMs = Math.max(1000, Math.round((rampMs * limit) / usage));
            behaviour.exitCode = 137;
            behaviour.exitReason = 'OOMKilled';
          }
          break;
        }
        case 'helmTest': {
          if (!helmTest || kind !== 'app') break;
          const targets = targetsOf(pod, container);
          let failed: string | undefined;
          if (fault.whenNoEndpoints) {
            const down = targets.find((candidate) => !this.hasReadyEndpoints(pod, candidate.host));
            if (down) failed = `${down.host}:${down.port}`;
          } else if (draw()) {
            const first = targets[0];
            failed = first ? `${first.host}:${first.port}` : container.name;
          }
          if (failed === undefined) {
            if (fault.duration !== undefined) behaviour.exitAfterMs ??= fault.duration;
            break;
          }
          behaviour.exitAfterMs = fault.duration ?? 1000 + Math.round(random() * 2000);
          behaviour.exitCode = 1;
          behaviour.logLines = [
            (fault.message ?? 'Could not connect to {target}').replaceAll('{target}', failed),
          ];
          break;
        }
        default:
          break;
      }
    }
    return Object.keys(behaviour).length > 0 ? behaviour : undefined;
  }

  private helmTestRunning(namespace: string | undefined): boolean {
    return this.ctx.store
      .list(R.pod, { namespace })
      .some((pod) => isHelmTestPod(pod) && podStatusOf(pod).phase === 'Running');
  }

  private hasReadyEndpoints(pod: KubeObject, host: string): boolean {
    const [service = '', namespace = pod.metadata.namespace ?? 'default'] = host.split('.');
    const endpoints = this.ctx.store.get(R.endpoints, namespace, service);
    const subsets = (endpoints?.subsets ?? []) as Array<{ addresses?: unknown[] }>;
    return subsets.some((subset) => (subset.addresses ?? []).length > 0);
  }

  private request(request: { method: string; path: string; verb: string }): RequestFault[] {
    const out: RequestFault[] = [];
    let verb = request.verb;
    if (verb === 'get') {
      const parsed = parseResourcePath(request.path, RESOURCE_TYPES);
      if (parsed?.kind === 'resource' && parsed.path.name === undefined) verb = 'list';
    }
    const verbs = new Set([verb, verb === 'post' ? 'create' : verb === 'put' ? 'update' : verb]);
    for (const { fault, paths } of this.faults) {
      if (fault.kind !== 'apiError' && fault.kind !== 'apiSlow' && fault.kind !== 'apiReset') continue;
      if (!this.active(fault)) continue;
      if (fault.verbs && !fault.verbs.some((candidate) => verbs.has(candidate))) continue;
      if (paths && !paths.some((candidate) => candidate.test(request.path))) continue;
      if (fault.probability !== undefined && this.apiRandom() >= fault.probability) continue;
      if (fault.kind === 'apiSlow') out.unshift({ kind: 'delay', ms: fault.delay });
      else if (fault.kind === 'apiReset') out.push({ kind: 'reset' });
      else out.push(serverError(fault.status ?? 500, fault.message));
    }
    return out;
  }

  /**
   * The node stops reporting; after each pod's unreachable toleration (300 s, added by the
   * DefaultTolerationSeconds admission plugin) the taint eviction controller deletes the pod, so
   * its controller replaces it on another node while the old one stays Terminating.
   */
  private nodeDown(name: string): void {
    const side = this.side;
    if (!side) return;
    side.pool.setReady(name, false);
    for (const pod of this.ctx.store.list(R.pod)) {
      const spec = podSpecOf(pod);
      if (spec.nodeName !== name || pod.metadata.deletionTimestamp) continue;
      if (['Succeeded', 'Failed'].includes(podStatusOf(pod).phase ?? '')) continue;
      const toleration = (spec.tolerations ?? []).find(
        (candidate) =>
          (candidate.key === UNREACHABLE ||
            (candidate.key === undefined && candidate.operator === 'Exists')) &&
          (candidate.effect === 'NoExecute' || candidate.effect === undefined),
      );
      if (toleration && toleration.tolerationSeconds === undefined) continue;
      const uid = pod.metadata.uid;
      this.later((toleration?.tolerationSeconds ?? 0) * 1000, () => {
        if (side.pool.get(name)?.ready) return;
        const current = this.ctx.store.get(R.pod, pod.metadata.namespace, pod.metadata.name ?? '');
        if (!current || current.metadata.uid !== uid || current.metadata.deletionTimestamp) return;
        this.taintEvict(current);
      });
    }
  }

  private taintEvict(pod: KubeObject): void {
    const namespace = pod.metadata.namespace ?? '';
    const name = pod.metadata.name ?? '';
    this.ctx.events.record(
      pod,
      'Normal',
      'TaintManagerEviction',
      `Marking for deletion Pod ${namespace}/${name}`,
      {
        component: 'taint-eviction-controller',
      },
    );
    const status = { ...podStatusOf(pod) };
    const condition: PodCondition = {
      type: 'DisruptionTarget',
      status: 'True',
      lastProbeTime: null,
      lastTransitionTime: kubeTime(this.ctx.clock.now()),
      reason: 'DeletionByTaintManager',
      message: 'Taint manager: deleting due to NoExecute taint',
    };
    status.conditions = [
      condition,
      ...(status.conditions ?? []).filter((c) => c.type !== 'DisruptionTarget'),
    ];
    try {
      this.ctx.store.update(R.pod, { ...pod, status }, { subresource: 'status' });
      this.ctx.store.delete(R.pod, namespace, name, {
        gracePeriodSeconds: podSpecOf(pod).terminationGracePeriodSeconds ?? 30,
      });
    } catch {
      // Deleted meanwhile.
    }
  }

  private onNamespace(
    event: { type: string; resource: unknown; object: KubeObject; previous?: KubeObject | undefined },
    faults: ReadonlyArray<{ fault: Fault<'namespaceStuck'>; target: CompiledTarget }>,
  ): void {
    if (event.resource !== R.namespace) return;
    const ns = event.object;
    const name = ns.metadata.name ?? '';
    if (SYSTEM_NAMESPACES.has(name)) return;
    if (event.type === 'ADDED') {
      const match = faults.find(
        ({ fault, target }) =>
          (!target.namespace || target.namespace.test(name)) &&
          windowActive({ at: fault.at, every: fault.every }, this.simNow) &&
          (fault.probability === undefined ||
            this.ctx.random.stream(`faults/namespace ${name}/${ns.metadata.uid ?? ''}`)() <
              fault.probability),
      );
      if (!match) return;
      // Not from inside the store's own notification: write on the next turn.
      this.later(0, () => {
        const current = this.ctx.store.get(R.namespace, undefined, name);
        if (!current || current.metadata.uid !== ns.metadata.uid) return;
        const finalizers = [...(current.metadata.finalizers ?? []), STUCK_FINALIZER];
        this.ctx.store.update(R.namespace, { ...current, metadata: { ...current.metadata, finalizers } });
      });
      return;
    }
    if (
      event.type === 'MODIFIED' &&
      ns.metadata.deletionTimestamp &&
      !event.previous?.metadata.deletionTimestamp &&
      (ns.metadata.finalizers ?? []).includes(STUCK_FINALIZER)
    ) {
      const match = faults.find(({ target }) => !target.namespace || target.namespace.test(name));
      this.later(match?.fault.for ?? 60_000, () => {
        const current = this.ctx.store.get(R.namespace, undefined, name);
        if (!current || current.metadata.uid !== ns.metadata.uid) return;
        const finalizers = (current.metadata.finalizers ?? []).filter((f) => f !== STUCK_FINALIZER);
        this.ctx.store.update(R.namespace, { ...current, metadata: { ...current.metadata, finalizers } });
      });
    }
  }
}

/** The API server's own texts for the 5xx answers it gives under load or with etcd trouble. */
function serverError(code: number, message: string | undefined): RequestFault {
  if (code === 503)
    return {
      kind: 'status',
      code,
      reason: 'ServiceUnavailable',
      message: message ?? 'the server is currently unable to handle the request',
    };
  if (code === 504)
    return {
      kind: 'status',
      code,
      reason: 'Timeout',
      message:
        message ??
        'the server was unable to return a response in the time allotted, but may still be processing the request',
    };
  return {
    kind: 'status',
    code,
    reason: 'InternalError',
    message: message ?? 'Internal error occurred: etcdserver: request timed out',
  };
}
