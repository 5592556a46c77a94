import { z } from 'zod';
import { KubesoakError } from '../errors/kubesoak-error.ts';
import { MAX_CHART_ARCHIVE_BYTES } from './iteration-job.ts';
import type { RunSpec } from './run-model.ts';

/** Default upper bound on iterations per run (configurable per scheduler). */
export const DEFAULT_MAX_ITERATIONS = 100_000;

/** Longest run name: leaves room in a 63-character namespace name for prefix, iteration and attempt. */
export const MAX_RUN_NAME_LENGTH = 40;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function isGzipBase64(text: string): boolean {
  const head = Buffer.from(text.slice(0, 8), 'base64');
  return head[0] === 0x1f && head[1] === 0x8b;
}

/** A submission refused before anything was written; the message names the offending field. */
export class InvalidSubmissionError extends KubesoakError {
  readonly field: string;
  constructor(field: string, problem: string) {
    super('invalid-submission', `invalid run submission: ${field}: ${problem}`, { retryable: false });
    this.field = field;
  }
}

function submissionSchema(maxIterations: number) {
  return z.strictObject({
    name: z
      .string()
      .max(MAX_RUN_NAME_LENGTH, `must be at most ${MAX_RUN_NAME_LENGTH} characters`)
      .regex(
        DNS_LABEL,
        'must be DNS-safe: lowercase letters, digits and "-", starting and ending with a letter or digit',
      )
      .optional(),
    note: z.string().max(4096, 'must be at most 4096 characters').default(''),
    chart: z.strictObject(
      {
        ref: z.string({ error: 'is required' }).trim().min(1, 'is required'),
        version: z.string().trim().min(1, 'must not be empty').optional(),
        archive: z
          .string()
          .max(
            Math.ceil(MAX_CHART_ARCHIVE_BYTES / 3) * 4,
            `must be at most ${MAX_CHART_ARCHIVE_BYTES / 1024 / 1024} MiB (a base64 .tgz)`,
          )
          .regex(BASE64, 'must be a base64 .tgz')
          .refine(isGzipBase64, 'must be a base64 .tgz')
          .optional(),
      },
      { error: 'is required: { ref, version? }' },
    ),
    valuesFiles: z.array(z.string(), { error: 'must be a list of values file contents' }).default([]),
    setValues: z
      .array(z.string().regex(/^[^=]+=/, 'must be key=value'), { error: 'must be a list of key=value' })
      .default([]),
    plan: z.record(z.string(), z.unknown(), { error: 'must be an object' }).default({}),
    iterations: z
      .number({ error: 'is required and must be a whole number' })
      .int('must be a whole number')
      .min(1, 'must be at least 1')
      .max(maxIterations, `must be at most ${maxIterations} (the scheduler's maximum)`),
    parallel: z
      .number({ error: 'is required and must be a whole number' })
      .int('must be a whole number')
      .min(1, 'must be at least 1'),
    submitter: z.string().max(256, 'must be at most 256 characters').default('unknown'),
  });
}

/** A raw submission (HTTP body or CLI flags) before validation. */
export type RawSubmission = unknown;

/**
 * Validates a whole submission up front (nothing is written before this passes) and returns the
 * normalised spec. The name defaults to one derived from the run id. Throws InvalidSubmissionError
 * naming the first offending field.
 */
export function validateSubmission(
  raw: RawSubmission,
  options: { maxIterations: number; runId: string },
): RunSpec {
  const parsed = submissionSchema(options.maxIterations).safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field =
      issue && issue.path.length > 0
        ? issue.path.join('.')
        : issue?.code === 'unrecognized_keys'
          ? issue.keys.join(', ')
          : 'submission';
    throw new InvalidSubmissionError(
      field,
      issue?.code === 'unrecognized_keys' ? 'unknown field' : (issue?.message ?? 'invalid'),
    );
  }
  const value = parsed.data;
  return {
    name: value.name ?? `run-${options.runId.slice(0, 8)}`,
    note: value.note,
    chart: {
      ref: value.chart.ref,
      ...(value.chart.version === undefined ? {} : { version: value.chart.version }),
      ...(value.chart.archive === undefined ? {} : { archive: value.chart.archive }),
    },
    valuesFiles: value.valuesFiles,
    setValues: value.setValues,
    plan: value.plan,
    iterations: value.iterations,
    parallel: value.parallel,
    submitter: value.submitter,
  };
}
