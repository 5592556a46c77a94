import { setTimeout as sleep } from 'node:timers/promises';
import { KubeKind } from '../kube/cluster-client.ts';
import type { KubeObject } from '../kube/cluster-client.ts';
import { HelmError, HelmErrorKind } from '../helm/helm-error.ts';
import { CLUSTER_SCOPED_KINDS, WORKLOAD_KINDS, parseReleaseManifest } from '../helm/release-manifest.ts';
import { runProcess } from '../helm/run-process.ts';
import type { AwaitReadyFunction } from './await-ready-function.ts';
import type { ExecStepConfig, IterationConfig } from './iteration-config.ts';
import {
  EXPIRES_ANNOTATION,
  createManagedNamespace,
  deleteManagedNamespace,
  isManagedNamespace,
} from './managed-namespace.ts';
import { isHelmHook as isHookPod } from '../await/release-members.ts';
import type { Step, StepContext, StepResult } from './step.ts';

/** Extra time a step gets over the operation's own timeout, so helm reports its timeout itself. */
const SLACK_MS = 15_000;

/** Stable step names: the classifier and the result records rely on them. */
export const StepName = {
  namespace: 'namespace',
  install: 'install',
  ready: 'await-ready',
  test: 'helm-test',
  uninstall: 'uninstall',
  deleteNamespace: 'delete-namespace',
} as const;
export type StepName = (typeof StepName)[keyof typeof StepName];

/** What the plan needs besides the config. */
export interface PlanDependencies {
  awaitReady: AwaitReadyFunction;
  /** Whether the iteration has failed so far (read by cleanup for --keep-failed). */
  failed: () => boolean;
}

/**
 * The ordered steps of one iteration. A cleanup step sits before the step whose effects it undoes:
 * the runner registers it on reaching it, so it runs (last-in-first-out) even when that step fails
 * half-way, and never for a step that was not reached.
 */
export function buildIterationPlan(config: IterationConfig, deps: PlanDependencies): Step[] {
  const hooks = (after: ExecStepConfig['after']) =>
    config.exec.filter((hook) => hook.after === after).map(execStep);
  return [
    namespaceStep(config),
    deleteNamespaceStep(config, deps),
    ...hooks('namespace'),
    uninstallStep(config),
    installStep(config),
    ...hooks('install'),
    readyStep(config, deps.awaitReady),
    ...hooks('ready'),
    testStep(config),
    ...hooks('test'),
  ];
}

const ok: StepResult = { status: 'ok' };

function namespaceStep(config: IterationConfig): Step {
  return {
    name: StepName.namespace,
    phase: 'main',
    timeoutMs: config.timeouts.namespaceMs,
    async run({ client, identity, state, signal, clock }) {
      await createManagedNamespace(
        client,
        {
          name: identity.namespace,
          run: identity.run,
          iteration: identity.iteration,
          // The engine counts attempts from 0 (the namespace suffix); the queue and janitor from 1.
          attempt: identity.attempt + 1,
          expiresAt: new Date(clock.wallTime().getTime() + config.expiryMs),
        },
        signal,
      );
      state.namespaceCreated = true;
      if (config.resourceQuota) {
        await client.create(
          {
            apiVersion: 'v1',
            kind: 'ResourceQuota',
            metadata: { name: 'kubesoak', namespace: identity.namespace },
            spec: { hard: { ...config.resourceQuota } },
          },
          signal,
        );
      }
      if (config.limitRange) {
        await client.create(
          {
            apiVersion: 'v1',
            kind: 'LimitRange',
            metadata: { name: 'kubesoak', namespace: identity.namespace },
            spec: { limits: config.limitRange.map((limit) => ({ ...limit })) },
          },
          signal,
        );
      }
      return ok;
    },
  };
}

function installStep(config: IterationConfig): Step {
  return {
    name: StepName.install,
    phase: 'main',
    timeoutMs: config.timeouts.installMs + SLACK_MS,
    async run({ helm, identity, state, signal }) {
      state.installed = true;
      try {
        const output = await helm.install(
          {
            chart: config.chart,
            ...(config.version ? { version: config.version } : {}),
            ...(config.repo ? { repoUrl: config.repo } : {}),
            release: identity.release,
            namespace: identity.namespace,
            valuesFiles: config.values,
            set: config.set,
            timeoutMs: config.timeouts.installMs,
          },
          signal,
        );
        state.helmCommands.push(output);
      } catch (error) {
        if (error instanceof HelmError && error.output) state.helmCommands.push(error.output);
        throw error;
      }
      return ok;
    },
  };
}

