import { execFile } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { describe, expect, inject, it } from 'vitest';
import { RULES_FILE, readRules } from './promql-sources.ts';

const run = promisify(execFile);
const tools = inject('tools');
const TESTS_DIR = fileURLToPath(new URL('../../deploy/prometheus/tests/', import.meta.url));
const RUNBOOKS = new URL('../../docs/runbooks.md', import.meta.url);
const testFiles = (await readdir(TESTS_DIR)).filter((name) => name.endsWith('.test.yml')).sort();

const ALERTS = [
  'KubesoakFailureRateRegression',
  'KubesoakFailureRateHigh',
  'KubesoakNoProgress',
  'KubesoakWorkersDown',
  'KubesoakNamespaceLeak',
  'KubesoakStepDurationRegression',
];

interface RuleTestFile {
  tests: Array<{ alert_rule_test?: Array<{ alertname: string; exp_alerts: unknown[] }> }>;
}

describe('deploy/prometheus/rules.yml', () => {
  it('defines every alert with severity, summary, description and a runbook anchor that exists', async () => {
    const runbooks = await readFile(RUNBOOKS, 'utf8');
    const anchors = new Set(
      [...runbooks.matchAll(/^#{1,6} (.+)$/gm)].map((match) =>
        (match[1] ?? '')
          .trim()
          .toLowerCase()
          .replace(/[^\w\- ]/g, '')
          .replace(/ /g, '-'),
      ),
    );
    const alerts = (await readRules()).groups.flatMap((group) => group.rules).filter((rule) => rule.alert);
    expect([...new Set(alerts.map((rule) => rule.alert))].sort()).toEqual([...ALERTS].sort());
    for (const rule of alerts as Array<{
      alert: string;
      labels?: Record<string, string>;
      annotations?: Record<string, string>;
    }>) {
      expect(rule.labels?.severity, rule.alert).toMatch(/^(warning|critical)$/);
      expect(rule.annotations?.summary, rule.alert).toBeTruthy();
      expect(rule.annotations?.description, rule.alert).toBeTruthy();
      const anchor = /docs\/runbooks\.md#([\w-]+)$/.exec(rule.annotations?.runbook_url ?? '')?.[1];
      expect(anchor, `${rule.alert} runbook_url`).toBe(rule.alert.toLowerCase());
      expect(anchors.has(anchor ?? ''), `docs/runbooks.md has a heading for ${rule.alert}`).toBe(true);
    }
  });

  it('has, for every alert, promtool cases where it must fire and where it must not', async () => {
    const firing = new Set<string>();
    const quiet = new Set<string>();
    for (const file of testFiles) {
      const doc = parse(await readFile(`${TESTS_DIR}${file}`, 'utf8')) as RuleTestFile;
      for (const test of doc.tests) {
        for (const check of test.alert_rule_test ?? []) {
          (check.exp_alerts.length > 0 ? firing : quiet).add(check.alertname);
        }
      }
    }
    for (const alert of ALERTS) {
      expect(firing.has(alert), `${alert} has a must-fire case`).toBe(true);
      expect(quiet.has(alert), `${alert} has a must-not-fire case`).toBe(true);
    }
  });
});

describe.runIf(tools.promtool)('promtool', () => {
  const promtool = tools.promtool ?? '';

  it('checks the rules file', async () => {
    const { stdout } = await run(promtool, ['check', 'rules', fileURLToPath(RULES_FILE)]);
    expect(stdout).toMatch(/SUCCESS: \d+ rules found/);
  });

  // One promtool process per file: each replays up to 8 days of history in a few seconds.
  it.each(testFiles)('test rules %s', async (file) => {
    const result = await run(promtool, ['test', 'rules', file], { cwd: TESTS_DIR }).catch(
      (error: { stdout?: string; stderr?: string }) => ({
        stdout: error.stdout ?? '',
        stderr: error.stderr ?? '',
        failed: true,
      }),
    );
    expect('failed' in result ? `${result.stdout}${result.stderr}` : 'ok').toBe('ok');
    expect(result.stdout).toContain('SUCCESS');
  });
});
