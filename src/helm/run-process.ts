import { spawn } from 'node:child_process';

/** Options of {@link runProcess}. */
export interface RunProcessOptions {
  env?: NodeJS.ProcessEnv;
  /** Aborting kills the whole process group: SIGTERM, then SIGKILL after `killGraceMs`. */
  signal: AbortSignal;
  /** Cap per stream; the head and tail are kept, the middle dropped. Default 256 KiB. */
  maxOutputBytes?: number;
  killGraceMs?: number;
}

/** A finished (or killed) process. */
export interface ProcessResult {
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  truncated: boolean;
  durationMs: number;
  /** True when the caller's signal killed it. */
  aborted: boolean;
}

/** Keeps the first and last half of what a stream wrote once it passes the cap. */
class CappedBuffer {
  private readonly cap: number;
  private head = '';
  private tail = '';
  private dropped = 0;

  constructor(cap: number) {
    this.cap = cap;
  }

  push(chunk: string): void {
    if (this.head.length < this.cap / 2) {
      const room = this.cap / 2 - this.head.length;
      this.head += chunk.slice(0, room);
      chunk = chunk.slice(room);
    }
    if (chunk === '') return;
    this.tail += chunk;
    const over = this.tail.length - this.cap / 2;
    if (over > 0) {
      this.tail = this.tail.slice(over);
      this.dropped += over;
    }
  }

  get truncated(): boolean {
    return this.dropped > 0;
  }

  text(): string {
    return this.dropped > 0
      ? `${this.head}\n…[${this.dropped} bytes dropped]…\n${this.tail}`
      : this.head + this.tail;
  }
}

/**
 * Runs a binary with an argv array (never a shell) in its own process group, so that aborting kills
 * helm and anything it started (plugins, credential helpers) with kill(-pid). Rejects only when the
 * binary cannot be started (ENOENT, EACCES); a non-zero exit resolves.
 */
export function runProcess(
  binary: string,
  args: readonly string[],
  options: RunProcessOptions,
): Promise<ProcessResult> {
  const started = performance.now();
  const cap = options.maxOutputBytes ?? 256 * 1024;
  return new Promise((resolve, reject) => {
    if (options.signal.aborted) {
      resolve({
        exitCode: null,
        signal: null,
        stdout: '',
        stderr: '',
        truncated: false,
        durationMs: 0,
        aborted: true,
      });
      return;
    }
    const child = spawn(binary, [...args], {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: options.env ?? process.env,
    });
    const stdout = new CappedBuffer(cap);
    const stderr = new CappedBuffer(cap);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => stdout.push(chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => stderr.push(chunk));
    let aborted = false;
    let killTimer: NodeJS.Timeout | undefined;
    const killGroup = (signal: NodeJS.Signals) => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, signal);
      } catch {
        // The group is already gone.
      }
    };
    const onAbort = () => {
      aborted = true;
      killGroup('SIGTERM');
      killTimer = setTimeout(() => killGroup('SIGKILL'), options.killGraceMs ?? 2000);
      killTimer.unref();
    };
    options.signal.addEventListener('abort', onAbort, { once: true });
    child.once('error', (error) => {
      options.signal.removeEventListener('abort', onAbort);
      reject(error);
    });
    child.once('close', (exitCode, signal) => {
      options.signal.removeEventListener('abort', onAbort);
      if (killTimer) clearTimeout(killTimer);
      // Children of helm may outlive it; the group goes with it once we asked it to stop.
      if (aborted) killGroup('SIGKILL');
      resolve({
        exitCode,
        signal,
        stdout: stdout.text(),
        stderr: stderr.text(),
        truncated: stdout.truncated || stderr.truncated,
        durationMs: performance.now() - started,
        aborted,
      });
    });
  });
}