function readyStep(config: IterationConfig, awaitReady: AwaitReadyFunction): Step {
  return {
    name: StepName.ready,
    phase: 'main',
    timeoutMs: config.timeouts.readyMs + SLACK_MS,
    async run(context) {
      const { helm, client, identity, state, signal } = context;
      state.manifest = parseReleaseManifest(
        await helm.getManifest(identity.release, identity.namespace, signal),
      );
      const outcome = await awaitReady(
        client,
        {
          namespace: identity.namespace,
          release: identity.release,
          workloads: state.manifest.filter((object) => WORKLOAD_KINDS.has(object.kind)),
        },
        { timeoutMs: config.timeouts.readyMs },
        signal,
      );
      if (!outcome.ready)
        return {
          status: 'failed',
          reason: outcome.reason ?? 'timeout',
          message: outcome.message ?? 'not ready',
        };
      state.restartsAtReady = await restartCounts(context);
      return ok;
    },
  };
}

function testStep(config: IterationConfig): Step {
  return {
    name: StepName.test,
    phase: 'main',
    timeoutMs: config.timeouts.testMs + SLACK_MS,
    async run(context) {
      const { helm, client, identity, state, signal } = context;
      // A test pod left from an earlier attempt makes helm fail with "already exists".
      const pods = await client.list(KubeKind.Pod, { namespace: identity.namespace }, signal);
      for (const pod of pods.items) {
        if (pod.metadata.annotations?.['helm.sh/hook']?.includes('test'))
          await client.delete(
            KubeKind.Pod,
            pod.metadata.name ?? '',
            identity.namespace,
            { gracePeriodSeconds: 0 },
            signal,
          );
      }
      try {
        state.helmCommands.push(
          await helm.test(identity.release, identity.namespace, config.timeouts.testMs, signal),
        );
      } catch (error) {
        if (error instanceof HelmError && error.output) state.helmCommands.push(error.output);
        throw error;
      }
      const before = state.restartsAtReady ?? {};
      const after = await restartCounts(context);
      const restarted = Object.entries(after).filter(([key, count]) => count > (before[key] ?? 0));
      if (restarted.length > 0)
        return {
          status: 'failed',
          reason: 'restarted-during-test',
          message: `restarted while the test ran: ${restarted.map(([key]) => key).join(', ')}`,
        };
      return ok;
    },
  };
}

function uninstallStep(config: IterationConfig): Step {
  return {
    name: StepName.uninstall,
    phase: 'cleanup',
    timeoutMs: config.timeouts.uninstallMs + SLACK_MS,
    async run({ helm, client, identity, state, signal }) {
      if (!state.installed) return ok;
      try {
        state.helmCommands.push(
          await helm.uninstall(identity.release, identity.namespace, config.timeouts.uninstallMs, signal),
        );
      } catch (error) {
        if (error instanceof HelmError && error.output) state.helmCommands.push(error.output);
        // Install failed before helm recorded the release: nothing to uninstall.
        if (error instanceof HelmError && error.kind === HelmErrorKind.releaseNotFound) return ok;
        throw error;
      }
      // What uninstall should have removed and did not: namespaced objects (namespace deletion would
      // hide them) and cluster-scoped ones (nothing else removes them; they leak into every later
      // iteration, e.g. through helm.sh/resource-policy: keep).
      const leftovers: string[] = [];
      const unchecked: string[] = [];
      for (const object of state.manifest) {
        const kind = (KubeKind as Record<string, KubeKind | undefined>)[object.kind];
        if (!kind) {
          // Secrets are never read (their data would come back with them).
          if (CLUSTER_SCOPED_KINDS.has(object.kind)) unchecked.push(`${object.kind}/${object.name}`);
          continue;
        }
        const namespace = CLUSTER_SCOPED_KINDS.has(object.kind)
          ? undefined
          : (object.namespace ?? identity.namespace);
        const current = await client.get(kind, object.name, namespace, signal);
        if (current && !current.metadata.deletionTimestamp) leftovers.push(`${object.kind}/${object.name}`);
        else if (current)
          leftovers.push(
            `${object.kind}/${object.name} (terminating, finalizers: ${(current.metadata.finalizers ?? []).join(',') || 'none'})`,
          );
      }
      if (unchecked.length > 0)
        state.notes.push({
          step: StepName.uninstall,
          level: 'info',
          message:
            'the release created cluster-scoped objects of kinds kubesoak does not check after uninstall',
          objects: unchecked,
        });
      const pvcs = await client.list(
        KubeKind.PersistentVolumeClaim,
        { namespace: identity.namespace },
        signal,
      );
      if (pvcs.items.length > 0)
        state.notes.push({
          step: StepName.uninstall,
          level: 'info',
          message:
            'PVCs remain after uninstall (volumeClaimTemplates are not deleted by helm); namespace deletion removes them',
          objects: pvcs.items.map((pvc) => `PersistentVolumeClaim/${pvc.metadata.name}`),
        });
      if (leftovers.length > 0) {
        state.notes.push({
          step: StepName.uninstall,
          level: 'problem',
          message: 'objects left after helm uninstall',
          objects: leftovers,
        });
        return {
          status: 'failed',
          reason: 'cleanup-stuck',
          message: `left after uninstall: ${leftovers.join(', ')}`,
        };
      }
      return ok;
    },
  };
}

