import { z } from 'zod';
import { parseDuration } from '../../config/duration.ts';
import { parseQuantity } from '../../kube/quantity.ts';

/** "30s", "5m", "1h30m", "500ms": simulated time, as milliseconds once parsed. */
const duration = z.string().transform((text, ctx) => {
  try {
    return parseDuration(text);
  } catch {
    ctx.addIssue({ code: 'custom', message: `must be a duration like 30s, 5m or 1h30m, got "${text}"` });
    return z.NEVER;
  }
});

const QUANTITY = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?(?:Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?$/;

function quantityBytes(value: string | number): number {
  if (typeof value === 'number') return value >= 0 ? value : Number.NaN;
  return QUANTITY.test(value.trim()) ? parseQuantity(value) : Number.NaN;
}

/** A Kubernetes quantity ("300Mi", "2Gi", 1.5) as bytes or plain units. */
const quantity = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const parsed = quantityBytes(value);
  if (!Number.isFinite(parsed)) {
    ctx.addIssue({ code: 'custom', message: `must be a quantity like 300Mi or 2Gi, got "${String(value)}"` });
    return z.NEVER;
  }
  return parsed;
});

/** A quantity or a percentage of the node's memory capacity ("98%"). */
const quantityOrPercent = z.union([z.string(), z.number()]).transform((value, ctx) => {
  if (typeof value === 'string' && value.trim().endsWith('%')) {
    const percent = Number(value.trim().slice(0, -1));
    if (!(percent >= 0 && percent <= 100)) {
      ctx.addIssue({ code: 'custom', message: `must be a percentage between 0% and 100%, got "${value}"` });
      return z.NEVER;
    }
    return { percent };
  }
  const parsed = quantityBytes(value);
  if (!Number.isFinite(parsed)) {
    ctx.addIssue({
      code: 'custom',
      message: `must be a quantity like 3Gi or a percentage like 90%, got "${String(value)}"`,
    });
    return z.NEVER;
  }
  return { bytes: parsed };
});

const probability = z
  .number({ error: 'must be a number between 0 and 1' })
  .min(0, 'must be between 0 and 1')
  .max(1, 'must be between 0 and 1');

const pattern = z.string().min(1, 'must not be empty');

/** Which pods, containers or nodes a fault hits: glob patterns (`*`, `?`), all when absent. */
const target = z.strictObject({
  namespace: pattern.optional(),
  pod: pattern.optional(),
  container: pattern.optional(),
  node: pattern.optional(),
});

/** Fields every fault has: when it is active and how often it fires. */
const common = {
  /** A label for logs and docs. */
  name: z.string().optional(),
  /** Chance per decision (container start, pull, request); default 1. */
  probability: probability.optional(),
  /** Simulated time after the cluster starts when the fault begins; default 0. */
  at: duration.optional(),
  /** Repeats the window every this long. */
  every: duration.optional(),
  /** Length of each window; default forever (or until the next `every`). */
  for: duration.optional(),
  target: target.optional(),
};

const httpVerbs = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'post', 'put'] as const;

