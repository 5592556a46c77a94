import { randomUUID } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { hostname, userInfo } from 'node:os';
import type { Command } from 'commander';
import { loadKubesoakConfig } from '../../config/kubesoak-config.ts';
import { UsageError } from '../../errors/usage-error.ts';
import { compileIterationConfig, loadPlanFile } from '../../iteration/iteration-config.ts';
import { checkKubeContext } from '../../kube/kube-cluster-client.ts';
import { packageChartDirectory } from '../../runs/chart-archive.ts';
import { MAX_CHART_ARCHIVE_BYTES } from '../../runs/iteration-job.ts';
import type { ChartRef } from '../../runs/iteration-job.ts';
import { RunNameTakenError } from '../../runs/redis-run-store.ts';
import type { Run } from '../../runs/run-model.ts';
import { InvalidSubmissionError, validateSubmission } from '../../runs/run-submission.ts';
import type { CliIo } from '../cli-io.ts';
import { followAndGate } from '../follow-run.ts';
import { globalOptions } from '../global-options.ts';
import { maxIterations, openRunsClient } from '../open-runs-client.ts';
import { runJson } from '../run-output.ts';

interface SubmitOptions {
  chart?: string;
  version?: string;
  chartVersion?: string;
  values: string[];
  set: string[];
  iterations?: string;
  parallel?: string;
  name?: string;
  note?: string;
  submitter?: string;
  plan?: string;
  kubeContext?: string;
  wait?: boolean;
  failOnFailure?: boolean;
}

const collect = (value: string, previous: string[]) => [...previous, value];

/**
 * `kubesoak submit`: validates everything locally (values files, plan, chart, numbers, name, kube
 * context) before anything is written, packages a local chart directory so workers elsewhere can
 * install it, submits the run and prints its id; with --wait follows it to the end.
 */
export function registerSubmitCommand(program: Command, io: CliIo): void {
  program
    .command('submit')
    .description('submit a soak run: N iterations of a chart, at most P at a time, on the worker pool')
    .option('--chart <chart>', 'chart directory, .tgz, REPO/CHART or oci:// reference')
    .option('--version <version>', 'chart version (repo and OCI charts)')
    .option('--chart-version <version>', 'same as --version')
    .option('-f, --values <file>', 'values file, sent with the run (repeatable)', collect, [])
    .option('--set <key=value>', 'value override (repeatable)', collect, [])
    .option('--iterations <n>', 'how many iterations the run has (1 … the scheduler maximum)')
    .option('--parallel <p>', 'at most this many iterations of the run at once')
    .option('--name <name>', 'run name: DNS label, unique among live runs (default run-<id>)')
    .option('--note <text>', 'what changed since the last run')
    .option(
      '--submitter <text>',
      'who or what submits it, e.g. a CI job URL (default: user@host, plus the CI job when one is detected)',
    )
    .option('--plan <file>', 'YAML iteration plan (timeouts, exec steps...), as for `kubesoak iterate`')
    .option('--kube-context <name>', "kubeconfig context the workers use (checked against this machine's)")
    .option('--wait', 'follow the run live until it ends')
    .option('--fail-on-failure', 'with --wait: exit 1 if any iteration failed or errored')
    .action(async (options: SubmitOptions, command: Command) => {
      const { json, config: configFile } = globalOptions(command);
      const config = await loadKubesoakConfig({ file: configFile, env: io.env });
      if (options.failOnFailure && !options.wait)
        throw new UsageError('--fail-on-failure needs --wait', { code: 'invalid-option' });
      const raw = await buildSubmission(options, command, io, maxIterations(config));
      const client = await openRunsClient(config);
      try {
        let run: Run;
        try {
          run = await client.submit(raw);
        } catch (error) {
          throw asUsageError(error);
        }
        if (!options.wait) {
          io.stdout.write(json ? `${JSON.stringify(runJson(run))}\n` : `${run.id}\n`);
          return;
        }
        await followAndGate(client, run.id, io, { json, failOnFailure: options.failOnFailure === true });
      } finally {
        await client.close();
      }
    });
}

