import type { StoredIterationResult } from './iteration-job.ts';

/** Failures of one category (outcome failed or error). */
export interface CategoryCount {
  category: string;
  outcome: 'failed' | 'error';
  count: number;
}

/** How iterations that placed pods on one node ended. */
export interface NodeSummary {
  node: string;
  /** Iterations with at least one pod on the node. */
  iterations: number;
  /** Of those, the ones that failed or errored. */
  failures: number;
  /** failures / iterations (0 when the node ran nothing). */
  failureRate: number;
  /** Failures whose evidence names this node (the failing pod ran there, or the node itself failed). */
  implicated: number;
  /** Failures on this node by category, most frequent first. */
  categories: Array<{ category: string; count: number }>;
}

/** Timing percentiles of one step over every iteration that ran it. */
export interface StepSummary {
  step: string;
  count: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  /** The iteration that took longest in this step. */
  slowestIteration: number;
}

/** One failed or errored iteration, enough to pick one to inspect. */
export interface FailureSummary {
  iteration: number;
  attempt: number;
  outcome: 'failed' | 'error';
  category: string;
  failedStep: string | undefined;
  nodes: string[];
  /** The first evidence line, if any. */
  evidence: string | undefined;
}

/** What a finished (or partial) run amounts to. */
export interface RunSummary {
  /** Recorded results. */
  total: number;
  passed: number;
  failed: number;
  error: number;
  /** passed / total, 0..1 (0 when nothing was recorded). */
  successRate: number;
  /** Results on their second attempt or later (a worker died or shut down mid-iteration). */
  retried: number;
  byCategory: CategoryCount[];
  /** Nodes by failures their evidence names, then failures, then failure rate, then name. */
  byNode: NodeSummary[];
  /** Steps in the order iterations run them. */
  steps: StepSummary[];
  /** Every failure, by iteration. */
  failures: FailureSummary[];
}

/**
 * Summarises a run's stored results: success rate, failures by category and by node (each node
 * that ran an iteration's pods is charged with its failure, as the node-failure metric is), and
 * step timing percentiles. Pure: the same results give the same summary in any order.
 */
export function summarizeRun(results: readonly StoredIterationResult[]): RunSummary {
  const sorted = [...results].sort((a, b) => a.iteration - b.iteration);
  const counts = { passed: 0, failed: 0, error: 0 };
  const categories = new Map<string, CategoryCount>();
  const nodes = new Map<
    string,
    { iterations: number; failures: number; implicated: number; categories: Map<string, number> }
  >();
  const node = (name: string) => {
    let entry = nodes.get(name);
    if (!entry) {
      entry = { iterations: 0, failures: 0, implicated: 0, categories: new Map<string, number>() };
      nodes.set(name, entry);
    }
    return entry;
  };
  const stepTimes = new Map<string, Array<{ ms: number; iteration: number }>>();
  const failures: FailureSummary[] = [];
  let retried = 0;

  for (const result of sorted) {
    counts[result.outcome] += 1;
    if (result.attempt > 1) retried += 1;
    const failed = result.outcome !== 'passed';
    if (result.outcome !== 'passed') {
      const key = `${result.outcome}\0${result.category}`;
      const entry = categories.get(key) ?? { category: result.category, outcome: result.outcome, count: 0 };
      entry.count += 1;
      categories.set(key, entry);
      failures.push({
        iteration: result.iteration,
        attempt: result.attempt,
        outcome: result.outcome,
        category: result.category,
        failedStep: result.failedStep,
        nodes: [...new Set(result.nodes ?? [])].sort(),
        evidence: result.evidence?.[0],
      });
    }
    for (const name of new Set(result.nodes ?? [])) {
      const entry = node(name);
      entry.iterations += 1;
      if (failed) {
        entry.failures += 1;
        entry.categories.set(result.category, (entry.categories.get(result.category) ?? 0) + 1);
      }
    }
    if (failed) for (const name of evidenceNodes(result.evidence ?? [])) node(name).implicated += 1;
    for (const [step, ms] of Object.entries(result.stepTimings ?? {})) {
      if (!Number.isFinite(ms)) continue;
      const list = stepTimes.get(step) ?? [];
      list.push({ ms, iteration: result.iteration });
      stepTimes.set(step, list);
    }
  }

  const total = counts.passed + counts.failed + counts.error;
  return {
    total,
    ...counts,
    successRate: total === 0 ? 0 : counts.passed / total,
    retried,
    byCategory: [...categories.values()].sort(
      (a, b) =>
        b.count - a.count || a.outcome.localeCompare(b.outcome) || a.category.localeCompare(b.category),
    ),
    byNode: [...nodes]
      .map(([node, entry]) => ({
        node,
        iterations: entry.iterations,
        failures: entry.failures,
        failureRate: entry.iterations === 0 ? 0 : entry.failures / entry.iterations,
        implicated: entry.implicated,
        categories: [...entry.categories]
          .map(([category, count]) => ({ category, count }))
          .sort((a, b) => b.count - a.count || a.category.localeCompare(b.category)),
      }))
      .sort(
        (a, b) =>
          b.implicated - a.implicated ||
          b.failures - a.failures ||
          b.failureRate - a.failureRate ||
          a.node.localeCompare(b.node),
      ),
    steps: [...stepTimes].map(([step, list]) => stepSummary(step, list)),
    failures,
  };
}

function stepSummary(step: string, list: Array<{ ms: number; iteration: number }>): StepSummary {
  const values = list.map((entry) => entry.ms).sort((a, b) => a - b);
  let slowest = list[0] ?? { ms: 0, iteration: 0 };
  for (const entry of list) if (entry.ms > slowest.ms) slowest = entry;
  return {
    step,
    count: values.length,
    p50Ms: percentile(values, 50),
    p90Ms: percentile(values, 90),
    p99Ms: percentile(values, 99),
    maxMs: values.at(-1) ?? 0,
    slowestIteration: slowest.iteration,
  };
}

/**
 * Nodes an iteration's evidence lines name (`node=NAME`, as the executor writes the evidence's
 * node): where the failing pod ran, which says more than every node the iteration touched.
 */
export function evidenceNodes(evidence: readonly string[]): Set<string> {
  const names = new Set<string>();
  for (const line of evidence)
    for (const match of line.matchAll(/\bnode=([a-z0-9]([a-z0-9.-]*[a-z0-9])?)/g)) names.add(match[1] ?? '');
  names.delete('');
  return names;
}

/** Nearest-rank percentile of ascending values: always one of the observed values. */
export function percentile(ascending: readonly number[], p: number): number {
  if (ascending.length === 0) return 0;
  const rank = Math.ceil((p / 100) * ascending.length);
  return ascending[Math.min(ascending.length, Math.max(1, rank)) - 1] ?? 0;
}
