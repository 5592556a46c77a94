import { execFileSync } from 'node:child_process';
import { connect } from 'node:net';
import { Writable } from 'node:stream';
import type { CliIo } from '../../src/cli/cli-io.ts';
import { runCli } from '../../src/cli/run-cli.ts';
import type { WorkerRuntime } from '../../src/cli/worker-runtime.ts';
import { createIterationExecutor } from '../../workers/iteration-executor.ts';
import { runIterationWorkerProcess } from '../../workers/iteration-worker.ts';

/** The worker side, as src/cli/main.ts passes it. */
export const runtime: WorkerRuntime = {
  createExecutor: createIterationExecutor,
  runWorkerProcess: runIterationWorkerProcess,
};

/** A stream that keeps what is written to it. */
class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: () => void): void {
    this.text += chunk.toString();
    callback();
  }
}

/** Runs `kubesoak ARGV` in-process with the real worker runtime and captures stdout/stderr. */
export async function runDemoCli(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new Capture();
  const stderr = new Capture();
  const io: CliIo = { stdout, stderr, env };
  const code = await runCli(argv, io, runtime);
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** True when something accepts TCP connections on 127.0.0.1:port. */
export function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Processes whose parent is this one (helm, redis-server...), as `ps` sees them. */
export function childProcesses(): string[] {
  const out = execFileSync('ps', ['-o', 'pid=,comm=', '--ppid', String(process.pid)], {
    encoding: 'utf8',
  }).trim();
  // ps itself is our child while it runs.
  return out
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !/\bps$/.test(line));
}

/** The port of an http(s)/redis URL. */
export function portOf(url: string): number {
  return Number(new URL(url).port);
}
