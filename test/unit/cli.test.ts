import { execFile } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/run-cli.ts';

const run = promisify(execFile);
const bin = fileURLToPath(new URL('../../bin/kubesoak.js', import.meta.url));

async function cli(...argv: string[]) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const code = await runCli(argv, { stdout, stderr, env: {} });
  return { code, out, err };
}

describe('kubesoak CLI conventions', () => {
  it('--help lists the command groups and exits 0', async () => {
    const { code, out } = await cli('--help');
    expect(code).toBe(0);
    expect(out).toMatch(/^Getting started:/m);
    expect(out).toMatch(/^Setup:/m);
    expect(out).toMatch(/--debug/);
    expect(out).toMatch(/--json/);
    expect(out).toMatch(/Exit codes: 0 success, 1 .*, 2 usage/);
  });

  it('--version prints the package version', async () => {
    const { code, out } = await cli('--version');
    expect(code).toBe(0);
    expect(out.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('an unknown option is a usage error: exit 2 and one line naming it', async () => {
    const { code, err } = await cli('--no-such-flag');
    expect(code).toBe(2);
    expect(err.split('\n')[0]).toBe("kubesoak: unknown option '--no-such-flag'");
    expect(err).not.toMatch(/\n\s+at /);
  });

  it('an unknown command is a usage error', async () => {
    const { code, err } = await cli('frobnicate');
    expect(code).toBe(2);
    expect(err).toMatch(/unknown command 'frobnicate'/);
  });

  // demo without the composition root's worker runtime is a plain (exit 1) failure: no side effects.
  it('a command failure is one line without a stack trace, and the stack only with --debug', async () => {
    const plain = await cli('demo');
    expect(plain.code).toBe(1);
    expect(plain.err.trim().split('\n')).toHaveLength(1);
    expect(plain.err).toMatch(/^kubesoak: .+: .+/);
    const debug = await cli('demo', '--debug');
    expect(debug.err).toMatch(/\n\s+at /);
  });

  it('--json turns errors into one JSON line with a stable code', async () => {
    const { code, err } = await cli('demo', '--json');
    expect(code).toBe(1);
    const parsed = JSON.parse(err.trim()) as { error: { code: string; exitCode: number } };
    expect(parsed.error).toMatchObject({ code: 'no-worker-runtime', exitCode: 1 });
  });

  it('--json works before and after the subcommand', async () => {
    for (const argv of [
      ['--json', 'demo'],
      ['demo', '--json'],
    ]) {
      const { code, err } = await cli(...argv);
      expect(code).toBe(1);
      expect(JSON.parse(err.trim())).toMatchObject({ error: { code: 'no-worker-runtime' } });
    }
  });

  it('a subcommand owns its own --version (the chart version), kubesoak --version stays ours', async () => {
    const { code, out, err } = await cli(
      'iterate',
      '--version',
      '9.9.9',
      '--kubeconfig',
      '/nonexistent/kubeconfig',
    );
    expect(out).not.toMatch(/^\d+\.\d+\.\d+\s*$/);
    expect(code).toBe(2);
    expect(err).toMatch(/^kubesoak: invalid iteration config: /);
  });

  it('the installed bin runs under the pinned Node and prints help', async () => {
    const { stdout } = await run(process.execPath, [bin, '--help']);
    expect(stdout).toMatch(/Usage: kubesoak/);
    expect(process.versions.node.split('.')[0]).toBe('24');
  });
});
