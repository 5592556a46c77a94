import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

const run = promisify(execFile);
const tools = inject('tools');

describe.runIf(tools.promtool)('promtool from the prometheus package', () => {
  const promtool = tools.promtool ?? '';
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kubesoak-promtool-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('accepts a valid rules file', async () => {
    const file = join(dir, 'ok.yml');
    await writeFile(
      file,
      [
        'groups:',
        '  - name: trivial',
        '    rules:',
        '      - record: job:up:sum',
        '        expr: sum by (job) (up)',
        '      - alert: AlwaysFiring',
        '        expr: vector(1) > 0',
        '        for: 1m',
        '',
      ].join('\n'),
    );
    const { stdout } = await run(promtool, ['check', 'rules', file]);
    expect(stdout).toMatch(/SUCCESS: 2 rules found/);
  });

  it('rejects a rules file with a PromQL syntax error', async () => {
    const file = join(dir, 'bad.yml');
    await writeFile(
      file,
      'groups:\n  - name: bad\n    rules:\n      - record: x\n        expr: sum by (job (up)\n',
    );
    await expect(run(promtool, ['check', 'rules', file])).rejects.toMatchObject({ code: 1 });
  });
});
