import type { Logger } from '../log/create-logger.ts';
import type { ClusterClient } from '../kube/cluster-client.ts';
import type { HelmDriver } from '../helm/helm-driver.ts';
import type { HelmCommandOutput } from '../helm/helm-error.ts';
import type { ManifestObject } from '../helm/release-manifest.ts';
import type { MonotonicClock } from './monotonic-clock.ts';

/** Who this iteration is: the names every step works on. */
export interface IterationIdentity {
  run: string;
  iteration: number;
  attempt: number;
  namespace: string;
  release: string;
}

/** What steps learn and later steps (and the diagnosis) read. Mutated only by steps. */
export interface IterationState {
  /** True once this iteration created its namespace; cleanup deletes only what it created. */
  namespaceCreated: boolean;
  installed: boolean;
  manifest: ManifestObject[];
  /** Every helm command run, in order, output included (masked before it is reported). */
  helmCommands: HelmCommandOutput[];
  /** Restart counts per "pod/container" when the release became ready. */
  restartsAtReady: Record<string, number> | undefined;
  /** Facts a step wants in the result, e.g. leftovers after uninstall. */
  notes: StepNote[];
}

/** A finding recorded by a step: info (reported) or a problem that fails the step. */
export interface StepNote {
  step: string;
  level: 'info' | 'problem';
  message: string;
  objects?: string[];
}

/** What a step receives. */
export interface StepContext {
  /** Aborted on cancel or step timeout; every call the step makes must take it. */
  signal: AbortSignal;
  logger: Logger;
  clock: MonotonicClock;
  client: ClusterClient;
  helm: HelmDriver;
  identity: IterationIdentity;
  state: IterationState;
}

/** How a step ended when it did not throw. */
export interface StepResult {
  status: 'ok' | 'failed';
  /** Why it failed, in a few words (e.g. "readiness timed out"). */
  message?: string;
  /** A machine-readable reason for the classifier (e.g. "restarted-during-test"). */
  reason?: string;
}

/**
 * One unit of an iteration. `run` returns a result or throws (HelmError, ClusterApiError…); either
 * way the runner records it. `cleanup` steps run after the main ones, last-in-first-out, always.
 */
export interface Step {
  readonly name: string;
  readonly phase: 'main' | 'cleanup';
  readonly timeoutMs: number;
  run(context: StepContext): Promise<StepResult>;
}
