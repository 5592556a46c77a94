import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { z } from 'zod';
import { parseDuration } from '../config/duration.ts';
import { UsageError } from '../errors/usage-error.ts';

const duration = z.string().refine((text) => {
  try {
    parseDuration(text);
    return true;
  } catch {
    return false;
  }
}, 'must be a duration such as 500ms, 30s, 5m, 1h');

const execStep = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'must be lower-case letters, digits and dashes'),
  /** Where in the plan the command runs. */
  after: z.enum(['namespace', 'install', 'ready', 'test']),
  argv: z.array(z.string()).min(1, 'must name a command'),
  timeout: duration.default('2m'),
});

/** The raw plan file / flag shape; every field has a default except the chart. */
export const iterationConfigSchema = z.strictObject({
  chart: z.string().min(1, 'must name a chart path or repo/chart'),
  version: z.string().optional(),
  repo: z.url().optional(),
  values: z.array(z.string()).default([]),
  set: z.array(z.string().regex(/^[^=]+=/, 'must be key=value')).default([]),
  kubeconfig: z.string().optional(),
  context: z.string().optional(),
  helm: z.string().default('helm'),
  namespacePrefix: z
    .string()
    .regex(/^[a-z]([a-z0-9-]*[a-z0-9])?$/, 'must be a DNS-1123 label start')
    .max(20)
    .default('soak'),
  release: z
    .string()
    .regex(/^[a-z]([a-z0-9-]*[a-z0-9])?$/, 'must be a DNS-1123 label')
    .max(40)
    .default('soak'),
  timeouts: z
    .strictObject({
      namespace: duration.default('30s'),
      install: duration.default('5m'),
      ready: duration.default('5m'),
      test: duration.default('5m'),
      uninstall: duration.default('5m'),
      namespaceDeletion: duration.default('2m'),
    })
    .default({
      namespace: '30s',
      install: '5m',
      ready: '5m',
      test: '5m',
      uninstall: '5m',
      namespaceDeletion: '2m',
    }),
  /** The whole iteration's budget, cleanup excluded. */
  timeout: duration.default('20m'),
  /** How long everything must stay ready, without restarts, before it counts. */
  settle: duration.default('3s'),
  /** How long a pod may stay Unschedulable before the iteration gives up on it. */
  unschedulableGrace: duration.default('30s'),
  keepFailed: duration.optional(),
  /** How long a namespace may live before the janitor deletes it. */
  expiry: duration.default('2h'),
  resourceQuota: z.record(z.string(), z.union([z.string(), z.number()])).optional(),
  limitRange: z
    .array(
      z.strictObject({
        type: z.enum(['Container', 'Pod', 'PersistentVolumeClaim']),
        default: z.record(z.string(), z.string()).optional(),
        defaultRequest: z.record(z.string(), z.string()).optional(),
        max: z.record(z.string(), z.string()).optional(),
        min: z.record(z.string(), z.string()).optional(),
      }),
    )
    .optional(),
  exec: z.array(execStep).default([]),
  snapshot: z
    .strictObject({
      logTailLines: z.number().int().positive().default(200),
      maxBytes: z.number().int().positive().default(1_000_000),
      /** Regular expressions (case-insensitive) whose matches are masked in logs and helm output. */
      maskPatterns: z
        .array(
          z.string().refine((source) => {
            try {
              new RegExp(source);
              return true;
            } catch {
              return false;
            }
          }, 'must be a valid regular expression'),
        )
        .default([]),
    })
    .default({ logTailLines: 200, maxBytes: 1_000_000, maskPatterns: [] }),
});

/** The raw input, before defaults. */
export type IterationConfigInput = z.input<typeof iterationConfigSchema>;

/** A custom command step, compiled. */
export interface ExecStepConfig {
  readonly name: string;
  readonly after: 'namespace' | 'install' | 'ready' | 'test';
  readonly argv: readonly string[];
  readonly timeoutMs: number;
}

