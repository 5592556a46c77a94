import { formatDuration } from '../config/duration.ts';
import type { IterationResult } from './run-iteration.ts';

const seconds = (ms: number | undefined) => (ms === undefined ? '' : `${(ms / 1000).toFixed(2)}s`);

/** The readable report of one iteration: outcome, steps with timings, diagnosis and evidence. */
export function formatIterationResult(result: IterationResult): string {
  const lines: string[] = [];
  lines.push(
    `${result.outcome.toUpperCase()}  iteration ${result.iteration} of run ${result.run}, namespace ${result.namespace}, ` +
      `release ${result.release} (${formatDuration(Math.round(result.durationMs))})`,
  );
  lines.push('', 'STEP                 STATUS     TIME');
  for (const step of result.steps)
    lines.push(
      `${step.name.padEnd(20)} ${step.status.padEnd(10)} ${seconds(step.durationMs)}${step.message ? `  ${step.message}` : ''}`,
    );
  if (result.outcome !== 'passed') {
    lines.push(
      '',
      `category: ${result.category ?? 'unknown'} (step ${result.failedStep ?? '?'})`,
      `summary:  ${result.summary}`,
    );
    if (result.evidence.length > 0) lines.push('evidence:');
    for (const evidence of result.evidence) {
      const where = [
        evidence.pod && `pod ${evidence.pod}`,
        evidence.container && `container ${evidence.container}`,
        evidence.node && `node ${evidence.node}`,
        evidence.at && `at ${evidence.at}`,
      ]
        .filter(Boolean)
        .join(', ');
      lines.push(
        `  - ${evidence.reason ? `[${evidence.reason}] ` : ''}${evidence.message}${where ? ` (${where})` : ''}`,
      );
      for (const line of evidence.lines ?? []) lines.push(`      | ${line}`);
    }
  }
  if (result.timeline.length > 0) {
    lines.push('', 'POD                                 NODE           SCHEDULED  INITIALIZED  READY');
    const start = Date.parse(result.startedAt);
    const rel = (time: string | undefined) =>
      time ? `+${((Date.parse(time) - start) / 1000).toFixed(1)}s` : '-';
    for (const pod of result.timeline)
      lines.push(
        `${pod.pod.padEnd(35)} ${(pod.node ?? '-').padEnd(14)} ${rel(pod.scheduled).padEnd(10)} ${rel(pod.initialized).padEnd(12)} ${rel(pod.ready)}`,
      );
  }
  if (result.nodes.length > 0) lines.push('', `nodes: ${result.nodes.join(', ')}`);
  for (const note of result.notes)
    lines.push(
      `${note.level === 'problem' ? 'problem' : 'note'}: ${note.message}${note.objects ? `: ${note.objects.join(', ')}` : ''}`,
    );
  return `${lines.join('\n')}\n`;
}
