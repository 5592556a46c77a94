/** Kubernetes Status reasons the simulated server uses (metav1.StatusReason). */
export const StatusReason = {
  NotFound: 'NotFound',
  AlreadyExists: 'AlreadyExists',
  Conflict: 'Conflict',
  Invalid: 'Invalid',
  BadRequest: 'BadRequest',
  Forbidden: 'Forbidden',
  MethodNotAllowed: 'MethodNotAllowed',
  Gone: 'Gone',
  Expired: 'Expired',
  UnsupportedMediaType: 'UnsupportedMediaType',
  NotAcceptable: 'NotAcceptable',
  InternalError: 'InternalError',
  ServiceUnavailable: 'ServiceUnavailable',
  Timeout: 'Timeout',
} as const;
export type StatusReason = (typeof StatusReason)[keyof typeof StatusReason];

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: Array<{ reason?: string; message?: string; field?: string }>;
  retryAfterSeconds?: number;
}

/** An error the API server answers with a Status object, as real servers do. */
export class ApiError extends Error {
  readonly code: number;
  readonly reason: StatusReason;
  readonly details: StatusDetails | undefined;

  constructor(code: number, reason: StatusReason, message: string, details?: StatusDetails) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.reason = reason;
    this.details = details;
  }

  /** The metav1.Status body. */
  toStatus(): Record<string, unknown> {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    };
  }

  static notFound(resource: string, name: string, group = ''): ApiError {
    const qualified = group ? `${resource}.${group}` : resource;
    return new ApiError(404, StatusReason.NotFound, `${qualified} "${name}" not found`, {
      name,
      group,
      kind: resource,
    });
  }

  static alreadyExists(resource: string, name: string, group = ''): ApiError {
    const qualified = group ? `${resource}.${group}` : resource;
    return new ApiError(409, StatusReason.AlreadyExists, `${qualified} "${name}" already exists`, {
      name,
      group,
      kind: resource,
    });
  }

  static conflict(resource: string, name: string, group = ''): ApiError {
    const qualified = group ? `${resource}.${group}` : resource;
    return new ApiError(
      409,
      StatusReason.Conflict,
      `Operation cannot be fulfilled on ${qualified} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
      { name, group, kind: resource },
    );
  }

  static invalid(
    kind: string,
    name: string,
    causes: Array<{ field: string; message: string }>,
    group = '',
  ): ApiError {
    const qualifiedKind = group ? `${kind}.${group}` : kind;
    const text = causes.map((cause) => `${cause.field}: ${cause.message}`).join(', ');
    return new ApiError(422, StatusReason.Invalid, `${qualifiedKind} "${name}" is invalid: ${text}`, {
      name,
      group,
      kind,
      causes: causes.map((cause) => ({
        reason: 'FieldValueInvalid',
        message: cause.message,
        field: cause.field,
      })),
    });
  }

  static badRequest(message: string): ApiError {
    return new ApiError(400, StatusReason.BadRequest, message);
  }

  static namespaceTerminating(resource: string, name: string, namespace: string, group = ''): ApiError {
    const qualified = group ? `${resource}.${group}` : resource;
    return new ApiError(
      403,
      StatusReason.Forbidden,
      `${qualified} "${name}" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`,
      {
        name,
        group,
        kind: resource,
        causes: [
          {
            reason: 'NamespaceTerminating',
            message: `namespace ${namespace} is being terminated`,
            field: 'metadata.namespace',
          },
        ],
      },
    );
  }

  static expired(requested: string, oldest: number): ApiError {
    return new ApiError(410, StatusReason.Expired, `too old resource version: ${requested} (${oldest})`);
  }

  static methodNotAllowed(message: string): ApiError {
    return new ApiError(405, StatusReason.MethodNotAllowed, message);
  }
}
