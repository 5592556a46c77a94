import { createHash } from 'node:crypto';
import { UsageError } from '../errors/usage-error.ts';
import { recordedCount } from '../runs/run-model.ts';
import type { Run } from '../runs/run-model.ts';

/** A run as the CLI prints it with --json: the stored run, the inline chart archive summarised. */
export type RunJson = Omit<Run, 'chart'> & {
  chart: { ref: string; version?: string; archiveBytes?: number; archiveSha256?: string };
};

/** No run has that id or name; exit 2 like any other bad argument. */
export class RunNotFoundError extends UsageError {
  constructor(ref: string) {
    super(`no run with id or name "${ref}"`, {
      code: 'run-not-found',
      hint: 'list runs with `kubesoak runs`',
    });
  }
}

/** The run for --json output: a packaged chart shows its size and digest, not megabytes of base64. */
export function runJson(run: Run): RunJson {
  const { archive, ...chart } = run.chart;
  if (archive === undefined) return { ...run, chart };
  const bytes = Buffer.from(archive, 'base64');
  return {
    ...run,
    chart: {
      ...chart,
      archiveBytes: bytes.length,
      archiveSha256: createHash('sha256').update(bytes).digest('hex'),
    },
  };
}

/** Share of recorded results that passed, e.g. "96.2%"; "-" before any result. */
export function passRate(run: Pick<Run, 'counts'>): string {
  const recorded = recordedCount(run);
  return recorded === 0 ? '-' : `${((run.counts.passed / recorded) * 100).toFixed(1)}%`;
}

/** The chart as one phrase: ref, version, and whether it travels packaged with the run. */
export function chartText(run: Pick<Run, 'chart'>): string {
  const { ref, version, archive } = run.chart;
  const packaged =
    archive === undefined ? '' : ` (packaged with the run, ${kib(Buffer.byteLength(archive, 'base64'))})`;
  return `${ref}${version === undefined ? '' : ` ${version}`}${packaged}`;
}

/** `kubesoak status RUN`: every field a person asks about, one per line. */
export function formatRunStatus(run: Run): string {
  const recorded = recordedCount(run);
  const rows: Array<[string, string]> = [
    ['run', `${run.name} (${run.id})`],
    ['state', run.state],
    ['chart', chartText(run)],
    ['iterations', `${run.iterations} requested, at most ${run.parallel} at a time`],
    [
      'results',
      `passed ${run.counts.passed}, failed ${run.counts.failed}, error ${run.counts.error} ` +
        `(${recorded}/${run.iterations} recorded, ${passRate(run)} passed)`,
    ],
    ['active', `${run.active} (dispatched ${run.dispatched})`],
  ];
  if (run.note) rows.push(['note', run.note]);
  if (run.valuesFiles.length > 0) rows.push(['values', `${run.valuesFiles.length} file(s)`]);
  if (run.setValues.length > 0) rows.push(['set', run.setValues.join(' ')]);
  rows.push(['submitter', run.submitter], ['created', run.createdAt]);
  if (run.startedAt) rows.push(['started', run.startedAt]);
  if (run.cancelledAt) rows.push(['cancelled', run.cancelledAt]);
  if (run.finishedAt) rows.push(['finished', run.finishedAt]);
  const end = run.finishedAt ? Date.parse(run.finishedAt) : Date.now();
  if (run.startedAt) rows.push(['elapsed', humanDuration(end - Date.parse(run.startedAt))]);
  return rows.map(([key, value]) => `${key.padEnd(11)}${value}\n`).join('');
}

/** `kubesoak runs` and `kubesoak status`: one line per run. */
export function formatRunTable(runs: readonly Run[]): string {
  const header = ['ID', 'NAME', 'STATE', 'PROGRESS', 'PASSED', 'FAILED', 'ERROR', 'ACTIVE', 'CREATED'];
  const rows = runs.map((run) => [
    run.id.slice(0, 8),
    run.name,
    run.state,
    `${recordedCount(run)}/${run.iterations}`,
    String(run.counts.passed),
    String(run.counts.failed),
    String(run.counts.error),
    String(run.active),
    run.createdAt,
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  return [header, ...rows]
    .map((row) =>
      row
        .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
        .join('  '),
    )
    .map((line) => `${line}\n`)
    .join('');
}

/** 950ms, 12.3s, 4m05s, 2h07m. */
export function humanDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '-';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
  const minutes = Math.round(seconds / 60);
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}
