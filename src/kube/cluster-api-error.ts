import { KubesoakError } from '../errors/kubesoak-error.ts';

/**
 * A failed Kubernetes API call. `status` is the HTTP status (undefined when no response came:
 * connection refused, reset, timeout) and `reason` the Status reason (NotFound, Conflict, Expired…).
 * Retrying helps for transport failures, 429, 5xx and 409 Conflict; not for 4xx validation errors.
 */
export class ClusterApiError extends KubesoakError {
  readonly status: number | undefined;
  readonly reason: string | undefined;

  constructor(message: string, options: { status?: number; reason?: string; cause?: unknown } = {}) {
    const status = options.status;
    const retryable = status === undefined || status === 409 || status === 429 || status >= 500;
    super(status === undefined ? 'api-unreachable' : `api-${status}`, message, {
      retryable,
      cause: options.cause,
      hint:
        status === undefined
          ? 'check the kubeconfig server address and that the API server is up'
          : undefined,
    });
    this.status = status;
    this.reason = options.reason;
  }
}
