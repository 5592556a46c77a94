import { CleanupStack, describeFailures } from '../lifecycle/cleanup-stack.ts';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import { stringify } from 'yaml';
import { KubesoakError } from '../errors/kubesoak-error.ts';
import { KubeClusterClient } from '../kube/kube-cluster-client.ts';
import type { Logger } from '../log/create-logger.ts';
import { KubesoakMetrics } from '../metrics/kubesoak-metrics.ts';
import { RedisServerStartError, startPrivateRedisServer } from '../redis/private-redis-server.ts';
import type { IterationExecutor } from '../runs/iteration-job.ts';
import { startIterationWorker } from '../runs/iteration-worker-service.ts';
import type { IterationWorker } from '../runs/iteration-worker-service.ts';
import { RedisUnavailableError, openRedis, redactRedisUrl } from '../runs/redis-connection.ts';
import { RedisRunStore } from '../runs/redis-run-store.ts';
import { RedisRunsClient } from '../runs/redis-runs-client.ts';
import type { RunsClient } from '../runs/runs-client.ts';
import type { Run } from '../runs/run-model.ts';
import { summarizeRun } from '../runs/run-summary.ts';
import type { RunSummary } from '../runs/run-summary.ts';
import { startScheduler } from '../runs/scheduler.ts';
import type { Scheduler } from '../runs/scheduler.ts';
import { loadScenario } from '../sim/faults/load-scenario.ts';
import { startSimCluster } from '../sim/sim-cluster.ts';
import { ensureKubeTools } from '../toolchain/kube-tools.ts';
import { bundledChartPath, bundledScenarioPath } from './bundled-examples.ts';
import { serveDemoMetrics } from './serve-demo-metrics.ts';

/** Validated options of one demo (the CLI parses and checks the flags). */
export interface DemoOptions {
  iterations: number;
  parallel: number;
  /** Scenario file; default the bundled examples/scenarios/demo.yaml. */
  scenarioFile?: string | undefined;
  /** Overrides the scenario's seed. */
  seed?: string | undefined;
  /** Overrides the scenario's time scale. */
  timeScale?: number | undefined;
  /** Keep everything up after the run until `signal` aborts. */
  keepRunning: boolean;
  /** /metrics port; undefined: 9464, or a free one with a notice when 9464 is taken. */
  metricsPort?: number | undefined;
  /** Default 127.0.0.1: the demo's endpoint is for this machine. */
  metricsHost?: string | undefined;
  /** Redis to use; when none answers there and redis-server is on PATH, a private one. */
  redisUrl: string;
  /** redis-server binary for the private Redis; default the one on PATH. */
  redisServer?: string | undefined;
  /** Chart to soak-test; default the bundled examples/charts/shop. */
  chart?: string | undefined;
  /** In-process workers sharing the queue (default 2), each with a share of `parallel` slots. */
  workers?: number | undefined;
}

/** What the demo needs from its caller. */
export interface DemoDependencies {
  /** The iteration engine as an executor (the CLI gets it from workers/ through WorkerRuntime). */
  createExecutor: (options: { logger: Logger; env?: NodeJS.ProcessEnv }) => IterationExecutor;
  logger: Logger;
  /** One line for the person running the demo (what it starts, where things are). */
  say: (line: string) => void;
  /** Follows the run until it ends or `signal` aborts; resolves with the last state seen. */
  follow: (context: DemoFollowContext, signal: AbortSignal) => Promise<Run>;
  /** Called with the finished result before --keep-running waits for the signal. */
  onFinished?: ((result: DemoResult) => void) | undefined;
  /** Aborting it makes the shutdown stop in-flight iterations at once instead of draining. */
  force?: AbortSignal | undefined;
  /** Environment the tools and workers see; default process.env. */
  env?: NodeJS.ProcessEnv | undefined;
}

/** What a progress follower can read. */
export interface DemoFollowContext {
  readonly runId: string;
  /** Runs through the demo's Redis and prefix, as `kubesoak status/show` would read them. */
  readonly client: RunsClient;
  readonly scheduler: Scheduler;
  readonly store: RedisRunStore;
}