/** The validated, frozen iteration config; durations in ms. */
export interface IterationConfig {
  readonly chart: string;
  readonly version: string | undefined;
  readonly repo: string | undefined;
  readonly values: readonly string[];
  readonly set: readonly string[];
  readonly kubeconfig: string | undefined;
  readonly context: string | undefined;
  readonly helm: string;
  readonly namespacePrefix: string;
  readonly release: string;
  readonly timeouts: {
    readonly namespaceMs: number;
    readonly installMs: number;
    readonly readyMs: number;
    readonly testMs: number;
    readonly uninstallMs: number;
    readonly namespaceDeletionMs: number;
  };
  readonly timeoutMs: number;
  readonly settleMs: number;
  readonly unschedulableGraceMs: number;
  readonly keepFailedMs: number | undefined;
  readonly expiryMs: number;
  readonly resourceQuota: Readonly<Record<string, string | number>> | undefined;
  readonly limitRange: readonly Record<string, unknown>[] | undefined;
  readonly exec: readonly ExecStepConfig[];
  readonly snapshot: {
    readonly logTailLines: number;
    readonly maxBytes: number;
    readonly maskPatterns: readonly RegExp[];
  };
}

/** Masks obvious credentials even when no pattern is configured. */
export const DEFAULT_MASK_PATTERNS: readonly string[] = [
  String.raw`(password|passwd|secret|token|api[_-]?key)(["']?\s*[:=]\s*)["']?[^\s"',]+`,
];

/**
 * Validates raw options (plan file merged with flags) and compiles them once into a frozen config.
 * Errors are UsageError naming the field, e.g. `timeouts.ready: must be a duration …`.
 */
export function compileIterationConfig(raw: unknown): IterationConfig {
  const parsed = iterationConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(plan)'}: ${issue.message}`);
    throw new UsageError(`invalid iteration config: ${lines.join('; ')}`, { code: 'invalid-config' });
  }
  const c = parsed.data;
  const t = c.timeouts;
  return deepFreeze({
    chart: c.chart,
    version: c.version,
    repo: c.repo,
    values: c.values,
    set: c.set,
    kubeconfig: c.kubeconfig,
    context: c.context,
    helm: c.helm,
    namespacePrefix: c.namespacePrefix,
    release: c.release,
    timeouts: {
      namespaceMs: parseDuration(t.namespace),
      installMs: parseDuration(t.install),
      readyMs: parseDuration(t.ready),
      testMs: parseDuration(t.test),
      uninstallMs: parseDuration(t.uninstall),
      namespaceDeletionMs: parseDuration(t.namespaceDeletion),
    },
    timeoutMs: parseDuration(c.timeout),
    settleMs: parseDuration(c.settle),
    unschedulableGraceMs: parseDuration(c.unschedulableGrace),
    keepFailedMs: c.keepFailed === undefined ? undefined : parseDuration(c.keepFailed),
    expiryMs: parseDuration(c.expiry),
    resourceQuota: c.resourceQuota,
    limitRange: c.limitRange,
    exec: c.exec.map((step) => ({
      name: step.name,
      after: step.after,
      argv: step.argv,
      timeoutMs: parseDuration(step.timeout),
    })),
    snapshot: {
      logTailLines: c.snapshot.logTailLines,
      maxBytes: c.snapshot.maxBytes,
      maskPatterns: [...DEFAULT_MASK_PATTERNS, ...c.snapshot.maskPatterns].map(
        (source) => new RegExp(source, 'gi'),
      ),
    },
  });
}

/** Reads a YAML plan file; flags given on the command line override its fields. */
export async function loadPlanFile(path: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read plan file ${path}`, { code: 'plan-unreadable', cause: error });
  }
  const value = parse(text) as unknown;
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value))
    throw new UsageError(`plan file ${path} must be a YAML mapping`, { code: 'invalid-config' });
  return value as Record<string, unknown>;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !(value instanceof RegExp)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
