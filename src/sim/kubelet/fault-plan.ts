import type { KubeObject } from '../api/kube-object.ts';
import type { ContainerSpec } from './kube-shapes.ts';

/**
 * The fault-injection seam of the simulated kubelet. Every decision that could go wrong on a real
 * node asks the plan first; an undefined answer (or an undefined field) means the healthy default.
 * Each input carries a seeded random stream private to that pod, container instance or pull, so a
 * plan that draws from it gives the same outcomes for the same seed whatever else runs.
 */
export interface FaultPlan {
  /** Asked once when a pod starts on a node. */
  pod?(input: PodFaultInput): PodBehaviour | undefined;
  /** Asked once per container instance: the first start and every restart. */
  container?(input: ContainerFaultInput): ContainerBehaviour | undefined;
  /** Asked once per image pull attempt (pulls of images already present are not attempts). */
  pull?(input: PullFaultInput): PullBehaviour | undefined;
}

/** The healthy plan: every pod initializes, becomes ready and stops cleanly. */
export const HEALTHY_PLAN: FaultPlan = Object.freeze({});

export interface PodFaultInput {
  readonly pod: KubeObject;
  readonly nodeName: string;
  readonly random: () => number;
}

export interface ContainerFaultInput {
  readonly pod: KubeObject;
  readonly container: ContainerSpec;
  readonly kind: 'init' | 'sidecar' | 'app';
  readonly nodeName: string;
  /** Restarts before this instance (0 for the first start). */
  readonly restartCount: number;
  readonly random: () => number;
}

export interface PullFaultInput {
  readonly pod: KubeObject;
  readonly container: ContainerSpec;
  readonly nodeName: string;
  /** The image as the pod spec names it. */
  readonly image: string;
  /** 1 for the first pull of this container's image in this pod, then 2, 3… after failures. */
  readonly attempt: number;
  readonly random: () => number;
}

export interface PodBehaviour {
  /** Sandbox (network) setup time in simulated ms; default 0.3–1.2 s. */
  sandboxMs?: number;
  /** Evicts the pod after this long on the node: phase Failed, reason Evicted. */
  evictAfterMs?: number;
  /** Eviction message; default a memory-pressure one. */
  evictionMessage?: string;
}

export interface PullBehaviour {
  /** Pull time in simulated ms; default 0.5–3 s. */
  durationMs?: number;
  /** Fails the pull with this error text: ErrImagePull, then ImagePullBackOff (10 s doubling to 5 min). */
  error?: string;
}

/** How one probe of one container instance answers. */
export interface ProbeBehaviour {
  /** Attempts that fail before the first success; Infinity never succeeds. */
  failFirst?: number;
  /** Every attempt fails once the container has run this many simulated ms. */
  failAfterMs?: number;
  /** Asked at every attempt: true fails it (faults that depend on what else runs, e.g. a helm test). */
  failWhen?: () => boolean;
  /** The failure output in the Unhealthy event; default by probe kind (e.g. "HTTP probe failed with statuscode: 503"). */
  output?: string;
}

/** How one container instance behaves. */
export interface ContainerBehaviour {
  /**
   * Simulated ms until the process exits by itself; null runs until stopped. Default: containers
   * of pods that run to completion (restartPolicy Never/OnFailure, and ordinary init containers)
   * exit 0 after 0.5–4 s; others run until stopped.
   */
  exitAfterMs?: number | null;
  /** Exit code of that exit; default 0. Non-zero gives reason Error and, per restartPolicy, a restart with back-off. */
  exitCode?: number;
  /** Terminated reason override, e.g. "OOMKilled" (use exitCode 137). */
  exitReason?: string;
  /** Terminated message, as from a termination-log. */
  exitMessage?: string;
  startup?: ProbeBehaviour;
  readiness?: ProbeBehaviour;
  liveness?: ProbeBehaviour;
  /** Simulated ms from SIGTERM to exit; Infinity ignores SIGTERM (SIGKILL at the grace period, exit 137). Default 0.1–1.5 s. */
  stopAfterMs?: number;
  /** Exit code after SIGTERM; default 0 or 143, drawn per container. */
  stopExitCode?: number;
  /** Fails creation instead of starting, e.g. { reason: "CreateContainerConfigError", message: 'secret "x" not found' }; retried every 10 s. */
  createError?: { reason: string; message: string };
  /** Extra log lines written right after the start. */
  logLines?: string[];
}

/** containerd's error text for a tag that does not exist, as the kubelet passes it on. */
export function imageNotFoundError(normalizedImage: string): string {
  return `failed to pull and unpack image "${normalizedImage}": failed to resolve reference "${normalizedImage}": ${normalizedImage}: not found`;
}
