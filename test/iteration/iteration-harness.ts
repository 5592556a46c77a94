import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HelmCli } from '../../src/helm/helm-cli.ts';
import { KubeClusterClient } from '../../src/kube/kube-cluster-client.ts';
import { createLogger } from '../../src/log/create-logger.ts';
import type { IterationConfigInput } from '../../src/iteration/iteration-config.ts';
import { compileIterationConfig } from '../../src/iteration/iteration-config.ts';
import type { IterationDependencies, IterationResult } from '../../src/iteration/run-iteration.ts';
import { runIteration } from '../../src/iteration/run-iteration.ts';
import { R } from '../../src/sim/resources.ts';
import type { SimCluster } from '../../src/sim/sim-cluster.ts';
import { randomSuffix } from '../support/cli-runner.ts';

/** The fixture chart every iteration test installs. */
export const FIXTURE_CHART = fileURLToPath(new URL('../fixtures/charts/soak-app', import.meta.url));

const helmHome = mkdtempSync(join(tmpdir(), 'kubesoak-iteration-helm-'));

/** helm's caches and config in a private HOME, as the CLI tests do. */
export const HELM_ENV: NodeJS.ProcessEnv = {
  HOME: helmHome,
  HELM_CACHE_HOME: join(helmHome, 'cache'),
  HELM_CONFIG_HOME: join(helmHome, 'config'),
  HELM_DATA_HOME: join(helmHome, 'data'),
};

/** Step timeouts that fit a sim at timeScale 0.02 and a 30 s test. */
export const QUICK_TIMEOUTS = {
  namespace: '10s',
  install: '20s',
  ready: '12s',
  test: '15s',
  uninstall: '20s',
  namespaceDeletion: '15s',
} as const;

/** A raw iteration plan (as a run carries it) with those timeouts and short settle windows. */
export function quickPlan(helm: string | null | undefined): Record<string, unknown> {
  return { helm, settle: '500ms', unschedulableGrace: '1s', timeouts: { ...QUICK_TIMEOUTS } };
}

/** Short timeouts that fit a sim at timeScale 0.02 and a 30 s test. */
export function quickConfig(overrides: Partial<IterationConfigInput> = {}) {
  return compileIterationConfig({
    chart: FIXTURE_CHART,
    settle: '500ms',
    unschedulableGrace: '1s',
    ...overrides,
    timeouts: { ...QUICK_TIMEOUTS, ...overrides.timeouts },
  });
}

/** Runs one iteration against the sim with the given helm binary. */
export async function iterate(
  cluster: SimCluster,
  helmBinary: string,
  config = quickConfig(),
  extra: Partial<IterationDependencies> = {},
): Promise<IterationResult> {
  const client = new KubeClusterClient({ kubeconfigPath: cluster.kubeconfigPath });
  const helm = new HelmCli({ binary: helmBinary, kubeconfig: cluster.kubeconfigPath, env: HELM_ENV });
  const logger = await createLogger({ level: 'silent' });
  return runIteration(config, {
    client,
    helm,
    logger,
    signal: new AbortController().signal,
    run: randomSuffix(),
    ...extra,
  });
}

/** Lists namespace names in the sim. */
export function namespaceNames(cluster: SimCluster): string[] {
  return cluster.context.store.list(R.namespace).map((ns) => ns.metadata.name ?? '');
}
