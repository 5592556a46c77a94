import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../src/net/free-port.ts';
import { RULES_FILE } from './promql-sources.ts';

/** A Prometheus server the test started, with a private data directory. */
export interface PrometheusProcess {
  url: string;
  /** Its private config and data directory; stop() removes it. */
  dir: string;
  /** Whether the process is still alive. */
  running(): boolean;
  /** POST /api/v1/query at the current time. */
  query(expr: string): Promise<PromqlAnswer>;
  /** The server's log so far, for failure messages. */
  log(): string;
  /** SIGTERM (SIGKILL after 10 s), then removes the data directory. */
  stop(): Promise<void>;
}

export interface PromqlAnswer {
  status: string;
  error?: string;
  data?: { resultType: string; result: Array<{ metric: Record<string, string>; value: [number, string] }> };
}

/**
 * Starts the real Prometheus binary scraping `jobs` (job name → host:port targets) every second
 * and evaluating deploy/prometheus/rules.yml every second; resolves once /-/ready answers.
 */
export async function startPrometheus(
  binary: string,
  jobs: Record<string, readonly string[]>,
): Promise<PrometheusProcess> {
  const dir = await mkdtemp(join(tmpdir(), 'kubesoak-prometheus-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const config = join(dir, 'prometheus.yml');
  await writeFile(
    config,
    [
      'global:',
      '  scrape_interval: 1s',
      '  scrape_timeout: 1s',
      '  evaluation_interval: 1s',
      'rule_files:',
      `  - ${JSON.stringify(fileURLToPath(RULES_FILE))}`,
      'scrape_configs:',
      ...Object.entries(jobs).flatMap(([job, targets]) => [
        `  - job_name: ${job}`,
        '    static_configs:',
        `      - targets: ${JSON.stringify(targets)}`,
      ]),
      '',
    ].join('\n'),
  );
  let log = '';
  const child: ChildProcess = spawn(
    binary,
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      await rm(dir, { recursive: true, force: true });
    })();
    return stopping;
  };
  try {
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`prometheus exited early:\n${log}`);
      const ready = await fetch(`${url}/-/ready`).then(
        async (response) => (await response.text(), response.ok),
        () => false,
      );
      if (ready) break;
      if (Date.now() > deadline) throw new Error(`prometheus not ready in 20 s:\n${log}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    url,
    dir,
    running: () => child.exitCode === null && child.signalCode === null,
    log: () => log,
    stop,
    async query(expr) {
      const response = await fetch(`${url}/api/v1/query`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ query: expr }),
      });
      return (await response.json()) as PromqlAnswer;
    },
  };
}
