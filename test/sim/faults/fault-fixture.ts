import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import type { KubeObject } from '../../../src/sim/api/kube-object.ts';
import { parseScenario } from '../../../src/sim/faults/load-scenario.ts';
import type { ContainerStatus, PodCondition, PodStatus } from '../../../src/sim/kubelet/kube-shapes.ts';
import type { SimCluster, SimClusterOptions } from '../../../src/sim/sim-cluster.ts';
import { startSimCluster } from '../../../src/sim/sim-cluster.ts';
import { runTool } from '../../support/cli-runner.ts';

export const tools = inject('tools');

/** An event as `kubectl get events -o json` lists it. */
export interface KubeEvent {
  type: string;
  reason: string;
  message: string;
  count?: number;
  source?: { component?: string; host?: string };
  involvedObject: { kind: string; name: string; namespace?: string; fieldPath?: string };
}

/** A simulated cluster started from a scenario document, with kubectl helpers. */
export interface FaultCluster {
  cluster: SimCluster;
  kubectl(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  /** `kubectl get KIND NAME -o json`, parsed. */
  getJson(kind: string, name: string, namespace?: string): Promise<KubeObject>;
  /** Events about one object, oldest first. */
  events(name: string, namespace?: string): Promise<KubeEvent[]>;
  /** `kubectl apply -f` of these objects. */
  apply(...objects: KubeObject[]): Promise<void>;
  stop(): Promise<void>;
}

/** Starts a cluster for a scenario document (validated as a file would be). */
export async function faultCluster(
  scenario: unknown,
  options: Omit<SimClusterOptions, 'scenario'> = {},
): Promise<FaultCluster> {
  const cluster = await startSimCluster({ timeScale: 0.02, ...options, scenario: parseScenario(scenario) });
  const dir = await mkdtemp(join(tmpdir(), 'kubesoak-faults-'));
  let files = 0;
  const kubectl = (args: readonly string[]) =>
    runTool(tools.kubectl ?? 'kubectl', ['--kubeconfig', cluster.kubeconfigPath, ...args]);
  const ok = async (args: readonly string[]) => {
    const result = await kubectl(args);
    if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${result.stderr}`);
    return result.stdout;
  };
  return {
    cluster,
    kubectl,
    async getJson(kind, name, namespace) {
      return JSON.parse(
        await ok(['get', kind, name, ...(namespace ? ['-n', namespace] : []), '-o', 'json']),
      ) as KubeObject;
    },
    async events(name, namespace) {
      const list = JSON.parse(
        await ok([
          'get',
          'events',
          ...(namespace ? ['-n', namespace] : ['-A']),
          '--field-selector',
          `involvedObject.name=${name}`,
          '-o',
          'json',
        ]),
      ) as { items: KubeEvent[] };
      return list.items;
    },
    async apply(...objects) {
      files += 1;
      const file = join(dir, `objects-${files}.json`);
      await writeFile(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }));
      await ok(['apply', '-f', file]);
    },
    async stop() {
      await cluster.stop();
      await rm(dir, { recursive: true, force: true });
      // Node reports cleared timers to async hooks on a later turn: let that happen before the leak check.
      await new Promise((resolve) => setTimeout(resolve, 20));
    },
  };
}

/** Polls until `check` returns a value (not undefined/false), or fails naming what it waited for. */
export async function waitFor<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export function statusOf(pod: KubeObject): PodStatus {
  return pod.status ?? {};
}

export function containerStatus(pod: KubeObject, name: string, init = false): ContainerStatus | undefined {
  const status = statusOf(pod);
  return (init ? status.initContainerStatuses : status.containerStatuses)?.find((c) => c.name === name);
}

export function condition(pod: KubeObject, type: string): PodCondition | undefined {
  return statusOf(pod).conditions?.find((c) => c.type === type);
}

/** A namespace object for kubectl apply. */
export function namespace(name: string): KubeObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name } };
}

/** A bare pod with one `web` container (readiness and liveness on HTTP) for kubectl apply. */
export function webPod(ns: string, name: string, extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns },
    spec: {
      containers: [
        {
          name: 'web',
          image: 'nginx:1.27',
          ports: [{ containerPort: 80 }],
          readinessProbe: { httpGet: { path: '/ready', port: 80 }, periodSeconds: 5 },
          livenessProbe: { httpGet: { path: '/healthz', port: 80 }, periodSeconds: 5 },
          resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '128Mi' } },
        },
      ],
      ...extra,
    },
  };
}

/** The STATUS column `kubectl get pod` prints. */
export async function kubectlStatus(fc: FaultCluster, ns: string, name: string): Promise<string> {
  const result = await fc.kubectl(['get', 'pod', name, '-n', ns, '--no-headers']);
  return result.stdout.trim().split(/\s+/)[2] ?? '';
}