/** The outcome of a demo. */
export interface DemoResult {
  run: Run;
  summary: RunSummary;
  /** True when the demo was interrupted before the run completed. */
  interrupted: boolean;
  seed: string;
  scenario: string;
  chart: string;
  /** Redis key prefix of this demo's runs and queue. */
  prefix: string;
  redisUrl: string;
  /** True when the demo started its own redis-server. */
  privateRedis: boolean;
  kubeconfig: string;
  /** A kubesoak config file naming the demo's Redis and prefix (for `kubesoak --config F show`). */
  configFile: string;
  clusterUrl: string;
  metricsUrl: string;
  helm: string;
}

/** Neither the configured Redis nor a redis-server binary is available. */
export class DemoRedisUnavailableError extends KubesoakError {
  constructor(url: string, cause?: unknown) {
    super(
      'redis-unavailable',
      `no Redis answers at ${redactRedisUrl(url)} and redis-server is not on PATH to start a private one`,
      {
        retryable: true,
        hint: 'start Redis and point REDIS_URL at it, or install redis-server (apt-get install -y redis-server)',
        cause,
      },
    );
  }
}

/** How long a probe of REDIS_URL may take before the demo starts its own Redis. */
const REDIS_PROBE_MS = 1_500;
/** How long in-flight iterations may finish after Ctrl-C before they are aborted. */
const DRAIN_GRACE_MS = 60_000;

/** The time scale the demo's timeouts are tuned for (the bundled scenario's). */
const TUNED_TIME_SCALE = 0.05;

/**
 * The iteration plan of the demo's run. Its timeouts are wall-clock and fit the bundled chart at
 * the bundled scenario's time scale (a slow migration takes 2 s, a stuck one is caught by `ready`
 * after 20 s); a slower simulation (--time-scale 1 is real time) stretches them alike.
 */
export function demoPlan(timeScale: number): Record<string, unknown> {
  const factor = Math.max(1, timeScale / TUNED_TIME_SCALE);
  const scaled = (ms: number) => `${Math.round(ms * factor)}ms`;
  return {
    namespacePrefix: 'demo',
    release: 'shop',
    settle: scaled(1_000),
    unschedulableGrace: scaled(10_000),
    timeout: scaled(180_000),
    timeouts: {
      namespace: scaled(20_000),
      install: scaled(45_000),
      ready: scaled(20_000),
      test: scaled(30_000),
      uninstall: scaled(45_000),
      namespaceDeletion: scaled(45_000),
    },
  };
}

/**
 * `kubesoak demo` as a library: starts a simulated cluster with a scenario from the story, a Redis
 * (the configured one, or a private redis-server), a scheduler and in-process workers, a /metrics
 * endpoint, then runs the bundled chart N times at P parallel and summarises the results. Every
 * part it starts is stopped in reverse order, also when it fails or `signal` aborts (Ctrl-C): the
 * run is cancelled, in-flight iterations drain (or stop at once when `deps.force` aborts) and the
 * demo's Redis keys are removed unless `keepRunning`.
 */
