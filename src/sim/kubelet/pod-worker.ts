import type { KubeObject } from '../api/kube-object.ts';
import { R } from '../resources.ts';
import type { SimContext } from '../sim-context.ts';
import { kubeTime } from '../store/object-store.ts';
import { exitLines, isHelmTestPod, probeAccessLine, startLines } from './container-logs.ts';
import type { ContainerBehaviour, FaultPlan, ProbeBehaviour } from './fault-plan.ts';
import { goDuration } from './go-duration.ts';
import type { ImageRef } from './image-ref.ts';
import { defaultPullPolicy, parseImageRef } from './image-ref.ts';
import type { ContainerSpec, PodCondition, PodSpec, ProbeSpec, TerminatedState } from './kube-shapes.ts';
import { isSidecar, podSpecOf, podStatusOf } from './kube-shapes.ts';
import type { ManagedNode } from './node-pool.ts';
import type { ContainerModel, PodModel } from './pod-status.ts';
import { buildPodStatus } from './pod-status.ts';
import type { TimelineHandle } from './pod-timeline.ts';
import { PodTimeline } from './pod-timeline.ts';

/** Node-level services a pod worker shares with the other pods of its node. */
export interface NodeRuntime {
  readonly node: ManagedNode;
  allocateIP(): string;
  releaseIP(ip: string): void;
  /**
   * Queues a pull behind the node's other pulls (the kubelet pulls serially): returns how long
   * this pull waits and how long it takes. A pull of an image another pod is already pulling
   * takes only a moment once that one is done.
   */
  reservePull(
    image: ImageRef,
    at: number,
    durationMs: number,
    quickMs: number,
  ): { waitMs: number; pullMs: number };
}

/** What a worker needs from the kubelet that owns it. */
export interface WorkerEnv {
  readonly ctx: SimContext;
  readonly runtime: NodeRuntime;
  readonly faults: FaultPlan;
  /** Seeded-stream prefix unique to this pod incarnation ("pod ns/name#1"). */
  readonly streamName: string;
  readonly onStatus: ((pod: KubeObject, simMs: number) => void) | undefined;
}

type ProbeKind = 'startup' | 'readiness' | 'liveness';

interface Backoff {
  backoff: number;
  lastUpdate: number;
}

interface ContainerRun extends ContainerModel {
  /** Bumped on every start and stop, so steps of an older instance do nothing. */
  instance: number;
  behaviour: ContainerBehaviour;
  random: () => number;
  startedAtMs: number;
  finishedAtMs: number;
  /** The sync loop may start (or restart) it now. */
  startDue: boolean;
  /** It exited and a restart is coming (after back-off). */
  willRestart: boolean;
  stopping: boolean;
  pullAttempts: number;
  lastPullError: string;
  probe: Record<ProbeKind, { attempts: number; successes: number; failures: number }>;
  loggedReady: boolean;
}

const KILL_GRACE_MINIMUM_S = 2;
const DEFAULT_EVICTION_MESSAGE =
  'The node was low on resource: memory. Threshold quantity: 100Mi, available: 87236Ki. ';
const INITIAL_BACKOFF_MS = 10_000;
const MAX_BACKOFF_MS = 300_000;
const RETRY_SYNC_MS = 10_000;
const PROBE_NAMES: Record<ProbeKind, string> = {
  startup: 'Startup',
  readiness: 'Readiness',
  liveness: 'Liveness',
};

function hex(random: () => number, length: number): string {
  let out = '';
  while (out.length < length)
    out += Math.floor(random() * 0x100000000)
      .toString(16)
      .padStart(8, '0');
  return out.slice(0, length);
}

function between(random: () => number, low: number, high: number): number {
  return Math.round(low + random() * (high - low));
}

/** flowcontrol.Backoff.Next: start at 10 s, double up to 5 min, reset after 10 min of quiet. */
function nextBackoff(entry: Backoff | undefined, eventTime: number, now: number): Backoff {
  if (!entry || eventTime - entry.lastUpdate > 2 * MAX_BACKOFF_MS)
    return { backoff: INITIAL_BACKOFF_MS, lastUpdate: now };
  return { backoff: Math.min(entry.backoff * 2, MAX_BACKOFF_MS), lastUpdate: now };
}

