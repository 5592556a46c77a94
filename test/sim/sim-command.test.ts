import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runTool } from '../support/cli-runner.ts';

const bin = fileURLToPath(new URL('../../bin/kubesoak.js', import.meta.url));
const tools = inject('tools');

describe('kubesoak sim', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kubesoak-sim-cmd-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.runIf(tools.kubectl)(
    'serves a cluster kubectl can use, writes the kubeconfig, and stops cleanly on SIGTERM',
    async () => {
      const kubeconfig = join(dir, 'kubeconfig');
      const child = spawn(
        process.execPath,
        [bin, '--json', 'sim', '--nodes', '2', '--time-scale', '0.01', '--kubeconfig-out', kubeconfig],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      const first = await new Promise<string>((resolve) =>
        createInterface({ input: child.stdout }).once('line', resolve),
      );
      const started = JSON.parse(first) as { url: string; kubeconfig: string; context: string };
      expect(started.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(started.kubeconfig).toBe(kubeconfig);
      expect(await readFile(kubeconfig, 'utf8')).toMatch(/insecure-skip-tls-verify: true/);
      const nodes = await runTool(tools.kubectl ?? '', [
        '--kubeconfig',
        kubeconfig,
        'get',
        'nodes',
        '-o',
        'name',
      ]);
      expect(nodes.stdout.trim().split('\n')).toEqual(['node/sim-node-1', 'node/sim-node-2']);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      // The port is released: nothing listens there any more.
      await expect(fetch(`${started.url}/version`)).rejects.toThrow();
    },
  );

  it.each([
    [['--nodes', '0'], /invalid --nodes "0"/],
    [['--time-scale', '-1'], /invalid --time-scale "-1"/],
    [['--port', 'http'], /invalid --port "http"/],
  ])('refuses %j with exit 2 and one line', async (args, message) => {
    const result = await runTool(process.execPath, [bin, 'sim', ...args]);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')[0]).toMatch(message);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
