import type { HelmCommandOutput } from './helm-error.ts';

/** Which chart to install: a local path, or repo/chart (optionally with a repository URL) at a version. */
export interface ChartRef {
  /** A directory or .tgz path, "repo/chart", or "oci://…". */
  chart: string;
  version?: string;
  /** --repo URL for a chart name that is not in a configured repository. */
  repoUrl?: string;
}

/** One `helm install`. */
export interface InstallRequest extends ChartRef {
  release: string;
  namespace: string;
  valuesFiles: readonly string[];
  /** --set key=value pairs, passed one flag each. */
  set: readonly string[];
  /** helm's own --timeout for hooks; readiness is awaited by kubesoak, not by helm. */
  timeoutMs: number;
}

/** The detected helm binary. */
export interface HelmVersion {
  major: number;
  /** As `helm version --short` prints it, e.g. v4.1.4+g05fa379. */
  text: string;
}

/**
 * Everything kubesoak asks of helm. The production adapter is HelmCli (the real binary); each call
 * takes an AbortSignal that kills the process group. Failures throw HelmError with the output.
 */
export interface HelmDriver {
  version(signal: AbortSignal): Promise<HelmVersion>;
  install(request: InstallRequest, signal: AbortSignal): Promise<HelmCommandOutput>;
  /** `helm test --logs`; the caller deletes stale test pods first. */
  test(
    release: string,
    namespace: string,
    timeoutMs: number,
    signal: AbortSignal,
  ): Promise<HelmCommandOutput>;
  /** `helm uninstall --wait`. */
  uninstall(
    release: string,
    namespace: string,
    timeoutMs: number,
    signal: AbortSignal,
  ): Promise<HelmCommandOutput>;
  status(release: string, namespace: string, signal: AbortSignal): Promise<HelmCommandOutput>;
  /** The rendered manifest of the release (`helm get manifest`). */
  getManifest(release: string, namespace: string, signal: AbortSignal): Promise<string>;
}