function inBackoff(entry: Backoff | undefined, eventTime: number, now: number): boolean {
  return (
    entry !== undefined && now - entry.lastUpdate <= 2 * MAX_BACKOFF_MS && now - eventTime < entry.backoff
  );
}

/**
 * Drives one pod on one node as the kubelet's pod worker does: sandbox, init containers in order,
 * app containers, probes, exits and restarts with back-off, graceful termination and the final
 * delete. All delays run on the pod's own {@link PodTimeline}; every status write is the full
 * status a real kubelet would generate from the container model.
 */
export class PodWorker {
  readonly key: string;
  readonly uid: string;
  /** The latest stored version of the pod (kept current by the kubelet's store listener). */
  pod: KubeObject;
  private readonly env: WorkerEnv;
  private readonly spec: PodSpec;
  private readonly model: PodModel;
  private readonly runs: ContainerRun[];
  private readonly timeline: PodTimeline;
  private readonly random: () => number;
  private readonly crashBackoffs = new Map<string, Backoff>();
  private readonly imageBackoffs = new Map<string, Backoff>();
  private busy = false;
  /** Containers are being stopped for good (deletion, completion, eviction). */
  private stoppingAll = false;
  private deletionRequested = false;
  private detached = false;
  private frozen = false;
  private disruption: PodCondition | undefined;
  private ipReleased = false;

  constructor(env: WorkerEnv, pod: KubeObject) {
    this.env = env;
    this.pod = pod;
    this.key = `${pod.metadata.namespace ?? ''}/${pod.metadata.name ?? ''}`;
    this.uid = pod.metadata.uid ?? '';
    this.spec = structuredClone(podSpecOf(pod));
    this.timeline = new PodTimeline(env.ctx.clock);
    this.random = env.ctx.random.stream(env.streamName);
    const make = (spec: ContainerSpec, kind: ContainerRun['kind']): ContainerRun => ({
      spec,
      kind,
      current: undefined,
      previous: undefined,
      waiting: undefined,
      restartCount: 0,
      containerID: undefined,
      image: undefined,
      startupPassed: false,
      readinessPassed: false,
      instance: 0,
      behaviour: {},
      random: () => 0,
      startedAtMs: 0,
      finishedAtMs: 0,
      startDue: true,
      willRestart: false,
      stopping: false,
      pullAttempts: 0,
      lastPullError: '',
      probe: {
        startup: { attempts: 0, successes: 0, failures: 0 },
        readiness: { attempts: 0, successes: 0, failures: 0 },
        liveness: { attempts: 0, successes: 0, failures: 0 },
      },
      loggedReady: false,
    });
    this.runs = [
      ...(this.spec.initContainers ?? []).map((container) =>
        make(container, isSidecar(container) ? 'sidecar' : 'init'),
      ),
      ...(this.spec.containers ?? []).map((container) => make(container, 'app')),
    ];
    this.model = {
      hostIP: env.runtime.node.internalIP,
      podIP: undefined,
      startTime: kubeTime(env.ctx.clock.now()),
      sandboxReady: false,
      containers: this.runs,
      terminal: false,
      failure: undefined,
    };
  }

  /** Simulated ms since the worker started (exact inside its own steps). */
  get simNow(): number {
    return this.timeline.now;
  }

  /** Starts driving the pod: first status, then the sandbox. */
  start(): void {
    const existing = podStatusOf(this.pod);
    // A kubelet restart keeps the original start time.
    if (existing.startTime) this.model.startTime = existing.startTime;
    this.write();
    const behaviour =
      this.env.faults.pod?.({ pod: this.pod, nodeName: this.nodeName, random: this.stream('pod-faults') }) ??
      {};
    const sandboxMs = behaviour.sandboxMs ?? between(this.random, 300, 1200);
    this.step(sandboxMs, () => {
      if (this.stoppingAll || this.model.terminal) return;
      this.model.sandboxReady = true;
      this.model.podIP = this.spec.hostNetwork ? this.model.hostIP : this.env.runtime.allocateIP();
      this.write();
      this.advance();
    });
    if (behaviour.evictAfterMs !== undefined) {
      this.step(behaviour.evictAfterMs, () => this.evict(behaviour.evictionMessage));
    }
    if (this.spec.activeDeadlineSeconds !== undefined) {
      this.step(this.spec.activeDeadlineSeconds * 1000, () =>
        this.fail('DeadlineExceeded', 'Pod was active on the node longer than the specified deadline', false),
      );
    }
  }

