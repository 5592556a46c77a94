import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { ApiServerOptions } from './api/api-server.ts';
import { SimApiServer } from './api/api-server.ts';
import { startControlPlane } from './controllers/control-plane.ts';
import { EventRecorder } from './event-recorder.ts';
import { FaultInjector } from './faults/fault-injector.ts';
import { scenarioNodes } from './faults/scenario-nodes.ts';
import type { Scenario } from './faults/scenario-schema.ts';
import type { FaultPlan } from './kubelet/fault-plan.ts';
import type { NodeSpec } from './kubelet/node-pool.ts';
import type { NodeSide } from './kubelet/node-side.ts';
import { startNodeSide } from './kubelet/node-side.ts';
import { PodLogStore } from './pod-log-store.ts';
import { R } from './resources.ts';
import { SeededRandom } from './seeded-random.ts';
import { SimClock } from './sim-clock.ts';
import type { SimComponent, SimContext } from './sim-context.ts';
import { ObjectStore } from './store/object-store.ts';

/** Options of {@link startSimCluster}; every field is optional. */
export interface SimClusterOptions {
  /** Port to listen on; default a free one. */
  port?: number;
  /** Address to listen on; default 127.0.0.1. */
  host?: string;
  /** Node count (default 3) or explicit node specs. */
  nodes?: number | NodeSpec[];
  /** Real time per simulated time: 0.01 makes a 30 s probe delay take 300 ms. Default 1. */
  timeScale?: number;
  /** Seed of every random draw; equal seeds replay equal sequences. Default 1. */
  seed?: string | number;
  /** Where to write the kubeconfig; default a file in a fresh temp directory. */
  kubeconfigPath?: string;
  /** API server knobs (bookmark interval, watch lifetime, request fault hook). */
  api?: ApiServerOptions;
  /** Kubelet fault plan (pulls, containers, probes, evictions); default healthy. */
  faults?: FaultPlan;
  /**
   * A validated scenario (see loadScenario): its seed, time scale and nodes apply unless the
   * options above set them, and its faults drive the kubelets, the API server and the nodes.
   * An explicit `faults` plan or `api.faults` hook replaces the scenario's of that kind.
   */
  scenario?: Scenario;
}

/** A running simulated cluster. */
export interface SimCluster {
  /** Base URL of the API server, e.g. http://127.0.0.1:41234. */
  readonly url: string;
  /** Path of a kubeconfig whose current context points at the cluster. */
  readonly kubeconfigPath: string;
  /** The kubeconfig's YAML text. */
  readonly kubeconfig: string;
  /** Name of the kubeconfig context. */
  readonly contextName: string;
  /** Internals for tests and fault injection: store, clock, events, logs. */
  readonly context: SimContext;
  readonly api: SimApiServer;
  /** Nodes, scheduler and kubelets: `nodes.pool.setReady(name, false)`, `nodes.kubelet.evict(...)`. */
  readonly nodes: NodeSide;
  /** The scenario's fault injector, when a scenario was given. */
  readonly injector: FaultInjector | undefined;
  /** Stops every component and the server; idempotent. */
  stop(): Promise<void>;
}

const CONTEXT_NAME = 'kubesoak-sim';

/**
 * Starts a simulated Kubernetes cluster: an API server over plain HTTP on loopback plus simulated
 * controllers, scheduler and kubelets, and writes a kubeconfig for real clients (helm, kubectl,
 * client-node). The kubeconfig sets insecure-skip-tls-verify, which client-node requires to talk to
 * an http:// server.
 */
export async function startSimCluster(options: SimClusterOptions = {}): Promise<SimCluster> {
  const scenario = options.scenario;
  const store = new ObjectStore();
  const clock = new SimClock(options.timeScale ?? scenario?.timeScale ?? 1);
  const context: SimContext = {
    store,
    clock,
    events: new EventRecorder(store),
    logs: new PodLogStore(),
    random: new SeededRandom(options.seed ?? scenario?.seed ?? 1),
  };
  const injector = scenario ? new FaultInjector(context, scenario) : undefined;
  for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
    store.create(R.namespace, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name, labels: { 'kubernetes.io/metadata.name': name } },
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    });
  }
  const components: SimComponent[] = [];
  const api = new SimApiServer(context, {
    ...options.api,
    ...(options.api?.faults || !injector ? {} : { faults: injector.requestHook }),
  });
  let tempDir: string | undefined;
  try {
    components.push(startControlPlane(context));
    const faults = options.faults ?? injector?.plan;
    const nodes = startNodeSide(context, {
      nodes: options.nodes ?? (scenario ? scenarioNodes(scenario) : undefined) ?? 3,
      ...(faults ? { faults } : {}),
    });
    components.push(nodes);
    const url = await api.listen(options.port ?? 0, options.host ?? '127.0.0.1');
    if (injector) {
      injector.attach(api, nodes);
      injector.start();
      components.push(injector);
    }
    const kubeconfig = stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: CONTEXT_NAME, cluster: { server: url, 'insecure-skip-tls-verify': true } }],
      users: [{ name: CONTEXT_NAME, user: { token: 'kubesoak-sim' } }],
      contexts: [
        { name: CONTEXT_NAME, context: { cluster: CONTEXT_NAME, user: CONTEXT_NAME, namespace: 'default' } },
      ],
      'current-context': CONTEXT_NAME,
      preferences: {},
    });
    let kubeconfigPath = options.kubeconfigPath;
    if (!kubeconfigPath) {
      tempDir = await mkdtemp(join(tmpdir(), 'kubesoak-sim-'));
      kubeconfigPath = join(tempDir, 'kubeconfig');
    }
    await writeFile(kubeconfigPath, kubeconfig, { mode: 0o600 });
    let stopped: Promise<void> | undefined;
    return {
      url,
      kubeconfigPath,
      kubeconfig,
      contextName: CONTEXT_NAME,
      context,
      api,
      nodes,
      injector,
      stop() {
        stopped ??= (async () => {
          await api.close();
          for (const component of components.reverse()) component.stop();
          clock.close();
          if (tempDir) await rm(tempDir, { recursive: true, force: true });
        })();
        return stopped;
      },
    };
  } catch (error) {
    await api.close();
    for (const component of components.reverse()) component.stop();
    clock.close();
    if (tempDir) await rm(tempDir, { recursive: true, force: true });
    throw error;
  }
}
