import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runCli } from '../../src/cli/run-cli.ts';
import type { IterationResult } from '../../src/iteration/run-iteration.ts';
import { R } from '../../src/sim/resources.ts';
import { startSimCluster } from '../../src/sim/sim-cluster.ts';
import type { SimCluster } from '../../src/sim/sim-cluster.ts';
import { FIXTURE_CHART, HELM_ENV, namespaceNames } from './iteration-harness.ts';

const tools = inject('tools');

async function cli(...argv: string[]) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const code = await runCli(argv, { stdout, stderr, env: { ...process.env, ...HELM_ENV } });
  return { code, out, err };
}

describe('kubesoak iterate usage errors', () => {
  it('exits 2 without a chart, naming the field', async () => {
    const { code, err } = await cli('iterate', '--kubeconfig', '/nonexistent');
    expect(code).toBe(2);
    expect(err).toMatch(/chart/);
  });

  it('exits 2 on a bad duration, naming the flag field', async () => {
    const { code, err } = await cli('iterate', '--chart', FIXTURE_CHART, '--keep-failed', 'soon');
    expect(code).toBe(2);
    expect(err).toMatch(/keepFailed: must be a duration/);
  });

  it('exits 2 on an invalid plan file, naming the field', async () => {
    const plan = join(mkdtempSync(join(tmpdir(), 'kubesoak-plan-')), 'plan.yaml');
    writeFileSync(plan, `chart: ${FIXTURE_CHART}\ntimeouts:\n  ready: soon\n`);
    const { code, err } = await cli('iterate', '--plan', plan);
    expect(code).toBe(2);
    expect(err).toMatch(/timeouts\.ready: must be a duration/);
  });

  it('is listed under "Single iteration:" in --help', async () => {
    const { out } = await cli('--help');
    expect(out).toMatch(/Single iteration:[\s\S]*iterate/);
  });
});

describe.runIf(tools.helm)('kubesoak iterate against the simulated cluster', () => {
  let cluster: SimCluster;
  let crashing = false;
  beforeAll(async () => {
    cluster = await startSimCluster({
      timeScale: 0.02,
      nodes: 3,
      seed: 3,
      faults: {
        container: ({ container }) =>
          crashing && container.name === 'web' ? { exitAfterMs: 1000, exitCode: 1 } : undefined,
      },
    });
  });
  afterAll(async () => {
    await cluster.stop();
  });

  const common = () => [
    '--chart',
    FIXTURE_CHART,
    '--kubeconfig',
    cluster.kubeconfigPath,
    '--helm',
    tools.helm ?? '',
    '--ready-timeout',
    '8s',
  ];

  it('prints a readable result and exits 0 when the iteration passes', async () => {
    crashing = false;
    const { code, out, err } = await cli('iterate', ...common(), '--set', 'web.replicas=1');
    expect(code, err).toBe(0);
    expect(out).toMatch(/^PASSED {2}iteration 0 of run/);
    expect(out).toMatch(/helm-test +ok/);
    expect(out).toMatch(/nodes: sim-node-/);
  });

  it('prints JSON and exits 1 when it fails; --keep-failed keeps the namespace with a later expiry', async () => {
    crashing = true;
    const { code, out, err } = await cli('iterate', ...common(), '--json', '--keep-failed', '10m');
    expect(code).toBe(1);
    expect(JSON.parse(err)).toMatchObject({ error: { code: 'iteration-failed', exitCode: 1 } });
    const result = JSON.parse(out) as IterationResult;
    expect(result).toMatchObject({ outcome: 'failed', category: 'crash-loop', failedStep: 'await-ready' });
    expect(result.snapshot?.pods.length).toBeGreaterThan(0);
    // Secret data is never read, and values matching the mask patterns are masked.
    expect(out).not.toContain('s3cr3t-do-not-print');
    expect(namespaceNames(cluster)).toContain(result.namespace);
    const kept = cluster.context.store.get(R.namespace, undefined, result.namespace);
    const expiresAt = Date.parse(kept?.metadata.annotations?.['kubesoak.io/expires-at'] ?? '');
    expect(expiresAt - Date.now()).toBeGreaterThan(9 * 60_000);
    expect(kept?.metadata.labels).toMatchObject({
      'app.kubernetes.io/managed-by': 'kubesoak',
      'kubesoak.io/iteration': '0',
    });
  });

  it('reads a --plan file; flags override its fields', async () => {
    crashing = false;
    const plan = join(mkdtempSync(join(tmpdir(), 'kubesoak-plan-')), 'plan.yaml');
    writeFileSync(
      plan,
      [
        `chart: ${FIXTURE_CHART}`,
        `kubeconfig: ${cluster.kubeconfigPath}`,
        'release: planned',
        'settle: 500ms',
        'set: ["web.replicas=1"]',
        'helm: /nonexistent/helm',
      ].join('\n'),
    );
    const { code, out } = await cli('iterate', '--plan', plan, '--helm', tools.helm ?? '', '--json');
    const result = JSON.parse(out) as IterationResult;
    expect(code, result.summary).toBe(0);
    expect(result.release).toBe('planned');
    expect(result.timeline.filter((pod) => pod.pod.startsWith('planned-web-'))).toHaveLength(1);
  });

  it('exits 1 with an error outcome when the helm binary is missing', async () => {
    crashing = false;
    const { code, out } = await cli('iterate', ...common(), '--helm', '/nonexistent/helm', '--json');
    expect(code).toBe(1);
    expect(JSON.parse(out)).toMatchObject({
      outcome: 'error',
      category: 'infrastructure',
      failedStep: 'install',
    });
  });
});
