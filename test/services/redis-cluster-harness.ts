import { execFile, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../src/net/free-port.ts';

const run = promisify(execFile);

/** A local Redis Cluster of three masters (no replicas) the test started and will stop. */
export interface LocalRedisCluster {
  /** Start nodes as host:port, what `redis.cluster` in the config lists. */
  nodes: string[];
  /** redis://host:port of the first node (credentials and TLS would come from here). */
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts three redis-server processes with cluster-enabled on free loopback ports and joins them
 * with `redis-cli --cluster create … --cluster-yes`; resolves once every node reports cluster_state:ok.
 */
export async function startLocalRedisCluster(redisServer: string): Promise<LocalRedisCluster> {
  const dir = await mkdtemp(join(tmpdir(), 'kubesoak-redis-cluster-'));
  const children: ChildProcess[] = [];
  const stop = async () => {
    for (const child of children) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const ports: number[] = [];
    for (let index = 0; index < 3; index += 1) {
      const port = await freePort();
      ports.push(port);
      const child = spawn(
        redisServer,
        [
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--dir',
          dir,
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          `nodes-${port}.conf`,
          '--cluster-node-timeout',
          '2000',
          '--save',
          '',
          '--appendonly',
          'no',
          '--maxmemory-policy',
          'noeviction',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      children.push(child);
      await new Promise<void>((resolve, reject) => {
        let log = '';
        const timer = setTimeout(
          () => reject(new Error(`redis-server ${port} did not start:\n${log}`)),
          10_000,
        );
        child.stdout?.on('data', (chunk: Buffer) => {
          log += chunk.toString();
          if (log.includes('Ready to accept connections')) {
            clearTimeout(timer);
            resolve();
          }
        });
        child.once('exit', () => {
          clearTimeout(timer);
          reject(new Error(`redis-server ${port} exited:\n${log}`));
        });
      });
      child.stdout?.resume();
      child.stderr?.resume();
    }
    const nodes = ports.map((port) => `127.0.0.1:${port}`);
    const cli = join(redisServer, '..', 'redis-cli');
    await run(cli, ['--cluster', 'create', ...nodes, '--cluster-replicas', '0', '--cluster-yes']);
    const deadline = Date.now() + 20_000;
    for (const port of ports) {
      for (;;) {
        const { stdout } = await run(cli, ['-p', String(port), 'cluster', 'info']);
        if (stdout.includes('cluster_state:ok')) break;
        if (Date.now() > deadline) throw new Error(`cluster not ok on ${port}:\n${stdout}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    return { nodes, url: `redis://${nodes[0]}`, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
