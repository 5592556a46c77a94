import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HelmCli } from '../src/helm/helm-cli.ts';
import { compileIterationConfig } from '../src/iteration/iteration-config.ts';
import type { Evidence } from '../src/iteration/diagnose-iteration.ts';
import {
  UnmanagedNamespaceError,
  awaitNamespaceGone,
  deleteManagedNamespace,
} from '../src/iteration/managed-namespace.ts';
import { iterationNamespace } from '../src/iteration/namespace-name.ts';
import type { IterationResult } from '../src/iteration/run-iteration.ts';
import { runIteration } from '../src/iteration/run-iteration.ts';
import { KubeClusterClient } from '../src/kube/kube-cluster-client.ts';
import type { Logger } from '../src/log/create-logger.ts';
import type { IterationExecutor, IterationRecord } from '../src/runs/iteration-job.ts';

/** What the worker process gives every iteration. */
export interface IterationExecutorOptions {
  logger: Logger;
  /** Environment for KUBECONFIG/HOME and helm's cache directories; default process.env. */
  env?: NodeJS.ProcessEnv;
}

/**
 * The executor a worker runs per job: writes the job's values files to a private directory,
 * validates the plan, removes managed namespaces of earlier attempts, runs the iteration engine
 * and turns its result into the record the distributed layer stores. A failing chart resolves
 * with a failed record; only an invalid plan or kubeconfig rejects.
 */
export function createIterationExecutor(options: IterationExecutorOptions): IterationExecutor {
  return async (job, signal) => {
    const dir = await mkdtemp(join(tmpdir(), 'kubesoak-values-'));
    try {
      const values: string[] = [];
      for (const [index, content] of job.valuesFiles.entries()) {
        const file = join(dir, `values-${index}.yaml`);
        await writeFile(file, content, { mode: 0o600 });
        values.push(file);
      }
      // A chart packaged by the submitter travels inline: install that file, not the submitter's path.
      let chart = job.chart.ref;
      if (job.chart.archive !== undefined) {
        chart = join(dir, 'chart.tgz');
        await writeFile(chart, Buffer.from(job.chart.archive, 'base64'), { mode: 0o600 });
      }
      const config = compileIterationConfig({
        ...job.plan,
        chart,
        ...(job.chart.version === undefined || job.chart.archive !== undefined
          ? {}
          : { version: job.chart.version }),
        values,
        set: job.setValues,
      });
      const env = options.env ?? process.env;
      const client = new KubeClusterClient({
        env,
        ...(config.kubeconfig === undefined ? {} : { kubeconfigPath: config.kubeconfig }),
        ...(config.context === undefined ? {} : { context: config.context }),
      });
      const helm = new HelmCli({
        binary: config.helm,
        // In-cluster (no kubeconfig file) helm finds the ServiceAccount itself; a --kube-context
        // would name client-node's synthetic "inClusterContext", which helm does not know.
        ...(client.kubeconfigPath ? { kubeconfig: client.kubeconfigPath, kubeContext: client.context } : {}),
        env,
      });
      const logger = options.logger.child({ run: job.runId, iteration: job.iteration, attempt: job.attempt });
      // Attempts are 1-based in the queue; the first one's namespace carries no attempt suffix.
      for (const previous of job.previousAttempts) {
        const name = iterationNamespace(config.namespacePrefix, job.runId, job.iteration, previous - 1);
        try {
          if (
            (await deleteManagedNamespace(client, name, signal)) &&
            !(await awaitNamespaceGone(client, name, config.timeouts.namespaceDeletionMs, signal))
          )
            logger.warn({ namespace: name }, 'the namespace of an earlier attempt is still terminating');
        } catch (error) {
          if (error instanceof UnmanagedNamespaceError) logger.warn({ namespace: name }, error.message);
          else
            logger.warn(
              { namespace: name, err: error },
              'could not remove the namespace of an earlier attempt',
            );
        }
      }
      const result = await runIteration(config, {
        client,
        helm,
        logger,
        signal,
        run: job.runId,
        iteration: job.iteration,
        attempt: job.attempt - 1,
      });
      return toRecord(result);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };
}

/** The distributed layer's record of an iteration result. */
export function toRecord(result: IterationResult): IterationRecord {
  const stepTimings: Record<string, number> = {};
  for (const step of result.steps)
    if (step.durationMs !== undefined) stepTimings[step.name] = Math.round(step.durationMs);
  return {
    outcome: result.outcome,
    category: result.category ?? 'passed',
    failedStep: result.failedStep,
    evidence: result.evidence.map(evidenceLine),
    stepTimings,
    nodes: result.nodes,
    snapshot: result.snapshot,
    startedAt: result.startedAt,
    finishedAt: new Date(Date.parse(result.startedAt) + result.durationMs).toISOString(),
  };
}

function evidenceLine(evidence: Evidence): string {
  const where = [
    evidence.pod && `pod=${evidence.pod}`,
    evidence.container && `container=${evidence.container}`,
    evidence.node && `node=${evidence.node}`,
    evidence.at && `at=${evidence.at}`,
  ].filter(Boolean);
  const lines = evidence.lines?.length ? ` | ${evidence.lines.join(' | ')}` : '';
  return `${evidence.reason ? `[${evidence.reason}] ` : ''}${evidence.message}${where.length ? ` (${where.join(' ')})` : ''}${lines}`;
}
