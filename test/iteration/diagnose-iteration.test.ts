import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { DebugSnapshot } from '../../src/iteration/debug-snapshot.ts';
import type { DiagnosisInput } from '../../src/iteration/diagnose-iteration.ts';
import { diagnoseIteration } from '../../src/iteration/diagnose-iteration.ts';
import type { StepRecord } from '../../src/iteration/run-steps.ts';
import type { StepNote } from '../../src/iteration/step.ts';

/** Snapshots captured from the simulated cluster (KUBESOAK_CAPTURE, see fault-diagnosis.test.ts). */
function fixture(name: string): { steps: StepRecord[]; snapshot: DebugSnapshot; notes: StepNote[] } {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), 'utf8')) as {
    steps: StepRecord[];
    snapshot: DebugSnapshot;
    notes: StepNote[];
  };
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

const ok = (name: string, phase: 'main' | 'cleanup' = 'main'): StepRecord => ({
  name,
  phase,
  status: 'ok',
  durationMs: 1,
});
const cleanupOk = [ok('uninstall', 'cleanup'), ok('delete-namespace', 'cleanup')];

describe('diagnoseIteration on snapshots captured from the sim', () => {
  it.each([
    ['crash-loop', 'await-ready', /^soak-web-/, 'web'],
    ['oom-killed', 'await-ready', /^soak-datastore-0$/, 'datastore'],
    ['image-pull', 'await-ready', /^soak-datastore-0$/, 'datastore'],
    ['readiness-timeout', 'await-ready', /^soak-datastore-0$/, 'datastore'],
    ['init-timeout', 'await-ready', /^soak-web-/, 'wait-for-datastore'],
    ['evicted', 'await-ready', /^soak-datastore-0$/, undefined],
    ['unschedulable', 'await-ready', /^soak-web-/, undefined],
    ['liveness-restart', 'helm-test', /^soak-web-/, 'web'],
    ['test-failed', 'helm-test', /^soak-test-connection$/, undefined],
  ])('%s', (category, step, pod, container) => {
    const input = deepFreeze(fixture(category));
    const diagnosis = diagnoseIteration(input);
    expect(diagnosis).toMatchObject({ outcome: 'failed', category, failedStep: step });
    expect(diagnosis.evidence[0]?.pod).toMatch(pod);
    if (container) expect(diagnosis.evidence[0]?.container).toBe(container);
    expect(diagnosis.evidence[0]?.message).not.toBe('');
    // Pure: the same input gives the same answer (and the frozen input was not touched).
    expect(diagnoseIteration(input)).toEqual(diagnosis);
  });

  it('node-not-ready names the node, its condition and the pods on it', () => {
    const input = fixture('node-not-ready');
    const diagnosis = diagnoseIteration(input);
    expect(diagnosis).toMatchObject({ outcome: 'failed', category: 'node-not-ready' });
    const node = diagnosis.evidence[0]?.node ?? '';
    expect(node).toMatch(/^sim-node-/);
    expect(diagnosis.evidence[0]?.reason).toBe('NodeStatusUnknown');
    expect(diagnosis.evidence[0]?.lines?.some((line) => line.startsWith('soak-datastore-0'))).toBe(true);
  });

  it('node-pressure when the evicting node reports MemoryPressure', () => {
    const input = fixture('evicted');
    const evicted = diagnoseIteration(input).evidence[0];
    for (const node of input.snapshot.nodes) {
      if (node.name !== evicted?.node) continue;
      node.conditions = node.conditions.map((c) =>
        c.type === 'MemoryPressure'
          ? {
              ...c,
              status: 'True',
              reason: 'KubeletHasInsufficientMemory',
              message: 'kubelet has insufficient memory available',
            }
          : c,
      );
    }
    // The node row exists only when a current pod runs there; add it otherwise.
    if (!input.snapshot.nodes.some((node) => node.name === evicted?.node))
      input.snapshot.nodes.push({
        name: evicted?.node ?? '',
        ready: 'True',
        conditions: [
          { type: 'MemoryPressure', status: 'True', message: 'kubelet has insufficient memory available' },
        ],
        unschedulable: false,
        requestedMemoryBytes: 0,
        pods: [],
      });
    const diagnosis = diagnoseIteration(input);
    expect(diagnosis.category).toBe('node-pressure');
    expect(diagnosis.evidence[0]).toMatchObject({ node: evicted?.node, reason: 'MemoryPressure' });
    expect(diagnosis.evidence[1]).toMatchObject({ pod: 'soak-datastore-0', reason: 'Evicted' });
  });

  it('restarted-during-test when pods restarted during the test without a probe kill', () => {
    const input = fixture('liveness-restart');
    input.snapshot.events = input.snapshot.events.filter(
      (event) => event.reason !== 'Killing' && event.reason !== 'Unhealthy',
    );
    for (const pod of input.snapshot.podDetails)
      pod.events = pod.events.filter((event) => event.reason !== 'Killing');
    const diagnosis = diagnoseIteration(input);
    expect(diagnosis).toMatchObject({
      outcome: 'failed',
      category: 'restarted-during-test',
      failedStep: 'helm-test',
    });
    expect(diagnosis.evidence[0]?.pod).toMatch(/^soak-web-/);
  });

  it('test-timeout when helm test ran out of time', () => {
    const input = fixture('test-failed');
    const step = input.steps.find((candidate) => candidate.name === 'helm-test') as StepRecord;
    step.status = 'timeout';
    step.message = 'timed out after 15000 ms';
    delete step.error;
    expect(diagnoseIteration(input).category).toBe('test-timeout');
  });
});

