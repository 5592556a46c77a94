import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { DiagnosisCategory } from '../iteration/diagnosis-category.ts';
import { RunsCategory } from '../runs/iteration-job.ts';

/** How an iteration ended: the chart worked, the chart failed, or kubesoak could not tell (infra). */
export const IterationOutcome = { passed: 'passed', failed: 'failed', error: 'error' } as const;
export type IterationOutcome = (typeof IterationOutcome)[keyof typeof IterationOutcome];
const OUTCOMES = Object.values(IterationOutcome);

/**
 * Step label values. They mirror the iteration plan's stable step names; exec hooks share one
 * value and anything else is "other", so a new step can never mint unbounded series.
 */
export const MetricStep = {
  namespace: 'namespace',
  install: 'install',
  ready: 'await-ready',
  test: 'helm-test',
  exec: 'exec',
  uninstall: 'uninstall',
  deleteNamespace: 'delete-namespace',
  other: 'other',
} as const;
export type MetricStep = (typeof MetricStep)[keyof typeof MetricStep];
const STEPS: readonly string[] = Object.values(MetricStep);

/** Run lifecycle states for kubesoak_runs: the run model's queued → running → completed | cancelled. */
export const RunState = {
  queued: 'queued',
  running: 'running',
  completed: 'completed',
  cancelled: 'cancelled',
} as const;
export type RunState = (typeof RunState)[keyof typeof RunState];

/** Per-run iteration states for kubesoak_run_iterations. */
export const RunIterationState = {
  queued: 'queued',
  active: 'active',
  passed: 'passed',
  failed: 'failed',
  error: 'error',
} as const;
export type RunIterationState = (typeof RunIterationState)[keyof typeof RunIterationState];

/** The job states BullMQ's getJobCounts() reports, zero-initialised per queue. */
export const QUEUE_JOB_STATES = [
  'waiting',
  'active',
  'delayed',
  'prioritized',
  'waiting-children',
  'paused',
  'completed',
  'failed',
] as const;

/**
 * Failure categories the classifier (docs/diagnosis.md) and the distributed layer may emit. The
 * label must stay a closed set: a category not in the list is recorded as "other" rather than
 * minting a new series.
 */
export const DEFAULT_FAILURE_CATEGORIES: readonly string[] = [
  ...Object.values(DiagnosisCategory),
  ...Object.values(RunsCategory),
  'other',
];

/**
 * Buckets from 5 s to 1 h with an edge at every timeout kubesoak typically enforces (helm's 5m
 * default, 10/15/20/30 min step limits, the 1 h iteration cap): an iteration killed by a timeout
 * then lands exactly on a bucket edge instead of being smeared across a wide bucket.
 */
export const DURATION_BUCKETS_SECONDS = [
  5, 10, 15, 30, 60, 120, 180, 300, 600, 900, 1200, 1800, 2700, 3600,
] as const;

/** Default port for every kubesoak /metrics endpoint (scheduler, worker, demo). */
export const DEFAULT_METRICS_PORT = 9464;

/** Every metric name this registry defines, in one place for docs, tests and rule checks. */
export const METRIC_NAMES = {
  iterations: 'kubesoak_iterations_total',
  iterationDuration: 'kubesoak_iteration_duration_seconds',
  stepDuration: 'kubesoak_step_duration_seconds',
  nodeFailures: 'kubesoak_node_failures_total',
  runs: 'kubesoak_runs',
  runIterations: 'kubesoak_run_iterations',
  queueJobs: 'kubesoak_queue_jobs',
  workerSlots: 'kubesoak_worker_slots',
  workerBusySlots: 'kubesoak_worker_busy_slots',
  managedNamespaces: 'kubesoak_managed_namespaces',
  managedNamespacesExpired: 'kubesoak_managed_namespaces_expired',
  janitorDeleted: 'kubesoak_janitor_deleted_namespaces_total',
  redisLatency: 'kubesoak_redis_latency_seconds',
} as const;

/** Redis round trips are sub-millisecond when healthy; BullMQ stalls show from ~100 ms on. */
export const REDIS_LATENCY_BUCKETS_SECONDS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
] as const;

/** One step's timing inside an iteration result. */
export interface StepTiming {
  /** The iteration plan's step name; exec hooks ("exec…") and unknown names are folded. */
  step: string;
  durationSeconds: number;
  outcome: IterationOutcome;
}