export async function runDemo(
  options: DemoOptions,
  deps: DemoDependencies,
  signal: AbortSignal,
): Promise<DemoResult> {
  const env = deps.env ?? process.env;
  const log = deps.logger.child({ component: 'demo' });
  const cleanups = new CleanupStack();
  const defer = (what: string, run: () => Promise<void>) => cleanups.push(what, run);
  let keepKeys = false;
  // A bad scenario file is a usage error: found before anything starts.
  const scenarioFile = options.scenarioFile ?? bundledScenarioPath();
  const scenario = await loadScenario(scenarioFile);
  const seed = options.seed ?? String(scenario.seed ?? 1);
  try {
    const check = () => {
      if (signal.aborted) throw new DemoInterruptedError();
    };
    const work = await mkdtemp(join(tmpdir(), 'kubesoak-demo-'));
    defer('temp directory', () => rm(work, { recursive: true, force: true }));

    // Redis: the configured one, else a private redis-server for the demo's lifetime.
    const redis = await chooseRedis(options.redisUrl, options.redisServer, log);
    if (redis.stop) defer('private redis-server', redis.stop);
    deps.say(
      redis.private
        ? `no Redis at ${redactRedisUrl(options.redisUrl)}: started a private redis-server at ${redis.url}`
        : `using Redis at ${redactRedisUrl(redis.url)}`,
    );
    const prefix = `kubesoak-demo-${randomUUID().slice(0, 8)}`;
    const configFile = join(work, 'kubesoak.yaml');
    await writeFile(configFile, stringify({ redis: { url: redis.url, prefix } }), { mode: 0o600 });
    const keys = await openRedis(redis.url, { role: 'producer' });
    defer('redis connection', () => quit(keys));
    defer('demo keys', async () => {
      if (keepKeys) return;
      await deleteKeys(keys, prefix);
    });
    check();

    // helm: a fresh machine has none on PATH; the pinned one is cached after the first demo.
    const tools = await ensureKubeTools({ onProgress: (line) => deps.say(line), signal });
    check();

    const cluster = await startSimCluster({
      scenario,
      seed,
      ...(options.timeScale === undefined ? {} : { timeScale: options.timeScale }),
      kubeconfigPath: join(work, 'kubeconfig'),
    });
    defer('simulated cluster', () => cluster.stop());
    deps.say(
      `simulated cluster at ${cluster.url}: ${cluster.nodes.pool.nodes.length} nodes, scenario ${scenarioFile} (${
        scenario.faults?.length ?? 0
      } faults), seed ${seed}, time scale ${cluster.context.clock.timeScale}`,
    );
    check();

    const metrics = new KubesoakMetrics();
    const metricsServer = await serveDemoMetrics(
      metrics.registry,
      { port: options.metricsPort, host: options.metricsHost ?? '127.0.0.1' },
      deps.say,
    );
    defer('metrics server', () => metricsServer.close());

    const kube = new KubeClusterClient({ kubeconfigPath: cluster.kubeconfigPath, env });
    const scheduler = await startScheduler(
      { redisUrl: redis.url, prefix, tickInterval: 1_000, janitorInterval: 30_000 },
      deps.logger,
      { cluster: kube, metrics },
    );
    defer('scheduler', () => scheduler.close());
    const store = new RedisRunStore(keys, prefix);
    const client = await RedisRunsClient.open({ redisUrl: redis.url, prefix });
    defer('runs client', () => client.close());

    // helm keeps caches and repository config under HOME: the demo's stay in its temp directory.
    const workerEnv: NodeJS.ProcessEnv = {
      ...env,
      KUBECONFIG: cluster.kubeconfigPath,
      HELM_CACHE_HOME: join(work, 'helm', 'cache'),
      HELM_CONFIG_HOME: join(work, 'helm', 'config'),
      HELM_DATA_HOME: join(work, 'helm', 'data'),
    };
    const executor = stableNamespaces(deps.createExecutor({ logger: deps.logger, env: workerEnv }));
    const workerCount = Math.max(1, Math.min(options.workers ?? 2, options.parallel));
    const workers: IterationWorker[] = [];
    const force = deps.force;
    const onForce = () => {
      for (const worker of workers) void worker.close({ force: true });
    };
    force?.addEventListener('abort', onForce, { once: true });
    defer('force listener', () => Promise.resolve(force?.removeEventListener('abort', onForce)));
    for (let index = 0; index < workerCount; index += 1) {
      const worker = await startIterationWorker(
        {
          redisUrl: redis.url,
          prefix,
          workerId: `demo-worker-${index + 1}`,
          concurrency: Math.ceil(options.parallel / workerCount),
          gracePeriod: DRAIN_GRACE_MS,
        },
        executor,
        deps.logger,
        { metrics },
      );
      workers.push(worker);
      defer(`worker ${index + 1}`, () => worker.close(force?.aborted ? { force: true } : {}));
    }
    deps.say(
      `scheduler and ${workerCount} workers (${options.parallel} slots) on Redis prefix ${prefix}; metrics at ${metricsServer.url}/metrics`,
    );
    check();

    const chart = options.chart ?? bundledChartPath();
    const submitted = await scheduler.submit({
      name: `shop-${dnsSafe(seed)}`,
      note: `kubesoak demo, scenario ${scenarioFile}, seed ${seed}`,
      chart: { ref: chart },
      iterations: options.iterations,
      parallel: options.parallel,
      plan: {
        ...demoPlan(cluster.context.clock.timeScale),
        kubeconfig: cluster.kubeconfigPath,
        helm: tools.helm,
      },
      submitter: 'kubesoak demo',
    });
    deps.say(
      `run ${submitted.name} (${submitted.id}): ${options.iterations} iterations of ${chart}, ${options.parallel} at a time`,
    );

    let run = await deps.follow({ runId: submitted.id, client, scheduler, store }, signal);
    const interrupted = signal.aborted && run.state !== 'completed';
    if (interrupted) {
      const cancelled = await scheduler.cancel(submitted.id);
      deps.say(
        `run ${submitted.name} cancelled; ${cancelled?.active ?? 0} iteration(s) in flight finish and clean up first`,
      );
    }
    run = (await store.get(submitted.id)) ?? run;
    const result: DemoResult = {
      run,
      summary: summarizeRun(await store.listResults(submitted.id)),
      interrupted,
      seed,
      scenario: scenarioFile,
      chart,
      prefix,
      redisUrl: redis.url,
      privateRedis: redis.private,
      kubeconfig: cluster.kubeconfigPath,
      configFile,
      clusterUrl: cluster.url,
      metricsUrl: `${metricsServer.url}/metrics`,
      helm: tools.helm,
    };
    deps.onFinished?.(result);
    if (options.keepRunning && !signal.aborted) {
      keepKeys = true;
      await new Promise<void>((resolve) => {
        if (signal.aborted) resolve();
        else signal.addEventListener('abort', () => resolve(), { once: true });
      });
      if (!redis.private)
        deps.say(`the demo's runs stay in ${redactRedisUrl(redis.url)} under the key prefix ${prefix}`);
    }
    return result;
  } finally {
    const failures = await cleanups.run();
    if (failures.length > 0) log.warn({ errors: describeFailures(failures) }, 'demo cleanup errors');
  }
}

