import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import type { Logger } from '../../src/log/create-logger.ts';
import type { IterationExecutor, IterationJob } from '../../src/runs/iteration-job.ts';

/** A fresh key prefix per test file, so files sharing the suite's Redis never see each other. */
export function testPrefix(name: string): string {
  return `kt-${name}-${randomUUID().slice(0, 8)}`;
}

/** Logs nothing (set KUBESOAK_TEST_LOGS=1 to see them). */
export function quietLogger(): Logger {
  return pino({ level: process.env.KUBESOAK_TEST_LOGS ? 'debug' : 'silent' });
}

/**
 * Polls until `check` returns a value other than undefined/false, or fails after `timeoutMs`. A
 * check that throws (Redis restarting) counts as "not yet".
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`, { cause: lastError });
    await sleep(50);
  }
}

/** Keys under a prefix (SCAN, not KEYS, though the test Redis is small either way). */
export async function keysUnder(url: string, prefix: string): Promise<string[]> {
  const redis = new Redis(url, { protocol: 2 });
  try {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
    return keys;
  } finally {
    await redis.quit();
  }
}

/** Deterministic pass/fail by a seeded rule: iteration i fails when (i * 7 + seed) % 5 === 0. */
export function seededOutcome(iteration: number, seed = 3): 'passed' | 'failed' {
  return (iteration * 7 + seed) % 5 === 0 ? 'failed' : 'passed';
}

/** An executor that sleeps, returns the seeded outcome, and tracks concurrency per run. */
export function trackingExecutor(sleepMs: number): {
  executor: IterationExecutor;
  maxConcurrent: Map<string, number>;
  /** Times (ms since epoch) at which each run's iterations started. */
  starts: Map<string, number[]>;
  jobs: IterationJob[];
} {
  const current = new Map<string, number>();
  const maxConcurrent = new Map<string, number>();
  const starts = new Map<string, number[]>();
  const jobs: IterationJob[] = [];
  const executor: IterationExecutor = async (job, signal) => {
    const startedAt = new Date().toISOString();
    jobs.push(job);
    const now = (current.get(job.runId) ?? 0) + 1;
    current.set(job.runId, now);
    maxConcurrent.set(job.runId, Math.max(now, maxConcurrent.get(job.runId) ?? 0));
    starts.set(job.runId, [...(starts.get(job.runId) ?? []), Date.now()]);
    try {
      await sleep(sleepMs, undefined, { signal });
    } finally {
      current.set(job.runId, (current.get(job.runId) ?? 1) - 1);
    }
    const outcome = seededOutcome(job.iteration);
    return {
      outcome,
      category: outcome === 'passed' ? 'passed' : 'probe-failure',
      startedAt,
      finishedAt: new Date().toISOString(),
    };
  };
  return { executor, maxConcurrent, starts, jobs };
}
