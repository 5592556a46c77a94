import { loadKubesoakConfig } from '../config/kubesoak-config.ts';
import type { KubesoakConfig } from '../config/kubesoak-config.ts';
import { HttpRunsClient } from '../runs/http-runs-client.ts';
import { RedisRunsClient } from '../runs/redis-runs-client.ts';
import { DEFAULT_MAX_ITERATIONS } from '../runs/run-submission.ts';
import type { RunsClient } from '../runs/runs-client.ts';
import type { CliIo } from './cli-io.ts';

/**
 * The runs client the configuration asks for: the scheduler's API when KUBESOAK_URL (or api.url)
 * is set, else Redis directly. Fails fast with one error naming the URL when Redis is unreachable.
 */
export async function openRunsClient(config: KubesoakConfig): Promise<RunsClient> {
  if (config.apiUrl !== undefined) return new HttpRunsClient(config.apiUrl);
  return RedisRunsClient.open({
    redisUrl: config.redis.url,
    prefix: config.redis.prefix,
    redisOptions: config.redis.options,
    cluster: config.redis.cluster,
    maxIterations: maxIterations(config),
  });
}

/** The most iterations a run may ask for, as the configured scheduler enforces it. */
export function maxIterations(config: KubesoakConfig): number {
  return config.scheduler.options.maxIterations ?? DEFAULT_MAX_ITERATIONS;
}

/**
 * Loads the configuration, opens the runs client it names, hands it to `use` and closes it after,
 * also when `use` throws.
 */
export async function withRunsClient<T>(
  io: CliIo,
  configFile: string | undefined,
  use: (client: RunsClient, config: KubesoakConfig) => Promise<T>,
): Promise<T> {
  const config = await loadKubesoakConfig({ file: configFile, env: io.env });
  const client = await openRunsClient(config);
  try {
    return await use(client, config);
  } finally {
    await client.close();
  }
}
