import { createHash } from 'node:crypto';
import { KubesoakError } from '../errors/kubesoak-error.ts';
import type { IterationSummary, StoredIterationResult } from './iteration-job.ts';
import type { RedisConnection } from './redis-connection.ts';
import { decodeResult } from './result-codec.ts';
import { runChannels } from './redis-run-channels.ts';
import { RunState } from './run-model.ts';
import type { Run, RunSpec } from './run-model.ts';

/** Another live run already uses the name. */
export class RunNameTakenError extends KubesoakError {
  constructor(name: string) {
    super('run-name-taken', `invalid run submission: name: "${name}" is already used by a live run`, {
      retryable: false,
      hint: 'choose another name or cancel the other run',
    });
  }
}

/** What beginAttempt tells a worker about a job it just took. */
export type AttemptStart =
  | { kind: 'run'; attempt: number }
  /** The run was cancelled, removed, or the iteration already has a result: do not execute. */
  | { kind: 'skip'; reason: 'cancelled' | 'recorded' | 'gone' };

// Every script runs atomically on the server, which is what makes dispatch and recording safe with
// several schedulers and workers: no read-modify-write happens on the client.

const CREATE = `
local existing = redis.call('HGET', KEYS[2], ARGV[2])
if existing then
  local state = redis.call('HGET', ARGV[3] .. existing, 'state')
  if state == 'queued' or state == 'running' then return 0 end
end
redis.call('HSET', KEYS[1], unpack(ARGV, 5))
redis.call('HSET', KEYS[2], ARGV[2], ARGV[1])
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[1])
redis.call('SADD', KEYS[4], ARGV[1])
return 1`;

// Reserves up to ARGV[1] iterations under the run's P: returns {first, count}. A reservation also
// counts its iteration's first attempt (KEYS[3]), so a worker starting the job the first time
// needs no round trip to count it (see beginAttempt).
const RESERVE = `
local state = redis.call('HGET', KEYS[1], 'state')
if state ~= 'queued' and state ~= 'running' then return {0, 0} end
local n = tonumber(redis.call('HGET', KEYS[1], 'iterations'))
local p = tonumber(redis.call('HGET', KEYS[1], 'parallel'))
local d = tonumber(redis.call('HGET', KEYS[1], 'dispatched'))
local a = tonumber(redis.call('HGET', KEYS[1], 'active'))
local k = math.min(tonumber(ARGV[1]), p - a, n - d)
if k <= 0 then return {d, 0} end
redis.call('HSET', KEYS[1], 'dispatched', d + k, 'active', a + k)
for i = d, d + k - 1 do
  redis.call('SADD', KEYS[2], i)
  redis.call('HINCRBY', KEYS[3], i, 1)
end
if state == 'queued' then redis.call('HSET', KEYS[1], 'state', 'running', 'startedAt', ARGV[2]) end
return {d, k}`;

// Exactly once: only the first record of an iteration counts; duplicates return {0}. A new record
// also reserves the run's next iterations (at most ARGV[7]) within P, so the recorder can enqueue
// them at once: topping up on the result path avoids a round trip through the scheduler per result;
// as in RESERVE, each reserved iteration's first attempt is counted here (KEYS[7]).
// Only a run's completion is published; nothing else on this path needs the scheduler.
// The same new record counts the result by `outcome|category` (KEYS[5]) and charges each node of a
// failed or errored iteration (KEYS[6]): the metrics read these totals, so they equal the stored
// results across worker crashes and scheduler restarts, and a duplicate never counts.
const RECORD = `
if redis.call('EXISTS', KEYS[2]) == 0 then return {-1} end
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then return {0} end
redis.call('HINCRBY', KEYS[2], ARGV[3], 1)
redis.call('HINCRBY', KEYS[5], ARGV[3] .. '|' .. ARGV[8], 1)
if ARGV[3] ~= 'passed' then
  for i = 9, #ARGV do redis.call('HINCRBY', KEYS[6], ARGV[i] .. '|' .. ARGV[8], 1) end
end
local a = tonumber(redis.call('HGET', KEYS[2], 'active'))
if redis.call('SREM', KEYS[3], ARGV[1]) == 1 then
  a = a - 1
  redis.call('HSET', KEYS[2], 'active', a)
end
local n = tonumber(redis.call('HGET', KEYS[2], 'iterations'))
local total = tonumber(redis.call('HGET', KEYS[2], 'passed')) + tonumber(redis.call('HGET', KEYS[2], 'failed'))
  + tonumber(redis.call('HGET', KEYS[2], 'error'))
local state = redis.call('HGET', KEYS[2], 'state')
if total >= n and (state == 'queued' or state == 'running') then
  redis.call('HSET', KEYS[2], 'state', 'completed', 'finishedAt', ARGV[4])
  redis.call('SREM', KEYS[4], ARGV[5])
  state = 'completed'
  redis.call('PUBLISH', ARGV[6], ARGV[5])
end
if state ~= 'running' then return {1, 0, 0} end
local p = tonumber(redis.call('HGET', KEYS[2], 'parallel'))
local d = tonumber(redis.call('HGET', KEYS[2], 'dispatched'))
local k = math.min(tonumber(ARGV[7]), p - a, n - d)
if k <= 0 then return {1, d, 0} end
redis.call('HSET', KEYS[2], 'dispatched', d + k, 'active', a + k)
for i = d, d + k - 1 do
  redis.call('SADD', KEYS[3], i)
  redis.call('HINCRBY', KEYS[7], i, 1)
end
return {1, d, k}`;

