import { Cluster, Redis } from 'ioredis';
import type { ClusterOptions, RedisOptions } from 'ioredis';
import { KubesoakError } from '../errors/kubesoak-error.ts';

/** Redis did not answer at the configured URL. */
export class RedisUnavailableError extends KubesoakError {
  constructor(url: string, cause?: unknown) {
    super('redis-unavailable', `cannot reach Redis at ${redactRedisUrl(url)}`, {
      retryable: true,
      hint: 'check REDIS_URL and that redis-server is running and reachable',
      cause,
    });
  }
}

/** The URL without its password, for messages and logs. */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return '<unparseable Redis URL>';
  }
}

/**
 * `producer` connections fail fast while Redis is away (callers retry on their own schedule);
 * `worker` connections queue commands and retry forever, as BullMQ workers require
 * (maxRetriesPerRequest: null).
 */
export type RedisRole = 'producer' | 'worker';

export interface OpenRedisOptions {
  role: RedisRole;
  /** How long the first connection may take before RedisUnavailableError. Default 5 s. */
  connectTimeoutMs?: number;
  /** Extra ioredis options (TLS, Sentinel...). */
  redisOptions?: RedisOptions;
}

/**
 * Opens an ioredis connection and waits until it is ready, or fails with one error naming the URL
 * (no endless retry loop at start-up). RESP2 is forced on kubesoak's own connections (the Lua
 * replies and pipelines here are written against RESP2 shapes; ioredis 6 defaults to RESP3).
 */
export async function openRedis(url: string, options: OpenRedisOptions): Promise<Redis> {
  const timeoutMs = options.connectTimeoutMs ?? 5_000;
  const client = new Redis(url, {
    protocol: 2,
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: options.role === 'worker' ? null : 1,
    enableOfflineQueue: options.role === 'worker',
    retryStrategy: (times) => Math.min(times * 200, 2_000),
    // How long a closing socket may linger before ioredis destroys it (default 2 s).
    disconnectTimeout: 500,
    ...options.redisOptions,
  });
  return connectOrFail(client, url, timeoutMs);
}

/** A connection to one Redis server (possibly found through Sentinel) or to a Redis Cluster. */
export type RedisConnection = Redis | Cluster;

/** Where Redis is: a URL, extra ioredis options and, for Redis Cluster, its start nodes. */
export interface RedisTarget {
  /** redis:// or rediss://; with a cluster only its credentials and TLS scheme are used. */
  url: string;
  /** Redis Cluster start nodes as host:port; empty or absent when Redis is not a cluster. */
  cluster?: readonly string[] | undefined;
  /** Extra ioredis options (TLS, Sentinel, name, username, db...); per node with a cluster. */
  redisOptions?: Readonly<Record<string, unknown>> | undefined;
}

/**
 * Opens a connection to `target` and waits until it is ready, or fails with RedisUnavailableError
 * naming the URL (or the cluster's first node). With `target.cluster` it is an ioredis Cluster:
 * every kubesoak key and BullMQ key must then share a hash tag (a prefix such as `{kubesoak}`), as
 * every script and pipeline touches the keys of one prefix only.
 */
export async function openRedisConnection(
  target: RedisTarget,
  options: OpenRedisOptions,
): Promise<RedisConnection> {
  if (!target.cluster?.length)
    return openRedis(target.url, {
      ...options,
      redisOptions: { ...(target.redisOptions as RedisOptions | undefined), ...options.redisOptions },
    });
  const timeoutMs = options.connectTimeoutMs ?? 5_000;
  const client = new Cluster(clusterNodes(target.cluster), {
    ...redisClusterOptions(target, {
      connectTimeout: timeoutMs,
      maxRetriesPerRequest: options.role === 'worker' ? null : 1,
    }),
    enableOfflineQueue: options.role === 'worker',
  });
  return connectOrFail(client, clusterUrl(target), timeoutMs);
}

/** host:port start nodes as ioredis takes them. */
export function clusterNodes(nodes: readonly string[]): Array<{ host: string; port: number }> {
  return nodes.map((node) => {
    const split = node.lastIndexOf(':');
    return { host: node.slice(0, split).replace(/^\[(.*)\]$/, '$1'), port: Number(node.slice(split + 1)) };
  });
}

/**
 * ioredis Cluster options for `target`: credentials and TLS from its URL, `perNode` and the extra
 * options for every node connection. BullMQ worker connections use it with maxRetriesPerRequest null.
 */
export function redisClusterOptions(target: RedisTarget, perNode: RedisOptions = {}): ClusterOptions {
  const url = new URL(target.url);
  return {
    lazyConnect: true,
    clusterRetryStrategy: (times) => Math.min(times * 200, 2_000),
    redisOptions: {
      protocol: 2,
      disconnectTimeout: 500,
      ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
      ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
      ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
      ...perNode,
      ...(target.redisOptions as RedisOptions | undefined),
    },
  };
}

/** What messages name for a cluster: the URL's scheme and credentials at the first start node. */
function clusterUrl(target: RedisTarget): string {
  const url = new URL(target.url);
  const first = target.cluster?.[0];
  if (first) url.host = first;
  return url.toString();
}

async function connectOrFail<T extends RedisConnection>(
  client: T,
  url: string,
  timeoutMs: number,
): Promise<T> {
  // Without a listener ioredis prints every reconnect error; callers observe state via `status`.
  client.on('error', () => undefined);
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => settle(new RedisUnavailableError(url)), timeoutMs);
      const onReady = () => settle();
      function settle(error?: unknown) {
        clearTimeout(timer);
        client.off('ready', onReady);
        if (error === undefined) resolve();
        else reject(error instanceof RedisUnavailableError ? error : new RedisUnavailableError(url, error));
      }
      client.once('ready', onReady);
      client.connect().catch((error: unknown) => settle(error));
    });
    return client;
  } catch (error) {
    await disconnectQuietly(client);
    throw error;
  }
}

/** Disconnects and waits (briefly) until ioredis has closed its socket, so no timer outlives us. */
async function disconnectQuietly(client: RedisConnection): Promise<void> {
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 1_000);
    client.once('end', () => {
      clearTimeout(timer);
      resolve();
    });
    client.disconnect();
  });
}
