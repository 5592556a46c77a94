import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../../src/net/free-port.ts';
import { keysUnder, testPrefix } from '../runs/runs-test-support.ts';
import { cliWith, configDir } from './cli-runs-support.ts';

const redisUrl = inject('redisUrl');
const CHART = fileURLToPath(new URL('../fixtures/charts/sim-light', import.meta.url));

const KUBECONFIG = `apiVersion: v1
kind: Config
clusters:
- name: sim
  cluster: { server: 'https://127.0.0.1:1' }
users:
- name: sim
  user: { token: x }
contexts:
- name: sim
  context: { cluster: sim, user: sim }
- name: staging
  context: { cluster: sim, user: sim }
current-context: sim
`;

describe.runIf(redisUrl)('kubesoak submit refuses bad submissions before writing anything', () => {
  const url = redisUrl ?? '';
  const prefix = testPrefix('cli-reject');
  let dir: Awaited<ReturnType<typeof configDir>>;
  let env: NodeJS.ProcessEnv;
  let good: string[];

  beforeAll(async () => {
    dir = await configDir(prefix);
    await writeFile(join(dir.dir, 'kubeconfig'), KUBECONFIG);
    await writeFile(join(dir.dir, 'values.yaml'), 'replicas: 1\n');
    await mkdir(join(dir.dir, 'not-a-chart'));
    await writeFile(join(dir.dir, 'bad-plan.yaml'), 'timeouts:\n  ready: soon\n');
    env = { REDIS_URL: url, KUBESOAK_CONFIG: dir.configFile, KUBECONFIG: join(dir.dir, 'kubeconfig') };
    good = ['--chart', CHART, '--iterations', '10', '--parallel', '2'];
  });
  afterAll(async () => {
    await dir?.remove();
  });

  const cases: Array<[string, () => string[], RegExp]> = [
    ['missing chart', () => ['--iterations', '10', '--parallel', '2'], /--chart is required/],
    ['iterations 0', () => [...good, '--iterations', '0'], /iterations: must be at least 1/],
    ['iterations -1', () => [...good, '--iterations', '-1'], /iterations: must be at least 1/],
    [
      'iterations above the configured maximum',
      () => [...good, '--iterations', '501'],
      /iterations: must be at most 500/,
    ],
    ['iterations not a number', () => [...good, '--iterations', 'ten'], /invalid --iterations "ten"/],
    ['missing --iterations', () => ['--chart', CHART, '--parallel', '2'], /--iterations is required/],
    ['P = 0', () => [...good, '--parallel', '0'], /parallel: must be at least 1/],
    ['a name that is not DNS-safe', () => [...good, '--name', 'My_Run'], /name: must be DNS-safe/],
    [
      'an unreadable values file',
      () => [...good, '-f', join(dir.dir, 'values.yaml'), '-f', join(dir.dir, 'missing.yaml')],
      /cannot read values file .*missing\.yaml \(ENOENT\)/,
    ],
    [
      'an unknown kube context',
      () => [...good, '--kube-context', 'prod'],
      /kube context "prod" not found in .*kubeconfig; contexts: sim, staging/,
    ],
    [
      'an invalid plan file',
      () => [...good, '--plan', join(dir.dir, 'bad-plan.yaml')],
      /timeouts\.ready: must be a duration/,
    ],
    ['a missing plan file', () => [...good, '--plan', join(dir.dir, 'nope.yaml')], /cannot read plan file/],
    [
      'a directory without Chart.yaml',
      () => [...good, '--chart', join(dir.dir, 'not-a-chart')],
      /not-a-chart is not a chart directory/,
    ],
    ['a local chart path that does not exist', () => [...good, '--chart', './no/such/chart'], /not found/],
    ['--fail-on-failure without --wait', () => [...good, '--fail-on-failure'], /needs --wait/],
  ];

  it.each(cases)('%s → exit 2, one line, no key under the prefix', async (_label, argv, message) => {
    const result = await cliWith(env, ['submit', ...argv()]);
    expect(result.err).toMatch(message);
    expect(result.code).toBe(2);
    expect(result.err.trimEnd().split('\n')).toHaveLength(1);
    expect(result.out).toBe('');
    expect(await keysUnder(url, prefix)).toEqual([]);
  });

  it('accepts a kube context the kubeconfig has (and so writes the run)', async () => {
    const result = await cliWith(env, ['submit', ...good, '--kube-context', 'staging', '--name', 'ctx-ok']);
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/^[0-9a-f-]{36}\n$/);
    const show = await cliWith(env, ['status', 'ctx-ok', '--json']);
    const run = JSON.parse(show.out) as { plan: { context?: string }; chart: { archiveBytes?: number } };
    expect(run.plan.context).toBe('staging');
    expect(run.chart.archiveBytes).toBeGreaterThan(0);
  });

  it('checks the context against every file of KUBECONFIG, merged as kubectl does', async () => {
    const other = join(dir.dir, 'other-kubeconfig');
    await writeFile(
      other,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        "- { name: lab-cluster, cluster: { server: 'https://127.0.0.1:2' } }",
        'users:',
        '- { name: lab-user, user: { token: y } }',
        'contexts:',
        '- { name: lab, context: { cluster: lab-cluster, user: lab-user } }',
        'current-context: lab',
        '',
      ].join('\n'),
    );
    const merged = { ...env, KUBECONFIG: [join(dir.dir, 'kubeconfig'), other].join(':') };
    const ok = await cliWith(merged, ['submit', ...good, '--kube-context', 'lab', '--name', 'ctx-merged']);
    expect(ok.err).toBe('');
    expect(ok.code).toBe(0);
    const unknown = await cliWith(merged, ['submit', ...good, '--kube-context', 'prod']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/contexts: sim, staging, lab$/m);
  });

  it('Redis unreachable → one line naming the URL, exit 1, no hang', async () => {
    const port = await freePort();
    const down = `redis://127.0.0.1:${port}`;
    const result = await cliWith({ ...env, REDIS_URL: down }, ['submit', ...good]);
    expect(result.code).toBe(1);
    expect(result.err.trimEnd().split('\n')).toHaveLength(1);
    expect(result.err).toContain(`cannot reach Redis at ${down}`);
    const status = await cliWith({ ...env, REDIS_URL: down }, ['status']);
    expect(status.code).toBe(1);
    expect(status.err).toContain(down);
  }, 20_000);

  it('scheduler API unreachable (KUBESOAK_URL) → one line naming the URL, exit 1', async () => {
    const port = await freePort();
    const api = `http://127.0.0.1:${port}`;
    const result = await cliWith({ ...env, KUBESOAK_URL: api }, ['runs']);
    expect(result.code).toBe(1);
    expect(result.err.trimEnd().split('\n')).toHaveLength(1);
    expect(result.err).toContain(`cannot reach the kubesoak scheduler at ${api}`);
  }, 20_000);
});
