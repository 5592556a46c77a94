import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import type { FaultPlan } from '../../src/sim/kubelet/fault-plan.ts';
import { imageNotFoundError } from '../../src/sim/kubelet/fault-plan.ts';
import { startSimCluster } from '../../src/sim/sim-cluster.ts';
import type { SimCluster } from '../../src/sim/sim-cluster.ts';
import type { Evidence } from '../../src/iteration/diagnose-iteration.ts';
import type { IterationResult } from '../../src/iteration/run-iteration.ts';
import { iterate, namespaceNames, quickConfig } from './iteration-harness.ts';

const tools = inject('tools');

/** Pod names of the fixture chart installed as release "soak". */
const isWeb = (name: string | undefined) => /^soak-web-/.test(name ?? '');
const isDatastore = (name: string | undefined) => name === 'soak-datastore-0';
const isTest = (name: string | undefined) => name === 'soak-test-connection';

let cluster: SimCluster | undefined;
afterEach(async () => {
  await cluster?.stop();
  cluster = undefined;
});

async function scenario(
  faults: FaultPlan,
  config = quickConfig({ timeouts: { ready: '6s' } }),
  options: { cleanedUp?: boolean; helm?: string } = {},
): Promise<IterationResult> {
  cluster = await startSimCluster({ timeScale: 0.02, nodes: 3, seed: 5, faults });
  const result = await iterate(cluster, options.helm ?? tools.helm ?? '', config);
  // KUBESOAK_CAPTURE=DIR refreshes the classifier's fixtures (test/iteration/fixtures/) from the sim.
  const capture = process.env.KUBESOAK_CAPTURE;
  if (capture)
    writeFileSync(
      join(capture, `${result.category ?? 'passed'}.json`),
      `${JSON.stringify({ steps: result.steps, snapshot: result.snapshot, notes: result.notes }, null, 1)}\n`,
    );
  // Every failure path still cleans up.
  if (options.cleanedUp !== false)
    expect(namespaceNames(cluster), describeResult(result)).not.toContain(result.namespace);
  return result;
}

/** Checks evidence fields: strings exactly, regular expressions by match. */
function expectEvidence(
  evidence: Evidence | undefined,
  expected: Record<string, string | RegExp | undefined>,
): void {
  for (const [key, value] of Object.entries(expected)) {
    const actual = (evidence as Record<string, unknown> | undefined)?.[key];
    if (value instanceof RegExp) expect(actual, key).toMatch(value);
    else expect(actual, key).toBe(value);
  }
}

function describeResult(result: IterationResult): string {
  return JSON.stringify(
    { summary: result.summary, steps: result.steps, evidence: result.evidence, notes: result.notes },
    null,
    2,
  );
}

