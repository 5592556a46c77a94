import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { runCli } from '../../src/cli/run-cli.ts';

/** What one in-process CLI invocation printed and returned. */
export interface CliResult {
  code: number;
  out: string;
  err: string;
}

/** A stdout that claims to be a terminal, as the progress bar checks. */
export function ttyStream(): PassThrough & { isTTY: boolean; columns: number } {
  return Object.assign(new PassThrough(), { isTTY: true, columns: 100 });
}

/**
 * Runs `kubesoak` in-process with buffered streams, the given environment (merged over a minimal
 * one: no REDIS_URL/KUBESOAK_URL/KUBECONFIG of the developer leaks in) and a config file holding
 * the test's Redis prefix.
 */
export async function cliWith(
  env: NodeJS.ProcessEnv,
  argv: readonly string[],
  options: { stdout?: PassThrough & { isTTY?: boolean } } = {},
): Promise<CliResult> {
  const stdout = options.stdout ?? new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const code = await runCli(argv, {
    stdout,
    stderr,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, USER: 'tester', ...env },
  });
  return { code, out, err };
}

/** A temporary directory with a kubesoak config file naming the Redis prefix; remove() deletes it. */
export async function configDir(prefix: string): Promise<{
  dir: string;
  configFile: string;
  remove: () => Promise<void>;
}> {
  const dir = await mkdtemp(join(tmpdir(), 'kubesoak-cli-runs-'));
  const configFile = join(dir, 'kubesoak.yaml');
  await writeFile(configFile, `redis:\n  prefix: ${prefix}\nscheduler:\n  maxIterations: 500\n`);
  return { dir, configFile, remove: () => rm(dir, { recursive: true, force: true }) };
}
