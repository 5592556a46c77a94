import type { IntOrString } from './workload-types.ts';

/**
 * `intstr.GetScaledValueFromIntOrPercent`: an int as is, or "N%" of `total`, rounded up or down.
 * A malformed value counts as 0, where the real helper errors and the controller retries forever.
 */
export function scaledValue(value: IntOrString | undefined, total: number, roundUp: boolean): number {
  if (value === undefined) return 0;
  if (typeof value === 'number') return value;
  const match = /^(\d+)%$/.exec(value.trim());
  if (!match) {
    const number = Number(value);
    return Number.isInteger(number) ? number : 0;
  }
  const scaled = (Number(match[1]) * total) / 100;
  return roundUp ? Math.ceil(scaled) : Math.floor(scaled);
}
