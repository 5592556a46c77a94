import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../src/config/duration.ts';
import { UsageError } from '../../src/errors/usage-error.ts';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['3s', 3000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1.5s', 1500],
    ['1h30m', 5_400_000],
    ['2m30s', 150_000],
    [' 10s ', 10_000],
  ])('reads %s as %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '30', 's', '5 m', '1w', '-1s', '1s2', 'abc'])('refuses %j with a usage error', (text) => {
    expect(() => parseDuration(text, '--timeout')).toThrow(UsageError);
    expect(() => parseDuration(text, '--timeout')).toThrow(/invalid --timeout/);
  });

  it('round-trips through formatDuration', () => {
    for (const ms of [0, 250, 3000, 1500, 300_000, 3_600_000]) {
      expect(parseDuration(formatDuration(ms))).toBe(ms);
    }
  });
});

describe('days', () => {
  it('reads and writes days, for retention ages', () => {
    expect(parseDuration('30d')).toBe(30 * 86_400_000);
    expect(parseDuration('1d12h')).toBe(36 * 3_600_000);
    expect(formatDuration(7 * 86_400_000)).toBe('7d');
  });
});
