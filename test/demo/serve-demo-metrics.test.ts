import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveDemoMetrics } from '../../src/demo/serve-demo-metrics.ts';
import { MetricsListenError } from '../../src/metrics/metrics-server.ts';

describe('the demo’s /metrics port', () => {
  const taken = createServer();
  let port = 0;
  beforeAll(async () => {
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    port = (taken.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((resolve) => taken.close(resolve));
  });

  it('falls back to a free port with a notice when the default one is taken', async () => {
    const lines: string[] = [];
    const server = await serveDemoMetrics(new Registry(), { host: '127.0.0.1', defaultPort: port }, (line) =>
      lines.push(line),
    );
    try {
      expect(server.port).not.toBe(port);
      expect(lines).toEqual([
        `port ${port} is in use (another kubesoak?): serving /metrics on port ${server.port} instead`,
      ]);
      const response = await fetch(`${server.url}/metrics`);
      await response.text();
      expect(response.status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('refuses a port given with --metrics-port that is taken', async () => {
    const error = await serveDemoMetrics(new Registry(), { host: '127.0.0.1', port }, () => undefined).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(MetricsListenError);
    expect((error as MetricsListenError).message).toBe(
      `cannot serve /metrics on 127.0.0.1:${port}: address already in use`,
    );
  });
});
