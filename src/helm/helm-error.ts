import { KubesoakError } from '../errors/kubesoak-error.ts';

/** Why a helm command failed, derived from its exit and the known texts helm prints. */
export const HelmErrorKind = {
  /** The helm binary could not be started (missing, not executable). */
  binaryMissing: 'binary-missing',
  /** helm could not reach the API server ("connection refused", "no such host", "i/o timeout"). */
  connectionRefused: 'connection-refused',
  /** The connection broke mid-operation ("transport is closing", "connection reset", "EOF"). */
  transportClosing: 'transport-closing',
  /**
   * The API server answered with a server-side error (5xx, 429): "the server is currently unable to
   * handle the request", "Internal error occurred", "etcdserver: request timed out". The cluster's
   * control plane failed, not the chart.
   */
  serverError: 'server-error',
  /** helm gave up waiting ("timed out waiting for the condition", "context deadline exceeded"). */
  timedOut: 'timed-out',
  /** The release name is taken ("cannot re-use a name that is still in use"). */
  nameInUse: 'name-in-use',
  /** The chart does not render or the API rejected it ("rendered manifests contain an error", parse errors). */
  renderError: 'render-error',
  /** The chart reference does not resolve ("no such chart", "path ... not found", "failed to download"). */
  chartNotFound: 'chart-not-found',
  /** The release does not exist ("release: not found"). */
  releaseNotFound: 'release-not-found',
  /** A helm test pod failed ("pod ... failed", phase Failed). */
  testFailed: 'test-failed',
  /** We killed helm: the caller's signal was aborted. */
  aborted: 'aborted',
  /** Any other non-zero exit. */
  failed: 'failed',
} as const;
export type HelmErrorKind = (typeof HelmErrorKind)[keyof typeof HelmErrorKind];

/** What one helm invocation did: its argv (never a shell string), exit and captured output. */
export interface HelmCommandOutput {
  argv: string[];
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  /** True when stdout or stderr hit the size cap and lost their middle. */
  truncated: boolean;
  durationMs: number;
}

const RETRYABLE: ReadonlySet<HelmErrorKind> = new Set([
  HelmErrorKind.serverError,
  HelmErrorKind.connectionRefused,
  HelmErrorKind.transportClosing,
  HelmErrorKind.timedOut,
]);

/**
 * A failed helm command. `code` is `helm-<kind>`; `retryable` is true for transport failures and
 * timeouts, false for rejections that would fail the same way again.
 */
export class HelmError extends KubesoakError {
  readonly kind: HelmErrorKind;
  readonly output: HelmCommandOutput | undefined;

  constructor(
    kind: HelmErrorKind,
    message: string,
    options: { output?: HelmCommandOutput; cause?: unknown; hint?: string } = {},
  ) {
    super(`helm-${kind}`, message, {
      retryable: RETRYABLE.has(kind),
      cause: options.cause,
      hint: options.hint,
    });
    this.kind = kind;
    this.output = options.output;
  }
}

/** Known texts, most specific first: a timeout message can also mention the failed pod. */
const PATTERNS: ReadonlyArray<readonly [RegExp, HelmErrorKind]> = [
  [/cannot re-use a name that is still in use/i, HelmErrorKind.nameInUse],
  [
    /the server is currently unable to handle the request|Internal error occurred|the server has received too many requests|etcdserver: |an error on the server|\((?:InternalError|ServiceUnavailable|TooManyRequests)\)/i,
    HelmErrorKind.serverError,
  ],
  [
    /rendered manifests contain an error|parse error|error converting YAML|unable to build kubernetes objects|execution error at|template: /i,
    HelmErrorKind.renderError,
  ],
  [
    /no such chart|path ".*" not found|chart ".*" not found|failed to download|repo .* not found|no chart version found|not a valid chart repository/i,
    HelmErrorKind.chartNotFound,
  ],
  [/resource Pod\/\S+ not ready\. status: Failed|pod \S+ failed|phase "Failed"/i, HelmErrorKind.testFailed],
  [
    /connection refused|no such host|dial tcp|i\/o timeout|Kubernetes cluster unreachable/i,
    HelmErrorKind.connectionRefused,
  ],
  [
    /transport is closing|connection reset by peer|unexpected EOF|http2: client connection lost|broken pipe/i,
    HelmErrorKind.transportClosing,
  ],
  [/timed out waiting|context deadline exceeded|timeout waiting/i, HelmErrorKind.timedOut],
  [/release: not found|release not found/i, HelmErrorKind.releaseNotFound],
];

/** Maps a finished helm command's output to an error kind; "failed" when no known text matches. */
export function classifyHelmOutput(text: string): HelmErrorKind {
  for (const [pattern, kind] of PATTERNS) if (pattern.test(text)) return kind;
  return HelmErrorKind.failed;
}
