import { redactRedisUrl } from '../runs/redis-connection.ts';
import type { DemoResult } from './run-demo.ts';

/** How many failures the text summary lists with their first evidence line. */
const LISTED_FAILURES = 3;
const MAX_EVIDENCE = 160;

/** The demo's text summary: success rate, failures by category and node, step timings, next steps. */
export function formatDemoSummary(result: DemoResult, options: { keepRunning: boolean }): string {
  const { run, summary } = result;
  const lines: string[] = [''];
  const elapsed =
    run.startedAt && run.finishedAt
      ? ` in ${seconds(Date.parse(run.finishedAt) - Date.parse(run.startedAt))}`
      : '';
  lines.push(
    `kubesoak demo: run ${run.name} ${result.interrupted ? 'interrupted' : run.state}: ${summary.total} of ${
      run.iterations
    } iterations${elapsed}, ${run.parallel} at a time (seed ${result.seed})`,
  );
  lines.push(
    `success rate ${percent(summary.successRate)} (${summary.passed} passed, ${summary.failed} failed, ${summary.error} error${
      summary.retried > 0 ? `, ${summary.retried} retried on another worker` : ''
    })`,
  );
  if (summary.byCategory.length > 0) {
    lines.push('', 'failures by category:');
    const width = Math.max(...summary.byCategory.map((entry) => entry.category.length));
    for (const entry of summary.byCategory)
      lines.push(
        `  ${entry.category.padEnd(width)}  ${String(entry.count).padStart(3)}${
          entry.outcome === 'error' ? '  (error: kubesoak or the cluster, not the chart)' : ''
        }`,
      );
  }
  if (summary.byNode.length > 0) {
    lines.push(
      '',
      'failures by node (iterations with pods there that failed; evidence: the failing pod or node was there):',
    );
    const width = Math.max(...summary.byNode.map((entry) => entry.node.length));
    for (const entry of summary.byNode) {
      const categories = entry.categories.map((item) => `${item.category} ${item.count}`).join(', ');
      lines.push(
        `  ${entry.node.padEnd(width)}  ${String(entry.failures).padStart(3)} of ${String(entry.iterations).padStart(3)} failed (${percent(
          entry.failureRate,
        ).padStart(
          6,
        )})  evidence ${String(entry.implicated).padStart(3)}${categories ? `  ${categories}` : ''}`,
      );
    }
  }
  if (summary.steps.length > 0) {
    lines.push('', 'step timings (p50 / p90 / max, slowest iteration):');
    const width = Math.max(...summary.steps.map((step) => step.step.length));
    for (const step of summary.steps)
      lines.push(
        `  ${step.step.padEnd(width)}  ${seconds(step.p50Ms).padStart(6)} / ${seconds(step.p90Ms).padStart(6)} / ${seconds(
          step.maxMs,
        ).padStart(6)}  #${step.slowestIteration}`,
      );
  }
  if (summary.failures.length > 0) {
    lines.push('', 'failures:');
    for (const failure of summary.failures.slice(0, LISTED_FAILURES)) {
      const where = failure.nodes.length > 0 ? ` on ${failure.nodes.join(', ')}` : '';
      const step = failure.failedStep ? ` at ${failure.failedStep}` : '';
      lines.push(`  iteration ${failure.iteration}: ${failure.category}${step}${where}`);
      if (failure.evidence) lines.push(`    ${truncate(failure.evidence, MAX_EVIDENCE)}`);
    }
    if (summary.failures.length > LISTED_FAILURES)
      lines.push(`  … and ${summary.failures.length - LISTED_FAILURES} more`);
    const first = summary.failures[0];
    if (first) lines.push('', ...inspectHint(result, first.iteration, options.keepRunning));
  }
  if (options.keepRunning && !result.interrupted) {
    lines.push(
      '',
      'still running (Ctrl-C stops everything and removes what the demo started):',
      `  kubeconfig  ${result.kubeconfig}    try: KUBECONFIG=${result.kubeconfig} kubectl get nodes`,
      `  metrics     ${result.metricsUrl}`,
      `  redis       ${redactRedisUrl(result.redisUrl)} (key prefix ${result.prefix})`,
    );
  }
  return `${lines.join('\n')}\n`;
}

function inspectHint(result: DemoResult, iteration: number, keepRunning: boolean): string[] {
  if (!keepRunning)
    // This demo's Redis keys are gone once it exits: a rerun with the same seed draws the same
    // faults and keeps them for `kubesoak show`.
    return [
      'inspect a failure (result, evidence and the debug snapshot): run the demo again with',
      `--keep-running --seed ${result.seed} and use the \`kubesoak show\` line it prints`,
    ];
  const env = result.privateRedis ? `REDIS_URL=${result.redisUrl} ` : '';
  return [
    'inspect a failure (result, evidence and the debug snapshot):',
    `  ${env}kubesoak --config ${result.configFile} show ${result.run.name} ${iteration}`,
  ];
}

function percent(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}

function seconds(ms: number): string {
  return ms >= 60_000
    ? `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`
    : `${(ms / 1000).toFixed(1)}s`;
}

function truncate(text: string, max: number): string {
  const line = text.replace(/\s+/g, ' ');
  return line.length <= max ? line : `${line.slice(0, max - 1)}…`;
}

/** The demo's --json document (docs/cli.md). */
export function demoJson(result: DemoResult): Record<string, unknown> {
  const { run, summary } = result;
  return {
    run: {
      id: run.id,
      name: run.name,
      state: run.state,
      iterations: run.iterations,
      parallel: run.parallel,
      counts: run.counts,
      startedAt: run.startedAt,
      finishedAt: run.finishedAt,
    },
    interrupted: result.interrupted,
    seed: result.seed,
    scenario: result.scenario,
    chart: result.chart,
    summary,
    redis: { url: redactRedisUrl(result.redisUrl), private: result.privateRedis, prefix: result.prefix },
    cluster: { url: result.clusterUrl, kubeconfig: result.kubeconfig },
    metricsUrl: result.metricsUrl,
  };
}
