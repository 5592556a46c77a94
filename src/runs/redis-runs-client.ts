import { randomUUID } from 'node:crypto';
import { KubesoakError } from '../errors/kubesoak-error.ts';
import { openRedisConnection, redactRedisUrl } from './redis-connection.ts';
import type { RedisConnection } from './redis-connection.ts';
import { publishCancelNow, runChannels } from './redis-run-channels.ts';
import { RedisRunStore } from './redis-run-store.ts';
import type { RunProgressView } from './redis-run-store.ts';
import { isLiveState } from './run-model.ts';
import type { Run } from './run-model.ts';
import { DEFAULT_MAX_ITERATIONS, validateSubmission } from './run-submission.ts';
import { MAX_RESULTS_PER_REQUEST } from './runs-client.ts';
import type { RunsClient } from './runs-client.ts';

/** Options of {@link RedisRunsClient.open}. */
export interface RedisRunsClientOptions {
  redisUrl: string;
  /** Key prefix shared with the scheduler and workers. Default "kubesoak". */
  prefix?: string;
  /** Extra ioredis options (TLS, Sentinel...), e.g. the config's redis.options. */
  redisOptions?: Readonly<Record<string, unknown>>;
  /** Redis Cluster start nodes (host:port); the prefix then needs a {hash tag}. */
  cluster?: readonly string[];
  /** The most iterations a run may ask for (keep equal to the scheduler's). Default 100,000. */
  maxIterations?: number;
  /** How long connecting may take before RedisUnavailableError. Default 5 s. */
  connectTimeoutMs?: number;
}

/**
 * Runs through Redis directly, for a CLI without KUBESOAK_URL (and `kubesoak demo`). Submitting
 * validates and stores exactly as the scheduler does, then publishes a hint on the results channel
 * so a running scheduler dispatches at once instead of on its next tick.
 */
export class RedisRunsClient implements RunsClient {
  readonly target: string;
  readonly #redis: RedisConnection;
  readonly #store: RedisRunStore;
  readonly #prefix: string;
  readonly #maxIterations: number;
  readonly #ownsConnection: boolean;
  #closed = false;

  private constructor(redis: RedisConnection, options: RedisRunsClientOptions, ownsConnection: boolean) {
    this.#redis = redis;
    this.#ownsConnection = ownsConnection;
    this.#prefix = options.prefix ?? 'kubesoak';
    this.#store = new RedisRunStore(redis, this.#prefix);
    this.#maxIterations = options.maxIterations ?? DEFAULT_MAX_ITERATIONS;
    this.target = redactRedisUrl(options.redisUrl);
  }

  /** Connects, or fails fast with RedisUnavailableError naming the URL. */
  static async open(options: RedisRunsClientOptions): Promise<RedisRunsClient> {
    const redis = await openRedisConnection(
      { url: options.redisUrl, cluster: options.cluster, redisOptions: options.redisOptions },
      {
        role: 'producer',
        ...(options.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: options.connectTimeoutMs }),
      },
    );
    return new RedisRunsClient(redis, options, true);
  }

  /**
   * A client over a connection the caller owns and closes (the scheduler serves its API through
   * one): close() then leaves the connection open.
   */
  static over(
    redis: RedisConnection,
    options: Omit<RedisRunsClientOptions, 'cluster' | 'redisOptions' | 'connectTimeoutMs'>,
  ): RedisRunsClient {
    return new RedisRunsClient(redis, options, false);
  }

  async submit(raw: unknown): Promise<Run> {
    const id = randomUUID();
    const spec = validateSubmission(raw, { maxIterations: this.#maxIterations, runId: id });
    const run = await this.#store.create(id, spec, new Date());
    // A hint only: without a scheduler listening, its next tick picks the run up.
    await this.#redis.publish(runChannels(this.#prefix).results, id).catch(() => undefined);
    return run;
  }

  status(ref: string): Promise<Run | undefined> {
    return this.#store.resolve(ref);
  }

  progress(ref: string): Promise<RunProgressView | undefined> {
    return this.#store.progressView(ref);
  }

  list(limit: number): Promise<Run[]> {
    return this.#store.list(limit);
  }

  async live(): Promise<Run[]> {
    const runs = await Promise.all((await this.#store.liveRunIds()).map((id) => this.#store.get(id)));
    return runs
      .filter((run): run is Run => run !== undefined && isLiveState(run.state))
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  async iteration(ref: string, iteration: number) {
    const run = await this.#store.resolve(ref);
    return run ? this.#store.result(run.id, iteration) : undefined;
  }

  async results(ref: string, iterations: readonly number[]) {
    if (iterations.length > MAX_RESULTS_PER_REQUEST)
      throw new KubesoakError(
        'too-many-iterations',
        `at most ${MAX_RESULTS_PER_REQUEST} iterations per results call`,
      );
    const run = await this.#store.resolve(ref);
    return run ? this.#store.results(run.id, iterations) : undefined;
  }

  async cancel(ref: string, options: { now: boolean }): Promise<Run | undefined> {
    const run = await this.#store.resolve(ref);
    if (!run) return undefined;
    await this.#store.cancel(run.id, new Date());
    if (options.now) await publishCancelNow(this.#redis, this.#prefix, run.id);
    return this.#store.get(run.id);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#ownsConnection) await this.#redis.quit().catch(() => this.#redis.disconnect());
  }
}
