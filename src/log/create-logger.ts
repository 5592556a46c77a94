import { pino } from 'pino';
import type { Logger, LoggerOptions } from 'pino';

export type { Logger } from 'pino';

export interface LoggerSettings {
  /** pino level; default from KUBESOAK_LOG_LEVEL, else "info". */
  level?: string;
  /** Human-readable lines instead of NDJSON; default: when stderr is a TTY. */
  pretty?: boolean;
  /** Bindings every line carries (run, iteration, namespace, worker...). */
  base?: Record<string, unknown>;
  /** Where lines go; default stderr so that stdout stays for command output. */
  destination?: NodeJS.WritableStream;
}

/**
 * Logs are NDJSON for machines (services) and pretty lines for people (CLI on a TTY). Pretty output
 * uses pino-pretty as a synchronous stream, not a worker-thread transport, so a CLI that exits right
 * after logging loses nothing.
 */
export async function createLogger(settings: LoggerSettings = {}): Promise<Logger> {
  const level = settings.level ?? process.env.KUBESOAK_LOG_LEVEL ?? 'info';
  const destination = settings.destination ?? process.stderr;
  const pretty = settings.pretty ?? (destination === process.stderr && process.stderr.isTTY === true);
  const options: LoggerOptions = {
    level,
    base: { ...settings.base },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: ['password', '*.password', 'token', '*.token', 'authorization', '*.authorization', 'data'],
      censor: '[redacted]',
    },
  };
  if (pretty) {
    const { default: pinoPretty } = await import('pino-pretty');
    return pino(options, pinoPretty({ destination, sync: true, colorize: true, ignore: 'pid,hostname' }));
  }
  return pino(options, destination as pino.DestinationStream);
}