/** What one finished iteration contributes to the metrics. */
export interface IterationMetricsResult {
  chart: string;
  run: string;
  outcome: IterationOutcome;
  /** Failure category from the classifier; ignored (and "") for passed iterations. */
  category?: string;
  durationSeconds: number;
  steps?: readonly StepTiming[];
  /** Kubernetes nodes that ran the iteration's pods; each is charged with the failure. */
  nodes?: readonly string[];
}

/** Stored totals of one retained run, for {@link KubesoakMetrics.setRunTotals}. */
export interface RunTotals {
  chart: string;
  run: string;
  /** Whether the run is queued or running (its zero series are exported too). */
  live: boolean;
  /** Recorded results by outcome and raw category (folded to the closed set here). */
  results: ReadonlyArray<{ outcome: string; category: string; count: number }>;
  iterations: Partial<Record<RunIterationState, number>>;
}

/** Stored failures charged to one node and category. */
export interface NodeFailureTotal {
  node: string;
  category: string;
  count: number;
}

/** Options for {@link KubesoakMetrics}. */
export interface KubesoakMetricsOptions {
  /** The classifier's closed category set; defaults to {@link DEFAULT_FAILURE_CATEGORIES}. */
  failureCategories?: readonly string[];
  /** Collect prom-client's default process and Node.js metrics (default true). */
  defaultMetrics?: boolean;
}

// Label values must be identifiers, never free text: a message or pod name here would create a
// series per iteration.
const IDENTIFIER = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const NODE_NAME = /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/;

function identifier(kind: string, value: string): string {
  if (!IDENTIFIER.test(value)) {
    throw new RangeError(
      `metrics: ${kind} label ${JSON.stringify(value)} is not an identifier ([A-Za-z0-9._-], at most 63 characters)`,
    );
  }
  return value;
}

/**
 * kubesoak's Prometheus metrics, on a private Registry (never prom-client's global one, so tests
 * and several components in one process do not collide). The names and labels are a public
 * contract: dashboards, alert rules and users' queries depend on them (docs/metrics.md).
 */
export class KubesoakMetrics {
  /** The registry to serve on /metrics. */
  readonly registry: Registry;
  readonly #categories: ReadonlySet<string>;
  readonly #iterations: Counter<'chart' | 'run' | 'outcome' | 'category'>;
  readonly #iterationDuration: Histogram<'chart' | 'outcome'>;
  readonly #stepDuration: Histogram<'chart' | 'step' | 'outcome'>;
  readonly #nodeFailures: Counter<'node' | 'category'>;
  readonly #runs: Gauge<'state'>;
  readonly #runIterations: Gauge<'chart' | 'run' | 'state'>;
  readonly #queueJobs: Gauge<'queue' | 'state'>;
  readonly #workerSlots: Gauge;
  readonly #workerBusySlots: Gauge;
  readonly #managedNamespaces: Gauge;
  readonly #managedNamespacesExpired: Gauge;
  readonly #janitorDeleted: Counter;
  readonly #redisLatency: Histogram;
  readonly #collectors: Array<() => Promise<void>> = [];
  readonly #slotSources: Array<() => { total: number; busy: number }> = [];
  #collecting: Promise<void> | undefined;

