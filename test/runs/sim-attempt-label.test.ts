import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { HelmCli } from '../../src/helm/helm-cli.ts';
import { compileIterationConfig } from '../../src/iteration/iteration-config.ts';
import { StepName, buildIterationPlan } from '../../src/iteration/iteration-plan.ts';
import { ATTEMPT_LABEL, MANAGED_BY_LABEL } from '../../src/iteration/managed-namespace.ts';
import { performanceClock } from '../../src/iteration/monotonic-clock.ts';
import { iterationNamespace } from '../../src/iteration/namespace-name.ts';
import { KubeClusterClient } from '../../src/kube/kube-cluster-client.ts';
import { JanitorReason, runJanitor } from '../../src/runs/janitor.ts';
import { R } from '../../src/sim/resources.ts';
import { startSimCluster } from '../../src/sim/sim-cluster.ts';
import type { SimCluster } from '../../src/sim/sim-cluster.ts';
import { createIterationExecutor } from '../../workers/iteration-executor.ts';
import { SIM_LIGHT_CHART, helmHome } from './fixtures/sim-runs-support.ts';
import { quietLogger } from './runs-test-support.ts';

const tools = inject('tools');

describe('the attempt label on iteration namespaces', () => {
  let cluster: SimCluster;
  let client: KubeClusterClient;
  beforeAll(async () => {
    cluster = await startSimCluster({ nodes: 1, timeScale: 0.01, seed: 63 });
    client = new KubeClusterClient({ kubeconfigPath: cluster.kubeconfigPath });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  /** Creates a namespace the way the engine does: its namespace step, with no cleanup after. */
  async function engineNamespace(run: string, iteration: number, engineAttempt: number): Promise<string> {
    const config = compileIterationConfig({ chart: SIM_LIGHT_CHART });
    const [step] = buildIterationPlan(config, {
      awaitReady: () => Promise.reject(new Error('not used')),
      failed: () => false,
    });
    expect(step?.name).toBe(StepName.namespace);
    const namespace = iterationNamespace(config.namespacePrefix, run, iteration, engineAttempt);
    const result = await step?.run({
      signal: AbortSignal.timeout(10_000),
      logger: quietLogger(),
      clock: performanceClock,
      client,
      helm: new HelmCli(),
      identity: { run, iteration, attempt: engineAttempt, namespace, release: 'soak' },
      state: {
        namespaceCreated: false,
        installed: false,
        manifest: [],
        helmCommands: [],
        restartsAtReady: undefined,
        notes: [],
      },
    });
    expect(result?.status).toBe('ok');
    return namespace;
  }

  it('carries the queue attempt (1-based) while the engine counts from 0', async () => {
    const first = await engineNamespace('label-run', 3, 0);
    const second = await engineNamespace('label-run', 3, 1);
    const labels = (name: string) => cluster.context.store.get(R.namespace, undefined, name)?.metadata.labels;
    expect(labels(first)).toMatchObject({ [MANAGED_BY_LABEL]: 'kubesoak', [ATTEMPT_LABEL]: '1' });
    expect(labels(second)).toMatchObject({ [ATTEMPT_LABEL]: '2' });
    expect(second).toBe(`${first}-1`);
  });

  it("the janitor deletes an earlier attempt's namespace (attempt-superseded) and keeps the current one", async () => {
    const stale = await engineNamespace('janitor-run', 5, 0);
    const current = await engineNamespace('janitor-run', 5, 1);
    const report = await runJanitor(
      client,
      // The run is live, iteration 5 has no result yet and its second attempt has started.
      {
        namespace: (run, iteration) =>
          Promise.resolve(
            run === 'janitor-run' && iteration === 5
              ? { runLive: true, iterationRecorded: false, attempts: 2 }
              : { runLive: true, iterationRecorded: false, attempts: 1 },
          ),
      },
      { dryRun: false, now: new Date(), minAgeMs: 0 },
      AbortSignal.timeout(10_000),
    );
    expect(report.errors).toEqual([]);
    expect(report.actions).toEqual([{ namespace: stale, reason: JanitorReason.attemptSuperseded }]);
    const phase = (name: string) =>
      (cluster.context.store.get(R.namespace, undefined, name)?.status as { phase?: string } | undefined)
        ?.phase;
    expect(phase(current)).toBe('Active');
    expect(phase(stale) ?? 'gone').not.toBe('Active');
  });

  it.runIf(tools.helm)(
    'a whole iteration run by the worker executor labels its namespace with the job attempt',
    async () => {
      const home = await helmHome();
      const seen: Array<Record<string, string>> = [];
      const stop = cluster.context.store.subscribe((event) => {
        if (event.resource === R.namespace && event.type === 'ADDED' && event.object.metadata.labels)
          seen.push(event.object.metadata.labels);
      });
      try {
        const executor = createIterationExecutor({
          logger: quietLogger(),
          env: { ...process.env, ...home.env },
        });
        const record = await executor(
          {
            runId: 'exec-run',
            runName: 'exec-run',
            iteration: 0,
            attempt: 2,
            previousAttempts: [1],
            chart: { ref: SIM_LIGHT_CHART },
            valuesFiles: [],
            setValues: [],
            plan: { kubeconfig: cluster.kubeconfigPath, helm: tools.helm ?? '', settle: '200ms' },
          },
          AbortSignal.timeout(30_000),
        );
        expect(record.outcome).toBe('passed');
        expect(seen.filter((labels) => labels['kubesoak.io/run'] === 'exec-run')).toEqual([
          expect.objectContaining({ [ATTEMPT_LABEL]: '2', 'kubesoak.io/iteration': '0' }),
        ]);
      } finally {
        stop();
        await home.remove();
      }
    },
  );
});