  /** The pod got a deletionTimestamp: stop its containers, then delete it for good. */
  terminate(): void {
    if (this.deletionRequested || this.detached) return;
    this.deletionRequested = true;
    // A frozen (NotReady) node cannot act: the pod stays Terminating until the node is back.
    if (this.frozen) return;
    if (this.stoppingAll) return;
    if (this.model.terminal) {
      this.teardownAndRemove();
      return;
    }
    const grace =
      this.pod.metadata.deletionGracePeriodSeconds ?? this.spec.terminationGracePeriodSeconds ?? 30;
    this.stopAll(grace);
  }

  /** The pod is gone from the store (or replaced): forget it without touching the store. */
  detach(): void {
    if (this.detached) return;
    this.detached = true;
    this.timeline.stop();
    this.releaseIP();
    this.env.ctx.logs.forget(this.pod.metadata.namespace ?? '', this.pod.metadata.name ?? '');
  }

  /** Stops the worker's timers because the simulation stops; nothing else changes. */
  halt(): void {
    this.detached = true;
    this.timeline.stop();
  }

  /** Fault injection: the kubelet evicts the pod (phase Failed, reason Evicted, DisruptionTarget). */
  evict(message?: string): void {
    this.fail('Evicted', message ?? DEFAULT_EVICTION_MESSAGE, true);
  }

  /** Node NotReady: nothing reaches the API server until {@link thaw}; containers keep running. */
  freeze(): void {
    this.frozen = true;
  }

  thaw(): void {
    if (!this.frozen) return;
    this.frozen = false;
    this.write();
    if (this.deletionRequested) {
      this.deletionRequested = false;
      this.terminate();
    } else {
      this.advance();
    }
  }

  private get nodeName(): string {
    return this.env.runtime.node.name;
  }

  private stream(name: string): () => number {
    return this.env.ctx.random.stream(`${this.env.streamName}/${name}`);
  }

  /** A step on the pod's timeline that does nothing once the pod is detached. */
  private step(delayMs: number, fn: () => void): TimelineHandle {
    return this.timeline.after(delayMs, () => {
      if (!this.detached) fn();
    });
  }

  /** A step bound to one container instance: it does nothing once that instance stopped. */
  private instanceStep(run: ContainerRun, delayMs: number, fn: () => void): void {
    const instance = run.instance;
    this.step(delayMs, () => {
      if (run.instance === instance && !run.stopping) fn();
    });
  }