  constructor(options: KubesoakMetricsOptions = {}) {
    const registry = new Registry();
    this.registry = registry;
    const categories = new Set(options.failureCategories ?? DEFAULT_FAILURE_CATEGORIES);
    categories.add('other');
    for (const category of categories) identifier('category', category);
    this.#categories = categories;
    const registers = [registry];
    // Every kubesoak metric waits for the scrape-time collectors (one shared run per scrape).
    const collect = (): Promise<void> => this.#collectOnce();

    this.#iterations = new Counter({
      name: METRIC_NAMES.iterations,
      help: 'Finished soak iterations by chart, run, outcome (passed, failed, error) and failure category ("" when passed).',
      labelNames: ['chart', 'run', 'outcome', 'category'],
      registers,
      collect,
    });
    // `run` is kept off histograms: each run would multiply 16 bucket series per label set.
    this.#iterationDuration = new Histogram({
      name: METRIC_NAMES.iterationDuration,
      help: 'Wall-clock duration of a whole iteration (install to cleanup) by chart and outcome.',
      labelNames: ['chart', 'outcome'],
      buckets: [...DURATION_BUCKETS_SECONDS],
      registers,
      collect,
    });
    this.#stepDuration = new Histogram({
      name: METRIC_NAMES.stepDuration,
      help: 'Duration of one iteration step (namespace, install, await-ready, helm-test, uninstall, ...) by chart, step and outcome.',
      labelNames: ['chart', 'step', 'outcome'],
      buckets: [...DURATION_BUCKETS_SECONDS],
      registers,
      collect,
    });
    this.#nodeFailures = new Counter({
      name: METRIC_NAMES.nodeFailures,
      help: 'Failed or errored iterations charged to each Kubernetes node that ran their pods, by failure category.',
      labelNames: ['node', 'category'],
      registers,
      collect,
    });
    this.#runs = new Gauge({
      name: METRIC_NAMES.runs,
      help: 'Soak runs known to the scheduler by state.',
      labelNames: ['state'],
      registers,
      collect,
    });
    this.#runIterations = new Gauge({
      name: METRIC_NAMES.runIterations,
      help: 'Iterations of a retained run by state (queued, active, passed, failed, error).',
      labelNames: ['chart', 'run', 'state'],
      registers,
      collect,
    });
    this.#queueJobs = new Gauge({
      name: METRIC_NAMES.queueJobs,
      help: 'BullMQ jobs per queue and state, from the queue job counts.',
      labelNames: ['queue', 'state'],
      registers,
      collect,
    });
    this.#workerSlots = new Gauge({
      name: METRIC_NAMES.workerSlots,
      help: 'Iteration slots (concurrency) this worker instance offers.',
      registers,
      collect,
    });
    this.#workerBusySlots = new Gauge({
      name: METRIC_NAMES.workerBusySlots,
      help: 'Iteration slots of this worker instance currently running an iteration.',
      registers,
      collect,
    });
    this.#managedNamespaces = new Gauge({
      name: METRIC_NAMES.managedNamespaces,
      help: 'Namespaces labelled as managed by kubesoak that currently exist in the cluster.',
      registers,
      collect,
    });
    this.#managedNamespacesExpired = new Gauge({
      name: METRIC_NAMES.managedNamespacesExpired,
      help: 'Managed namespaces whose kubesoak.io/expires-at annotation lies in the past.',
      registers,
      collect,
    });
    this.#janitorDeleted = new Counter({
      name: METRIC_NAMES.janitorDeleted,
      help: 'Managed namespaces the janitor deleted because they outlived their expiry.',
      registers,
      collect,
    });

    this.#redisLatency = new Histogram({
      name: METRIC_NAMES.redisLatency,
      help: 'Round-trip time of a Redis PING from this process, the latency every BullMQ call pays.',
      buckets: [...REDIS_LATENCY_BUCKETS_SECONDS],
      registers,
      collect,
    });

    for (const state of Object.values(RunState)) this.#runs.set({ state }, 0);
    this.#workerSlots.set(0);
    this.#workerBusySlots.set(0);
    this.#managedNamespaces.set(0);
    this.#managedNamespacesExpired.set(0);
    this.#janitorDeleted.inc(0);
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  }

  /** The Content-Type of {@link KubesoakMetrics.metrics}'s output. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** The exposition text for a scrape. */
  metrics(): Promise<string> {
    return this.registry.metrics();
  }

  /**
   * Zero-initialises every series a run will produce, so panels and ratio rules read 0 instead of
   * "No data" before the first failure.
   */
  startRun(chart: string, run: string): void {
    identifier('chart', chart);
    identifier('run', run);
    this.#iterations.inc({ chart, run, outcome: IterationOutcome.passed, category: '' }, 0);
    for (const outcome of [IterationOutcome.failed, IterationOutcome.error]) {
      for (const category of this.#categories) this.#iterations.inc({ chart, run, outcome, category }, 0);
    }
    for (const outcome of OUTCOMES) {
      this.#iterationDuration.zero({ chart, outcome });
      for (const step of STEPS) this.#stepDuration.zero({ chart, step, outcome });
    }
    for (const state of Object.values(RunIterationState)) this.#runIterations.set({ chart, run, state }, 0);
  }

  /**
   * Drops a run's series once the run leaves retention. This is what bounds the `run` label:
   * live series exist only for retained runs; history stays in Prometheus' TSDB.
   */
  forgetRun(chart: string, run: string): void {
    this.#iterations.remove({ chart, run, outcome: IterationOutcome.passed, category: '' });
    for (const outcome of [IterationOutcome.failed, IterationOutcome.error]) {
      for (const category of this.#categories) this.#iterations.remove({ chart, run, outcome, category });
    }
    for (const state of Object.values(RunIterationState)) this.#runIterations.remove({ chart, run, state });
  }

  /** Records one finished iteration: outcome counter, durations and node attribution. */
  recordIteration(result: IterationMetricsResult): void {
    const chart = identifier('chart', result.chart);
    const run = identifier('run', result.run);
    const { outcome } = result;
    const category = outcome === IterationOutcome.passed ? '' : this.#category(result.category);
    // Validate everything before recording anything, so a bad value never half-records an iteration.
    const nodes = new Set(result.nodes ?? []);
    for (const node of nodes) {
      if (!NODE_NAME.test(node)) throw new RangeError(`metrics: ${JSON.stringify(node)} is not a node name`);
    }
    this.#iterations.inc({ chart, run, outcome, category });
    this.#iterationDuration.observe({ chart, outcome }, Math.max(0, result.durationSeconds));
    for (const timing of result.steps ?? []) {
      this.#stepDuration.observe(
        { chart, step: stepLabel(timing.step), outcome: timing.outcome },
        Math.max(0, timing.durationSeconds),
      );
    }
    if (outcome !== IterationOutcome.passed) {
      for (const node of nodes) this.#nodeFailures.inc({ node, category });
    }
  }

  /** Sets a run's iteration counts by state (states left out are set to 0). */
  setRunIterations(chart: string, run: string, counts: Partial<Record<RunIterationState, number>>): void {
    identifier('chart', chart);
    identifier('run', run);
    for (const state of Object.values(RunIterationState)) {
      this.#runIterations.set({ chart, run, state }, counts[state] ?? 0);
    }
  }

  /** Sets the number of runs per state (states left out are set to 0). */
  setRuns(counts: Partial<Record<RunState, number>>): void {
    for (const state of Object.values(RunState)) this.#runs.set({ state }, counts[state] ?? 0);
  }

  /** Copies BullMQ's getJobCounts() for one queue; unknown states are ignored to bound the label. */
  setQueueJobs(queue: string, counts: Readonly<Record<string, number>>): void {
    identifier('queue', queue);
    for (const state of QUEUE_JOB_STATES) this.#queueJobs.set({ queue, state }, counts[state] ?? 0);
  }

  /** This worker instance's slot capacity and how many are busy. */
  setWorkerSlots(total: number, busy: number): void {
    this.#workerSlots.set(total);
    this.#workerBusySlots.set(busy);
  }

  /** Managed namespaces currently in the cluster, and how many of them are past their expiry. */
  setManagedNamespaces(count: number, expired = 0): void {
    this.#managedNamespaces.set(count);
    this.#managedNamespacesExpired.set(expired);
  }

  /** Counts namespaces the janitor deleted. */
  recordJanitorDeleted(count = 1): void {
    this.#janitorDeleted.inc(count);
  }

  /** Records one Redis PING round trip. */
  observeRedisLatency(seconds: number): void {
    this.#redisLatency.observe(Math.max(0, seconds));
  }

  /**
   * Registers a scrape-time collector: it runs once per scrape, before any kubesoak metric is read
   * (all metrics of one scrape share the run). A collector that throws leaves the values it did not
   * set as they were; it should log its own errors. Returns a function that unregisters it.
   */
  onCollect(collector: () => Promise<void>): () => void {
    this.#collectors.push(collector);
    return () => {
      const index = this.#collectors.indexOf(collector);
      if (index >= 0) this.#collectors.splice(index, 1);
    };
  }

  #collectOnce(): Promise<void> {
    if (this.#slotSources.length > 0) {
      let total = 0;
      let busy = 0;
      for (const read of this.#slotSources) {
        const slots = read();
        total += slots.total;
        busy += slots.busy;
      }
      this.setWorkerSlots(total, busy);
    }
    this.#collecting ??= Promise.allSettled(this.#collectors.map((collector) => collector())).then(() => {
      this.#collecting = undefined;
    });
    return this.#collecting;
  }

  /**
   * Reads a worker's slots at every scrape. Several workers in one process (`kubesoak demo`) may
   * share a registry: their slots are summed, as Prometheus would sum separate processes. Returns
   * a function that stops reading this worker.
   */
  trackWorkerSlots(read: () => { total: number; busy: number }): () => void {
    this.#slotSources.push(read);
    return () => {
      const index = this.#slotSources.indexOf(read);
      if (index >= 0) this.#slotSources.splice(index, 1);
      if (this.#slotSources.length === 0) this.setWorkerSlots(0, 0);
    };
  }

  /**
   * Replaces kubesoak_iterations_total and kubesoak_run_iterations with totals read from Redis (the
   * scheduler's view): the counters then equal the stored results whatever process recorded them,
   * and a restarted scheduler reports the same values. Live runs get every outcome and category
   * series (0 until counted); ended runs only their non-zero ones. Runs whose chart or run label is
   * not an identifier are skipped, so one bad record never fails a scrape.
   */
  setRunTotals(runs: readonly RunTotals[]): void {
    const counts = new Map<
      string,
      { chart: string; run: string; outcome: string; category: string; value: number }
    >();
    const add = (chart: string, run: string, outcome: string, category: string, value: number) => {
      const key = JSON.stringify([chart, run, outcome, category]);
      const entry = counts.get(key);
      if (entry) entry.value += value;
      else counts.set(key, { chart, run, outcome, category, value });
    };
    const valid = runs.filter((totals) => IDENTIFIER.test(totals.chart) && IDENTIFIER.test(totals.run));
    for (const { chart, run, live, results } of valid) {
      if (live) {
        add(chart, run, IterationOutcome.passed, '', 0);
        for (const outcome of [IterationOutcome.failed, IterationOutcome.error])
          for (const category of this.#categories) add(chart, run, outcome, category, 0);
      }
      for (const result of results) {
        if (!(OUTCOMES as readonly string[]).includes(result.outcome) || !(result.count > 0)) continue;
        const category = result.outcome === IterationOutcome.passed ? '' : this.#category(result.category);
        add(chart, run, result.outcome, category, result.count);
      }
    }
    this.#iterations.reset();
    for (const { value, ...labels } of counts.values()) this.#iterations.inc(labels, value);
    this.#runIterations.reset();
    for (const { chart, run, iterations } of valid) {
      for (const state of Object.values(RunIterationState))
        this.#runIterations.set({ chart, run, state }, iterations[state] ?? 0);
    }
  }

  /** Replaces kubesoak_node_failures_total with totals read from Redis; bad node names are skipped. */
  setNodeFailureTotals(rows: readonly NodeFailureTotal[]): void {
    const totals = new Map<string, { node: string; category: string; value: number }>();
    for (const row of rows) {
      if (!NODE_NAME.test(row.node) || !(row.count > 0)) continue;
      const category = this.#category(row.category);
      const key = `${row.node}|${category}`;
      const entry = totals.get(key);
      if (entry) entry.value += row.count;
      else totals.set(key, { node: row.node, category, value: row.count });
    }
    this.#nodeFailures.reset();
    for (const { value, ...labels } of totals.values()) this.#nodeFailures.inc(labels, value);
  }

  /** Sets kubesoak_janitor_deleted_namespaces_total to a total kept in Redis. */
  setJanitorDeletedTotal(total: number): void {
    this.#janitorDeleted.reset();
    this.#janitorDeleted.inc(Math.max(0, total));
  }

  /**
   * Observes a finished iteration's duration and step durations only (what a worker exports: the
   * iteration counters come from the scheduler, see docs/metrics.md).
   */
  observeIteration(result: Omit<IterationMetricsResult, 'run' | 'category' | 'nodes'>): void {
    const chart = identifier('chart', result.chart);
    const { outcome } = result;
    this.#iterationDuration.observe({ chart, outcome }, Math.max(0, result.durationSeconds));
    for (const timing of result.steps ?? []) {
      this.#stepDuration.observe(
        { chart, step: stepLabel(timing.step), outcome: timing.outcome },
        Math.max(0, timing.durationSeconds),
      );
    }
  }

  /** Zero-initialises a chart's duration histograms (a worker does so when it first sees the chart). */
  startChart(chart: string): void {
    identifier('chart', chart);
    for (const outcome of OUTCOMES) {
      this.#iterationDuration.zero({ chart, outcome });
      for (const step of STEPS) this.#stepDuration.zero({ chart, step, outcome });
    }
  }

  #category(category: string | undefined): string {
    return category !== undefined && this.#categories.has(category) ? category : 'other';
  }
}

function stepLabel(step: string): string {
  if (STEPS.includes(step)) return step;
  return step.startsWith('exec') ? MetricStep.exec : MetricStep.other;
}
