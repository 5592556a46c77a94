import { describe, expect, inject, it } from 'vitest';
import { keysUnder } from '../runs/runs-test-support.ts';
import { childProcesses, listening, portOf, runDemoCli } from './demo-support.ts';

const redisUrl = inject('redisUrl');
const tools = inject('tools');

describe.runIf(redisUrl && tools.helm)('kubesoak demo on the suite’s Redis', () => {
  const url = redisUrl ?? '';
  const env = { ...process.env, REDIS_URL: url };

  it('runs 6 iterations at P=3 to the end and prints the summary, leaving nothing behind', async () => {
    const { code, stdout, stderr } = await runDemoCli(
      ['demo', '--iterations', '6', '--parallel', '3', '--metrics-port', '0'],
      env,
    );
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain(`using Redis at ${url}`);
    expect(stdout).toMatch(
      /run shop-demo-1 \([0-9a-f-]{36}\): 6 iterations of .*examples\/charts\/shop, 3 at a time/,
    );
    // Progress from followRun, one line per finished iteration.
    expect(stdout.match(/^iteration \d+ (passed|failed|error)/gm)).toHaveLength(6);
    expect(stdout).toMatch(/kubesoak demo: run shop-demo-1 completed: 6 of 6 iterations/);
    // Seeded: with seed demo-1 the migrate init container of iteration 2's first api pod hangs in
    // every run (it would pass almost always if the faults were drawn afresh).
    expect(stdout).toMatch(/^iteration 2 failed category=\S+ step=await-ready/m);
    expect(stdout).toMatch(/^success rate \d+\.\d% \(\d passed, \d failed, \d error\)$/m);
    expect(stdout).toContain('step timings (p50 / p90 / max, slowest iteration):');
    expect(stdout).toMatch(/^ {2}install +\d/m);
    // Failures (if any of the 6 failed) are listed by category and node with a way to inspect one.
    if (!/\(6 passed/.test(stdout)) {
      expect(stdout).toContain('failures by category:');
      expect(stdout).toMatch(/^ {2}sim-node-\d +\d+ of +\d+ failed/m);
      expect(stdout).toContain(
        'run the demo again with\n--keep-running --seed demo-1 and use the `kubesoak show` line it prints',
      );
    }
    const prefix = /on Redis prefix (kubesoak-demo-[0-9a-f]{8})/.exec(stdout)?.[1] ?? '';
    expect(prefix).not.toBe('');
    expect(await keysUnder(url, prefix)).toEqual([]);
    const clusterUrl = /simulated cluster at (http:\/\/\S+):/.exec(stdout)?.[1] ?? '';
    const metricsUrl = /metrics at (http:\/\/\S+)\/metrics/.exec(stdout)?.[1] ?? '';
    expect(await listening(portOf(clusterUrl))).toBe(false);
    expect(await listening(portOf(metricsUrl))).toBe(false);
    expect(childProcesses()).toEqual([]);
  }, 90_000);

  it('--json prints one summary document on stdout, progress on stderr', async () => {
    const { code, stdout, stderr } = await runDemoCli(
      ['demo', '--iterations', '3', '--parallel', '3', '--metrics-port', '0', '--seed', '7', '--json'],
      env,
    );
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const doc = JSON.parse(lines[0] ?? '{}') as {
      run: {
        name: string;
        state: string;
        iterations: number;
        parallel: number;
        counts: Record<string, number>;
      };
      seed: string;
      interrupted: boolean;
      summary: {
        total: number;
        passed: number;
        successRate: number;
        byCategory: unknown[];
        byNode: Array<{ node: string; iterations: number }>;
        steps: Array<{ step: string; p50Ms: number }>;
        failures: unknown[];
      };
      redis: { url: string; private: boolean; prefix: string };
      cluster: { url: string; kubeconfig: string };
      metricsUrl: string;
    };
    expect(doc.run).toMatchObject({ name: 'shop-7', state: 'completed', iterations: 3, parallel: 3 });
    expect(doc.seed).toBe('7');
    expect(doc.interrupted).toBe(false);
    expect(doc.summary.total).toBe(3);
    expect(doc.summary.successRate).toBeCloseTo(doc.summary.passed / 3);
    expect(doc.summary.byNode.map((node) => node.node).sort()[0]).toMatch(/^sim-node-\d$/);
    expect(doc.summary.steps.map((step) => step.step)).toContain('install');
    expect(doc.redis).toMatchObject({ url, private: false });
    expect(doc.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect(stderr).toContain('following run shop-7');
    expect(await keysUnder(url, doc.redis.prefix)).toEqual([]);
    expect(await listening(portOf(doc.cluster.url))).toBe(false);
  }, 60_000);

  it.each([
    [['--iterations', '0'], /^kubesoak: invalid --iterations "0": give a whole number from 1 to 10000\n$/],
    [['--parallel', 'x'], /^kubesoak: invalid --parallel "x"/],
    [['--metrics-port', '70000'], /^kubesoak: invalid --metrics-port "70000"/],
    [['--time-scale', '-1'], /^kubesoak: invalid --time-scale "-1"/],
    [['--scenario', '/nonexistent/demo.yaml'], /^kubesoak: demo\.yaml: cannot read scenario file/],
  ])('bad option %j → exit 2 with one line', async (args, message) => {
    const { code, stdout, stderr } = await runDemoCli(['demo', ...args], env);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(message);
  });
});
