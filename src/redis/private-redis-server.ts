import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubesoakError } from '../errors/kubesoak-error.ts';
import { freePort } from '../net/free-port.ts';

/** A redis-server that kubesoak started for itself (tests, `kubesoak demo`) and will stop. */
export interface PrivateRedisServer {
  readonly url: string;
  readonly port: number;
  /** Working directory holding the AOF/RDB files; removed by stop(). */
  readonly dir: string;
  /** Stops the server (SIGTERM, so an AOF is flushed) and, unless keepData, removes its directory. */
  stop(options?: { keepData?: boolean }): Promise<void>;
  /** Stops and starts the server again on the same port and directory, as a Redis restart does. */
  restart(): Promise<void>;
}

export interface PrivateRedisOptions {
  /** redis-server binary; default "redis-server" from PATH. */
  binary?: string;
  /** Persist with appendonly (needed to survive restart()). Default false. */
  appendOnly?: boolean;
  /** How long to wait for "Ready to accept connections". Default 10 s. */
  startTimeoutMs?: number;
  /** Require this password (requirepass); the URL carries it. */
  password?: string;
  /** Serve TLS only (rediss:// URL); clients are not asked for certificates. PEM file paths. */
  tls?: { certFile: string; keyFile: string; caFile: string };
}

export class RedisServerStartError extends KubesoakError {
  constructor(message: string, hint: string, cause?: unknown) {
    super('redis-server-start-failed', message, { retryable: true, hint, cause });
  }
}

/**
 * Starts a private redis-server on a free loopback port in a fresh temp directory. It never touches
 * a shared instance (the machine's 6379), and uses noeviction as BullMQ requires.
 */
export async function startPrivateRedisServer(
  options: PrivateRedisOptions = {},
): Promise<PrivateRedisServer> {
  const binary = options.binary ?? 'redis-server';
  const dir = await mkdtemp(join(tmpdir(), 'kubesoak-redis-'));
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt += 1) {
    const port = await freePort();
    try {
      let child = await launch(binary, port, dir, options);
      let stopped = false;
      const server: PrivateRedisServer = {
        url: `${options.tls ? 'rediss' : 'redis'}://${options.password === undefined ? '' : `:${encodeURIComponent(options.password)}@`}127.0.0.1:${port}`,
        port,
        dir,
        async stop(stopOptions = {}) {
          if (!stopped) {
            stopped = true;
            await terminate(child);
          }
          if (!stopOptions.keepData) await rm(dir, { recursive: true, force: true });
        },
        async restart() {
          await terminate(child);
          child = await launch(binary, port, dir, options);
        },
      };
      return server;
    } catch (error) {
      lastError = error;
      if (error instanceof RedisServerStartError && error.message.includes('not found')) break;
    }
  }
  await rm(dir, { recursive: true, force: true });
  throw lastError;
}

function launch(
  binary: string,
  port: number,
  dir: string,
  options: PrivateRedisOptions,
): Promise<ChildProcess> {
  const args = [
    ...(options.tls
      ? [
          '--port',
          '0',
          '--tls-port',
          String(port),
          '--tls-cert-file',
          options.tls.certFile,
          '--tls-key-file',
          options.tls.keyFile,
          '--tls-ca-cert-file',
          options.tls.caFile,
          '--tls-auth-clients',
          'no',
        ]
      : ['--port', String(port)]),
    ...(options.password === undefined ? [] : ['--requirepass', options.password]),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    options.appendOnly ? 'yes' : 'no',
    '--appendfsync',
    'always',
    '--maxmemory-policy',
    'noeviction',
    '--daemonize',
    'no',
    '--logfile',
    '',
  ];
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new RedisServerStartError(`redis-server did not start on port ${port}`, tail(output)));
    }, options.startTimeoutMs ?? 10_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        // Keep draining so a chatty server never blocks on a full pipe.
        child.stdout?.resume();
        child.stderr?.resume();
        resolve(child);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        error.code === 'ENOENT'
          ? new RedisServerStartError(
              `${binary} not found on PATH`,
              'install it with `apt-get install -y redis-server`',
              error,
            )
          : error,
      );
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(
        new RedisServerStartError(`redis-server exited with code ${code} on port ${port}`, tail(output)),
      );
    });
  });
}

function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

function tail(output: string): string {
  return output.trim().split('\n').slice(-3).join(' | ') || 'no output';
}
