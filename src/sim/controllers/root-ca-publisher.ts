import { ApiError } from '../api/api-error.ts';
import type { KubeObject } from '../api/kube-object.ts';
import { R } from '../resources.ts';
import type { SimContext } from '../sim-context.ts';
import type { StoreEvent } from '../store/object-store.ts';
import { createObject } from './object-create.ts';
import type { ControllerOptions } from './queue-controller.ts';
import { QueueController } from './queue-controller.ts';

const CONFIG_MAP = 'kube-root-ca.crt';
const DESCRIPTION_ANNOTATION = 'kubernetes.io/description';
const DESCRIPTION =
  'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.';

/**
 * A self-signed CA certificate (public part only, key discarded) so the bundle parses as a real
 * one; the control plane passes the simulated API server's own CA when it has one.
 */
export const PLACEHOLDER_CA_BUNDLE = `-----BEGIN CERTIFICATE-----
MIIBkjCCATegAwIBAgIUF+j61GzEOM+XIOiVzgkECR4BH5wwCgYIKoZIzj0EAwIw
FTETMBEGA1UEAwwKa3ViZXJuZXRlczAgFw0yNjExMjUwMzAzMTlaGA8yMTI2MTEw
MTAzMDMxOVowFTETMBEGA1UEAwwKa3ViZXJuZXRlczBZMBMGByqGSM49AgEGCCqG
SM49AwEHA0IABASIKtjOXVSZHLdqmxWHQ1Eojvo/o9s1yUHBqdZs0BhMMLTs4P2U
paXWLhlY1JYvFCad1dcliM8FJJEEvCyxLh6jYzBhMB0GA1UdDgQWBBS6ASqqc1Pw
M5ODXyMOtBjIT6XuiTAfBgNVHSMEGDAWgBS6ASqqc1PwM5ODXyMOtBjIT6XuiTAP
BgNVHRMBAf8EBTADAQH/MA4GA1UdDwEB/wQEAwICpDAKBggqhkjOPQQDAgNJADBG
AiEAgWe2fhKktChMRTMcZjRXlpBQaDWsZeb2/e/cVqlGzBUCIQDgt0TZZmTfnzop
mNYVUZGcCQIGZ/SmamEWtGuPS5ijzw==
-----END CERTIFICATE-----
`;

/** Options of {@link RootCaPublisher}. */
export interface RootCaPublisherOptions extends ControllerOptions {
  /** PEM bundle published as `ca.crt`. */
  caBundle?: string;
}

/**
 * The root-ca-cert-publisher: a ConfigMap kube-root-ca.crt (`ca.crt` plus the description
 * annotation) in every active namespace, recreated when deleted and restored when edited. Pods'
 * projected service-account volumes read it.
 */
export class RootCaPublisher extends QueueController {
  private readonly caBundle: string;

  constructor(ctx: SimContext, options: RootCaPublisherOptions = {}) {
    super(ctx, options);
    this.caBundle = options.caBundle ?? PLACEHOLDER_CA_BUNDLE;
  }

  protected initialKeys(): Iterable<string> {
    return this.cache.list(R.namespace).map((ns) => ns.metadata.name ?? '');
  }

  protected onEvent(event: StoreEvent): void {
    const { resource, object } = event;
    if (resource === R.namespace && event.type !== 'DELETED') this.enqueue(object.metadata.name ?? '');
    else if (resource === R.configMap && object.metadata.name === CONFIG_MAP && event.type !== 'ADDED') {
      this.enqueue(object.metadata.namespace ?? '');
    }
  }

  protected reconcile(namespace: string): void {
    const ns = this.cache.get(R.namespace, undefined, namespace);
    if (!ns || ns.metadata.deletionTimestamp) return;
    const existing = this.cache.get(R.configMap, namespace, CONFIG_MAP);
    const data = { 'ca.crt': this.caBundle };
    try {
      if (!existing) {
        const configMap: KubeObject = {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: CONFIG_MAP, namespace, annotations: { [DESCRIPTION_ANNOTATION]: DESCRIPTION } },
          data,
        };
        createObject(this.ctx, R.configMap, configMap, Math.random);
        return;
      }
      const current = existing.data as Record<string, string> | undefined;
      const sameData =
        current !== undefined && Object.keys(current).length === 1 && current['ca.crt'] === this.caBundle;
      if (sameData && existing.metadata.annotations?.[DESCRIPTION_ANNOTATION] === DESCRIPTION) return;
      const copy = structuredClone(existing);
      copy.data = data;
      copy.metadata.annotations = {
        ...(copy.metadata.annotations ?? {}),
        [DESCRIPTION_ANNOTATION]: DESCRIPTION,
      };
      this.ctx.store.update(R.configMap, copy);
    } catch (error) {
      if (
        error instanceof ApiError &&
        (error.reason === 'AlreadyExists' || error.code === 403 || error.code === 404)
      )
        return;
      throw error;
    }
  }
}
