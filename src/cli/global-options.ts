import type { Command } from 'commander';
import type { GlobalOptions } from './cli-io.ts';

/** Reads --debug and --json wherever on the command line they were given. */
export function globalOptions(command: Command): GlobalOptions {
  const all = command.optsWithGlobals<Partial<GlobalOptions>>();
  return {
    debug: all.debug === true,
    json: all.json === true,
    ...(typeof all.config === 'string' ? { config: all.config } : {}),
  };
}
