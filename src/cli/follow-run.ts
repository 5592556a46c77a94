import { setTimeout as sleep } from 'node:timers/promises';
import { KubesoakError } from '../errors/kubesoak-error.ts';
import type { IterationSummary } from '../runs/iteration-job.ts';
import { isLiveState, recordedCount, RunState } from '../runs/run-model.ts';
import type { Run } from '../runs/run-model.ts';
import { MAX_RESULTS_PER_REQUEST } from '../runs/runs-client.ts';
import type { RunsClient } from '../runs/runs-client.ts';
import type { CliIo } from './cli-io.ts';
import { humanDuration, runJson, RunNotFoundError } from './run-output.ts';

/** Default pause between two polls of the run. */
const POLL_INTERVAL_MS = 500;
/** Least time between two redraws of the progress bar. */
const REDRAW_MS = 100;
/** How long polling may keep failing (Redis or the scheduler restarting) before following gives up. */
const OUTAGE_BUDGET_MS = 60_000;

/** Following was stopped (Ctrl-C); the run itself goes on. */
export class FollowStoppedError extends KubesoakError {
  constructor(run: Pick<Run, 'name'>) {
    super('follow-stopped', `stopped following run ${run.name}; the run continues`, {
      hint: `see it with \`kubesoak status ${run.name}\`, follow it again with \`kubesoak status ${run.name} --wait\``,
    });
  }
}

/** With --fail-on-failure: the run had failed or errored iterations, or was cancelled. */
export class RunFailedError extends KubesoakError {
  constructor(run: Run) {
    const what =
      run.state === RunState.cancelled
        ? `was cancelled after ${recordedCount(run)} of ${run.iterations} iterations`
        : `had ${run.counts.failed} failed and ${run.counts.error} errored of ${run.iterations} iterations`;
    super('run-failed', `run ${run.name} ${what} (--fail-on-failure)`, {
      hint: `see why with \`kubesoak show ${run.name} ITERATION\``,
    });
  }
}

/**
 * What `submit --wait` and `status RUN --wait` do: follows the run with Ctrl-C (SIGINT) stopping
 * the follow only, then with `failOnFailure` throws RunFailedError (exit 1) if any iteration failed
 * or errored, or the run was cancelled.
 */
export async function followAndGate(
  client: RunsClient,
  runRef: string,
  io: CliIo,
  options: { json: boolean; failOnFailure: boolean },
): Promise<Run> {
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  let run: Run;
  try {
    run = await followRun(client, runRef, io, { signal: controller.signal, json: options.json });
  } finally {
    process.removeListener('SIGINT', stop);
  }
  const failed = run.counts.failed + run.counts.error > 0 || run.state === RunState.cancelled;
  if (options.failOnFailure && failed) throw new RunFailedError(run);
  return run;
}

/** Options of {@link followRun}. */
export interface FollowRunOptions {
  /** Aborting stops following (not the run) with FollowStoppedError. */
  signal?: AbortSignal;
  /** Print nothing while following, then the final run as JSON (see docs/cli.md). */
  json?: boolean;
  /** Pause between polls; default 500 ms. */
  pollIntervalMs?: number;
  /** End with the summary lines (default true); the demo prints a richer summary of its own. */
  summary?: boolean;
}

/** What the follower has seen: outcome counts, and failures by category and by node. */
export interface FollowTally {
  passed: number;
  failed: number;
  error: number;
  byCategory: Map<string, number>;
  byNode: Map<string, number>;
}

/**
 * Follows a run live until it completes or is cancelled and resolves with its final state. On a TTY
 * it redraws one progress line (passed/failed/error, rate, ETA) and prints failures above it;
 * otherwise it prints one plain line per finished iteration (`iteration 17 failed
 * category=ready-timeout node=n2 failures=2 success=51 errors=0`). Both end with a summary: success
 * rate, failures by category and by node. Works with any RunsClient (HTTP, Redis, in-process).
 */
