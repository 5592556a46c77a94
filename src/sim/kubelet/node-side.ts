import type { KubeObject } from '../api/kube-object.ts';
import type { SimComponent, SimContext } from '../sim-context.ts';
import type { FaultPlan } from './fault-plan.ts';
import { Kubelet } from './kubelet.ts';
import type { NodePool, NodePoolSpec, NodeSpec } from './node-pool.ts';
import { createNodes } from './node-pool.ts';
import { PodScheduler } from './pod-scheduler.ts';

/** Options of {@link startNodeSide}. */
export interface NodeSideOptions {
  /** A node count (default 3), explicit node specs, or a pool spec with defaults. */
  nodes?: number | readonly NodeSpec[] | NodePoolSpec;
  /** Fault plan for every pod, container and image pull; default healthy. */
  faults?: FaultPlan;
  /** Called after every pod status write with the pod's own simulated time in ms. */
  onPodStatus?: (pod: KubeObject, simMs: number) => void;
}

/** The running node side: nodes, scheduler and kubelets, each reachable for fault injection. */
export interface NodeSide extends SimComponent {
  readonly pool: NodePool;
  readonly scheduler: PodScheduler;
  readonly kubelet: Kubelet;
}

/**
 * Creates the simulated nodes and starts their heartbeats, the scheduler and the kubelets right
 * away (composition roots need not call start(); calling it again is harmless). stop() is
 * idempotent and cancels every timer the node side armed.
 */
export function startNodeSide(ctx: SimContext, options: NodeSideOptions = {}): NodeSide {
  const pool = createNodes(ctx, options.nodes ?? 3);
  const scheduler = new PodScheduler(ctx);
  const kubelet = new Kubelet(ctx, pool, { faults: options.faults, onPodStatus: options.onPodStatus });
  const components: SimComponent[] = [pool, kubelet, scheduler];
  let running = false;
  const side: NodeSide = {
    pool,
    scheduler,
    kubelet,
    start() {
      if (running) return;
      running = true;
      for (const component of components) component.start();
    },
    stop() {
      if (!running) return;
      running = false;
      for (const component of [...components].reverse()) component.stop();
    },
  };
  side.start();
  return side;
}
