import { Queue, Worker } from 'bullmq';
import type { Job } from 'bullmq';
import { Cluster } from 'ioredis';
import { clusterNodes, redisClusterOptions } from './redis-connection.ts';
import type { RedisConnection, RedisTarget } from './redis-connection.ts';

/** The one queue name every scheduler and worker of a prefix shares. */
export const ITERATION_QUEUE_NAME = 'iterations';

/** What travels on the queue: only the address of the iteration; workers read the run spec once per run. */
export interface IterationJobRef {
  runId: string;
  iteration: number;
}

/** What a job carries: every iteration kubesoak enqueues was reserved by the run store first. */
interface IterationJobData extends IterationJobRef {
  /** The reservation counted the first attempt (absent on jobs enqueued by older versions). */
  counted?: true;
}

/** How a worker received a job. */
export interface IterationDelivery {
  /**
   * The job's first start (BullMQ counts starts: a stall restart or a retry makes it 2 or more)
   * and its reservation already counted this attempt, so the attempt is 1 without asking Redis.
   */
  firstCountedStart: boolean;
}

/** A job BullMQ gave up on. */
export interface FailedIteration extends IterationJobRef {
  jobId: string;
  reason: string;
  /** Whether BullMQ failed it for stalling (the worker died or hung) rather than an error. */
  stalled: boolean;
}

/**
 * Deterministic job id: re-adding an iteration that is still queued or active is a no-op, which is
 * what makes top-up idempotent across scheduler restarts. BullMQ ids must not contain ':' nor be
 * all digits; a run id is a UUID and the '.' separator keeps it unambiguous.
 */
export function iterationJobId(ref: IterationJobRef): string {
  return `${ref.runId}.${ref.iteration}`;
}

export interface IterationQueueOptions {
  /** BullMQ key prefix (use a hash tag such as `{kubesoak}` on Redis Cluster). */
  prefix: string;
  /** Attempts per iteration when the worker itself fails the job (stall restarts do not count). */
  attempts: number;
  backoffMs: number;
}

/**
 * The producer side: the only place (with createIterationWorker) that talks BullMQ. Completed jobs
 * are kept briefly and failed ones until the scheduler has recorded them, so that an id stays
 * known while a re-add could still race with it.
 */
export class BullmqIterationQueue {
  readonly #queue: Queue<IterationJobData>;
  readonly #options: IterationQueueOptions;

  constructor(connection: RedisConnection, options: IterationQueueOptions) {
    this.#options = options;
    this.#queue = new Queue<IterationJobData>(ITERATION_QUEUE_NAME, { connection, prefix: options.prefix });
    // Errors surface on the calls that fail; the event only repeats them.
    this.#queue.on('error', () => undefined);
  }