/** Ctrl-C before the run was submitted. */
export class DemoInterruptedError extends KubesoakError {
  constructor() {
    super('interrupted', 'kubesoak demo interrupted before the run started');
  }
}

async function chooseRedis(
  url: string,
  binary: string | undefined,
  log: Logger,
): Promise<{ url: string; private: boolean; stop?: () => Promise<void> }> {
  try {
    const probe = await openRedis(url, { role: 'producer', connectTimeoutMs: REDIS_PROBE_MS });
    await quit(probe);
    return { url, private: false };
  } catch (error) {
    if (!(error instanceof RedisUnavailableError)) throw error;
    log.debug({ url: redactRedisUrl(url) }, 'no Redis answers; starting a private redis-server');
    try {
      const server = await startPrivateRedisServer(binary === undefined ? {} : { binary });
      return { url: server.url, private: true, stop: () => server.stop() };
    } catch (startError) {
      if (startError instanceof RedisServerStartError && startError.message.includes('not found'))
        throw new DemoRedisUnavailableError(url, startError);
      throw startError;
    }
  }
}

/**
 * The engine names namespaces after the run; the run's id is random, its name is the seed's. The
 * simulated cluster draws every fault from streams named after the namespace and pod, so naming
 * namespaces after the run's name makes the same seed give the same faults. The janitor resolves
 * runs by id or name, so it still recognises the namespaces.
 */
function stableNamespaces(executor: IterationExecutor): IterationExecutor {
  return (job, signal) => executor({ ...job, runId: job.runName }, signal);
}

function dnsSafe(text: string): string {
  const clean = text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 30)
    .replace(/-+$/, '');
  return clean === '' ? 'seed' : clean;
}

async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (batch.length > 0) await redis.unlink(...batch);
  } while (cursor !== '0');
}

async function quit(redis: Redis): Promise<void> {
  await redis.quit().catch(() => redis.disconnect());
}