export async function followRun(
  client: RunsClient,
  runRef: string,
  io: CliIo,
  options: FollowRunOptions = {},
): Promise<Run> {
  const pollMs = options.pollIntervalMs ?? POLL_INTERVAL_MS;
  let run = await client.status(runRef);
  if (!run) throw new RunNotFoundError(runRef);
  const id = run.id;
  const tally: FollowTally = { passed: 0, failed: 0, error: 0, byCategory: new Map(), byNode: new Map() };
  const display: Display = options.json
    ? silentDisplay
    : io.stdout.isTTY
      ? new BarDisplay(io.stdout)
      : new PlainDisplay(io.stdout);
  const rate = new RateMeter(run);
  display.start(run);

  // Results are fetched by iteration number: every iteration below `low` was seen, `seen` holds
  // the ones above it. Unseen dispatched iterations are at most P plus the new results.
  let low = 0;
  const seen = new Set<number>();
  let seenCount = 0;
  let failingSince: number | undefined;
  for (;;) {
    let fresh = 0;
    if (options.signal?.aborted) {
      display.stop();
      throw new FollowStoppedError(run);
    }
    try {
      // Only the moving parts: the spec (values, an inline chart) is not re-read on every poll.
      const current = await client.progress(id);
      if (!current) throw new RunGoneError(run);
      run = { ...run, ...current };
      while (seenCount < recordedCount(run)) {
        const candidates: number[] = [];
        for (let i = low; i < run.dispatched && candidates.length < MAX_RESULTS_PER_REQUEST; i += 1)
          if (!seen.has(i)) candidates.push(i);
        if (candidates.length === 0) break;
        const results = await client.results(id, candidates);
        if (!results) throw new RunGoneError(run);
        if (results.length === 0) break;
        results.sort((a, b) => a.finishedAt.localeCompare(b.finishedAt) || a.iteration - b.iteration);
        for (const result of results) {
          if (seen.has(result.iteration) || result.iteration < low) continue;
          seen.add(result.iteration);
          seenCount += 1;
          fresh += 1;
          count(tally, result);
          display.result(result, tally);
        }
        while (seen.delete(low)) low += 1;
      }
      if (failingSince !== undefined && !options.json)
        io.stderr.write(`${display.clearLine()}kubesoak: reaching ${client.target} again; following on\n`);
      failingSince = undefined;
    } catch (error) {
      // Only outages are waited out (Redis or the scheduler restarting); anything else is final.
      const transient = !(error instanceof KubesoakError) || error.retryable;
      if (!transient || (failingSince !== undefined && Date.now() - failingSince > OUTAGE_BUDGET_MS)) {
        display.stop();
        throw error;
      }
      if (failingSince === undefined && !options.json)
        io.stderr.write(
          `${display.clearLine()}kubesoak: cannot reach ${client.target} (${error instanceof Error ? error.message : String(error)}); retrying for up to ${OUTAGE_BUDGET_MS / 1000}s\n`,
        );
      failingSince ??= Date.now();
    }
    display.progress(run, tally, rate.sample(run));
    // A cancelled run ends the follow at once: its last active iterations may run for minutes.
    // An ended run whose poll brought nothing new is done even if a result cannot be read.
    const ended = !isLiveState(run.state) && failingSince === undefined;
    if (run.state === RunState.cancelled || (ended && (seenCount >= recordedCount(run) || fresh === 0)))
      break;
    await sleep(pollMs, undefined, options.signal ? { signal: options.signal } : {}).catch(() => undefined);
  }
  if (options.summary === false) display.stop();
  else display.finish(run, tally);
  if (options.json) io.stdout.write(`${JSON.stringify(runJson(run))}\n`);
  return run;
}

/** The run was deleted (retention) while being followed. */
class RunGoneError extends KubesoakError {
  constructor(run: Pick<Run, 'name' | 'id'>) {
    super('run-gone', `run ${run.name} (${run.id}) no longer exists`, {
      hint: 'it was deleted by retention or by hand',
    });
  }
}

function count(tally: FollowTally, result: IterationSummary): void {
  tally[result.outcome] += 1;
  if (result.outcome === 'passed') return;
  tally.byCategory.set(result.category, (tally.byCategory.get(result.category) ?? 0) + 1);
  for (const node of new Set(result.nodes ?? [])) tally.byNode.set(node, (tally.byNode.get(node) ?? 0) + 1);
}

