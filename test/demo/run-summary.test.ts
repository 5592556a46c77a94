import { describe, expect, it } from 'vitest';
import type { StoredIterationResult } from '../../src/runs/iteration-job.ts';
import { evidenceNodes, percentile, summarizeRun } from '../../src/runs/run-summary.ts';

function result(
  iteration: number,
  outcome: StoredIterationResult['outcome'],
  extra: Partial<StoredIterationResult> = {},
): StoredIterationResult {
  return {
    iteration,
    outcome,
    category: outcome === 'passed' ? 'passed' : 'unknown',
    attempt: 1,
    workerId: 'w1',
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:00:10.000Z',
    ...extra,
  };
}

describe('summarizeRun', () => {
  const results = [
    result(3, 'failed', {
      category: 'oom-killed',
      failedStep: 'await-ready',
      nodes: ['n1', 'n3'],
      evidence: ['[OOMKilled] Container api was OOMKilled (pod=api-1 container=api node=n3)'],
      stepTimings: { install: 1500, 'await-ready': 9000 },
    }),
    result(0, 'passed', { nodes: ['n1', 'n2'], stepTimings: { install: 1000, 'await-ready': 2000 } }),
    result(1, 'passed', { nodes: ['n1', 'n3'], stepTimings: { install: 2000, 'await-ready': 3000 } }),
    result(2, 'error', {
      category: 'helm-transport',
      failedStep: 'install',
      nodes: [],
      attempt: 2,
      evidence: ['Error: transport is closing'],
      stepTimings: { install: 4000 },
    }),
    result(4, 'failed', {
      category: 'oom-killed',
      nodes: ['n3', 'n3'],
      evidence: ['[MemoryPressure] MemoryPressure on n3 (node=n3)', 'again (node=n3)'],
    }),
  ];

  it('counts outcomes and the success rate', () => {
    const summary = summarizeRun(results);
    expect(summary).toMatchObject({ total: 5, passed: 2, failed: 2, error: 1, retried: 1 });
    expect(summary.successRate).toBeCloseTo(0.4);
    expect(summarizeRun([]).successRate).toBe(0);
  });

  it('groups failures by category, most frequent first, errors apart from failures', () => {
    expect(summarizeRun(results).byCategory).toEqual([
      { category: 'oom-killed', outcome: 'failed', count: 2 },
      { category: 'helm-transport', outcome: 'error', count: 1 },
    ]);
  });

  it('charges every node an iteration used, and counts where the evidence points', () => {
    const byNode = summarizeRun(results).byNode;
    expect(byNode.map((node) => node.node)).toEqual(['n3', 'n1', 'n2']);
    expect(byNode[0]).toEqual({
      node: 'n3',
      iterations: 3,
      failures: 2,
      failureRate: 2 / 3,
      implicated: 2,
      categories: [{ category: 'oom-killed', count: 2 }],
    });
    expect(byNode[1]).toMatchObject({ node: 'n1', iterations: 3, failures: 1, implicated: 0 });
    expect(byNode[2]).toMatchObject({
      node: 'n2',
      iterations: 1,
      failures: 0,
      failureRate: 0,
      categories: [],
    });
  });

  it('gives step percentiles and the slowest iteration per step, in the order steps run', () => {
    const steps = summarizeRun(results).steps;
    expect(steps.map((step) => step.step)).toEqual(['install', 'await-ready']);
    expect(steps[0]).toEqual({
      step: 'install',
      count: 4,
      p50Ms: 1500,
      p90Ms: 4000,
      p99Ms: 4000,
      maxMs: 4000,
      slowestIteration: 2,
    });
    expect(steps[1]).toMatchObject({ count: 3, p50Ms: 3000, maxMs: 9000, slowestIteration: 3 });
  });

  it('lists failures by iteration with their first evidence line', () => {
    expect(summarizeRun(results).failures).toEqual([
      {
        iteration: 2,
        attempt: 2,
        outcome: 'error',
        category: 'helm-transport',
        failedStep: 'install',
        nodes: [],
        evidence: 'Error: transport is closing',
      },
      {
        iteration: 3,
        attempt: 1,
        outcome: 'failed',
        category: 'oom-killed',
        failedStep: 'await-ready',
        nodes: ['n1', 'n3'],
        evidence: '[OOMKilled] Container api was OOMKilled (pod=api-1 container=api node=n3)',
      },
      {
        iteration: 4,
        attempt: 1,
        outcome: 'failed',
        category: 'oom-killed',
        failedStep: undefined,
        nodes: ['n3'],
        evidence: '[MemoryPressure] MemoryPressure on n3 (node=n3)',
      },
    ]);
  });

  it('does not depend on the order of the results', () => {
    expect(summarizeRun([...results].reverse())).toEqual(summarizeRun(results));
  });
});

describe('percentile (nearest rank)', () => {
  it('returns observed values', () => {
    const values = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(percentile(values, 50)).toBe(5);
    expect(percentile(values, 90)).toBe(9);
    expect(percentile(values, 99)).toBe(10);
    expect(percentile(values, 0)).toBe(1);
    expect(percentile([], 50)).toBe(0);
    expect(percentile([7], 99)).toBe(7);
  });
});

describe('evidenceNodes', () => {
  it('reads node=NAME from evidence lines', () => {
    expect([
      ...evidenceNodes(['x (pod=a node=sim-node-3 at=1)', 'y (node=sim-node-1)', 'no node here']),
    ]).toEqual(['sim-node-3', 'sim-node-1']);
  });
});
