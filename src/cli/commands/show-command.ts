import type { Command } from 'commander';
import { stringify } from 'yaml';
import { KubesoakError } from '../../errors/kubesoak-error.ts';
import { UsageError } from '../../errors/usage-error.ts';
import type { DebugSnapshot } from '../../iteration/debug-snapshot.ts';
import type { StoredIterationResult } from '../../runs/iteration-job.ts';
import type { Run } from '../../runs/run-model.ts';
import type { CliIo } from '../cli-io.ts';
import { globalOptions } from '../global-options.ts';
import { withRunsClient } from '../open-runs-client.ts';
import { humanDuration, RunNotFoundError } from '../run-output.ts';

/**
 * `kubesoak show RUN ITERATION`: one iteration's stored result and its debug snapshot, readable
 * (--json: the stored result as is). Exit 0; 1 while the iteration has no result; 2 for an unknown
 * run or an iteration outside the run.
 */
export function registerShowCommand(program: Command, io: CliIo): void {
  program
    .command('show')
    .description("show one iteration's result and debug snapshot (iterations are numbered from 0)")
    .argument('<run>', 'run id or name')
    .argument('<iteration>', 'iteration number, 0-based')
    .action(async (ref: string, iterationText: string, _options: unknown, command: Command) => {
      const { json, config } = globalOptions(command);
      if (!/^\d+$/.test(iterationText))
        throw new UsageError(`invalid iteration "${iterationText}"`, {
          code: 'invalid-argument',
          hint: 'give a whole number from 0',
        });
      const iteration = Number(iterationText);
      await withRunsClient(io, config, async (client) => {
        const run = await client.status(ref);
        if (!run) throw new RunNotFoundError(ref);
        if (iteration >= run.iterations)
          throw new UsageError(`run ${run.name} has iterations 0 to ${run.iterations - 1}`, {
            code: 'invalid-argument',
          });
        const result = await client.iteration(run.id, iteration);
        if (!result)
          throw new KubesoakError(
            'no-result',
            `iteration ${iteration} of run ${run.name} has no result yet (run ${run.state})`,
            { hint: `try again later, or follow the run with \`kubesoak status ${run.name}\`` },
          );
        io.stdout.write(json ? `${JSON.stringify(result)}\n` : formatStoredResult(run, result));
      });
    });
}

function formatStoredResult(run: Run, result: StoredIterationResult): string {
  const lines: string[] = [];
  const duration = Date.parse(result.finishedAt) - Date.parse(result.startedAt);
  lines.push(
    `${result.outcome.toUpperCase()}  iteration ${result.iteration} of run ${run.name} (${run.id})`,
    `category   ${result.outcome === 'passed' ? '-' : result.category}${result.failedStep ? ` (step ${result.failedStep})` : ''}`,
    `attempt    ${result.attempt}, worker ${result.workerId}`,
    `nodes      ${result.nodes?.length ? result.nodes.join(', ') : '-'}`,
    `started    ${result.startedAt}`,
    `finished   ${result.finishedAt} (${humanDuration(duration)})`,
  );
  const timings = Object.entries(result.stepTimings ?? {});
  if (timings.length > 0) {
    lines.push('', 'STEP                 TIME');
    for (const [step, ms] of timings) lines.push(`${step.padEnd(20)} ${humanDuration(ms)}`);
  }
  if (result.evidence?.length) {
    lines.push('', 'evidence:');
    for (const evidence of result.evidence) lines.push(`  - ${evidence}`);
  }
  if (result.snapshot !== undefined) lines.push('', ...formatSnapshot(result));
  return `${lines.join('\n')}\n`;
}

/** The debug snapshot in the order a person reads it; an unexpected shape is shown as YAML. */
function formatSnapshot(result: StoredIterationResult): string[] {
  const snapshot = result.snapshot as Partial<DebugSnapshot> & {
    truncated?: boolean;
    originalBytes?: number;
    head?: string;
  };
  if (result.snapshotTruncated)
    return [
      `snapshot: over the size cap (${snapshot.originalBytes ?? '?'} bytes serialised); its start:`,
      snapshot.head ?? '',
    ];
  if (typeof snapshot !== 'object' || snapshot === null || !Array.isArray(snapshot.pods))
    return ['snapshot:', stringify(result.snapshot).trimEnd()];
  const lines = [
    `SNAPSHOT of namespace ${snapshot.namespace ?? '?'}, release ${snapshot.release ?? '?'}, taken ${snapshot.takenAt ?? '?'}${snapshot.truncated ? ' (logs or events cut to fit)' : ''}`,
  ];
  if (snapshot.pods.length > 0) {
    lines.push('', 'POD                                 READY  STATUS               RESTARTS  NODE');
    for (const pod of snapshot.pods)
      lines.push(
        `${pod.name.padEnd(35)} ${pod.ready.padEnd(6)} ${pod.status.padEnd(20)} ${String(pod.restarts).padEnd(9)} ${pod.node ?? '-'}`,
      );
  }
  for (const detail of snapshot.podDetails ?? []) {
    lines.push('', `pod ${detail.name}${detail.node ? ` on ${detail.node}` : ''}: ${detail.phase ?? '?'}`);
    for (const condition of detail.conditions)
      if (condition.status !== 'True')
        lines.push(
          `  condition ${condition.type}=${condition.status}${condition.reason ? ` ${condition.reason}` : ''}${condition.message ? `: ${condition.message}` : ''}`,
        );
    for (const container of detail.containers) {
      const state = container.state?.waiting
        ? `waiting ${container.state.waiting.reason ?? ''}`
        : container.state?.terminated
          ? `terminated ${container.state.terminated.reason ?? ''} exit ${container.state.terminated.exitCode ?? '?'}`
          : container.state?.running
            ? 'running'
            : '?';
      lines.push(
        `  ${container.kind} container ${container.name}: ${state.trim()}, ready ${container.ready}, restarts ${container.restartCount}`,
      );
    }
  }
  if (snapshot.events?.length) {
    lines.push('', 'EVENTS');
    for (const event of snapshot.events)
      lines.push(
        `  ${event.time ?? '-'} ${event.type ?? ''} ${event.reason ?? ''} ${event.object}${event.count && event.count > 1 ? ` (x${event.count})` : ''}: ${event.message ?? ''}`,
      );
  }
  for (const node of snapshot.nodes ?? [])
    lines.push(
      '',
      `node ${node.name}: ready ${node.ready}${node.unschedulable ? ', unschedulable' : ''}, memory requested ${node.requestedMemoryBytes}${node.allocatableMemoryBytes === undefined ? '' : ` of ${node.allocatableMemoryBytes}`} bytes, pods ${node.pods.join(', ') || '-'}`,
    );
  for (const log of snapshot.logs ?? []) {
    lines.push('', `LOG ${log.pod}/${log.container}${log.previous ? ' (previous)' : ''}`);
    if (log.error) lines.push(`  (${log.error})`);
    else
      lines.push(
        ...log.text
          .trimEnd()
          .split('\n')
          .map((line) => `  | ${line}`),
      );
  }
  for (const helm of snapshot.helmCommands ?? []) {
    lines.push(
      '',
      `helm ${helm.argv.join(' ')} → exit ${helm.exitCode ?? 'killed'} (${humanDuration(helm.durationMs)})`,
    );
    const output = `${helm.stdout}${helm.stderr}`.trimEnd();
    if (output) lines.push(...output.split('\n').map((line) => `  | ${line}`));
  }
  if (snapshot.helmStatus) lines.push('', 'helm status:', snapshot.helmStatus.trimEnd());
  return lines;
}
