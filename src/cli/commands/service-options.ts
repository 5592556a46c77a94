import { z } from 'zod';
import { ConfigError } from '../../config/kubesoak-config.ts';
import { UsageError } from '../../errors/usage-error.ts';

/**
 * Runs a service's option compiler (config file plus flags) before anything starts and returns its
 * result, so a bad value is one usage line (exit 2) naming the field instead of a zod dump from
 * deep inside the service.
 */
export function validatedOptions<T>(section: 'scheduler' | 'worker', compile: () => T): T {
  try {
    return compile();
  } catch (error) {
    if (error instanceof UsageError) throw error;
    if (!(error instanceof z.ZodError))
      throw new ConfigError('options', section, error instanceof Error ? error.message : String(error));
    const issue = error.issues[0];
    throw new ConfigError(
      'options',
      [section, ...(issue?.path ?? [])].join('.'),
      issue?.message ?? 'invalid',
    );
  }
}
