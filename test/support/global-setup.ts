import type { TestProject } from 'vitest/node';
import { startPrivateRedisServer } from '../../src/redis/private-redis-server.ts';
import type { PrivateRedisServer } from '../../src/redis/private-redis-server.ts';
import { resolveTestTools } from './test-tools.ts';
import type { TestTools } from './test-tools.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of the suite's private redis-server, or null where redis-server is missing outside CI. */
    redisUrl: string | null;
    tools: TestTools;
  }
}

/** Starts the real components every test file shares: one private Redis and the tool paths. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const tools = await resolveTestTools();
  project.provide('tools', tools);
  let redis: PrivateRedisServer | undefined;
  if (tools.redisServer) {
    redis = await startPrivateRedisServer({ binary: tools.redisServer });
    project.provide('redisUrl', redis.url);
  } else {
    project.provide('redisUrl', null);
  }
  return async () => {
    await redis?.stop();
  };
}
