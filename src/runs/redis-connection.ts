import { Redis } from 'ioredis';
import type { RedisOptions } from 'ioredis';
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
async function disconnectQuietly(client: Redis): Promise<void> {
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 1_000);
    client.once('end', () => {
      clearTimeout(timer);
      resolve();
    });
    client.disconnect();
  });
}
