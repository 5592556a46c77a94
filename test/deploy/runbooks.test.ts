import { readFile } from 'node:fs/promises';
import { describe, expect, inject, it } from 'vitest';
import {
  REDIS_SECRET_VALUES,
  RULES_FILE,
  RUNBOOKS_FILE,
  find,
  githubAnchors,
  helmTemplate,
  readRuleGroups,
} from './chart-support.ts';
import type { RuleGroup } from './chart-support.ts';

const tools = inject('tools');
const DEFAULT_BASE = 'https://github.com/kubesoak/kubesoak/blob/main/docs/runbooks.md';

function alerts(groups: RuleGroup[]) {
  return groups.flatMap((group) => group.rules).filter((rule) => rule.alert !== undefined);
}

/** Checks one alert's annotations against the anchors of docs/runbooks.md; returns its anchor. */
function expectRunbook(rule: RuleGroup['rules'][number], anchors: Set<string>, base: string): string {
  const name = rule.alert ?? '';
  expect(rule.annotations?.summary?.trim(), `${name} summary`).toBeTruthy();
  expect(rule.annotations?.description?.trim(), `${name} description`).toBeTruthy();
  const url = rule.annotations?.runbook_url ?? '';
  expect(url.startsWith(`${base}#`), `${name} runbook_url ${url} starts with ${base}#`).toBe(true);
  const anchor = url.slice(base.length + 1);
  expect(anchors.has(anchor), `${name}: docs/runbooks.md has no heading with anchor #${anchor}`).toBe(true);
  return anchor;
}

describe('GitHub heading anchors', () => {
  it('follow github-slugger: lower case, punctuation dropped, spaces to hyphens, repeats numbered', () => {
    const anchors = githubAnchors(
      [
        '# Runbooks',
        '## How the failure-ratio alerts are designed',
        '## KubesoakFailureRateRegression',
        '### `kubesoak_iterations_total` (counter) & friends!',
        '## [Linked](https://example.com) heading',
        '```md',
        '## Not a heading',
        '```',
        '## Runbooks',
      ].join('\n'),
    );
    expect([...anchors]).toEqual([
      'runbooks',
      'how-the-failure-ratio-alerts-are-designed',
      'kubesoakfailurerateregression',
      'kubesoak_iterations_total-counter--friends',
      'linked-heading',
      'runbooks-1',
    ]);
  });
});

describe('runbook links of the alert rules', () => {
  it('every alert of deploy/prometheus/rules.yml has summary, description and a runbook_url whose anchor exists', async () => {
    const anchors = githubAnchors(await readFile(RUNBOOKS_FILE, 'utf8'));
    const rules = alerts(await readRuleGroups(RULES_FILE));
    expect(rules.length).toBeGreaterThan(0);
    for (const rule of rules) {
      // One section per alert, named after it.
      expect(expectRunbook(rule, anchors, DEFAULT_BASE)).toBe((rule.alert ?? '').toLowerCase());
    }
  });

  it.runIf(tools.helm)(
    'the chart keeps those anchors under a custom prometheusRule.runbookBaseUrl',
    async () => {
      const anchors = githubAnchors(await readFile(RUNBOOKS_FILE, 'utf8'));
      const base = 'https://runbooks.internal.example/kubesoak.html';
      for (const [values, expectedBase] of [
        [[], DEFAULT_BASE],
        [['--set', `prometheusRule.runbookBaseUrl=${base}`], base],
      ] as const) {
        const manifests = await helmTemplate(tools.helm ?? '', [
          ...REDIS_SECRET_VALUES,
          '--set',
          'prometheusRule.enabled=true',
          ...values,
        ]);
        const groups = (find(manifests, 'PrometheusRule').spec as { groups: RuleGroup[] }).groups;
        const rendered = alerts(groups);
        expect(rendered.length).toBe(alerts(await readRuleGroups(RULES_FILE)).length);
        for (const rule of rendered) expectRunbook(rule, anchors, expectedBase);
      }
    },
  );
});
