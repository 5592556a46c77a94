import { randomUUID } from 'node:crypto';
import { Queue, QueueEvents, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';

const redisUrl = inject('redisUrl');

describe.runIf(redisUrl)('BullMQ through the private redis-server', () => {
  const prefix = `kubesoak-test-${randomUUID().slice(0, 8)}`;
  const url = redisUrl ?? '';
  const closers: Array<() => Promise<unknown>> = [];
  afterAll(async () => {
    for (const close of closers.reverse()) await close();
  });

  it('is a private server, not the shared one on 6379', () => {
    expect(new URL(url).port).not.toBe('6379');
  });

  it('round-trips a job: add → process → completed with the return value', async () => {
    const connection = { url, maxRetriesPerRequest: null };
    const queue = new Queue('roundtrip', { connection, prefix });
    closers.push(() => queue.close());
    const events = new QueueEvents('roundtrip', { connection, prefix });
    closers.push(() => events.close());
    await events.waitUntilReady();
    const worker = new Worker<{ n: number }, { doubled: number }>(
      'roundtrip',
      (job) => Promise.resolve({ doubled: job.data.n * 2 }),
      { connection, prefix },
    );
    closers.push(() => worker.close());

    const job = await queue.add('double', { n: 21 }, { jobId: `job-${randomUUID()}` });
    const result = (await job.waitUntilFinished(events, 15_000)) as { doubled: number };
    expect(result).toEqual({ doubled: 42 });
    expect(await queue.getJobCounts('completed')).toEqual({ completed: 1 });

    // The queue's keys live under our random prefix (other test files share this Redis).
    const client = new Redis(url);
    closers.push(() => client.quit());
    expect((await client.keys(`${prefix}:roundtrip:*`)).length).toBeGreaterThan(0);
    expect((await client.keys('bull:roundtrip:*')).length).toBe(0);
  });
});
