import type { ClusterClient } from '../kube/cluster-client.ts';
import type { ManifestObject } from '../helm/release-manifest.ts';

/** What to await: the release's namespace and the objects its manifest created. */
export interface ReadinessTarget {
  namespace: string;
  release: string;
  workloads: readonly ManifestObject[];
}

/** How awaiting ended. `reason` is a short machine word (timeout, crash-loop, image-pull…). */
export interface ReadinessOutcome {
  ready: boolean;
  reason?: string;
  message?: string;
}

/**
 * The await-ready seam. The default is the watch-based awaitReady of src/await/ (watch-ready.ts);
 * injected so that tests and other strategies can replace it without touching the steps.
 */
export type AwaitReadyFunction = (
  client: ClusterClient,
  target: ReadinessTarget,
  options: { timeoutMs: number },
  signal: AbortSignal,
) => Promise<ReadinessOutcome>;