describe('diagnoseIteration on step histories', () => {
  const failedInstall = (kind: string, message: string): DiagnosisInput => ({
    steps: [
      ok('namespace'),
      {
        name: 'install',
        phase: 'main',
        status: 'error',
        message,
        error: { code: `helm-${kind}`, retryable: false, source: 'helm', kind },
      },
      { name: 'await-ready', phase: 'main', status: 'skipped' },
      ...cleanupOk,
    ],
  });

  it('passed when every step succeeded', () => {
    expect(diagnoseIteration({ steps: [ok('namespace'), ok('install'), ...cleanupOk] })).toEqual({
      outcome: 'passed',
      summary: 'passed',
      evidence: [],
    });
  });

  it.each([
    ['render-error', 'failed', 'install-rejected'],
    ['name-in-use', 'failed', 'install-rejected'],
    ['chart-not-found', 'failed', 'install-rejected'],
    ['transport-closing', 'failed', 'helm-transport'],
    ['connection-refused', 'error', 'helm-transport'],
    ['binary-missing', 'error', 'infrastructure'],
  ])('helm %s → %s / %s', (kind, outcome, category) => {
    expect(diagnoseIteration(failedInstall(kind, `helm install failed: ${kind}`))).toMatchObject({
      outcome,
      category,
      failedStep: 'install',
    });
  });

  it('an unreachable API server is kubesoak infrastructure: error / api-error', () => {
    const diagnosis = diagnoseIteration({
      steps: [
        {
          name: 'namespace',
          phase: 'main',
          status: 'error',
          message: 'connect ECONNREFUSED',
          error: { code: 'api-unreachable', retryable: true, source: 'api' },
        },
        ...cleanupOk,
      ],
    });
    expect(diagnosis).toMatchObject({ outcome: 'error', category: 'api-error', failedStep: 'namespace' });
  });

  it('a cancel is an error, not a chart failure', () => {
    const diagnosis = diagnoseIteration({
      steps: [
        ok('namespace'),
        { name: 'install', phase: 'main', status: 'cancelled', message: 'cancelled' },
        ...cleanupOk,
      ],
    });
    expect(diagnosis).toMatchObject({ outcome: 'error', category: 'cancelled' });
  });

  it('cleanup-stuck when only teardown failed, with the objects left behind', () => {
    const diagnosis = diagnoseIteration({
      steps: [
        ok('namespace'),
        ok('install'),
        ok('uninstall', 'cleanup'),
        {
          name: 'delete-namespace',
          phase: 'cleanup',
          status: 'failed',
          reason: 'cleanup-stuck',
          message: 'namespace deletion did not finish',
        },
      ],
      notes: [
        {
          step: 'delete-namespace',
          level: 'problem',
          message: 'namespace still terminating',
          objects: ['Pod/web-1 finalizers=[example.com/hold]'],
        },
        {
          step: 'uninstall',
          level: 'info',
          message: 'PVCs remain',
          objects: ['PersistentVolumeClaim/data-0'],
        },
      ],
    });
    expect(diagnosis).toMatchObject({
      outcome: 'failed',
      category: 'cleanup-stuck',
      failedStep: 'delete-namespace',
    });
    expect(diagnosis.evidence).toEqual([
      { message: 'namespace still terminating', lines: ['Pod/web-1 finalizers=[example.com/hold]'] },
    ]);
  });

  it('timeout when a step ran out of time with nothing in the snapshot to blame', () => {
    const diagnosis = diagnoseIteration({
      steps: [
        ok('namespace'),
        ok('install'),
        { name: 'await-ready', phase: 'main', status: 'timeout', message: 'timed out after 5000 ms' },
        ...cleanupOk,
      ],
      snapshot: {
        takenAt: '',
        namespace: 'ns',
        release: 'r',
        pods: [],
        podDetails: [],
        events: [],
        logs: [],
        nodes: [],
        helmCommands: [],
        truncated: false,
      },
    });
    expect(diagnosis).toMatchObject({ outcome: 'failed', category: 'timeout', failedStep: 'await-ready' });
  });

  it('a failing exec hook is hook-failed', () => {
    const diagnosis = diagnoseIteration({
      steps: [
        ok('namespace'),
        ok('install'),
        { name: 'exec:verify', phase: 'main', status: 'failed', reason: 'exec-failed', message: 'exited 3' },
        ...cleanupOk,
      ],
    });
    expect(diagnosis).toMatchObject({
      outcome: 'failed',
      category: 'hook-failed',
      failedStep: 'exec:verify',
    });
  });

  it('unknown for a failure nothing explains', () => {
    const diagnosis = diagnoseIteration({
      steps: [
        ok('namespace'),
        ok('install'),
        {
          name: 'await-ready',
          phase: 'main',
          status: 'failed',
          reason: 'pod-failed',
          message: 'pod x failed',
        },
        ...cleanupOk,
      ],
    });
    expect(diagnosis.category).toBe('unknown');
  });
});
