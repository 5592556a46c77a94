import { readFile } from 'node:fs/promises';
import { parse, YAMLParseError } from 'yaml';
import { z } from 'zod';
import { UsageError } from '../errors/usage-error.ts';
import { compileWorkerConfig } from '../runs/iteration-worker-service.ts';
import type { IterationWorkerRawOptions } from '../runs/iteration-worker-service.ts';
import { compileSchedulerConfig } from '../runs/scheduler.ts';
import type { SchedulerRawOptions } from '../runs/scheduler.ts';

/** Where kubesoak finds Redis when neither REDIS_URL nor the config file says. */
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
/** Where `kubesoak scheduler` listens unless --listen or scheduler.listen says otherwise. */
export const DEFAULT_SCHEDULER_LISTEN = '127.0.0.1:8080';
const DEFAULT_METRICS_PORT = 9464;

/** The config file or an environment variable does not validate; the message names the field. */
export class ConfigError extends UsageError {
  readonly field: string;
  constructor(source: string, field: string, problem: string) {
    super(`${source}: ${field}: ${problem}`, {
      code: 'invalid-config',
      hint: 'fix the value (see README.md, "Configuration")',
    });
    this.field = field;
  }
}

/** Validated kubesoak configuration: one YAML file plus environment variables. Frozen. */
export interface KubesoakConfig {
  /** The file read, if any: --config, else $KUBESOAK_CONFIG. */
  readonly file: string | undefined;
  readonly redis: {
    /** $REDIS_URL, else redis.url, else redis://127.0.0.1:6379. redis:// or rediss:// (TLS). */
    readonly url: string;
    /** Key prefix of every queue and run key; with Redis Cluster it must hold a {hash tag}. */
    readonly prefix: string;
    /**
     * ioredis options for every connection: redis.options as given (sentinels, name, username,
     * db...) plus `tls` built from redis.tls (file contents read once here).
     */
    readonly options: Readonly<Record<string, unknown>>;
    /** Redis Cluster start nodes as host:port; empty when Redis is not a cluster. */
    readonly cluster: readonly string[];
  };
  /** $KUBESOAK_URL, else api.url: the scheduler's API. Undefined: the CLI talks to Redis directly. */
  readonly apiUrl: string | undefined;
  readonly scheduler: {
    readonly listen: { readonly host: string; readonly port: number };
    /** Raw scheduler options (already validated); add redisUrl and prefix to start one. */
    readonly options: Readonly<Omit<SchedulerRawOptions, 'redisUrl' | 'prefix'>>;
  };
  readonly worker: {
    /** Raw worker options (already validated); add redisUrl and prefix to start one. */
    readonly options: Readonly<Omit<IterationWorkerRawOptions, 'redisUrl' | 'prefix'>>;
  };
  readonly metrics: { readonly host: string; readonly port: number };
}

const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

const hostPort = z.string().regex(HOST_PORT, 'must be HOST:PORT, e.g. 0.0.0.0:8080');