/** Results per second while following, falling back to the run's whole life before two samples. */
class RateMeter {
  readonly #startMs = Date.now();
  readonly #startRecorded: number;
  constructor(run: Run) {
    this.#startRecorded = recordedCount(run);
  }
  sample(run: Run): { perSecond: number; etaMs: number | undefined } {
    const recorded = recordedCount(run);
    let perSecond = 0;
    const elapsed = Date.now() - this.#startMs;
    if (recorded > this.#startRecorded && elapsed > 0)
      perSecond = ((recorded - this.#startRecorded) * 1000) / elapsed;
    else if (run.startedAt && recorded > 0)
      perSecond = (recorded * 1000) / Math.max(1, Date.now() - Date.parse(run.startedAt));
    const remaining = run.iterations - recorded;
    const etaMs = perSecond > 0 && isLiveState(run.state) ? (remaining / perSecond) * 1000 : undefined;
    return { perSecond, etaMs };
  }
}

interface Display {
  start(run: Run): void;
  result(result: IterationSummary, tally: FollowTally): void;
  progress(run: Run, tally: FollowTally, rate: { perSecond: number; etaMs: number | undefined }): void;
  /** Leaves the terminal clean after an interruption. */
  stop(): void;
  /** What to write before a message on another stream so it does not land inside the bar. */
  clearLine(): string;
  finish(run: Run, tally: FollowTally): void;
}

const silentDisplay: Display = {
  start: () => undefined,
  result: () => undefined,
  progress: () => undefined,
  stop: () => undefined,
  clearLine: () => '',
  finish: () => undefined,
};

/** One line per finished iteration, for logs and CI. */
class PlainDisplay implements Display {
  readonly #out: NodeJS.WritableStream;
  constructor(out: NodeJS.WritableStream) {
    this.#out = out;
  }
  start(run: Run): void {
    this.#out.write(
      `following run ${run.name} (${run.id}): ${run.iterations} iterations, at most ${run.parallel} at a time\n`,
    );
  }
  result(result: IterationSummary, tally: FollowTally): void {
    this.#out.write(`${resultLine(result, tally)}\n`);
  }
  progress(): void {}
  stop(): void {}
  clearLine(): string {
    return '';
  }
  finish(run: Run, tally: FollowTally): void {
    this.#out.write(summaryLines(run, tally));
  }
}

/** A progress bar redrawn in place, with failures printed above it as they happen. */
class BarDisplay implements Display {
  readonly #out: NodeJS.WritableStream & { columns?: number };
  #lastDraw = 0;
  #bar = '';
  constructor(out: NodeJS.WritableStream) {
    this.#out = out;
  }
  start(run: Run): void {
    this.#out.write(`following run ${run.name} (${run.id}); Ctrl-C stops following, not the run\n`);
  }
  result(result: IterationSummary, tally: FollowTally): void {
    if (result.outcome === 'passed') return;
    this.#out.write(`\r\x1b[2K${resultLine(result, tally)}\n`);
    // The bar is redrawn by the next progress() with fresh counts, not repeated stale here.
    this.#bar = '';
    this.#lastDraw = 0;
  }
  progress(run: Run, _tally: FollowTally, rate: { perSecond: number; etaMs: number | undefined }): void {
    const now = Date.now();
    if (now - this.#lastDraw < REDRAW_MS && isLiveState(run.state)) return;
    this.#lastDraw = now;
    this.#bar = `\r\x1b[2K${barLine(run, rate, this.#out.columns ?? 80)}`;
    this.#out.write(this.#bar);
  }
  stop(): void {
    if (this.#bar) this.#out.write('\n');
    this.#bar = '';
  }
  clearLine(): string {
    // The bar is redrawn by the next progress().
    this.#bar = '';
    this.#lastDraw = 0;
    return '\r\x1b[2K';
  }
  finish(run: Run, tally: FollowTally): void {
    this.stop();
    this.#out.write(summaryLines(run, tally));
  }
}

function barLine(run: Run, rate: { perSecond: number; etaMs: number | undefined }, columns: number): string {
  const recorded = recordedCount(run);
  const { passed, failed, error } = run.counts;
  const text =
    ` ${recorded}/${run.iterations}  passed ${passed}  failed ${failed}  error ${error}  active ${run.active}` +
    `  ${rate.perSecond.toFixed(1)}/s  ETA ${rate.etaMs === undefined ? '-' : humanDuration(rate.etaMs)}`;
  const width = Math.max(10, Math.min(40, columns - text.length - 3));
  const filled = run.iterations === 0 ? 0 : Math.round((recorded / run.iterations) * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]${text}`;
}

function resultLine(result: IterationSummary, tally: FollowTally): string {
  const parts = [`iteration ${result.iteration}`, result.outcome];
  if (result.outcome !== 'passed') parts.push(`category=${result.category}`);
  if (result.failedStep) parts.push(`step=${result.failedStep}`);
  if (result.nodes && result.nodes.length > 0) parts.push(`node=${result.nodes.join(',')}`);
  if (result.attempt > 1) parts.push(`attempt=${result.attempt}`);
  parts.push(`duration=${humanDuration(Date.parse(result.finishedAt) - Date.parse(result.startedAt))}`);
  parts.push(`failures=${tally.failed}`, `success=${tally.passed}`, `errors=${tally.error}`);
  return parts.join(' ');
}

function summaryLines(run: Run, tally: FollowTally): string {
  const recorded = recordedCount(run);
  const { passed, failed, error } = run.counts;
  const rate = recorded === 0 ? '-' : `${((passed / recorded) * 100).toFixed(1)}%`;
  const elapsed =
    run.startedAt && run.finishedAt
      ? ` in ${humanDuration(Date.parse(run.finishedAt) - Date.parse(run.startedAt))}`
      : '';
  const still = run.active > 0 && run.state === RunState.cancelled ? `, ${run.active} still active` : '';
  const lines = [
    `run ${run.name} ${run.state}: ${recorded}/${run.iterations} iterations, success=${passed} failures=${failed} errors=${error}, success rate ${rate}${elapsed}${still}`,
  ];
  const list = (map: Map<string, number>) =>
    [...map]
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .map(([key, value]) => `${key}=${value}`)
      .join(' ');
  if (tally.byCategory.size > 0) lines.push(`failures by category: ${list(tally.byCategory)}`);
  if (tally.byNode.size > 0) lines.push(`failures by node: ${list(tally.byNode)}`);
  return lines.map((line) => `${line}\n`).join('');
}
