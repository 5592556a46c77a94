import { cp, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runTool } from '../support/cli-runner.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
const tools = inject('tools');

/**
 * What the Dockerfile's final stage holds, built here without docker: `npm run build`'s output
 * (tsconfig.build.json) with bin/ and package.json but no src/, so bin/kubesoak.js must run dist/.
 * node_modules is the repository's (the image's production install is a subset of it).
 */
describe('the image layout (dist/ without src/)', () => {
  let app = '';
  beforeAll(async () => {
    app = await mkdtemp(join(tmpdir(), 'kubesoak-image-'));
    // Type errors are typecheck's to report; what matters here is what the build emits.
    await runTool(
      process.execPath,
      [TSC, '-p', join(ROOT, 'tsconfig.build.json'), '--outDir', join(app, 'dist')],
      {
        timeoutMs: 120_000,
      },
    );
    await cp(join(ROOT, 'bin'), join(app, 'bin'), { recursive: true });
    await cp(join(ROOT, 'package.json'), join(app, 'package.json'));
    await symlink(join(ROOT, 'node_modules'), join(app, 'node_modules'));
  }, 150_000);
  afterAll(async () => {
    if (app) await rm(app, { recursive: true, force: true });
  });

  const kubesoak = (args: string[]) =>
    runTool(process.execPath, [join(app, 'bin/kubesoak.js'), ...args], { env: { HOME: app } });

  it('runs the CLI from dist/ with the entrypoint the Dockerfile uses', async () => {
    const dockerfile = await readFile(join(ROOT, 'Dockerfile'), 'utf8');
    expect(dockerfile).toContain('"node", "/app/bin/kubesoak.js"');
    const version = await kubesoak(['--version']);
    expect(version.stderr).toBe('');
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(version.stdout.trim()).toBe(pkg.version);
  });

  it('has the scheduler and worker commands the chart and compose file run, with their flags', async () => {
    const scheduler = await kubesoak(['scheduler', '--help']);
    expect(scheduler.stdout).toMatch(/--listen <host:port>/);
    expect(scheduler.stdout).toMatch(/--config <file>/);
    const worker = await kubesoak(['worker', '--help']);
    expect(worker.stdout).toMatch(/--concurrency <n>/);
    expect(worker.stdout).toMatch(/--config <file>/);
  });

  it.runIf(tools.helm)(
    'prints the helm, helm3 and kubectl paths the Dockerfile copies to /usr/local/bin',
    async () => {
      // The bundles the suite already fetched: no download here.
      const cacheDir = dirname(dirname(tools.helm ?? ''));
      const result = await kubesoak(['tools', '--json', '--cache-dir', cacheDir]);
      expect(result.code, result.stderr).toBe(0);
      const paths = JSON.parse(result.stdout) as Record<string, unknown>;
      const dockerfile = await readFile(join(ROOT, 'Dockerfile'), 'utf8');
      for (const key of ['helm', 'helm3', 'kubectl']) {
        expect(dockerfile).toContain(`require("/tmp/tools.json").${key}')" /out/${key}`);
        const version = await runTool(
          String(paths[key]),
          key === 'kubectl' ? ['version', '--client'] : ['version'],
        );
        expect(version.code, `${key}: ${version.stderr}`).toBe(0);
      }
    },
  );
});
