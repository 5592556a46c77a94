import type { Registry } from 'prom-client';
import { DEFAULT_METRICS_PORT } from '../metrics/kubesoak-metrics.ts';
import { startMetricsServer } from '../metrics/metrics-server.ts';
import type { MetricsServer } from '../metrics/metrics-server.ts';

/**
 * Serves the demo's /metrics. A port given explicitly must be free (MetricsListenError otherwise);
 * the default one (9464) may be taken by a scheduler, a worker or another demo on this machine, so
 * the demo then takes a free port and says which, instead of failing.
 */
export async function serveDemoMetrics(
  registry: Registry,
  options: { port?: number | undefined; host: string; defaultPort?: number },
  say: (line: string) => void,
): Promise<MetricsServer> {
  const port = options.port ?? options.defaultPort ?? DEFAULT_METRICS_PORT;
  try {
    return await startMetricsServer({ registry, host: options.host, port });
  } catch (error) {
    if (options.port !== undefined || !addressInUse(error)) throw error;
    const server = await startMetricsServer({ registry, host: options.host, port: 0 });
    say(`port ${port} is in use (another kubesoak?): serving /metrics on port ${server.port} instead`);
    return server;
  }
}

function addressInUse(error: unknown): boolean {
  for (let current = error; current instanceof Error; current = current.cause)
    if ((current as NodeJS.ErrnoException).code === 'EADDRINUSE') return true;
  return false;
}
