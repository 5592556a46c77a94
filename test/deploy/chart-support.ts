import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';
import { runTool } from '../support/cli-runner.ts';
import type { RunResult } from '../support/cli-runner.ts';

/** The chart directory, as helm takes it. */
export const CHART_DIR = fileURLToPath(new URL('../../deploy/chart/kubesoak/', import.meta.url));
export const RULES_FILE = fileURLToPath(new URL('../../deploy/prometheus/rules.yml', import.meta.url));
export const CHART_RULES_FILE = fileURLToPath(
  new URL('../../deploy/chart/kubesoak/files/rules.yml', import.meta.url),
);
export const RUNBOOKS_FILE = fileURLToPath(new URL('../../docs/runbooks.md', import.meta.url));

/** The value sets every render needs: the chart refuses to render without a Redis Secret. */
export const REDIS_SECRET_VALUES = ['--set', 'redis.existingSecret=kubesoak-redis'] as const;

/** One rendered Kubernetes object, loosely typed: tests read what they check. */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: unknown;
}

export interface RuleGroup {
  name: string;
  rules: Array<{
    record?: string;
    alert?: string;
    expr: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [key: string]: unknown;
  }>;
}

/** `helm template` with the given flags; throws with helm's stderr when it fails. */
export async function helmTemplate(
  helm: string,
  args: readonly string[],
  release = 'soak',
): Promise<Manifest[]> {
  const result = await helmRender(helm, args, release);
  if (result.code !== 0) throw new Error(`helm template failed (${result.code}):\n${result.stderr}`);
  return parseManifests(result.stdout);
}

/** `helm template` without throwing: for the renders that must fail. */
export function helmRender(helm: string, args: readonly string[], release = 'soak'): Promise<RunResult> {
  return runTool(helm, ['template', release, CHART_DIR, '--namespace', 'kubesoak', ...args]);
}

export function parseManifests(text: string): Manifest[] {
  return parseAllDocuments(text)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`rendered YAML does not parse: ${doc.errors[0]?.message}`);
      return doc.toJS() as Manifest | null;
    })
    .filter((doc): doc is Manifest => doc !== null);
}

/** The single object of a kind (and name suffix); throws when absent or ambiguous. */
export function find(manifests: Manifest[], kind: string, nameSuffix = ''): Manifest {
  const found = manifests.filter((m) => m.kind === kind && m.metadata.name.endsWith(nameSuffix));
  if (found.length !== 1) {
    throw new Error(
      `expected one ${kind} *${nameSuffix}, got ${found.map((m) => m.metadata.name).join(', ')}`,
    );
  }
  return found[0] as Manifest;
}

export async function readRuleGroups(file = RULES_FILE): Promise<RuleGroup[]> {
  return (parse(await readFile(file, 'utf8')) as { groups: RuleGroup[] }).groups;
}

/**
 * The heading anchors GitHub generates for a Markdown file (github-slugger): the heading's text
 * lower-cased, characters other than letters, digits, marks, connector punctuation, spaces and
 * hyphens removed, spaces turned into hyphens; repeated slugs get -1, -2... Headings inside code
 * fences are not headings.
 */
export function githubAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fenced = false;
  for (const line of markdown.split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    const heading = fenced ? null : /^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!heading) continue;
    const text = (heading[1] ?? '')
      .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // links and images: their text
      .replace(/<[^>]+>/g, ''); // inline HTML
    const slug = text
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
      .replace(/ /g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}