// Counts the attempt only when the iteration will really run. ARGV[2] = '1' for a job's first start,
// whose attempt its reservation already counted: that count stands, or is taken back if it never runs.
const BEGIN = `
local state = redis.call('HGET', KEYS[2], 'state')
if not state then return {0, 'gone'} end
if redis.call('HEXISTS', KEYS[3], ARGV[1]) == 1 then return {0, 'recorded'} end
local counted = 0
if ARGV[2] == '1' then counted = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0') end
if state == 'cancelled' then
  if redis.call('SREM', KEYS[4], ARGV[1]) == 1 then
    redis.call('HINCRBY', KEYS[2], 'active', -1)
    if counted > 0 then redis.call('HINCRBY', KEYS[1], ARGV[1], -1) end
  end
  return {0, 'cancelled'}
end
if counted > 0 then return {counted, 'run'} end
return {redis.call('HINCRBY', KEYS[1], ARGV[1], 1), 'run'}`;

// Publishes the run's end like RECORD does for a completed run: workers then stop trusting the
// state they cached (see the worker's processor) and check each start of the run's jobs again.
const CANCEL = `
local state = redis.call('HGET', KEYS[1], 'state')
if state ~= 'queued' and state ~= 'running' then return 0 end
redis.call('HSET', KEYS[1], 'state', 'cancelled', 'cancelledAt', ARGV[1], 'finishedAt', ARGV[1])
redis.call('SREM', KEYS[2], ARGV[2])
redis.call('PUBLISH', ARGV[3], ARGV[2])
return 1`;

const DELETE = `
local name = redis.call('HGET', KEYS[1], 'name')
if name and redis.call('HGET', KEYS[5], name) == ARGV[1] then redis.call('HDEL', KEYS[5], name) end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[8])
redis.call('ZREM', KEYS[6], ARGV[1])
redis.call('SREM', KEYS[7], ARGV[1])
return 1`;

/** What the metrics read of a run on every scrape. */
export interface RunSummary {
  id: string;
  name: string;
  state: RunState;
  chartRef: string;
  iterations: number;
  active: number;
  counts: { passed: number; failed: number; error: number };
}

/** What a record adds to the counts: its outcome, category and the nodes charged with a failure. */
export interface RecordedTally {
  outcome: StoredIterationResult['outcome'];
  category: string;
  nodes?: readonly string[] | undefined;
}

/** Recorded results of a run with one outcome and category ("" for passed). */
export interface ResultCount {
  outcome: StoredIterationResult['outcome'];
  category: string;
  count: number;
}

/** Failed or errored results charged to a node, by category. */
export interface NodeFailureCount {
  node: string;
  category: string;
  count: number;
}

/** A run without its spec: identity, state, counts and timestamps. */
export type RunProgressView = Pick<
  Run,
  | 'id'
  | 'name'
  | 'state'
  | 'iterations'
  | 'parallel'
  | 'counts'
  | 'dispatched'
  | 'active'
  | 'createdAt'
  | 'startedAt'
  | 'finishedAt'
  | 'cancelledAt'
>;

const PROGRESS_FIELDS = [
  'id',
  'name',
  'state',
  'iterations',
  'parallel',
  'passed',
  'failed',
  'error',
  'dispatched',
  'active',
  'createdAt',
  'startedAt',
  'finishedAt',
  'cancelledAt',
] as const;