  /**
   * Adds iterations in the given order; ids already queued or active are ignored by BullMQ. Only
   * iterations reserved by the run store (whose first attempt it counted) may be added.
   */
  async add(refs: readonly IterationJobRef[]): Promise<void> {
    const jobs = refs.map((ref) => ({
      name: 'iteration',
      data: { runId: ref.runId, iteration: ref.iteration, counted: true as const },
      opts: {
        jobId: iterationJobId(ref),
        attempts: this.#options.attempts,
        backoff: { type: 'exponential' as const, delay: this.#options.backoffMs },
        removeOnComplete: { count: 1000 },
        removeOnFail: false,
      },
    }));
    const [only] = jobs;
    if (jobs.length === 1 && only) {
      // The refill after each result adds one job: a plain add is one script call, where addBulk
      // builds an ioredis pipeline (which copies BullMQ's ~50 script commands) for it.
      await this.#queue.add(only.name, only.data, only.opts);
      return;
    }
    if (jobs.length > 0) await this.#queue.addBulk(jobs);
  }

  /** Whether a job for the iteration exists in any state. */
  async exists(ref: IterationJobRef): Promise<boolean> {
    return (await this.#queue.getJobState(iterationJobId(ref))) !== 'unknown';
  }

  /** Up to `limit` jobs BullMQ gave up on. */
  async failed(limit: number): Promise<FailedIteration[]> {
    const jobs = await this.#queue.getFailed(0, limit - 1);
    return jobs
      .filter((job): job is Job<IterationJobData> => Boolean(job?.id))
      .map((job) => ({
        runId: job.data.runId,
        iteration: job.data.iteration,
        jobId: job.id as string,
        reason: job.failedReason ?? 'unknown',
        stalled: (job.failedReason ?? '').includes('stalled more than allowable limit'),
      }));
  }

  /** Removes a job unless it is locked by a worker; false when it could not be removed. */
  async remove(jobId: string): Promise<boolean> {
    try {
      return (await this.#queue.remove(jobId)) === 1;
    } catch {
      return false;
    }
  }

  /** Counts by state, for status and benchmarks. */
  counts(): Promise<Record<string, number>> {
    return this.#queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed');
  }

  /** Counts of every state BullMQ 6 reports (kubesoak_queue_jobs; it has no separate "paused" list). */
  jobCounts(): Promise<Record<string, number>> {
    return this.#queue.getJobCounts(
      'waiting',
      'active',
      'delayed',
      'prioritized',
      'waiting-children',
      'completed',
      'failed',
    );
  }

  close(): Promise<void> {
    return this.#queue.close();
  }
}

export interface IterationWorkerOptions {
  prefix: string;
  concurrency: number;
  /**
   * How long a job's lock lives without renewal. BullMQ renews it every lockDuration/2 while the
   * event loop runs, so iterations may last hours; only a dead process or a loop blocked (or Redis
   * away) for longer than this makes the job stall.
   */
  lockDurationMs: number;
  /** How often this worker looks for stalled jobs of dead workers. */
  stalledIntervalMs: number;
  /** Stall restarts before BullMQ fails the job "stalled more than allowable limit". */
  maxStalledCount: number;
}

/** Processes one iteration; throwing makes BullMQ retry it (up to its attempts). */
export type IterationProcessor = (
  ref: IterationJobRef,
  signal: AbortSignal,
  delivery: IterationDelivery,
) => Promise<void>;

/** A started BullMQ worker; close() waits for the processor calls in flight. */
export interface IterationConsumer {
  close(force?: boolean): Promise<void>;
  /** Whether its Redis connection is ready. */
  healthy(): boolean;
}

/**
 * Starts a BullMQ worker that opens (and on close, closes) its own connections to `target` (a URL,
 * or a Redis Cluster), with the options BullMQ requires of worker connections.
 */
export function createIterationWorker(
  target: RedisTarget,
  options: IterationWorkerOptions,
  processor: IterationProcessor,
): IterationConsumer {
  // RESP2 as on kubesoak's other connections: BullMQ 6.7 is tested with ioredis 5 (RESP2).
  // A cluster is passed as an instance (BullMQ duplicates it for its blocking connection, and
  // leaves closing the instance to us).
  const cluster = target.cluster?.length
    ? new Cluster(clusterNodes(target.cluster), redisClusterOptions(target, { maxRetriesPerRequest: null }))
    : undefined;
  cluster?.on('error', () => undefined);
  const connection = cluster ?? {
    url: target.url,
    protocol: 2 as const,
    maxRetriesPerRequest: null,
    retryStrategy: (times: number) => Math.min(times * 200, 2_000),
    ...target.redisOptions,
  };
  // Down from a 'close' until the next 'ready' of either of the worker's connections.
  let connected = false;
  const worker = new Worker<IterationJobData>(
    ITERATION_QUEUE_NAME,
    (job, _token, signal) =>
      processor(
        { runId: job.data.runId, iteration: job.data.iteration },
        signal ?? new AbortController().signal,
        {
          firstCountedStart: job.data.counted === true && job.attemptsStarted <= 1,
        },
      ),
    {
      connection,
      prefix: options.prefix,
      concurrency: options.concurrency,
      lockDuration: options.lockDurationMs,
      stalledInterval: options.stalledIntervalMs,
      maxStalledCount: options.maxStalledCount,
      // Results live in kubesoak's own hash; BullMQ's copies would only cost memory.
      removeOnComplete: { count: 1000 },
    },
  );
  worker.on('error', () => undefined);
  worker.backend.on('ready', () => (connected = true));
  worker.backend.on('close', () => (connected = false));
  void worker.waitUntilReady().then(
    () => (connected = true),
    () => undefined,
  );
  return {
    close: async (force = false) => {
      // Closing while BullMQ is still setting up the blocking connection leaves its init pending;
      // give it a moment, but never wait on a Redis that is away.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 1_000);
        const done = () => {
          clearTimeout(timer);
          resolve();
        };
        worker.waitUntilReady().then(done, done);
      });
      await worker.close(force);
      cluster?.disconnect();
    },
    healthy: () => connected && worker.isRunning(),
  };
}
