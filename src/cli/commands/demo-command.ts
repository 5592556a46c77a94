import type { Command } from 'commander';
import { loadKubesoakConfig } from '../../config/kubesoak-config.ts';
import { formatDemoSummary, demoJson } from '../../demo/format-demo-summary.ts';
import { runDemo } from '../../demo/run-demo.ts';
import type { DemoFollowContext } from '../../demo/run-demo.ts';
import { KubesoakError } from '../../errors/kubesoak-error.ts';
import { createLogger } from '../../log/create-logger.ts';
import type { Run } from '../../runs/run-model.ts';
import { CliExit } from '../cli-exit.ts';
import { ExitCode } from '../exit-code.ts';
import type { CliIo } from '../cli-io.ts';
import { FollowStoppedError, followRun } from '../follow-run.ts';
import { globalOptions } from '../global-options.ts';
import { integerOption, positiveNumberOption } from '../option-parsers.ts';
import type { WorkerRuntime } from '../worker-runtime.ts';

interface DemoFlags {
  iterations: number;
  parallel: number;
  scenario?: string;
  seed?: string;
  timeScale?: number;
  keepRunning?: boolean;
  metricsPort?: number;
}

/** Exit code when the forced cleanup hangs, as shells report a SIGINT death. */
const INTERRUPTED_EXIT = 130;
/** After the second Ctrl-C, how long the forced cleanup may take before the process just exits. */
const FORCE_EXIT_MS = 15_000;

/**
 * `kubesoak demo`: the main job on the embedded simulated cluster. Starts a simulated cluster with
 * the story's faults, a Redis, a scheduler, workers and /metrics, soak-tests the bundled example
 * chart and prints what failed, how often and where. Exits 0 whatever the chart did: the demo
 * worked if it got to the summary.
 */
export function registerDemoCommand(program: Command, io: CliIo, runtime?: WorkerRuntime): void {
  program
    .command('demo')
    .description('soak-test a bundled example chart on the embedded simulated cluster')
    .option('--iterations <n>', 'iterations to run', integerOption('--iterations', 1, 10_000), 30)
    .option('--parallel <n>', 'iterations at a time', integerOption('--parallel', 1, 64), 6)
    .option('--scenario <file>', 'fault scenario (default: examples/scenarios/demo.yaml, from the story)')
    .option('--seed <seed>', "seed of the simulated cluster's random draws (default: the scenario's)")
    .option(
      '--time-scale <f>',
      "real time per simulated time (default: the scenario's, 0.05)",
      positiveNumberOption('--time-scale'),
    )
    .option(
      '--keep-running',
      'keep the cluster, scheduler, workers and /metrics up after the run until Ctrl-C',
    )
    .option(
      '--metrics-port <n>',
      'port of the /metrics endpoint (default 9464, or a free one if taken; 0: any free port)',
      integerOption('--metrics-port', 0, 65_535),
    )
    .addHelpText(
      'after',
      [
        '',
        'Uses the Redis at REDIS_URL (default redis://127.0.0.1:6379), or starts a private',
        'redis-server when none answers there. Downloads the pinned helm on first use.',
        '',
        'Examples:',
        '  kubesoak demo',
        '  kubesoak demo --iterations 100 --parallel 8 --seed 7',
        '  kubesoak demo --keep-running        # then open the metrics URL, kubectl the cluster',
      ].join('\n'),
    )
    .action(async (flags: DemoFlags, command: Command) => {
      const global = globalOptions(command);
      if (!runtime)
        throw new KubesoakError('no-worker-runtime', 'kubesoak demo needs the worker runtime', {
          hint: 'run it through the kubesoak CLI (bin/kubesoak.js), which provides it',
        });
      const config = await loadKubesoakConfig({ file: global.config, env: io.env });
      // --json keeps stdout for the summary document; everything else goes to stderr.
      const human = global.json ? io.stderr : io.stdout;
      const say = (line: string) => human.write(`${line}\n`);
      const logger = await createLogger({
        level: global.debug ? 'info' : 'error',
        destination: io.stderr,
        pretty: false,
      });

      const stop = new AbortController();
      const force = new AbortController();
      let forceTimer: NodeJS.Timeout | undefined;
      const onSignal = () => {
        if (!stop.signal.aborted) {
          say(
            'stopping: draining in-flight iterations and removing what the demo started (Ctrl-C again to force)',
          );
          stop.abort();
          return;
        }
        if (force.signal.aborted) return;
        say('forcing: aborting in-flight iterations');
        force.abort();
        forceTimer = setTimeout(() => process.exit(INTERRUPTED_EXIT), FORCE_EXIT_MS);
        forceTimer.unref();
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      try {
        const result = await runDemo(
          {
            iterations: flags.iterations,
            parallel: flags.parallel,
            scenarioFile: flags.scenario,
            seed: flags.seed,
            timeScale: flags.timeScale,
            keepRunning: flags.keepRunning === true,
            metricsPort: flags.metricsPort,
            redisUrl: config.redis.url,
          },
          {
            createExecutor: (options) => runtime.createExecutor(options),
            logger,
            say,
            follow: (context, signal) =>
              follow(context, { stdout: human, stderr: io.stderr, env: io.env }, signal),
            onFinished: (finished) => {
              if (global.json) io.stdout.write(`${JSON.stringify(demoJson(finished))}\n`);
              else io.stdout.write(formatDemoSummary(finished, { keepRunning: flags.keepRunning === true }));
            },
            force: force.signal,
            env: io.env,
          },
          stop.signal,
        );
        // Interrupted before the run completed: the summary covers what finished, the exit says so.
        if (result.interrupted) throw new CliExit(ExitCode.failed);
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        clearTimeout(forceTimer);
      }
    });
}

/** Live progress through followRun; Ctrl-C ends following and the demo reads the last state. */
async function follow(context: DemoFollowContext, io: CliIo, signal: AbortSignal): Promise<Run> {
  try {
    return await followRun(context.client, context.runId, io, { signal, summary: false });
  } catch (error) {
    if (!(error instanceof FollowStoppedError)) throw error;
    const run = await context.client.status(context.runId);
    if (!run) throw error;
    return run;
  }
}
