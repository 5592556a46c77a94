import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runProcess } from '../../src/helm/run-process.ts';

/** Running and not a zombie: a killed orphan may wait for a container's PID 1 to reap it. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) [ZX]/.test(stat);
  } catch {
    return false;
  }
}

describe('runProcess', () => {
  it('captures stdout, stderr and the exit code', async () => {
    const result = await runProcess('sh', ['-c', 'echo out; echo err >&2; exit 3'], {
      signal: AbortSignal.timeout(5000),
    });
    expect(result).toMatchObject({
      exitCode: 3,
      stdout: 'out\n',
      stderr: 'err\n',
      aborted: false,
      truncated: false,
    });
  });

  it('an abort kills the whole process group, grandchildren included', async () => {
    const controller = new AbortController();
    const running = runProcess('sh', ['-c', 'sleep 30 & echo $!; wait'], {
      signal: controller.signal,
      killGraceMs: 200,
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    controller.abort();
    const result = await running;
    expect(result.aborted).toBe(true);
    const grandchild = Number(result.stdout.trim());
    expect(grandchild).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(alive(grandchild)).toBe(false);
  });

  it('rejects when the binary cannot be started', async () => {
    await expect(
      runProcess('/nonexistent/binary', [], { signal: AbortSignal.timeout(5000) }),
    ).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