function deleteNamespaceStep(config: IterationConfig, deps: PlanDependencies): Step {
  return {
    name: StepName.deleteNamespace,
    phase: 'cleanup',
    timeoutMs: config.timeouts.namespaceDeletionMs + SLACK_MS,
    async run({ client, identity, state, signal, clock }) {
      if (!state.namespaceCreated) return ok;
      if (config.keepFailedMs !== undefined && deps.failed()) {
        const current = await client.get(KubeKind.Namespace, identity.namespace, undefined, signal);
        // Never touch (not even annotate) a namespace that is not ours.
        if (!isManagedNamespace(current))
          return { status: 'failed', reason: 'not-managed', message: 'namespace is not managed by kubesoak' };
        const expiresAt = new Date(clock.wallTime().getTime() + config.keepFailedMs).toISOString();
        await client.patchMetadata(
          KubeKind.Namespace,
          identity.namespace,
          undefined,
          { annotations: { [EXPIRES_ANNOTATION]: expiresAt } },
          signal,
        );
        state.notes.push({
          step: StepName.deleteNamespace,
          level: 'info',
          message: `kept for debugging until ${expiresAt}`,
          objects: [`Namespace/${identity.namespace}`],
        });
        return ok;
      }
      await deleteManagedNamespace(client, identity.namespace, signal);
      const deadline = clock.now() + config.timeouts.namespaceDeletionMs;
      let current: KubeObject | undefined;
      while (clock.now() < deadline) {
        current = await client.get(KubeKind.Namespace, identity.namespace, undefined, signal);
        if (!current) return ok;
        await sleep(200, undefined, { signal });
      }
      const conditions = (
        (
          current?.status as
            { conditions?: Array<{ type?: string; status?: string; message?: string }> } | undefined
        )?.conditions ?? []
      )
        .filter((condition) => condition.status === 'True')
        .map((condition) => `${condition.type ?? ''}: ${condition.message ?? ''}`);
      const pvcs = await client.list(
        KubeKind.PersistentVolumeClaim,
        { namespace: identity.namespace },
        signal,
      );
      const pods = await client.list(KubeKind.Pod, { namespace: identity.namespace }, signal);
      const remaining = [...pods.items.map((pod) => pod), ...pvcs.items].map(
        (object) =>
          `${object.kind}/${object.metadata.name} finalizers=[${(object.metadata.finalizers ?? []).join(',')}]`,
      );
      state.notes.push({
        step: StepName.deleteNamespace,
        level: 'problem',
        message: `namespace still terminating after ${config.timeouts.namespaceDeletionMs} ms${conditions.length ? `: ${conditions.join('; ')}` : ''}`,
        objects: remaining,
      });
      return { status: 'failed', reason: 'cleanup-stuck', message: 'namespace deletion did not finish' };
    },
  };
}

function execStep(hook: ExecStepConfig): Step {
  return {
    name: `exec:${hook.name}`,
    phase: 'main',
    timeoutMs: hook.timeoutMs,
    async run({ client, identity, signal, logger }) {
      const [binary, ...args] = hook.argv;
      const result = await runProcess(binary ?? '', args, {
        signal,
        env: {
          ...process.env,
          NAMESPACE: identity.namespace,
          RELEASE: identity.release,
          ...(client.kubeconfigPath ? { KUBECONFIG: client.kubeconfigPath } : {}),
        },
        maxOutputBytes: 64 * 1024,
      });
      logger.debug({ step: hook.name, exitCode: result.exitCode }, 'exec step finished');
      if (result.aborted) signal.throwIfAborted();
      if (result.exitCode !== 0)
        return {
          status: 'failed',
          reason: 'exec-failed',
          message: `${hook.argv.join(' ')} exited ${String(result.exitCode)}: ${result.stderr.trim().split('\n').slice(-3).join(' | ')}`,
        };
      return ok;
    },
  };
}

async function restartCounts({ client, identity, signal }: StepContext): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  const pods = await client.list(KubeKind.Pod, { namespace: identity.namespace }, signal);
  for (const pod of pods.items) {
    if (isHookPod(pod)) continue;
    const statuses =
      (pod.status as { containerStatuses?: Array<{ name?: string; restartCount?: number }> } | undefined)
        ?.containerStatuses ?? [];
    for (const status of statuses)
      counts[`${pod.metadata.name}/${status.name ?? ''}`] = status.restartCount ?? 0;
  }
  return counts;
}