/** The run's fields as the dispatcher needs them (one HMGET). */
export interface RunProgress {
  id: string;
  state: RunState;
  iterations: number;
  parallel: number;
  dispatched: number;
  active: number;
}

/**
 * Runs, dispatch cursors, attempts and results in Redis. All keys start with `prefix:` (use a hash
 * tag such as `{kubesoak}` on Redis Cluster so that each script's keys share a slot).
 */
export class RedisRunStore {
  readonly #redis: RedisConnection;
  readonly #prefix: string;

  constructor(redis: RedisConnection, prefix: string) {
    this.#redis = redis;
    this.#prefix = prefix;
  }

  /**
   * EVALSHA with a fallback to EVAL: saves sending the script text on every call, and survives a
   * Redis restart (which empties the script cache) through the NOSCRIPT fallback.
   */
  async #script(source: string, numKeys: number, ...args: Array<string | number | Buffer>): Promise<unknown> {
    const sha = scriptSha(source);
    try {
      return await this.#redis.evalsha(sha, numKeys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.includes('NOSCRIPT')) throw error;
      return this.#redis.eval(source, numKeys, ...args);
    }
  }

  #run(id: string): string {
    return `${this.#prefix}:run:${id}`;
  }
  #results(id: string): string {
    return `${this.#prefix}:results:${id}`;
  }
  #attempts(id: string): string {
    return `${this.#prefix}:attempts:${id}`;
  }
  #inflight(id: string): string {
    return `${this.#prefix}:inflight:${id}`;
  }
  #counts(id: string): string {
    return `${this.#prefix}:counts:${id}`;
  }
  get #nodeFailures(): string {
    return `${this.#prefix}:node-failures`;
  }
  get #janitor(): string {
    return `${this.#prefix}:janitor`;
  }
  get #names(): string {
    return `${this.#prefix}:run-names`;
  }
  get #runs(): string {
    return `${this.#prefix}:runs`;
  }
  get #live(): string {
    return `${this.#prefix}:live-runs`;
  }

  /** Stores a validated run in one atomic step; RunNameTakenError when a live run has the name. */
  async create(id: string, spec: RunSpec, now: Date): Promise<Run> {
    const run: Run = {
      ...spec,
      id,
      state: RunState.queued,
      counts: { passed: 0, failed: 0, error: 0 },
      dispatched: 0,
      active: 0,
      createdAt: now.toISOString(),
    };
    const fields = [
      'id',
      id,
      'name',
      spec.name,
      'spec',
      JSON.stringify(spec),
      'iterations',
      spec.iterations,
      'parallel',
      spec.parallel,
      'state',
      run.state,
      'passed',
      0,
      'failed',
      0,
      'error',
      0,
      'dispatched',
      0,
      'active',
      0,
      'createdAt',
      run.createdAt,
      // Read alone by the metrics on every scrape, without parsing the spec (values may be large).
      'chartRef',
      spec.chart.ref,
    ];
    const created = (await this.#script(
      CREATE,
      4,
      this.#run(id),
      this.#names,
      this.#runs,
      this.#live,
      id,
      spec.name,
      `${this.#prefix}:run:`,
      now.getTime(),
      ...fields,
    )) as number;
    if (created !== 1) throw new RunNameTakenError(spec.name);
    return run;
  }

  /** A run by id or by name (the latest run with that name). */
  async resolve(idOrName: string): Promise<Run | undefined> {
    const byId = await this.get(idOrName);
    if (byId) return byId;
    const id = await this.#redis.hget(this.#names, idOrName);
    return id ? this.get(id) : undefined;
  }

  async get(id: string): Promise<Run | undefined> {
    const hash = await this.#redis.hgetall(this.#run(id));
    return hash.id ? toRun(hash) : undefined;
  }

  /**
   * The moving parts of a run by id or name, without its spec (one HMGET): what a follower polls,
   * so that polling never moves the values files or an inline chart archive.
   */
  async progressView(idOrName: string): Promise<RunProgressView | undefined> {
    const read = (id: string) => this.#redis.hmget(this.#run(id), ...PROGRESS_FIELDS);
    let values = await read(idOrName);
    if (!values[0]) {
      const id = await this.#redis.hget(this.#names, idOrName);
      if (!id) return undefined;
      values = await read(id);
      if (!values[0]) return undefined;
    }
    const hash = Object.fromEntries(
      PROGRESS_FIELDS.flatMap((field, index) => (values[index] == null ? [] : [[field, values[index]]])),
    ) as Record<string, string>;
    return {
      name: hash.name ?? '',
      iterations: Number(hash.iterations ?? 0),
      parallel: Number(hash.parallel ?? 0),
      ...movingParts(hash),
    };
  }

  /** The newest runs first. */
  async list(limit: number): Promise<Run[]> {
    const ids = await this.#redis.zrevrange(this.#runs, 0, limit - 1);
    if (ids.length === 0) return [];
    const pipeline = this.#redis.pipeline();
    for (const id of ids) pipeline.hgetall(this.#run(id));
    const replies = (await pipeline.exec()) ?? [];
    return replies.flatMap(([error, hash]) => {
      const fields = hash as Record<string, string> | undefined;
      return !error && fields?.id ? [toRun(fields)] : [];
    });
  }

  /** Ids of queued and running runs. */
  liveRunIds(): Promise<string[]> {
    return this.#redis.smembers(this.#live);
  }

  /** Dispatch fields of several runs in one round trip. */
  async progress(ids: readonly string[]): Promise<RunProgress[]> {
    if (ids.length === 0) return [];
    const pipeline = this.#redis.pipeline();
    for (const id of ids)
      pipeline.hmget(this.#run(id), 'state', 'iterations', 'parallel', 'dispatched', 'active');
    const replies = (await pipeline.exec()) ?? [];
    const out: RunProgress[] = [];
    replies.forEach(([error, values], index) => {
      const [state, iterations, parallel, dispatched, active] = (values ?? []) as (string | null)[];
      if (error || !state) return;
      out.push({
        id: ids[index] as string,
        state: state as RunState,
        iterations: Number(iterations),
        parallel: Number(parallel),
        dispatched: Number(dispatched),
        active: Number(active),
      });
    });
    return out;
  }

  /**
   * Every retained run (newest first) with the fields the metrics need, without the spec: two
   * round trips whatever the number of runs.
   */
  async summaries(): Promise<RunSummary[]> {
    const ids = await this.#redis.zrevrange(this.#runs, 0, -1);
    if (ids.length === 0) return [];
    const pipeline = this.#redis.pipeline();
    for (const id of ids)
      pipeline.hmget(
        this.#run(id),
        'id',
        'name',
        'state',
        'iterations',
        'active',
        'passed',
        'failed',
        'error',
        'chartRef',
      );
    const replies = (await pipeline.exec()) ?? [];
    const out: RunSummary[] = [];
    for (const [index, [error, values]] of replies.entries()) {
      const [id, name, state, iterations, active, passed, failed, errors, chartRef] = (values ?? []) as (
        string | null
      )[];
      if (error || !id) continue;
      out.push({
        id,
        name: name ?? id,
        state: (state ?? RunState.queued) as RunState,
        chartRef: chartRef ?? (await this.#chartRefFromSpec(ids[index] as string)),
        iterations: Number(iterations ?? 0),
        active: Number(active ?? 0),
        counts: { passed: Number(passed ?? 0), failed: Number(failed ?? 0), error: Number(errors ?? 0) },
      });
    }
    return out;
  }

  /** Runs stored before the chartRef field existed keep the chart only in their spec. */
  async #chartRefFromSpec(id: string): Promise<string> {
    const spec = await this.#redis.hget(this.#run(id), 'spec');
    try {
      return (JSON.parse(spec ?? '{}') as Partial<RunSpec>).chart?.ref ?? '';
    } catch {
      return '';
    }
  }

  /**
   * Atomically advances the run's dispatch cursor by at most `want`, never beyond P active or N
   * dispatched; returns the reserved iteration numbers (possibly none).
   */
  async reserve(id: string, want: number, now: Date): Promise<number[]> {
    const [first, count] = (await this.#script(
      RESERVE,
      3,
      this.#run(id),
      this.#inflight(id),
      this.#attempts(id),
      want,
      now.toISOString(),
    )) as [number, number];
    return Array.from({ length: count }, (_, index) => first + index);
  }

  /** Iterations dispatched and not yet recorded (at most P). */
  async inflight(id: string): Promise<number[]> {
    const members = await this.#redis.smembers(this.#inflight(id));
    return members.map(Number).sort((a, b) => a - b);
  }

  /**
   * Counts a new attempt of an iteration unless it must not run (see AttemptStart). `firstStart`:
   * the job is starting for the first time, so this attempt is the one its reservation (reserve,
   * record) counted; it is not counted again, and is taken back when the iteration of a cancelled
   * run is dropped. A worker may skip this call for a first start of a run it knows to be live:
   * the attempt is then the reserved one, 1.
   */
  async beginAttempt(id: string, iteration: number, firstStart = false): Promise<AttemptStart> {
    const [attempt, kind] = (await this.#script(
      BEGIN,
      4,
      this.#attempts(id),
      this.#run(id),
      this.#results(id),
      this.#inflight(id),
      iteration,
      firstStart ? '1' : '0',
    )) as [number, string];
    if (kind === 'run') return { kind: 'run', attempt };
    return { kind: 'skip', reason: kind as 'cancelled' | 'recorded' | 'gone' };
  }

  /** How many attempts an iteration has started (0 if none). */
  async attempts(id: string, iteration: number): Promise<number> {
    return Number((await this.#redis.hget(this.#attempts(id), String(iteration))) ?? 0);
  }

  /**
   * Records an iteration's result exactly once: `isNew` is false for a duplicate (a retried or
   * re-delivered job) or a run that no longer exists. `next` are iterations reserved for the
   * recorder to enqueue (at most `refill`), so a finished slot is refilled without the scheduler.
   * A new result is also counted by outcome and category and charged to its nodes (see
   * resultCounts, nodeFailures); a bare outcome counts under category "unknown".
   */
  async record(
    id: string,
    iteration: number,
    result: StoredIterationResult['outcome'] | RecordedTally,
    payload: Buffer,
    now: Date,
    refill = 1,
  ): Promise<{ isNew: boolean; next: number[] }> {
    const tally: RecordedTally =
      typeof result === 'string' ? { outcome: result, category: 'unknown' } : result;
    const { outcome } = tally;
    // Passed results count under category "" whatever the executor called it ("passed").
    const category = outcome === 'passed' ? '' : tally.category;
    const nodes = outcome === 'passed' ? [] : [...new Set(tally.nodes ?? [])];
    const [written, first = 0, count = 0] = (await this.#script(
      RECORD,
      7,
      this.#results(id),
      this.#run(id),
      this.#inflight(id),
      this.#live,
      this.#counts(id),
      this.#nodeFailures,
      this.#attempts(id),
      iteration,
      payload,
      outcome,
      now.toISOString(),
      id,
      runChannels(this.#prefix).results,
      refill,
      category,
      ...nodes,
    )) as number[];
    return { isNew: written === 1, next: Array.from({ length: count }, (_, index) => first + index) };
  }

  /**
   * Recorded results of each run by outcome and category, in one round trip; counted by the record
   * script, so they always equal the stored results. Runs without results map to [].
   */
  async resultCounts(ids: readonly string[]): Promise<Map<string, ResultCount[]>> {
    const out = new Map<string, ResultCount[]>();
    if (ids.length === 0) return out;
    const pipeline = this.#redis.pipeline();
    for (const id of ids) pipeline.hgetall(this.#counts(id));
    const replies = (await pipeline.exec()) ?? [];
    replies.forEach(([error, hash], index) => {
      if (error) throw error;
      const rows: ResultCount[] = [];
      for (const [field, value] of Object.entries((hash ?? {}) as Record<string, string>)) {
        const split = field.indexOf('|');
        const outcome = field.slice(0, split) as ResultCount['outcome'];
        rows.push({ outcome, category: field.slice(split + 1), count: Number(value) });
      }
      out.set(ids[index] as string, rows);
    });
    return out;
  }

  /** Failed or errored results charged to each node, by category, over all runs of the prefix. */
  async nodeFailures(): Promise<NodeFailureCount[]> {
    const hash = await this.#redis.hgetall(this.#nodeFailures);
    return Object.entries(hash).map(([field, value]) => {
      const split = field.lastIndexOf('|');
      return { node: field.slice(0, split), category: field.slice(split + 1), count: Number(value) };
    });
  }

  /** Stores what a janitor pass saw and adds what it deleted (shared by every scheduler and the CLI). */
  async recordJanitorPass(pass: { managed: number; expired: number; deleted: number }): Promise<void> {
    await this.#redis
      .multi()
      .hset(this.#janitor, 'managed', pass.managed, 'expired', pass.expired, 'at', Date.now())
      .hincrby(this.#janitor, 'deleted', pass.deleted)
      .exec();
  }

  /** The last janitor pass's namespace counts and the total it ever deleted. */
  async janitorStats(): Promise<{ managed: number; expired: number; deleted: number }> {
    const [managed, expired, deleted] = await this.#redis.hmget(
      this.#janitor,
      'managed',
      'expired',
      'deleted',
    );
    return { managed: Number(managed ?? 0), expired: Number(expired ?? 0), deleted: Number(deleted ?? 0) };
  }

  /** One PING round trip in seconds (the latency every queue call pays). */
  async ping(): Promise<number> {
    const started = process.hrtime.bigint();
    await this.#redis.ping();
    return Number(process.hrtime.bigint() - started) / 1e9;
  }

  async result(id: string, iteration: number): Promise<StoredIterationResult | undefined> {
    const payload = await this.#redis.hgetBuffer(this.#results(id), String(iteration));
    return payload ? decodeResult(payload) : undefined;
  }

  /** Every recorded result of a run, by iteration (one HGETALL: for summaries, not for huge runs). */
  async listResults(id: string): Promise<StoredIterationResult[]> {
    const hash = await this.#redis.hgetallBuffer(this.#results(id));
    return Object.values(hash)
      .map((payload) => decodeResult(payload))
      .sort((a, b) => a.iteration - b.iteration);
  }

  /**
   * The recorded results among `iterations` (one HMGET), by iteration, without their snapshots:
   * what a follower polls for, so it moves only the results it has not seen yet.
   */
  async results(id: string, iterations: readonly number[]): Promise<IterationSummary[]> {
    if (iterations.length === 0) return [];
    const payloads = await this.#redis.hmgetBuffer(this.#results(id), ...iterations.map(String));
    return payloads
      .flatMap((payload) => {
        if (!payload) return [];
        const { snapshot: _snapshot, ...summary } = decodeResult(payload);
        return [summary];
      })
      .sort((a, b) => a.iteration - b.iteration);
  }

  /** Whether an iteration has a result, without reading it. */
  async hasResult(id: string, iteration: number): Promise<boolean> {
    return (await this.#redis.hexists(this.#results(id), String(iteration))) === 1;
  }

  /** Cancels a live run; false when it had already ended. */
  async cancel(id: string, now: Date): Promise<boolean> {
    return (
      ((await this.#script(
        CANCEL,
        2,
        this.#run(id),
        this.#live,
        now.toISOString(),
        id,
        runChannels(this.#prefix).results,
      )) as number) === 1
    );
  }

  /**
   * Deletes ended runs older than `maxAgeMs` and all but the newest `maxCount` ended runs, with
   * their results. Live runs are never deleted. Returns the deleted ids.
   */
  async applyRetention(options: { maxAgeMs: number; maxCount: number }, now: Date): Promise<string[]> {
    const ids = await this.#redis.zrevrange(this.#runs, 0, -1);
    const states = await this.progress(ids);
    const created = await Promise.all(states.map((run) => this.#redis.zscore(this.#runs, run.id)));
    const ended = states
      .map((run, index) => ({ id: run.id, state: run.state, createdMs: Number(created[index]) }))
      .filter((run) => run.state === RunState.completed || run.state === RunState.cancelled);
    const doomed = ended.filter(
      (run, index) => index >= options.maxCount || now.getTime() - run.createdMs > options.maxAgeMs,
    );
    for (const run of doomed) {
      await this.#script(
        DELETE,
        8,
        this.#run(run.id),
        this.#results(run.id),
        this.#attempts(run.id),
        this.#inflight(run.id),
        this.#names,
        this.#runs,
        this.#live,
        this.#counts(run.id),
        run.id,
      );
    }
    return doomed.map((run) => run.id);
  }
}

const shas = new Map<string, string>();
function scriptSha(source: string): string {
  let sha = shas.get(source);
  if (!sha) {
    sha = createHash('sha1').update(source).digest('hex');
    shas.set(source, sha);
  }
  return sha;
}

function toRun(hash: Record<string, string>): Run {
  const spec = JSON.parse(hash.spec ?? '{}') as RunSpec;
  return { ...spec, ...movingParts(hash) };
}

/** The fields of a run hash that change while it runs, shared by full reads and progress polls. */
function movingParts(hash: Record<string, string>) {
  return {
    id: hash.id ?? '',
    state: (hash.state ?? RunState.queued) as RunState,
    counts: {
      passed: Number(hash.passed ?? 0),
      failed: Number(hash.failed ?? 0),
      error: Number(hash.error ?? 0),
    },
    dispatched: Number(hash.dispatched ?? 0),
    active: Number(hash.active ?? 0),
    createdAt: hash.createdAt ?? '',
    startedAt: hash.startedAt,
    finishedAt: hash.finishedAt,
    cancelledAt: hash.cancelledAt,
  };
}
