import type { RedisConnection } from './redis-connection.ts';

/** Pub/sub channel names under a prefix. */
export function runChannels(prefix: string): { cancel: string; results: string } {
  return { cancel: `${prefix}:cancel-now`, results: `${prefix}:results-recorded` };
}

/**
 * Subscribes a dedicated connection to channels; ioredis re-subscribes after reconnects. Messages
 * are hints (cancel now, a result was recorded): every consumer also has a periodic fallback, so a
 * message lost while Redis was away delays work but never loses it.
 */
export async function subscribeRunChannels(
  connection: RedisConnection,
  channels: readonly string[],
  onMessage: (channel: string, message: string) => void,
): Promise<() => Promise<void>> {
  connection.on('message', onMessage);
  await connection.subscribe(...channels);
  return async () => {
    connection.off('message', onMessage);
    connection.disconnect();
    await Promise.resolve();
  };
}

/** Publishes a cancel-now request for a run to every worker. */
export async function publishCancelNow(
  connection: RedisConnection,
  prefix: string,
  runId: string,
): Promise<void> {
  await connection.publish(runChannels(prefix).cancel, runId);
}
