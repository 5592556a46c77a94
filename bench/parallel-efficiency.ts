// Parallel efficiency of a run on the simulated cluster: N fixed-duration iterations at P through
// the scheduler and workers with the real executor and real helm, against the ideal N·T/P where T
// is one iteration of the same plan run alone, measured in the same run. Part of `npm run
// bench:queue` (BENCH_ONLY=efficiency runs it alone).
//
// Fixed duration: the fixture chart's readiness probe first runs after `readyDelaySeconds` of
// simulated time, so with the sim's time scale every iteration waits the same real time for
// readiness; helm and the API calls add the variable rest.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../src/log/create-logger.ts';
import { startIterationWorker } from '../src/runs/iteration-worker-service.ts';
import type { IterationWorker } from '../src/runs/iteration-worker-service.ts';
import { startScheduler } from '../src/runs/scheduler.ts';
import type { Scheduler } from '../src/runs/scheduler.ts';
import { ensureKubeTools } from '../src/toolchain/kube-tools.ts';
import { createIterationExecutor } from '../workers/iteration-executor.ts';
import { percentile } from './bench-stats.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const CHART = fileURLToPath(new URL('../test/fixtures/charts/sim-light', import.meta.url));

export interface EfficiencyOptions {
  iterations: number;
  parallel: number;
  /** Real seconds every iteration waits for readiness (readyDelaySeconds × time scale). */
  fixedSeconds: number;
  timeScale: number;
  /** Iterations run alone (one after another) to measure T; the median is used. */
  aloneRuns: number;
  workers: number;
}

export interface EfficiencyResult {
  options: EfficiencyOptions;
  /** Median wall time of one iteration run alone (submit → run completed), ms. */
  aloneMs: number;
  aloneSamples: number[];
  /** Submit → run completed for the N iterations at P, ms. */
  wallMs: number;
  /** N·T/P, ms. */
  idealMs: number;
  /** ceil(N/P)·T, ms: the best any schedule can do when every iteration takes exactly T. */
  boundMs: number;
  /** Mean and p90 duration of an iteration inside the parallel run (its own startedAt → finishedAt), ms. */
  meanIterationMs: number;
  p90IterationMs: number;
  /** Sum of iteration durations / (P × wall): how busy the P slots were. */
  utilisation: number;
  passed: number;
  peakActive: number;
}

async function startSimProcess(
  timeScale: number,
  kubeconfig: string,
): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    [
      'bin/kubesoak.js',
      '--json',
      'sim',
      '--nodes',
      '3',
      '--time-scale',
      String(timeScale),
      '--kubeconfig-out',
      kubeconfig,
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  for await (const line of lines) {
    const { url } = JSON.parse(line) as { url: string };
    return { child, url };
  }
  throw new Error('kubesoak sim printed no URL');
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

async function untilCompleted(scheduler: Scheduler, id: string, onPoll?: () => Promise<void>): Promise<void> {
  for (;;) {
    const run = await scheduler.status(id);
    if (run?.state === 'completed') return;
    await onPoll?.();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Runs the benchmark against `redisUrl` (keys under a fresh prefix). The simulated cluster runs in
 * its own process (`kubesoak sim`), as a real API server would; the scheduler and workers run here.
 */
export async function parallelEfficiency(
  redisUrl: string,
  options: EfficiencyOptions,
  logger: Logger,
): Promise<EfficiencyResult> {
  const tools = await ensureKubeTools({ onProgress: (line) => process.stderr.write(`${line}\n`) });
  const dir = await mkdtemp(join(tmpdir(), 'kubesoak-efficiency-'));
  const cleanups: Array<() => Promise<void>> = [() => rm(dir, { recursive: true, force: true })];
  try {
    const kubeconfig = join(dir, 'kubeconfig');
    const sim = await startSimProcess(options.timeScale, kubeconfig);
    cleanups.push(() => stopProcess(sim.child));
    const env = {
      ...process.env,
      KUBECONFIG: kubeconfig,
      HOME: dir,
      HELM_CACHE_HOME: join(dir, 'helm-cache'),
      HELM_CONFIG_HOME: join(dir, 'helm-config'),
      HELM_DATA_HOME: join(dir, 'helm-data'),
    };
    const prefix = `efficiency-${Date.now()}`;
    const scheduler = await startScheduler({ redisUrl, prefix, tickInterval: 1_000 }, logger);
    cleanups.push(() => scheduler.close());
    const executor = createIterationExecutor({ logger, env });
    const workers: IterationWorker[] = [];
    cleanups.push(async () => {
      for (const worker of workers.reverse()) await worker.close();
    });
    for (let index = 0; index < options.workers; index += 1) {
      workers.push(
        await startIterationWorker(
          {
            redisUrl,
            prefix,
            workerId: `efficiency-${index + 1}`,
            concurrency: Math.ceil(options.parallel / options.workers),
          },
          executor,
          logger,
        ),
      );
    }
    const submission = (iterations: number, parallel: number) => ({
      chart: { ref: CHART },
      setValues: [`readyDelaySeconds=${Math.round(options.fixedSeconds / options.timeScale)}`],
      plan: { helm: tools.helm, settle: '0s', timeout: '30m' },
      iterations,
      parallel,
    });

    // T: one iteration alone, after a warm-up one (helm's first run fills its caches).
    const aloneSamples: number[] = [];
    for (let round = 0; round <= options.aloneRuns; round += 1) {
      const start = performance.now();
      const run = await scheduler.submit(submission(1, 1));
      await untilCompleted(scheduler, run.id);
      if (round > 0) aloneSamples.push(performance.now() - start);
    }
    const aloneMs = percentile(aloneSamples, 50);

    let peakActive = 0;
    const start = performance.now();
    const run = await scheduler.submit(submission(options.iterations, options.parallel));
    await untilCompleted(scheduler, run.id, async () => {
      peakActive = Math.max(
        peakActive,
        workers.reduce((sum, worker) => sum + worker.activeCount(), 0),
      );
      await Promise.resolve();
    });
    const wallMs = performance.now() - start;
    const durations: number[] = [];
    let passed = 0;
    for (let i = 0; i < options.iterations; i += 1) {
      const result = await scheduler.iteration(run.id, i);
      if (!result) continue;
      if (result.outcome === 'passed') passed += 1;
      durations.push(Date.parse(result.finishedAt) - Date.parse(result.startedAt));
    }
    const busy = durations.reduce((sum, value) => sum + value, 0);
    return {
      options,
      aloneMs,
      aloneSamples,
      wallMs,
      idealMs: (options.iterations * aloneMs) / options.parallel,
      boundMs: Math.ceil(options.iterations / options.parallel) * aloneMs,
      meanIterationMs: busy / Math.max(1, durations.length),
      p90IterationMs: percentile(durations, 90),
      utilisation: busy / (options.parallel * wallMs),
      passed,
      peakActive,
    };
  } finally {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        process.stderr.write(`cleanup failed: ${String(error)}\n`);
      }
    }
  }
}