describe.runIf(tools.helm)('failure diagnosis against the simulated cluster', () => {
  it('crash loop: names the web pod and container and the exit code', async () => {
    const result = await scenario({
      container: ({ pod, container }) =>
        isWeb(pod.metadata.name) && container.name === 'web'
          ? { exitAfterMs: 1000, exitCode: 3, logLines: ['fatal: cannot bind'] }
          : undefined,
    });
    expect(result.category, describeResult(result)).toBe('crash-loop');
    expect(result.outcome).toBe('failed');
    expect(result.failedStep).toBe('await-ready');
    expectEvidence(result.evidence[0], {
      pod: /^soak-web-/,
      container: 'web',
      node: /^sim-node-/,
    });
    expect(result.evidence[0]?.message).toMatch(/exited 3/);
    expect(result.snapshot?.logs.some((log) => log.container === 'web' && log.previous)).toBe(true);
    // The snapshot: describe of unready pods, nodes with memory, helm status and commands, no secrets.
    const snapshot = result.snapshot;
    // The pod the evidence names: the other replica may not have crashed yet when the snapshot ran.
    const web = snapshot?.podDetails.find((pod) => pod.name === result.evidence[0]?.pod);
    expect(web?.containers.find((c) => c.name === 'web')?.probes.map((probe) => probe.kind)).toEqual([
      'startup',
      'readiness',
      'liveness',
    ]);
    expect(web?.containers.find((c) => c.name === 'web')?.lastState?.terminated?.exitCode).toBe(3);
    const times = (snapshot?.events ?? []).map((event) => event.time ?? '');
    expect(times).toEqual([...times].sort());
    for (const node of snapshot?.nodes ?? []) {
      expect(node.allocatableMemoryBytes).toBeGreaterThan(0);
      expect(node.requestedMemoryBytes).toBeGreaterThan(0);
    }
    expect(snapshot?.pods.every((pod) => pod.node && pod.ip)).toBe(true);
    expect(snapshot?.helmStatus).toMatch(/STATUS: deployed/);
    expect(snapshot?.helmCommands[0]?.argv[1]).toBe('install');
    expect(JSON.stringify(snapshot)).not.toContain('s3cr3t-do-not-print');
  });

  it.runIf(tools.helm3)('crash loop with helm 3 too', async () => {
    const result = await scenario(
      {
        container: ({ pod, container }) =>
          isWeb(pod.metadata.name) && container.name === 'web'
            ? { exitAfterMs: 1000, exitCode: 3 }
            : undefined,
      },
      quickConfig({ timeouts: { ready: '6s' } }),
      { helm: tools.helm3 ?? '' },
    );
    expect(result.category, describeResult(result)).toBe('crash-loop');
    expectEvidence(result.evidence[0], { pod: /^soak-web-/, container: 'web' });
  });

  it('OOMKilled: oom-killed with the container and its memory limit', async () => {
    const result = await scenario({
      container: ({ pod, container }) =>
        isDatastore(pod.metadata.name) && container.name === 'datastore'
          ? { exitAfterMs: 1500, exitCode: 137, exitReason: 'OOMKilled' }
          : undefined,
    });
    expect(result.category, describeResult(result)).toBe('oom-killed');
    expectEvidence(result.evidence[0], {
      pod: 'soak-datastore-0',
      container: 'datastore',
      reason: 'OOMKilled',
    });
    expect(result.evidence[0]?.message).toMatch(/256Mi/);
  });

  it('image pull error: image-pull with the Failed event', async () => {
    const result = await scenario({
      pull: ({ pod, image }) =>
        isDatastore(pod.metadata.name) ? { error: imageNotFoundError(`${image}`) } : undefined,
    });
    expect(result.category, describeResult(result)).toBe('image-pull');
    expectEvidence(result.evidence[0], {
      pod: 'soak-datastore-0',
      container: 'datastore',
      node: /./,
    });
    expect(result.evidence[0]?.message).toMatch(/not found/);
  });

  it('readiness never passing: readiness-timeout with the Unhealthy event', async () => {
    const result = await scenario(
      {
        container: ({ pod, container }) =>
          isDatastore(pod.metadata.name) && container.name === 'datastore'
            ? { readiness: { failFirst: Number.POSITIVE_INFINITY } }
            : undefined,
      },
      quickConfig({ timeouts: { ready: '3s' } }),
    );
    expect(result.category, describeResult(result)).toBe('readiness-timeout');
    expectEvidence(result.evidence[0], {
      pod: 'soak-datastore-0',
      container: 'datastore',
      reason: 'Unhealthy',
    });
    expect(result.evidence[0]?.message).toMatch(/Readiness probe failed/);
  });

  it('init container never finishing: init-timeout naming the init container', async () => {
    const result = await scenario(
      {
        container: ({ pod, container, kind }) =>
          isWeb(pod.metadata.name) && kind === 'init' && container.name === 'wait-for-datastore'
            ? { exitAfterMs: null }
            : undefined,
      },
      quickConfig({ timeouts: { ready: '3s' } }),
    );
    expect(result.category, describeResult(result)).toBe('init-timeout');
    expectEvidence(result.evidence[0], {
      pod: /^soak-web-/,
      container: 'wait-for-datastore',
    });
  });

  it('eviction: evicted with the pod, node and eviction message', async () => {
    const result = await scenario({
      pod: ({ pod }) => (isDatastore(pod.metadata.name) ? { evictAfterMs: 3000 } : undefined),
    });
    expect(result.category, describeResult(result)).toBe('evicted');
    expectEvidence(result.evidence[0], {
      pod: 'soak-datastore-0',
      reason: 'Evicted',
      node: /./,
    });
  });

  it('unschedulable (huge requests via --set): the FailedScheduling message', async () => {
    const result = await scenario(
      {},
      quickConfig({ set: ['web.resources.requests.memory=512Gi'], timeouts: { ready: '6s' } }),
    );
    expect(result.category, describeResult(result)).toBe('unschedulable');
    expectEvidence(result.evidence[0], {
      pod: /^soak-web-/,
      reason: 'FailedScheduling',
    });
    expect(result.evidence[0]?.message).toMatch(/0\/3 nodes are available/);
  });

  it('node NotReady: node-not-ready naming the node that hosted the pod', async () => {
    let downed: string | undefined;
    const result = await scenario(
      {
        pod: ({ pod, nodeName }) => {
          if (isDatastore(pod.metadata.name) && !downed) {
            downed = nodeName;
            setTimeout(() => cluster?.nodes.pool.setReady(nodeName, false), 50);
          }
          return undefined;
        },
      },
      quickConfig({ timeouts: { ready: '3s', namespaceDeletion: '3s' } }),
      { cleanedUp: false },
    );
    expect(result.category, describeResult(result)).toBe('node-not-ready');
    expectEvidence(result.evidence[0], { node: downed, reason: 'NodeStatusUnknown' });
    expect(result.nodes).toContain(downed);
    // Pods on an unreachable node never finish terminating: teardown reports it instead of forcing.
    expect(result.steps.find((step) => step.name === 'delete-namespace')).toMatchObject({
      status: 'failed',
      reason: 'cleanup-stuck',
    });
    const problem = result.notes.find((note) => note.level === 'problem');
    expect(problem?.objects?.some((object) => object.startsWith('Pod/soak-datastore-0'))).toBe(true);
  });

  it('test pod failure: test-failed with the test pod', async () => {
    const result = await scenario({
      container: ({ pod }) =>
        isTest(pod.metadata.name)
          ? { exitAfterMs: 500, exitCode: 1, logLines: ['wget: server returned error: HTTP/1.1 503'] }
          : undefined,
    });
    expect(result.category, describeResult(result)).toBe('test-failed');
    expect(result.failedStep).toBe('helm-test');
    expectEvidence(result.evidence[0], { pod: 'soak-test-connection' });
  });

  it('a test pod that never finishes: test-timeout', async () => {
    const result = await scenario(
      { container: ({ pod }) => (isTest(pod.metadata.name) ? { exitAfterMs: null } : undefined) },
      quickConfig({ timeouts: { test: '2s' } }),
    );
    expect(result.category, describeResult(result)).toBe('test-timeout');
    expect(result.failedStep).toBe('helm-test');
    expectEvidence(result.evidence[0], { pod: 'soak-test-connection' });
  });

  it('liveness restarts while the test runs: liveness-restart in helm-test', async () => {
    // The probe starts failing when the test pod starts, whatever the machine's speed.
    let testRunning = false;
    const result = await scenario({
      container: ({ pod, container }) => {
        if (isTest(pod.metadata.name)) {
          testRunning = true;
          return { exitAfterMs: 300_000, exitCode: 0 };
        }
        if (isWeb(pod.metadata.name) && container.name === 'web')
          return { liveness: { failWhen: () => testRunning } };
        return undefined;
      },
    });
    expect(result.category, describeResult(result)).toBe('liveness-restart');
    expect(result.failedStep).toBe('helm-test');
    expectEvidence(result.evidence[0], {
      pod: /^soak-web-/,
      container: 'web',
      reason: 'Killing',
    });
    expect(result.evidence[1]?.message).toMatch(/Liveness probe failed/);
  });
});
