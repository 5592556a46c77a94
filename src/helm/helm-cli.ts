import type { ChartRef, HelmDriver, HelmVersion, InstallRequest } from './helm-driver.ts';
import { HelmError, HelmErrorKind, classifyHelmOutput } from './helm-error.ts';
import type { HelmCommandOutput } from './helm-error.ts';
import { runProcess } from './run-process.ts';

/** Options of {@link HelmCli}. */
export interface HelmCliOptions {
  /** The helm binary; default "helm" on PATH. */
  binary?: string;
  kubeconfig?: string;
  kubeContext?: string;
  /** Extra environment (HELM_CACHE_HOME…); merged over process.env. */
  env?: NodeJS.ProcessEnv;
  /** Cap per output stream. Default 256 KiB. */
  maxOutputBytes?: number;
}

/** helm's --timeout takes a Go duration; whole seconds are enough and avoid "0s" (no wait). */
function goDuration(ms: number): string {
  return `${Math.max(1, Math.ceil(ms / 1000))}s`;
}

/**
 * HelmDriver over the real helm CLI (3 or 4). The only place kubesoak starts helm processes: argv
 * arrays only, output captured and capped, exits mapped to HelmError kinds. The major version is
 * detected once, because helm 4 changed --wait into a strategy flag.
 */
export class HelmCli implements HelmDriver {
  readonly binary: string;
  private readonly options: HelmCliOptions;
  private detected: Promise<HelmVersion> | undefined;

  constructor(options: HelmCliOptions = {}) {
    this.binary = options.binary ?? 'helm';
    this.options = options;
  }

  version(signal: AbortSignal): Promise<HelmVersion> {
    this.detected ??= this.run(['version', '--short'], signal, false).then((output) => {
      const text = output.stdout.trim();
      const match = /^v(\d+)\./.exec(text);
      if (!match)
        throw new HelmError(HelmErrorKind.failed, `cannot read the helm version from "${text}"`, { output });
      return { major: Number(match[1]), text };
    });
    // A failed detection (e.g. aborted) must not stick.
    this.detected.catch(() => (this.detected = undefined));
    return this.detected;
  }

  async install(request: InstallRequest, signal: AbortSignal): Promise<HelmCommandOutput> {
    await this.version(signal);
    const args = ['install', request.release, ...chartArgs(request), '--namespace', request.namespace];
    for (const file of request.valuesFiles) args.push('--values', file);
    for (const pair of request.set) args.push('--set', pair);
    // No --wait: kubesoak awaits readiness itself, with reasons. Neither helm waits without it.
    args.push('--timeout', goDuration(request.timeoutMs));
    return this.run(args, signal);
  }

  async test(
    release: string,
    namespace: string,
    timeoutMs: number,
    signal: AbortSignal,
  ): Promise<HelmCommandOutput> {
    return this.run(
      ['test', release, '--namespace', namespace, '--logs', '--timeout', goDuration(timeoutMs)],
      signal,
    );
  }

  async uninstall(
    release: string,
    namespace: string,
    timeoutMs: number,
    signal: AbortSignal,
  ): Promise<HelmCommandOutput> {
    const { major } = await this.version(signal);
    const wait = major >= 4 ? '--wait=watcher' : '--wait';
    return this.run(
      ['uninstall', release, '--namespace', namespace, wait, '--timeout', goDuration(timeoutMs)],
      signal,
    );
  }

  status(release: string, namespace: string, signal: AbortSignal): Promise<HelmCommandOutput> {
    return this.run(['status', release, '--namespace', namespace], signal);
  }

  async getManifest(release: string, namespace: string, signal: AbortSignal): Promise<string> {
    return (await this.run(['get', 'manifest', release, '--namespace', namespace], signal)).stdout;
  }

  private async run(args: string[], signal: AbortSignal, kube = true): Promise<HelmCommandOutput> {
    const argv = [...args];
    if (kube && this.options.kubeconfig) argv.push('--kubeconfig', this.options.kubeconfig);
    if (kube && this.options.kubeContext) argv.push('--kube-context', this.options.kubeContext);
    let result;
    try {
      result = await runProcess(this.binary, argv, {
        signal,
        env: { ...process.env, ...this.options.env },
        ...(this.options.maxOutputBytes === undefined ? {} : { maxOutputBytes: this.options.maxOutputBytes }),
      });
    } catch (error) {
      throw new HelmError(HelmErrorKind.binaryMissing, `cannot run helm binary "${this.binary}"`, {
        cause: error,
        hint: 'install helm or pass --helm PATH (`kubesoak tools` fetches one)',
      });
    }
    const output: HelmCommandOutput = {
      argv: [this.binary, ...argv],
      exitCode: result.exitCode,
      signal: result.signal,
      stdout: result.stdout,
      stderr: result.stderr,
      truncated: result.truncated,
      durationMs: result.durationMs,
    };
    if (result.aborted)
      throw new HelmError(HelmErrorKind.aborted, `helm ${args[0] ?? ''} was cancelled`, { output });
    if (result.exitCode !== 0) {
      // stderr carries helm's own error; stdout may hold test pod logs that mention anything.
      const fromStderr = classifyHelmOutput(result.stderr);
      const kind = fromStderr === HelmErrorKind.failed ? classifyHelmOutput(result.stdout) : fromStderr;
      const firstLine =
        result.stderr
          .trim()
          .split('\n')
          .find((line) => line.startsWith('Error')) ?? result.stderr.trim().split('\n')[0];
      throw new HelmError(
        kind,
        `helm ${args[0] ?? ''} failed: ${firstLine ?? `exit ${String(result.exitCode)}`}`,
        {
          output,
        },
      );
    }
    return output;
  }
}

function chartArgs(ref: ChartRef): string[] {
  const args = [ref.chart];
  if (ref.version) args.push('--version', ref.version);
  if (ref.repoUrl) args.push('--repo', ref.repoUrl);
  return args;
}
