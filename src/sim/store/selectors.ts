import { ApiError } from '../api/api-error.ts';
import type { KubeObject } from '../api/kube-object.ts';

type Requirement =
  | { key: string; op: 'exists' | 'notexists' }
  | { key: string; op: 'in' | 'notin'; values: readonly string[] };

/** A parsed label selector; `matches` of an empty selector is always true. */
export interface LabelSelector {
  readonly requirements: readonly Requirement[];
  matches(labels: Record<string, string> | undefined): boolean;
}

/**
 * Parses the label selector syntax of the API (`a=b,c!=d,e in (x,y),f notin (z),g,!h`). Errors are
 * 400 BadRequest as the real server answers.
 */
export function parseLabelSelector(text: string | null | undefined): LabelSelector {
  const requirements: Requirement[] = [];
  const input = (text ?? '').trim();
  for (const part of splitTopLevel(input)) {
    const term = part.trim();
    if (term === '') continue;
    let match = /^([^\s!=]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term);
    if (match) {
      const values = (match[3] ?? '')
        .split(',')
        .map((value) => value.trim())
        .filter((value) => value !== '');
      requirements.push({ key: match[1] ?? '', op: match[2] as 'in' | 'notin', values });
      continue;
    }
    match = /^([^\s!=]+)\s*(==|=|!=)\s*([^\s,]*)$/.exec(term);
    if (match) {
      const op = match[2] === '!=' ? 'notin' : 'in';
      requirements.push({ key: match[1] ?? '', op, values: [match[3] ?? ''] });
      continue;
    }
    match = /^(!?)([^\s!=()]+)$/.exec(term);
    if (match) {
      requirements.push({ key: match[2] ?? '', op: match[1] ? 'notexists' : 'exists' });
      continue;
    }
    throw ApiError.badRequest(`unable to parse requirement: found '${term}', expected: identifier`);
  }
  return {
    requirements,
    matches(labels) {
      return requirements.every((req) => {
        const value = labels?.[req.key];
        switch (req.op) {
          case 'exists':
            return value !== undefined;
          case 'notexists':
            return value === undefined;
          case 'in':
            return value !== undefined && req.values.includes(value);
          case 'notin':
            return value === undefined || !req.values.includes(value);
        }
        return false;
      });
    },
  };
}

/** Renders a matchLabels/matchExpressions selector object as selector text. */
export function labelSelectorText(selector: {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}): string {
  const parts = Object.entries(selector.matchLabels ?? {}).map(([key, value]) => `${key}=${value}`);
  for (const expr of selector.matchExpressions ?? []) {
    const values = (expr.values ?? []).join(',');
    if (expr.operator === 'In') parts.push(`${expr.key} in (${values})`);
    else if (expr.operator === 'NotIn') parts.push(`${expr.key} notin (${values})`);
    else if (expr.operator === 'Exists') parts.push(expr.key);
    else if (expr.operator === 'DoesNotExist') parts.push(`!${expr.key}`);
  }
  return parts.join(',');
}

/** A parsed field selector (`metadata.name=x,status.phase!=Running`). */
export interface FieldSelector {
  matches(object: KubeObject): boolean;
}

/**
 * Field selectors support = / == / != on any dotted path; real servers allow only some paths per
 * kind, but clients only ever send supported ones (metadata.name, metadata.namespace,
 * spec.nodeName, status.phase, involvedObject.*, type, reason...).
 */
export function parseFieldSelector(text: string | null | undefined): FieldSelector {
  const terms: Array<{ path: string[]; value: string; negate: boolean }> = [];
  for (const part of (text ?? '').split(',')) {
    const term = part.trim();
    if (term === '') continue;
    const match = /^([^=!]+)(==|=|!=)(.*)$/.exec(term);
    if (!match) throw ApiError.badRequest(`invalid selector: '${term}'; can't understand '${term}'`);
    terms.push({
      path: (match[1] ?? '').trim().split('.'),
      value: (match[3] ?? '').trim(),
      negate: match[2] === '!=',
    });
  }
  return {
    matches(object) {
      return terms.every((term) => {
        const actual = fieldValue(object, term.path);
        return term.negate ? actual !== term.value : actual === term.value;
      });
    },
  };
}

function fieldValue(object: KubeObject, path: readonly string[]): string {
  let current: unknown = object;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return '';
    current = (current as Record<string, unknown>)[segment];
  }
  if (current === undefined || current === null) return '';
  return typeof current === 'string' ? current : JSON.stringify(current);
}

function splitTopLevel(input: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let index = 0; index < input.length; index += 1) {
    const char = input[index];
    if (char === '(') depth += 1;
    else if (char === ')') depth -= 1;
    else if (char === ',' && depth === 0) {
      parts.push(input.slice(start, index));
      start = index + 1;
    }
  }
  parts.push(input.slice(start));
  return parts;
}
