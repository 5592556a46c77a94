import { describe, expect, it } from 'vitest';
import { capSnapshot } from '../../src/iteration/collect-debug-snapshot.ts';
import type { DebugSnapshot } from '../../src/iteration/debug-snapshot.ts';

function snapshot(): DebugSnapshot {
  const line = 'x'.repeat(100);
  return {
    takenAt: '2026-01-01T00:00:00Z',
    namespace: 'ns',
    release: 'rel',
    pods: [],
    podDetails: [],
    events: Array.from({ length: 500 }, (_, index) => ({
      object: `Pod/p${index}`,
      reason: 'Pulled',
      message: line,
    })),
    logs: [
      {
        pod: 'p',
        container: 'c',
        previous: false,
        text: Array.from({ length: 2000 }, (_, i) => `${i} ${line}`).join('\n'),
      },
    ],
    nodes: [],
    helmCommands: [
      {
        argv: ['helm', 'install'],
        exitCode: 1,
        stdout: line.repeat(1000),
        stderr: 'Error: boom',
        durationMs: 1,
      },
    ],
    truncated: false,
  };
}

describe('capSnapshot', () => {
  it('shortens logs (keeping their tail), helm output and then events until the JSON fits', () => {
    const capped = capSnapshot(snapshot(), 50_000);
    expect(Buffer.byteLength(JSON.stringify(capped))).toBeLessThanOrEqual(50_000);
    expect(capped.truncated).toBe(true);
    expect(capped.logs[0]?.text.split('\n').at(-1)).toMatch(/^1999 /);
    expect(capped.helmCommands[0]?.stderr).toBe('Error: boom');
  });

  it('leaves a snapshot under the cap alone', () => {
    const small = snapshot();
    small.logs = [];
    small.events = [];
    small.helmCommands = [];
    expect(capSnapshot(small, 50_000)).toMatchObject({ truncated: false });
  });
});