const faultSchema = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({
      kind: z.literal('imagePull'),
      ...common,
      /** Pull time, e.g. 2m for a slow registry. */
      delay: duration.optional(),
      /** true for containerd's "not found" text, or the error text itself. */
      error: z.union([z.boolean(), z.string().min(1)]).optional(),
    }),
    z.strictObject({
      kind: z.literal('initContainer'),
      ...common,
      mode: z.enum(['slow', 'fail', 'hang'], { error: 'must be one of slow, fail, hang' }),
      /** How long the init container runs (slow) or runs before failing (fail). */
      duration: duration.optional(),
      exitCode: z.number().int().min(1).max(255).optional(),
    }),
    z.strictObject({
      kind: z.literal('readiness'),
      ...common,
      /** Probe output in the Unhealthy event, default by probe type. */
      output: z.string().optional(),
    }),
    z.strictObject({
      kind: z.literal('liveness'),
      ...common,
      /** Probes start failing this long after each container start; default at once. */
      after: duration.optional(),
      /** Fail only while a helm test pod runs in the pod's namespace. */
      duringHelmTest: z.boolean().optional(),
      output: z.string().optional(),
    }),
    z.strictObject({
      kind: z.literal('crash'),
      ...common,
      /** Time from each start to the exit; default 5s. */
      after: duration.optional(),
      exitCode: z.number().int().min(1).max(255).optional(),
      /** Log line written before the exit. */
      message: z.string().optional(),
    }),
    z.strictObject({
      kind: z.literal('memory'),
      ...common,
      /** Working set each matching container grows to; a range draws per container instance. */
      usage: z.union([quantity, z.strictObject({ min: quantity, max: quantity })], {
        error: 'must be a quantity like 300Mi or a range like { min: 100Mi, max: 400Mi }',
      }),
      /** Time to reach that usage (a leak ramps up); default 30s. */
      rampUp: duration.optional(),
    }),
    z.strictObject({
      kind: z.literal('nodeNotReady'),
      ...common,
      /** The node (or glob) that stops reporting. */
      node: pattern,
    }),
    z.strictObject({
      kind: z.literal('helmTest'),
      ...common,
      /** Log line of a failing test; {target} is the first test target (host:port). */
      message: z.string().optional(),
      /** Fail (always) when a target Service has no ready endpoints, instead of by probability. */
      whenNoEndpoints: z.boolean().optional(),
      /** How long matching test pods run, passing or failing; default 1-3s for failures. */
      duration: duration.optional(),
    }),
    z.strictObject({
      kind: z.literal('apiError'),
      ...common,
      status: z.number().int().min(500, 'must be a 5xx status').max(599, 'must be a 5xx status').optional(),
      verbs: z.array(z.enum(httpVerbs)).optional(),
      /** URL path globs, e.g. /api/v1/namespaces/*\/secrets*. */
      paths: z.array(pattern).optional(),
      message: z.string().optional(),
    }),
    z.strictObject({
      kind: z.literal('apiSlow'),
      ...common,
      delay: duration,
      verbs: z.array(z.enum(httpVerbs)).optional(),
      paths: z.array(pattern).optional(),
    }),
    z.strictObject({
      kind: z.literal('apiReset'),
      ...common,
      verbs: z.array(z.enum(httpVerbs)).optional(),
      paths: z.array(pattern).optional(),
    }),
    z.strictObject({
      kind: z.literal('watchDrop'),
      ...common,
      /** How often every open watch is dropped. */
      every: duration,
    }),
    z.strictObject({
      kind: z.literal('gone'),
      ...common,
    }),
    z.strictObject({
      kind: z.literal('refuse'),
      ...common,
    }),
    z.strictObject({
      kind: z.literal('namespaceStuck'),
      ...common,
    }),
  ],
  {
    error: (issue) =>
      issue.code === 'invalid_union'
        ? 'must be one of imagePull, initContainer, readiness, liveness, crash, memory, nodeNotReady, helmTest, apiError, apiSlow, apiReset, watchDrop, gone, refuse, namespaceStuck'
        : undefined,
  },
);

const nodeTraits = z.strictObject({
  cpu: z.union([z.string(), z.number()]).optional(),
  memory: z.union([z.string(), z.number()]).optional(),
  pods: z.number().int().positive().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  taints: z
    .array(
      z.strictObject({
        key: z.string(),
        value: z.string().optional(),
        effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']),
      }),
    )
    .optional(),
  /** Memory used by the system and other tenants, a quantity or a share of capacity ("95%"). */
  memoryUsed: quantityOrPercent.optional(),
});

/** A scenario file: seed, nodes and faults. */
export const scenarioSchema = z.strictObject({
  seed: z.union([z.string(), z.number()]).optional(),
  timeScale: z.number().positive('must be greater than 0').optional(),
  nodes: z
    .strictObject({
      count: z.number().int().min(1, 'must be at least 1').max(1000, 'must be at most 1000').optional(),
      ...nodeTraits.shape,
      /** Per-node traits by node name (sim-node-1…), over the defaults above. */
      traits: z.record(z.string(), nodeTraits).optional(),
    })
    .optional(),
  faults: z.array(faultSchema).optional(),
});

/** A validated scenario, durations in simulated ms and quantities in bytes. */
export type Scenario = z.output<typeof scenarioSchema>;
/** One validated fault of a scenario. */
export type ScenarioFault = NonNullable<Scenario['faults']>[number];
/** The kinds of fault a scenario may list. */
export type FaultKind = ScenarioFault['kind'];
/** Node traits after validation. */
export type NodeTraits = z.output<typeof nodeTraits>;
/** Which pods, containers or nodes a fault hits. */
export type FaultTarget = z.output<typeof target>;
