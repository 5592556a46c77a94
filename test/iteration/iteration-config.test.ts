import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors/usage-error.ts';
import { compileIterationConfig } from '../../src/iteration/iteration-config.ts';
import { maskText } from '../../src/iteration/mask-text.ts';
import { iterationNamespace } from '../../src/iteration/namespace-name.ts';

describe('compileIterationConfig', () => {
  it('fills defaults, turns durations into ms and freezes the result', () => {
    const config = compileIterationConfig({
      chart: './chart',
      keepFailed: '30m',
      timeouts: { ready: '90s' },
    });
    expect(config).toMatchObject({
      chart: './chart',
      helm: 'helm',
      release: 'soak',
      namespacePrefix: 'soak',
      keepFailedMs: 1_800_000,
      timeoutMs: 1_200_000,
      timeouts: { readyMs: 90_000, installMs: 300_000 },
    });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.timeouts)).toBe(true);
    expect(() => ((config as { chart: string }).chart = 'x')).toThrow();
  });

  it.each([
    [{}, /chart/],
    [{ chart: 'c', timeouts: { ready: '10' } }, /timeouts\.ready: must be a duration/],
    [{ chart: 'c', set: ['novalue'] }, /set\.0: must be key=value/],
    [{ chart: 'c', namespacePrefix: 'Bad_Prefix' }, /namespacePrefix/],
    [{ chart: 'c', exec: [{ name: 'v', after: 'install', argv: [] }] }, /exec\.0\.argv: must name a command/],
    [{ chart: 'c', bogus: 1 }, /bogus/],
    [
      { chart: 'c', snapshot: { maskPatterns: ['('] } },
      /snapshot\.maskPatterns\.0: must be a valid regular expression/,
    ],
  ])('rejects %j naming the field', (raw, message) => {
    let error: unknown;
    try {
      compileIterationConfig(raw);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toMatch(message);
  });

  it('compiles exec hooks with their timeouts', () => {
    const config = compileIterationConfig({
      chart: 'c',
      exec: [{ name: 'verify', after: 'ready', argv: ['./verify.sh', '--fast'], timeout: '45s' }],
    });
    expect(config.exec).toEqual([
      { name: 'verify', after: 'ready', argv: ['./verify.sh', '--fast'], timeoutMs: 45_000 },
    ]);
  });
});

describe('iterationNamespace', () => {
  it('is <prefix>-<run>-<iteration>[-<attempt>]', () => {
    expect(iterationNamespace('soak', 'abc123', 7)).toBe('soak-abc123-7');
    expect(iterationNamespace('soak', 'abc123', 7, 2)).toBe('soak-abc123-7-2');
    expect(iterationNamespace('soak', 'Run_ID.X', 0)).toBe('soak-run-id-x-0');
  });

  it('stays a unique DNS-1123 label of at most 63 characters for long run ids', () => {
    const long = 'r'.repeat(100);
    const a = iterationNamespace('soak', long, 12345, 3);
    const b = iterationNamespace('soak', `${long}x`, 12345, 3);
    for (const name of [a, b]) {
      expect(name.length).toBeLessThanOrEqual(63);
      expect(name).toMatch(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/);
      expect(name.endsWith('-12345-3')).toBe(true);
    }
    expect(a).not.toBe(b);
  });
});

describe('maskText', () => {
  it('masks values after credential-like keys and configured patterns', () => {
    const config = compileIterationConfig({ chart: 'c', snapshot: { maskPatterns: ['AKIA[0-9A-Z]{16}'] } });
    const text = 'password: hunter2\nDB_TOKEN=abc.def\nkey AKIAABCDEFGHIJKLMNOP here\nplain line';
    expect(maskText(text, config.snapshot.maskPatterns)).toBe(
      'password: [masked]\nDB_TOKEN=[masked]\nkey [masked] here\nplain line',
    );
  });
});
