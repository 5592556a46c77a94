import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { generateDashboards } from '../../grafana/src/generate-dashboards.ts';

/** Where a PromQL expression was found, for failure messages. */
export interface PromqlSource {
  origin: string;
  expr: string;
}

/** The rules file, relative to the repository root. */
export const RULES_FILE = new URL('../../deploy/prometheus/rules.yml', import.meta.url);

interface RuleFile {
  groups: Array<{ name: string; rules: Array<{ record?: string; alert?: string; expr: string }> }>;
}

/** Parsed deploy/prometheus/rules.yml. */
export async function readRules(): Promise<RuleFile> {
  return parse(await readFile(RULES_FILE, 'utf8')) as RuleFile;
}

/** Every expression of the rules and of the freshly generated dashboards (panels and variables). */
export async function collectPromql(): Promise<PromqlSource[]> {
  const sources: PromqlSource[] = [];
  for (const group of (await readRules()).groups) {
    for (const rule of group.rules) {
      sources.push({ origin: `rules.yml ${group.name}/${rule.record ?? rule.alert}`, expr: rule.expr });
    }
  }
  for (const [file, content] of generateDashboards()) {
    walk(JSON.parse(content) as unknown, file, sources);
  }
  return sources;
}

function walk(node: unknown, path: string, out: PromqlSource[]): void {
  if (Array.isArray(node)) {
    node.forEach((child, index) => walk(child, `${path}[${index}]`, out));
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const record = node as Record<string, unknown>;
  if (typeof record.expr === 'string') out.push({ origin: `${path} expr`, expr: record.expr });
  // Query variables keep their PromQL (label_values(...)) in query.query.
  if (typeof record.query === 'object' && record.query !== null) {
    const query = (record.query as Record<string, unknown>).query;
    if (typeof query === 'string') out.push({ origin: `${path} variable`, expr: query });
  }
  for (const [key, child] of Object.entries(record)) walk(child, `${path}.${key}`, out);
}

const GRAFANA_VARIABLES: Record<string, string> = {
  chart: 'demo-chart',
  run: 'run-1',
  __rate_interval: '2m',
  __interval: '1m',
  __range: '1h',
};

/** Replaces Grafana's $var and ${var} with sample values so Prometheus can parse the expression. */
export function substituteVariables(expr: string): string {
  return expr.replace(
    /\$\{(\w+)\}|\$(\w+)/g,
    (match, braced: string | undefined, bare: string | undefined) => {
      const value = GRAFANA_VARIABLES[braced ?? bare ?? ''];
      if (value === undefined) throw new Error(`no sample value for Grafana variable ${match} in ${expr}`);
      return value;
    },
  );
}

/**
 * label_values(selector, label) is Grafana's variable syntax, not PromQL: its selector is what
 * Prometheus must parse.
 */
export function toPromql(expr: string): string {
  const labelValues = /^label_values\((.*),\s*\w+\)$/s.exec(expr.trim());
  return substituteVariables(labelValues?.[1] ?? expr);
}

const KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'offset',
  'bool',
  'and',
  'or',
  'unless',
  'sum',
  'min',
  'max',
  'avg',
  'count',
  'topk',
  'bottomk',
  'quantile',
  'stddev',
  'stdvar',
  'count_values',
  'group',
  'inf',
  'nan',
  'atan2',
]);

/** Metric names an expression selects: identifiers that are not functions, keywords or labels. */
export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""')
    .replace(/\{[^}]*\}/g, '{}')
    .replace(/\[[^\]]*\]/g, '[]')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '$1 ()');
  const names = new Set<string>();
  for (const match of stripped.matchAll(/(?<![\w:.])([A-Za-z_:][\w:]*)(\s*\()?/g)) {
    const [, name, call] = match;
    if (!name || call || KEYWORDS.has(name.toLowerCase())) continue;
    names.add(name);
  }
  return [...names];
}
