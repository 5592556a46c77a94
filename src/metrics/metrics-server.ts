import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { KubesoakError } from '../errors/kubesoak-error.ts';
import { DEFAULT_METRICS_PORT } from './kubesoak-metrics.ts';

/** The /metrics port cannot be bound (taken, or not allowed). */
export class MetricsListenError extends KubesoakError {
  constructor(host: string, port: number, cause: NodeJS.ErrnoException) {
    const reason = cause.code === 'EADDRINUSE' ? 'address already in use' : (cause.code ?? cause.message);
    super('metrics-listen-failed', `cannot serve /metrics on ${host}:${port}: ${reason}`, {
      retryable: cause.code === 'EADDRINUSE',
      hint: 'pass another --metrics-port (or metrics.port in the config; 0 picks a free one)',
      cause,
    });
  }
}

/** Options for {@link startMetricsServer}. */
export interface MetricsServerOptions {
  registry: Registry;
  /** Default 0.0.0.0: Prometheus scrapes pods from outside; pass 127.0.0.1 for local-only. */
  host?: string;
  /** Default 9464; 0 picks a free port (tests). */
  port?: number;
}

/** A running /metrics endpoint. */
export interface MetricsServer {
  readonly host: string;
  readonly port: number;
  /** e.g. http://127.0.0.1:9464 */
  readonly url: string;
  /** Stops listening and ends open connections; calling it again returns the same promise. */
  close(): Promise<void>;
}

/**
 * Serves GET /metrics (the registry's exposition) and GET /healthz on host:port. Plain node:http:
 * the scheduler, every worker and `kubesoak demo` embed it, and it must not pull in a framework.
 */
export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const { registry } = options;
  const host = options.host ?? '0.0.0.0';
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response
        .writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' })
        .end('method not allowed\n');
      return;
    }
    if (path === '/healthz') {
      response.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      return;
    }
    if (path !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics\n');
      return;
    }
    registry.metrics().then(
      (body) => {
        response.writeHead(200, { 'content-type': registry.contentType }).end(body);
      },
      (error: unknown) => {
        // A failing collector must not take the process down; the scrape shows up as failed.
        response
          .writeHead(500, { 'content-type': 'text/plain' })
          .end(`collecting metrics failed: ${error instanceof Error ? error.message : String(error)}\n`);
      },
    );
  });
  const wanted = options.port ?? DEFAULT_METRICS_PORT;
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => reject(new MetricsListenError(host, wanted, error));
    server.once('error', onError);
    server.listen(wanted, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host === '0.0.0.0' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  return {
    host,
    port,
    url: `http://${urlHost}:${port}`,
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Keep-alive scrapers would otherwise hold close() open until their idle timeout.
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