const redisUrl = z
  .string()
  .refine((text) => /^rediss?:\/\//.test(text) && URL.canParse(text), 'must be a redis:// or rediss:// URL');

const fileSchema = z.strictObject({
  redis: z
    .strictObject({
      url: redisUrl.optional(),
      prefix: z
        .string()
        .min(1, 'must not be empty')
        .regex(/^[^\s:]+$/, 'must not contain spaces or ":"')
        .optional(),
      options: z
        .record(z.string(), z.unknown(), { error: 'must be a mapping of ioredis options' })
        .optional(),
      cluster: z.array(hostPort, { error: 'must be a list of HOST:PORT' }).optional(),
      /** TLS material as files (as mounted from a Secret); rediss:// alone uses the system CAs. */
      tls: z
        .strictObject({
          caFile: z.string().min(1).optional(),
          certFile: z.string().min(1).optional(),
          keyFile: z.string().min(1).optional(),
          servername: z.string().min(1).optional(),
          insecureSkipVerify: z.boolean().optional(),
        })
        .optional(),
    })
    .optional(),
  api: z.strictObject({ url: z.url('must be an http(s) URL').optional() }).optional(),
  scheduler: z.looseObject({ listen: hostPort.optional() }, { error: 'must be a mapping' }).optional(),
  worker: z.record(z.string(), z.unknown(), { error: 'must be a mapping' }).optional(),
  metrics: z
    .strictObject({
      host: z.string().min(1).optional(),
      port: z.number().int().min(0).max(65_535).optional(),
    })
    .optional(),
});

/**
 * Loads and validates the configuration once: the YAML file (optional) under the environment.
 * REDIS_URL and KUBESOAK_URL override the file; KUBECONFIG is read by the Kubernetes client itself.
 * Throws ConfigError (exit 2) naming the file or variable and the field.
 */
export async function loadKubesoakConfig(options: {
  file?: string | undefined;
  env: NodeJS.ProcessEnv;
}): Promise<KubesoakConfig> {
  const { env } = options;
  const file = options.file ?? (env.KUBESOAK_CONFIG || undefined);
  const raw = file === undefined ? {} : await readConfigFile(file);
  const source = file ?? 'configuration';
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field =
      issue?.code === 'unrecognized_keys'
        ? [...issue.path, issue.keys.join(', ')].join('.')
        : (issue?.path.join('.') ?? '');
    throw new ConfigError(
      source,
      field || '(top level)',
      issue?.code === 'unrecognized_keys' ? 'unknown field' : (issue?.message ?? 'invalid'),
    );
  }
  const value = parsed.data;

  let url = value.redis?.url ?? DEFAULT_REDIS_URL;
  if (env.REDIS_URL) {
    const checked = redisUrl.safeParse(env.REDIS_URL);
    if (!checked.success)
      throw new ConfigError('REDIS_URL', 'REDIS_URL', 'must be a redis:// or rediss:// URL');
    url = env.REDIS_URL;
  }
  let apiUrl = value.api?.url;
  if (env.KUBESOAK_URL) {
    if (!/^https?:\/\//.test(env.KUBESOAK_URL) || !URL.canParse(env.KUBESOAK_URL))
      throw new ConfigError(
        'KUBESOAK_URL',
        'KUBESOAK_URL',
        'must be an http(s) URL such as http://127.0.0.1:8080',
      );
    apiUrl = env.KUBESOAK_URL;
  }
  const cluster = value.redis?.cluster ?? [];
  const prefix = value.redis?.prefix ?? (cluster.length > 0 ? '{kubesoak}' : 'kubesoak');
  if (cluster.length > 0 && !/\{[^{}]+\}/.test(prefix))
    throw new ConfigError(
      source,
      'redis.prefix',
      'must contain a hash tag such as "{kubesoak}" with Redis Cluster, so each run\'s keys share a slot',
    );

  const { listen = DEFAULT_SCHEDULER_LISTEN, ...schedulerOptions } = value.scheduler ?? {};
  validateWith(source, 'scheduler', () =>
    compileSchedulerConfig({ ...(schedulerOptions as SchedulerRawOptions), redisUrl: url, prefix }),
  );
  const workerOptions = (value.worker ?? {}) as Omit<IterationWorkerRawOptions, 'redisUrl' | 'prefix'>;
  validateWith(source, 'worker', () => compileWorkerConfig({ ...workerOptions, redisUrl: url, prefix }));

  const redisOptions: Record<string, unknown> = { ...value.redis?.options };
  const tls = value.redis?.tls;
  if (tls) {
    const material: Record<string, unknown> = {};
    for (const [field, key] of [
      ['caFile', 'ca'],
      ['certFile', 'cert'],
      ['keyFile', 'key'],
    ] as const) {
      const path = tls[field];
      if (path !== undefined) material[key] = await readTlsFile(path, source, `redis.tls.${field}`);
    }
    if (tls.servername !== undefined) material.servername = tls.servername;
    if (tls.insecureSkipVerify) material.rejectUnauthorized = false;
    redisOptions.tls = { ...(redisOptions.tls as Record<string, unknown> | undefined), ...material };
  }

  return deepFreeze({
    file,
    redis: { url, prefix, options: redisOptions, cluster },
    apiUrl: apiUrl?.replace(/\/+$/, ''),
    scheduler: {
      listen: parseHostPort(listen, source, 'scheduler.listen'),
      options: schedulerOptions,
    },
    worker: { options: workerOptions },
    metrics: { host: value.metrics?.host ?? '0.0.0.0', port: value.metrics?.port ?? DEFAULT_METRICS_PORT },
  });
}

/** Parses HOST:PORT (IPv6 in brackets); throws ConfigError naming `field`. */
export function parseHostPort(text: string, source: string, field: string): { host: string; port: number } {
  const match = HOST_PORT.exec(text);
  const port = Number(match?.[2]);
  if (!match?.[1] || !Number.isInteger(port) || port > 65_535)
    throw new ConfigError(source, field, `"${text}" must be HOST:PORT, e.g. 0.0.0.0:8080`);
  return { host: match[1].replace(/^\[(.*)\]$/, '$1'), port };
}

async function readConfigFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : 'cannot be read';
    throw new UsageError(`config file ${file}: ${reason}`, {
      code: 'invalid-config',
      hint: 'check --config or KUBESOAK_CONFIG',
      cause: error,
    });
  }
  try {
    return parse(text) ?? {};
  } catch (error) {
    const where = error instanceof YAMLParseError && error.linePos ? ` at line ${error.linePos[0].line}` : '';
    throw new UsageError(`config file ${file}: not valid YAML${where}`, {
      code: 'invalid-config',
      cause: error,
    });
  }
}

async function readTlsFile(path: string, source: string, field: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    throw new ConfigError(source, field, `cannot read ${path}`);
  }
}

function validateWith(source: string, section: string, compile: () => unknown): void {
  try {
    compile();
  } catch (error) {
    // A duration transform throws its own error (e.g. "bad duration"); name the section at least.
    if (!(error instanceof z.ZodError))
      throw new ConfigError(source, section, error instanceof Error ? error.message : String(error));
    const issue = error.issues[0];
    const field =
      issue?.code === 'unrecognized_keys'
        ? `${section}.${issue.keys.join(', ')}`
        : [section, ...(issue?.path ?? [])].join('.');
    throw new ConfigError(
      source,
      field,
      issue?.code === 'unrecognized_keys' ? 'unknown field' : (issue?.message ?? 'invalid'),
    );
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
