import type { SimComponent, SimContext } from '../sim-context.ts';
import { DaemonSetController } from './daemon-set-controller.ts';
import { DeploymentController } from './deployment-controller.ts';
import { EndpointsController } from './endpoints-controller.ts';
import { GarbageCollector } from './garbage-collector.ts';
import { JobController } from './job-controller.ts';
import { NamespaceController } from './namespace-controller.ts';
import { ObjectCache } from './object-cache.ts';
import { PvcBinder } from './pvc-binder.ts';
import { PvcProtectionController } from './pvc-protection-controller.ts';
import { ReplicaSetController } from './replica-set-controller.ts';
import { RootCaPublisher } from './root-ca-publisher.ts';
import { ServiceAccountController } from './service-account-controller.ts';
import { StatefulSetController } from './stateful-set-controller.ts';

/** Options of {@link startControlPlane}. */
export interface ControlPlaneOptions {
  /** PEM CA bundle published in every namespace's kube-root-ca.crt (a placeholder by default). */
  caBundle?: string;
}

/**
 * Starts the simulated kube-controller-manager: namespace, service-account and root-CA publisher,
 * garbage collector, deployment, replicaset, statefulset, daemonset, job (with TTL-after-finished),
 * endpoints, PVC binding and PVC protection, all sharing one informer cache. CronJobs are stored
 * and served but never run: no controller creates their Jobs, so their status stays empty, as a
 * real CronJob's is before its first schedule. The returned component's stop() stops them all and
 * is idempotent; start() starts them again after a stop.
 */
export function startControlPlane(ctx: SimContext, options: ControlPlaneOptions = {}): SimComponent {
  const cache = new ObjectCache(ctx.store);
  const shared = { cache };
  const components: SimComponent[] = [
    new NamespaceController(ctx, shared),
    new ServiceAccountController(ctx, shared),
    new RootCaPublisher(ctx, {
      ...shared,
      ...(options.caBundle !== undefined ? { caBundle: options.caBundle } : {}),
    }),
    new GarbageCollector(ctx, shared),
    new DeploymentController(ctx, shared),
    new ReplicaSetController(ctx, shared),
    new StatefulSetController(ctx, shared),
    new DaemonSetController(ctx, shared),
    new JobController(ctx, shared),
    new EndpointsController(ctx, shared),
    new PvcBinder(ctx, shared),
    new PvcProtectionController(ctx, shared),
  ];
  let running = false;
  const controlPlane: SimComponent = {
    start() {
      if (running) return;
      running = true;
      // Held across the components' own start/stop so the cache is filled once, not per controller.
      cache.acquire();
      for (const component of components) component.start();
    },
    stop() {
      if (!running) return;
      running = false;
      for (const component of [...components].reverse()) component.stop();
      cache.release();
    },
  };
  controlPlane.start();
  return controlPlane;
}
