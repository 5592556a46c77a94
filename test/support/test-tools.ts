import { execFileSync } from 'node:child_process';
import { ensureKubeTools } from '../../src/toolchain/kube-tools.ts';

/** Paths of the real binaries the suite runs; null where a tool is missing outside CI. */
export interface TestTools {
  helm: string | null;
  helm3: string | null;
  kubectl: string | null;
  promtool: string | null;
  prometheus: string | null;
  redisServer: string | null;
}

const APT_HINT = {
  promtool: 'apt-get install -y prometheus',
  prometheus: 'apt-get install -y prometheus',
  redisServer: 'apt-get install -y redis-server',
} as const;

const BINARY = { promtool: 'promtool', prometheus: 'prometheus', redisServer: 'redis-server' } as const;

/**
 * Finds every tool the suite needs. Under CI=true a missing tool fails the whole run with the
 * command that installs it; on a developer machine it is reported loudly and its tests are skipped.
 */
export async function resolveTestTools(): Promise<TestTools> {
  const strict = process.env.CI === 'true' || process.env.CI === '1';
  const missing: string[] = [];
  const tools: TestTools = {
    helm: null,
    helm3: null,
    kubectl: null,
    promtool: null,
    prometheus: null,
    redisServer: null,
  };
  for (const key of Object.keys(BINARY) as Array<keyof typeof BINARY>) {
    tools[key] = which(BINARY[key]);
    if (!tools[key]) missing.push(`${BINARY[key]} not found on PATH: install it with \`${APT_HINT[key]}\``);
  }
  try {
    const kube = await ensureKubeTools({
      onProgress: (line) => process.stderr.write(`[kubesoak test setup] ${line}\n`),
    });
    Object.assign(tools, kube);
  } catch (error) {
    missing.push(
      `helm/kubectl unavailable (${error instanceof Error ? error.message : String(error)}): ` +
        'run `npx kubesoak tools` to fetch them',
    );
  }
  if (missing.length > 0) {
    if (strict) throw new Error(`missing test tools under CI:\n  ${missing.join('\n  ')}`);
    const banner = '!'.repeat(78);
    process.stderr.write(
      `\n${banner}\nWARNING: tests needing these tools will be SKIPPED (CI fails instead):\n  ${missing.join(
        '\n  ',
      )}\n${banner}\n\n`,
    );
  }
  return tools;
}

function which(binary: string): string | null {
  try {
    return (
      execFileSync('sh', ['-c', 'command -v "$1"', 'which', binary], { encoding: 'utf8' }).trim() || null
    );
  } catch {
    return null;
  }
}