/** Everything a submission needs, validated here so that a refusal writes nothing anywhere. */
async function buildSubmission(
  options: SubmitOptions,
  command: Command,
  io: CliIo,
  max: number,
): Promise<Record<string, unknown>> {
  const iterations = wholeNumber('--iterations', options.iterations);
  const parallel = wholeNumber('--parallel', options.parallel);
  const plan: Record<string, unknown> = options.plan ? await loadPlanFile(options.plan) : {};
  const given = (name: string) => command.getOptionValueSource(name) === 'cli';
  const {
    chart: planChart,
    version: planVersion,
    values: planValues,
    set: planSet,
    ...planRest
  } = plan as {
    chart?: unknown;
    version?: unknown;
    values?: unknown;
    set?: unknown;
    context?: unknown;
    [key: string]: unknown;
  };
  const chartRef = options.chart ?? (typeof planChart === 'string' ? planChart : undefined);
  if (chartRef === undefined || chartRef.trim() === '')
    throw new UsageError('--chart is required', {
      code: 'invalid-submission',
      hint: 'give a chart directory, a .tgz, REPO/CHART or an oci:// reference (or chart: in the --plan file)',
    });
  const version =
    options.version ?? options.chartVersion ?? (typeof planVersion === 'string' ? planVersion : undefined);
  const valuesPaths = given('values') ? options.values : stringList(planValues);
  const setValues = given('set') ? options.set : stringList(planSet);
  const context =
    options.kubeContext ?? (typeof planRest.context === 'string' ? planRest.context : undefined);
  const runPlan: Record<string, unknown> = {
    ...planRest,
    ...(context === undefined ? {} : { context }),
  };
  // The engine validates the plan again on the worker; checking it here refuses it before it is stored.
  compileIterationConfig({ ...runPlan, chart: chartRef, values: [], set: setValues });

  const submission: Record<string, unknown> = {
    ...(options.name === undefined ? {} : { name: options.name }),
    ...(options.note === undefined ? {} : { note: options.note }),
    chart: { ref: chartRef, ...(version === undefined ? {} : { version }) },
    valuesFiles: [] as string[],
    setValues,
    plan: runPlan,
    iterations,
    parallel,
    submitter: options.submitter ?? submitter(io.env),
  };
  // Cheap checks first: numbers and name before reading files or packaging the chart.
  validateLocally(submission, max);
  submission.valuesFiles = await readValuesFiles(valuesPaths);
  if (context !== undefined) checkKubeContext(context, { env: io.env });
  submission.chart = await resolveChart(chartRef, version);
  validateLocally(submission, max);
  return submission;
}

function validateLocally(submission: Record<string, unknown>, max: number): void {
  try {
    validateSubmission(submission, { maxIterations: max, runId: randomUUID() });
  } catch (error) {
    throw asUsageError(error);
  }
}

function wholeNumber(flag: string, text: string | undefined): number {
  if (text === undefined)
    throw new UsageError(`${flag} is required`, { code: 'invalid-submission', hint: 'give a whole number' });
  const value = Number(text);
  if (!/^[-+]?\d+$/.test(text.trim()) || !Number.isSafeInteger(value))
    throw new UsageError(`invalid ${flag} "${text}"`, {
      code: 'invalid-submission',
      hint: 'give a whole number',
    });
  return value;
}

function stringList(value: unknown): string[] {
  if (value === undefined) return [];
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value;
  throw new UsageError('plan file: values and set must be lists of strings', { code: 'invalid-config' });
}

async function readValuesFiles(paths: readonly string[]): Promise<string[]> {
  const contents: string[] = [];
  for (const path of paths) {
    try {
      contents.push(await readFile(path, 'utf8'));
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      throw new UsageError(`cannot read values file ${path}${typeof code === 'string' ? ` (${code})` : ''}`, {
        code: 'values-unreadable',
        cause: error,
      });
    }
  }
  return contents;
}

/**
 * A local chart directory or .tgz travels inline with the run (workers may be on other machines);
 * anything else is a repository or OCI reference the workers resolve themselves.
 */
async function resolveChart(ref: string, version: string | undefined): Promise<ChartRef> {
  const info = await stat(ref).catch(() => undefined);
  if (info?.isDirectory()) {
    const archive = await packageChartDirectory(ref);
    return { ref, archive: archive.bytes.toString('base64') };
  }
  if (info?.isFile()) {
    const bytes = await readFile(ref);
    if (bytes[0] !== 0x1f || bytes[1] !== 0x8b)
      throw new UsageError(`chart ${ref} is not a .tgz`, {
        code: 'chart-archive',
        hint: 'pass a chart directory, a packaged .tgz, REPO/CHART or an oci:// reference',
      });
    if (bytes.length > MAX_CHART_ARCHIVE_BYTES)
      throw new UsageError(
        `chart ${ref} is ${(bytes.length / 1024 / 1024).toFixed(1)} MiB, over the ${MAX_CHART_ARCHIVE_BYTES / 1024 / 1024} MiB limit for charts shipped with a run`,
        { code: 'chart-archive', hint: 'push the chart to a repository and pass REPO/CHART' },
      );
    return { ref, archive: bytes.toString('base64') };
  }
  if (/^(\.{1,2}\/|\/|~)/.test(ref) || ref.endsWith('.tgz'))
    throw new UsageError(`chart ${ref} not found`, {
      code: 'chart-not-found',
      hint: 'give an existing chart directory or .tgz, REPO/CHART or an oci:// reference',
    });
  return { ref, ...(version === undefined ? {} : { version }) };
}

function submitter(env: NodeJS.ProcessEnv): string {
  let user = env.USER ?? env.USERNAME;
  if (!user) {
    try {
      user = userInfo().username;
    } catch {
      user = 'unknown';
    }
  }
  // In CI the job says more than the runner's user and host.
  const job =
    env.GITHUB_ACTIONS === 'true' && env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID
      ? `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`
      : (env.CI_JOB_URL ?? env.BUILD_URL);
  return `${user}@${hostname()} (kubesoak submit${job ? `, ${job}` : ''})`.slice(0, 256);
}

/** Refusals of the submission itself are usage errors: exit 2, like every other bad input. */
function asUsageError(error: unknown): unknown {
  if (error instanceof InvalidSubmissionError)
    return new UsageError(error.message, { code: error.code, cause: error });
  if (error instanceof RunNameTakenError)
    return new UsageError(error.message, { code: error.code, hint: error.hint, cause: error });
  return error;
}
