import { UsageError } from '../errors/usage-error.ts';

/** Commander argParser for an integer within [min, max]; errors name the flag. */
export function integerOption(flag: string, min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
      throw new UsageError(`invalid ${flag} "${value}"`, {
        code: 'invalid-option',
        hint: `give a whole number from ${min} to ${max}`,
      });
    }
    return parsed;
  };
}

/** Commander argParser for a number greater than zero. */
export function positiveNumberOption(flag: string) {
  return (value: string): number => {
    const parsed = Number(value);
    if (value.trim() === '' || !Number.isFinite(parsed) || parsed <= 0) {
      throw new UsageError(`invalid ${flag} "${value}"`, {
        code: 'invalid-option',
        hint: 'give a number greater than 0',
      });
    }
    return parsed;
  };
}
