import { z } from 'zod';
import { parseDuration } from '../config/duration.ts';

/** A duration option: milliseconds, or a string such as "5s" or "30d". */
export const durationField = z.union([
  z.number().int().nonnegative(),
  z.string().transform((text) => parseDuration(text)),
]);

/** How the scheduler and the workers reach Redis: the fields both option schemas share. */
export const redisConnectionFields = {
  redisUrl: z.string().min(1),
  prefix: z.string().min(1).default('kubesoak'),
  /** Extra ioredis options (TLS, Sentinel...), per node on a cluster. */
  redisOptions: z.record(z.string(), z.unknown()).default({}),
  /** Redis Cluster start nodes (host:port); with them every key needs the prefix's hash tag. */
  redisCluster: z.array(z.string().regex(/^\S+:\d{1,5}$/, 'must be HOST:PORT')).default([]),
};

/** A prefix with a {hash tag}, so every script's keys (and BullMQ's) map to one cluster slot. */
export function requireHashTagOnCluster(
  value: { prefix: string; redisCluster: readonly string[] },
  context: z.RefinementCtx,
): void {
  if (value.redisCluster.length > 0 && !/\{[^{}]+\}/.test(value.prefix))
    context.addIssue({
      code: 'custom',
      path: ['prefix'],
      message: 'must contain a hash tag such as "{kubesoak}" with Redis Cluster',
    });
}
