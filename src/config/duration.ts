import { UsageError } from '../errors/usage-error.ts';

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
type DurationUnit = keyof typeof UNIT_MS;

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

/**
 * Parses the one duration format used across the CLI and config files: a number followed by
 * ms, s, m, h or d ("500ms", "3s", "1.5m", "1h", "30d"), or a compound of them ("1h30m", "2m30s").
 * Returns milliseconds. A bare number is refused because "30" is ambiguous between tools.
 */
export function parseDuration(text: string, what = 'duration'): number {
  const input = text.trim();
  if (input === '') throw invalid(text, what);
  let rest = input;
  let total = 0;
  // Compound forms like 1h30m: consume the largest leading number+unit each round.
  while (rest.length > 0) {
    const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)/.exec(rest);
    if (!match) throw invalid(text, what);
    const [whole, amount, unit] = match as unknown as [string, string, DurationUnit];
    total += Number(amount) * UNIT_MS[unit];
    rest = rest.slice(whole.length);
  }
  if (!Number.isFinite(total)) throw invalid(text, what);
  return Math.round(total);
}

/** True when `text` is a single-unit duration such as "3s" (no compound). */
export function isSimpleDuration(text: string): boolean {
  return DURATION.test(text.trim());
}

/** Formats milliseconds the way parseDuration reads them, using the largest exact unit. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms % UNIT_MS.d === 0) return `${ms / UNIT_MS.d}d`;
  if (ms % UNIT_MS.h === 0) return `${ms / UNIT_MS.h}h`;
  if (ms % UNIT_MS.m === 0) return `${ms / UNIT_MS.m}m`;
  if (ms % UNIT_MS.s === 0) return `${ms / UNIT_MS.s}s`;
  if (ms < UNIT_MS.s) return `${ms}ms`;
  return `${(ms / UNIT_MS.s).toFixed(3).replace(/\.?0+$/, '')}s`;
}

function invalid(text: string, what: string): UsageError {
  return new UsageError(`invalid ${what} "${text}"`, {
    code: 'invalid-duration',
    hint: 'use a number with a unit: 500ms, 3s, 5m, 1h, 7d (or compounds like 1h30m)',
  });
}
