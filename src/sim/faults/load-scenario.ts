import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { parse } from 'yaml';
import type { z } from 'zod';
import { UsageError } from '../../errors/usage-error.ts';
import type { Scenario } from './scenario-schema.ts';
import { scenarioSchema } from './scenario-schema.ts';

/** "faults[2].probability" from a zod issue path. */
function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? '(root)' : out;
}

function issueMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys')
    return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.join(', ')}`;
  if (issue.code === 'invalid_type' && issue.input === undefined) return 'is required';
  return issue.message;
}

/**
 * Validates an already-parsed scenario document. Errors are one line naming the field, e.g.
 * `story.yaml: faults[2].probability: must be between 0 and 1`, as a {@link UsageError}.
 */
export function parseScenario(document: unknown, source = 'scenario'): Scenario {
  const result = scenarioSchema.safeParse(document ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (!issue) throw new UsageError(`${source}: invalid scenario`, { code: 'invalid-scenario' });
  throw new UsageError(`${source}: ${fieldPath(issue.path)}: ${issueMessage(issue)}`, {
    code: 'invalid-scenario',
  });
}

/** Reads and validates a scenario YAML (or JSON) file. */
export async function loadScenario(file: string): Promise<Scenario> {
  const name = basename(file);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(`${name}: cannot read scenario file: ${(error as Error).message}`, {
      code: 'invalid-scenario',
      cause: error,
    });
  }
  let document: unknown;
  try {
    document = parse(text);
  } catch (error) {
    const message = ((error as Error).message.split('\n')[0] ?? '').trim();
    throw new UsageError(`${name}: not valid YAML: ${message}`, { code: 'invalid-scenario', cause: error });
  }
  return parseScenario(document, name);
}
