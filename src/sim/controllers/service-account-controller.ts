import { ApiError } from '../api/api-error.ts';
import { R } from '../resources.ts';
import type { StoreEvent } from '../store/object-store.ts';
import { createObject } from './object-create.ts';
import { QueueController } from './queue-controller.ts';

const DEFAULT_ACCOUNT = 'default';

/**
 * The service-account controller: every active namespace gets (and keeps) a ServiceAccount named
 * "default", without token secrets as since Kubernetes 1.24. Pods cannot be admitted before it
 * exists, so workloads in a brand-new namespace briefly report FailedCreate, as on a real cluster.
 */
export class ServiceAccountController extends QueueController {
  protected initialKeys(): Iterable<string> {
    return this.cache.list(R.namespace).map((ns) => ns.metadata.name ?? '');
  }

  protected onEvent(event: StoreEvent): void {
    const { resource, object } = event;
    if (resource === R.namespace && event.type !== 'DELETED') this.enqueue(object.metadata.name ?? '');
    else if (
      resource === R.serviceAccount &&
      event.type === 'DELETED' &&
      object.metadata.name === DEFAULT_ACCOUNT
    ) {
      this.enqueue(object.metadata.namespace ?? '');
    }
  }

  protected reconcile(namespace: string): void {
    const ns = this.cache.get(R.namespace, undefined, namespace);
    if (!ns || ns.metadata.deletionTimestamp) return;
    if (this.cache.get(R.serviceAccount, namespace, DEFAULT_ACCOUNT)) return;
    try {
      createObject(
        this.ctx,
        R.serviceAccount,
        { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: DEFAULT_ACCOUNT, namespace } },
        Math.random,
      );
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
