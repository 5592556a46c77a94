import { ApiError } from './api-error.ts';
import type { KubeObject } from './kube-object.ts';
import type { ResourceType } from './resource-types.ts';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/** Kinds whose names must be DNS labels rather than subdomains. */
const LABEL_NAMED = new Set(['Namespace']);
const DNS1035_NAMED = new Set(['Service']);

/**
 * The validation real clients most often trip over: object names (with the real messages) and a
 * few required fields. Anything beyond that a real server would also refuse is out of scope.
 */
export function validateObject(resource: ResourceType, object: KubeObject): void {
  const name = object.metadata.name ?? '';
  const causes: Array<{ field: string; message: string }> = [];
  if (name !== '') {
    if (DNS1035_NAMED.has(resource.kind)) {
      if (!DNS1035_LABEL.test(name) || name.length > 63) {
        causes.push({
          field: 'metadata.name',
          message: `Invalid value: "${name}": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`,
        });
      }
    } else if (LABEL_NAMED.has(resource.kind)) {
      if (!DNS1123_LABEL.test(name) || name.length > 63) {
        causes.push({
          field: 'metadata.name',
          message: `Invalid value: "${name}": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
        });
      }
    } else if (resource.kind !== 'Event' && (!DNS1123_SUBDOMAIN.test(name) || name.length > 253)) {
      causes.push({
        field: 'metadata.name',
        message: `Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
      });
    }
  }
  if (resource.kind === 'Pod') {
    const containers = (object.spec as { containers?: unknown[] } | undefined)?.containers;
    if (!Array.isArray(containers) || containers.length === 0) {
      causes.push({ field: 'spec.containers', message: 'Required value' });
    }
  }
  if (causes.length > 0) throw ApiError.invalid(resource.kind, name, causes, resource.group);
}