  private write(): void {
    if (this.detached || this.frozen) return;
    const now = kubeTime(this.env.ctx.clock.now());
    const old = podStatusOf(this.pod);
    const status = buildPodStatus(this.spec, this.model, old, now);
    if (this.disruption) {
      const conditions = (status.conditions ?? []).filter(
        (condition) => condition.type !== this.disruption?.type,
      );
      status.conditions = [this.disruption, ...conditions];
    }
    try {
      const written = this.env.ctx.store.update(
        R.pod,
        {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: this.pod.metadata.name, namespace: this.pod.metadata.namespace },
          status,
        },
        { subresource: 'status' },
      );
      if (written.metadata.uid === this.uid) this.pod = written;
      this.env.onStatus?.(this.pod, this.timeline.now);
    } catch {
      // Deleted under us: the DELETED event detaches this worker.
    }
  }

  private event(type: 'Normal' | 'Warning', reason: string, message: string, run?: ContainerRun): void {
    if (this.detached || this.frozen) return;
    const fieldPath = run
      ? `spec.${run.kind === 'app' ? 'containers' : 'initContainers'}{${run.spec.name}}`
      : undefined;
    this.env.ctx.events.record(
      this.pod,
      type,
      reason,
      message,
      { component: 'kubelet', host: this.nodeName },
      fieldPath,
    );
  }

  private log(run: ContainerRun, lines: readonly string[]): void {
    if (this.detached) return;
    const now = this.env.ctx.clock.now();
    for (const line of lines)
      this.env.ctx.logs.append(
        this.pod.metadata.namespace ?? '',
        this.pod.metadata.name ?? '',
        run.spec.name,
        line,
        now,
      );
  }

  private get podRef(): string {
    return `${this.pod.metadata.name ?? ''}_${this.pod.metadata.namespace ?? ''}(${this.uid})`;
  }

  private running(run: ContainerRun): boolean {
    return run.current !== undefined && 'running' in run.current;
  }

  private terminated(run: ContainerRun): TerminatedState | undefined {
    return run.current && 'terminated' in run.current ? run.current.terminated : undefined;
  }

  /**
   * The sync loop (computePodActions): starts the next init container once the previous one
   * completed (a sidecar once it started), then the app containers one by one.
   */
  private advance(): void {
    if (
      this.detached ||
      this.frozen ||
      this.stoppingAll ||
      this.busy ||
      this.model.terminal ||
      !this.model.sandboxReady
    )
      return;
    for (const run of this.runs) {
      if (run.kind === 'app') continue;
      if (run.kind === 'sidecar') {
        if (!this.running(run)) {
          if (run.startDue) this.startContainer(run);
          return;
        }
        if (!run.startupPassed) return;
        continue;
      }
      const ended = this.terminated(run);
      if (ended && ended.exitCode === 0 && !run.startDue) continue;
      if (!this.running(run) && run.startDue) this.startContainer(run);
      return;
    }
    for (const run of this.runs) {
      if (run.kind === 'app' && !this.running(run) && run.startDue) {
        this.startContainer(run);
        return;
      }
    }
  }

  private startContainer(run: ContainerRun): void {
    this.busy = true;
    run.startDue = false;
    const restartCount = run.current ? run.restartCount + 1 : run.restartCount;
    run.random = this.stream(`container ${run.spec.name}/${restartCount}`);
    run.behaviour =
      this.env.faults.container?.({
        pod: this.pod,
        container: run.spec,
        kind: run.kind,
        nodeName: this.nodeName,
        restartCount,
        random: this.stream(`faults/container ${run.spec.name}/${restartCount}`),
      }) ?? {};
    this.ensureImage(run, (image) => {
      if (!image || this.stoppingAll) {
        this.busy = false;
        this.advance();
        return;
      }
      const createError = run.behaviour.createError;
      if (createError) {
        run.waiting = { reason: createError.reason, message: createError.message };
        this.event('Warning', 'Failed', `Error: ${createError.message}`, run);
        this.write();
        this.busy = false;
        this.step(RETRY_SYNC_MS, () => {
          run.startDue = true;
          this.advance();
        });
        this.advance();
        return;
      }
      this.step(between(run.random, 20, 150), () => {
        this.event('Normal', 'Created', `Created container: ${run.spec.name}`, run);
        this.step(between(run.random, 20, 200), () => this.launch(run, image, restartCount));
      });
    });
  }

  private launch(run: ContainerRun, image: ImageRef, restartCount: number): void {
    if (this.stoppingAll) {
      this.busy = false;
      return;
    }
    this.event('Normal', 'Started', `Started container ${run.spec.name}`, run);
    const namespace = this.pod.metadata.namespace ?? '';
    const name = this.pod.metadata.name ?? '';
    if (run.current) {
      run.previous = this.terminated(run) ?? run.previous;
      this.env.ctx.logs.rotate(namespace, name, run.spec.name);
    }
    run.restartCount = restartCount;
    run.instance += 1;
    run.stopping = false;
    run.current = { running: kubeTime(this.env.ctx.clock.now()) };
    run.waiting = undefined;
    run.willRestart = false;
    run.image = image;
    run.containerID = `containerd://${hex(run.random, 64)}`;
    run.startedAtMs = this.timeline.now;
    run.startupPassed = !run.spec.startupProbe;
    run.readinessPassed = false;
    run.loggedReady = false;
    for (const kind of ['startup', 'readiness', 'liveness'] as const)
      run.probe[kind] = { attempts: 0, successes: 0, failures: 0 };
    this.log(run, startLines(this.pod, run.spec, run.kind, image, restartCount));
    if (run.behaviour.logLines) this.log(run, run.behaviour.logLines);
    this.scheduleProbes(run);
    this.scheduleExit(run);
    this.busy = false;
    this.write();
    this.advance();
  }

  /** EnsureImageExists: pull policy, the node's image cache, serial pulls, pull back-off. */
  private ensureImage(run: ContainerRun, done: (image: ImageRef | undefined) => void): void {
    const spec = run.spec.image ?? '';
    const image = parseImageRef(spec);
    const policy = run.spec.imagePullPolicy ?? defaultPullPolicy(spec);
    const present = this.env.runtime.node.images.has(image.normalized);
    if (policy === 'Never' || (policy === 'IfNotPresent' && present)) {
      if (present) {
        this.event('Normal', 'Pulled', `Container image "${spec}" already present on machine`, run);
        this.step(between(run.random, 5, 40), () => done(image));
        return;
      }
      const message = `Container image "${spec}" is not present with pull policy of Never`;
      this.event('Warning', 'ErrImageNeverPull', message, run);
      this.event('Warning', 'Failed', 'Error: ErrImageNeverPull', run);
      run.waiting = { reason: 'ErrImageNeverPull', message };
      this.write();
      this.retryLater(run, RETRY_SYNC_MS);
      done(undefined);
      return;
    }
    const now = this.timeline.now;
    const backoff = this.imageBackoffs.get(spec);
    if (
      backoff &&
      now - backoff.lastUpdate <= 2 * MAX_BACKOFF_MS &&
      now - backoff.lastUpdate < backoff.backoff
    ) {
      this.event('Normal', 'BackOff', `Back-off pulling image "${spec}"`, run);
      this.event('Warning', 'Failed', 'Error: ImagePullBackOff', run);
      run.waiting = {
        reason: 'ImagePullBackOff',
        message: `Back-off pulling image "${spec}": ErrImagePull: ${run.lastPullError}`,
      };
      this.write();
      this.retryLater(run, backoff.lastUpdate + backoff.backoff - now);
      done(undefined);
      return;
    }
    run.pullAttempts += 1;
    const pullRandom = this.stream(`pull ${run.spec.name}/${run.pullAttempts}`);
    const behaviour =
      this.env.faults.pull?.({
        pod: this.pod,
        container: run.spec,
        nodeName: this.nodeName,
        image: spec,
        attempt: run.pullAttempts,
        random: this.stream(`faults/pull ${run.spec.name}/${run.pullAttempts}`),
      }) ?? {};
    this.event('Normal', 'Pulling', `Pulling image "${spec}"`, run);
    // Already-cached layers (policy Always) make a pull quick.
    const durationMs =
      behaviour.durationMs ?? (present ? between(pullRandom, 150, 800) : between(pullRandom, 500, 3000));
    const { waitMs, pullMs } = this.env.runtime.reservePull(
      image,
      this.timeline.absolute,
      durationMs,
      between(pullRandom, 40, 160),
    );
    this.step(waitMs + pullMs, () => {
      if (behaviour.error) {
        run.lastPullError = behaviour.error;
        this.event('Warning', 'Failed', `Failed to pull image "${spec}": ${behaviour.error}`, run);
        this.imageBackoffs.set(
          spec,
          nextBackoff(this.imageBackoffs.get(spec), this.timeline.now, this.timeline.now),
        );
        this.event('Warning', 'Failed', 'Error: ErrImagePull', run);
        run.waiting = { reason: 'ErrImagePull', message: behaviour.error };
        this.write();
        // The next sync comes soon and finds the image in back-off.
        this.retryLater(run, between(pullRandom, 500, 2000));
        done(undefined);
        return;
      }
      this.env.runtime.node.images.set(image.normalized, image);
      this.event(
        'Normal',
        'Pulled',
        `Successfully pulled image "${spec}" in ${goDuration(pullMs)} (${goDuration(waitMs + pullMs)} including waiting). Image size: ${image.sizeBytes} bytes.`,
        run,
      );
      done(image);
    });
  }

  private retryLater(run: ContainerRun, delayMs: number): void {
    this.step(Math.max(0, delayMs), () => {
      run.startDue = true;
      this.advance();
    });
  }

  private scheduleExit(run: ContainerRun): void {
    const { behaviour } = run;
    let exitAfter: number | null;
    if (behaviour.exitAfterMs !== undefined) exitAfter = behaviour.exitAfterMs;
    else if (run.kind === 'init') exitAfter = between(run.random, 500, 2000);
    else if (run.kind === 'app' && (this.spec.restartPolicy ?? 'Always') !== 'Always') {
      exitAfter = isHelmTestPod(this.pod) ? between(run.random, 500, 2000) : between(run.random, 1000, 4000);
    } else exitAfter = null;
    if (exitAfter === null || !Number.isFinite(exitAfter)) return;
    this.instanceStep(run, exitAfter, () => {
      const exitCode = behaviour.exitCode ?? 0;
      if (run.kind !== 'sidecar' && (behaviour.exitReason === undefined || exitCode === 0)) {
        this.log(run, exitLines(this.pod, run.spec, run.kind, exitCode, this.timeline.now - run.startedAtMs));
      }
      this.exited(run, exitCode, behaviour.exitReason, behaviour.exitMessage);
    });
  }

  /** A container instance ended (by itself, killed by a probe, or stopped). */
  private exited(run: ContainerRun, exitCode: number, reason?: string, message?: string): void {
    const current = run.current;
    if (!current || !('running' in current)) return;
    run.instance += 1;
    run.stopping = false;
    run.finishedAtMs = this.timeline.now;
    run.current = {
      terminated: {
        exitCode,
        reason: reason ?? (exitCode === 0 ? 'Completed' : 'Error'),
        ...(message ? { message } : {}),
        startedAt: current.running,
        finishedAt: kubeTime(this.env.ctx.clock.now()),
        containerID: run.containerID ?? '',
      },
    };
    run.startupPassed = false;
    run.readinessPassed = false;
    if (this.stoppingAll) return;
    this.write();
    const policy = this.spec.restartPolicy ?? 'Always';
    if (run.kind === 'init') {
      if (exitCode === 0) {
        this.advance();
        return;
      }
      if (policy === 'Never') {
        this.finish();
        return;
      }
      this.restartWithBackoff(run);
      return;
    }
    if (run.kind === 'sidecar' || policy === 'Always' || (policy === 'OnFailure' && exitCode !== 0)) {
      this.restartWithBackoff(run);
      return;
    }
    const done = (other: ContainerRun) =>
      other.kind !== 'app' || (this.terminated(other) !== undefined && !other.willRestart);
    if (this.runs.every(done)) this.finish();
  }

  /** kubeGenericRuntimeManager.doBackOff: first restart at once, then 10 s doubling to 5 min. */
  private restartWithBackoff(run: ContainerRun): void {
    const instance = run.instance;
    run.willRestart = true;
    // The kubelet notices the exit on its next relist.
    this.step(between(run.random, 300, 1000), () => {
      if (run.instance !== instance || this.stoppingAll || this.model.terminal) return;
      const name = run.spec.name;
      const now = this.timeline.now;
      const entry = this.crashBackoffs.get(name);
      if (inBackoff(entry, run.finishedAtMs, now) && entry) {
        run.waiting = {
          reason: 'CrashLoopBackOff',
          message: `back-off ${goDuration(entry.backoff)} restarting failed container=${name} pod=${this.podRef}`,
        };
        this.event(
          'Warning',
          'BackOff',
          `Back-off restarting failed container ${name} in pod ${this.podRef}`,
          run,
        );
        this.write();
        this.step(run.finishedAtMs + entry.backoff - now, () => {
          if (run.instance !== instance || this.stoppingAll || this.model.terminal) return;
          this.crashBackoffs.set(
            name,
            nextBackoff(this.crashBackoffs.get(name), run.finishedAtMs, this.timeline.now),
          );
          run.startDue = true;
          this.advance();
        });
        return;
      }
      this.crashBackoffs.set(name, nextBackoff(entry, run.finishedAtMs, now));
      run.startDue = true;
      this.advance();
    });
  }

  private scheduleProbes(run: ContainerRun): void {
    const kinds: ProbeKind[] = [];
    if (run.spec.startupProbe) kinds.push('startup');
    if (run.spec.readinessProbe) kinds.push('readiness');
    // A healthy liveness probe changes nothing: only faulty ones are simulated.
    const liveness = run.behaviour.liveness;
    if (
      run.spec.livenessProbe &&
      liveness &&
      ((liveness.failFirst ?? 0) > 0 || liveness.failAfterMs !== undefined || liveness.failWhen !== undefined)
    )
      kinds.push('liveness');
    for (const kind of kinds) {
      const probe = this.probeSpec(run, kind);
      const delayMs = (probe.initialDelaySeconds ?? 0) * 1000;
      const periodMs = (probe.periodSeconds ?? 10) * 1000;
      // Probe workers tick on their own period; a probe without delay is triggered right away.
      const first =
        delayMs === 0 ? between(run.random, 100, 700) : delayMs + Math.floor(run.random() * periodMs);
      this.instanceStep(run, first, () => this.probeOnce(run, kind));
    }
  }

  private probeSpec(run: ContainerRun, kind: ProbeKind): ProbeSpec {
    return (
      (kind === 'startup'
        ? run.spec.startupProbe
        : kind === 'readiness'
          ? run.spec.readinessProbe
          : run.spec.livenessProbe) ?? {}
    );
  }

  private probeOnce(run: ContainerRun, kind: ProbeKind): void {
    const probe = this.probeSpec(run, kind);
    const periodMs = (probe.periodSeconds ?? 10) * 1000;
    const again = () => this.instanceStep(run, periodMs, () => this.probeOnce(run, kind));
    if (kind === 'startup' && run.startupPassed) return;
    if (kind !== 'startup' && !run.startupPassed) {
      again();
      return;
    }
    const counters = run.probe[kind];
    counters.attempts += 1;
    const behaviour: ProbeBehaviour = run.behaviour[kind] ?? {};
    const ranMs = this.timeline.now - run.startedAtMs;
    const ok =
      counters.attempts > (behaviour.failFirst ?? 0) &&
      (behaviour.failAfterMs === undefined || ranMs < behaviour.failAfterMs) &&
      behaviour.failWhen?.() !== true;
    if (ok) {
      counters.successes += 1;
      counters.failures = 0;
      if (kind === 'startup') {
        run.startupPassed = true;
        this.write();
        this.advance();
        return;
      }
      if (kind === 'readiness') {
        if (!run.readinessPassed && counters.successes >= (probe.successThreshold ?? 1)) {
          run.readinessPassed = true;
          if (!run.loggedReady) {
            run.loggedReady = true;
            const line = probeAccessLine(this.model.hostIP, probe, this.env.ctx.clock.now(), 200);
            if (line) this.log(run, [line]);
          }
          this.write();
        }
        // Healthy readiness never changes again; only a later failure needs more ticks.
        if (run.readinessPassed && behaviour.failAfterMs === undefined && behaviour.failWhen === undefined)
          return;
      }
      again();
      return;
    }
    counters.successes = 0;
    counters.failures += 1;
    this.event(
      'Warning',
      'Unhealthy',
      `${PROBE_NAMES[kind]} probe failed: ${behaviour.output ?? this.defaultProbeOutput(run, probe)}`,
      run,
    );
    const threshold = probe.failureThreshold ?? 3;
    if (kind === 'readiness') {
      if (run.readinessPassed && counters.failures >= threshold) {
        run.readinessPassed = false;
        this.write();
      }
      again();
      return;
    }
    if (counters.failures < threshold) {
      again();
      return;
    }
    this.event(
      'Normal',
      'Killing',
      `Container ${run.spec.name} failed ${kind} probe, will be restarted`,
      run,
    );
    this.stopContainer(run, this.spec.terminationGracePeriodSeconds ?? 30, () => undefined);
  }

  private defaultProbeOutput(run: ContainerRun, probe: ProbeSpec): string {
    const port = (value: number | string | undefined): number | string => {
      if (typeof value !== 'string') return value ?? 0;
      return run.spec.ports?.find((candidate) => candidate.name === value)?.containerPort ?? value;
    };
    if (probe.httpGet) return 'HTTP probe failed with statuscode: 503';
    if (probe.tcpSocket)
      return `dial tcp ${this.model.podIP ?? ''}:${port(probe.tcpSocket.port)}: connect: connection refused`;
    if (probe.grpc)
      return `timeout: failed to connect service "${this.model.podIP ?? ''}:${probe.grpc.port ?? 0}" within 1s`;
    return '';
  }

  /** Sends SIGTERM; the process exits after its own shutdown time or is killed at the grace period. */
  private stopContainer(run: ContainerRun, graceSeconds: number, stopped: () => void): void {
    if (!this.running(run)) {
      stopped();
      return;
    }
    run.stopping = true;
    const instance = run.instance;
    const grace = Math.max(graceSeconds, KILL_GRACE_MINIMUM_S) * 1000;
    const preStop = run.spec.lifecycle?.preStop;
    let hookMs = 0;
    if (preStop?.sleep?.seconds !== undefined) hookMs = preStop.sleep.seconds * 1000;
    else if (preStop?.exec?.command) {
      const match = /\bsleep\s+(\d+(?:\.\d+)?)/.exec(preStop.exec.command.join(' '));
      if (match) hookMs = Number(match[1]) * 1000;
    }
    const shutdownMs = hookMs + (run.behaviour.stopAfterMs ?? between(run.random, 100, 1500));
    const killed = shutdownMs > grace;
    const exitCode = killed ? 137 : (run.behaviour.stopExitCode ?? (run.random() < 0.6 ? 0 : 143));
    this.timeline.after(killed ? grace : shutdownMs, () => {
      if (this.detached || run.instance !== instance) return;
      if (run.kind !== 'init')
        this.log(run, killed ? [] : ['received SIGTERM, shutting down', 'shutdown complete']);
      run.stopping = false;
      this.exited(run, exitCode);
      stopped();
    });
  }

  /**
   * Stops every running container for good (app containers first, sidecars after them, as the
   * kubelet's termination ordering does; Killing events go out at once for all), then reports the
   * terminal phase. A deletion then tears the sandbox down and deletes the pod; otherwise the
   * sandbox goes a moment later and the finished pod stays.
   */
  private stopAll(graceSeconds: number): void {
    this.stoppingAll = true;
    this.busy = false;
    const active = this.runs.filter((run) => this.running(run));
    for (const run of active) this.event('Normal', 'Killing', `Stopping container ${run.spec.name}`, run);
    const first = active.filter((run) => run.kind !== 'sidecar');
    const sidecars = active.filter((run) => run.kind === 'sidecar').reverse();
    const stopGroup = (group: readonly ContainerRun[], next: () => void) => {
      let left = group.length;
      if (left === 0) {
        next();
        return;
      }
      for (const run of group) {
        this.stopContainer(run, graceSeconds, () => {
          left -= 1;
          if (left === 0) next();
        });
      }
    };
    stopGroup(first, () => stopGroup(sidecars, () => this.stopped()));
  }

  private stopped(): void {
    this.model.terminal = true;
    if (this.deletionRequested) {
      this.teardownAndRemove();
      return;
    }
    this.write();
    this.step(between(this.random, 100, 500), () => {
      this.model.sandboxReady = false;
      this.releaseIP();
      this.write();
      if (this.deletionRequested) this.step(between(this.random, 50, 300), () => this.remove());
    });
  }

  private teardownAndRemove(): void {
    this.model.sandboxReady = false;
    this.releaseIP();
    this.write();
    this.step(between(this.random, 50, 300), () => this.remove());
  }

  /** Run-to-completion pod finished (or init failed with restartPolicy Never): stop sidecars, report the terminal phase. */
  private finish(): void {
    if (this.model.terminal || this.stoppingAll) return;
    this.stopAll(this.spec.terminationGracePeriodSeconds ?? 30);
  }

  /**
   * Eviction or active deadline: stop everything and report phase Failed with the reason. Hard
   * evictions kill with grace period 0 (raised to the 2 s minimum), deadlines with the pod's.
   */
  private fail(reason: string, message: string, disruption: boolean): void {
    if (this.stoppingAll || this.model.terminal) return;
    this.event('Warning', reason, message);
    this.model.failure = { reason, message };
    if (disruption) {
      this.disruption = {
        type: 'DisruptionTarget',
        status: 'True',
        lastProbeTime: null,
        lastTransitionTime: kubeTime(this.env.ctx.clock.now()),
        reason: 'TerminationByKubelet',
        message,
      };
    }
    this.write();
    this.stopAll(disruption ? 0 : (this.spec.terminationGracePeriodSeconds ?? 30));
  }

  /** The kubelet's final delete once every container stopped. */
  private remove(): void {
    if (this.detached) return;
    const namespace = this.pod.metadata.namespace ?? '';
    const name = this.pod.metadata.name ?? '';
    try {
      this.env.ctx.store.delete(R.pod, namespace, name, {
        gracePeriodSeconds: 0,
        preconditions: { uid: this.uid },
      });
    } catch {
      // Already gone, or replaced by a new pod of the same name.
    }
    this.detach();
  }

  private releaseIP(): void {
    if (this.ipReleased || !this.model.podIP || this.spec.hostNetwork) return;
    this.ipReleased = true;
    this.env.runtime.releaseIP(this.model.podIP);
  }
}
