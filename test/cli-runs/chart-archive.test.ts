import { randomBytes } from 'node:crypto';
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ChartArchiveError, packageChartDirectory } from '../../src/runs/chart-archive.ts';
import { MAX_CHART_ARCHIVE_BYTES } from '../../src/runs/iteration-job.ts';
import { validateSubmission } from '../../src/runs/run-submission.ts';
import { keysUnder, testPrefix } from '../runs/runs-test-support.ts';
import { runTool } from '../support/cli-runner.ts';
import { cliWith, configDir } from './cli-runs-support.ts';

const tools = inject('tools');
const redisUrl = inject('redisUrl');
const SOAK_APP = fileURLToPath(new URL('../fixtures/charts/soak-app', import.meta.url));

describe('packaging a local chart directory for workers on other machines', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kubesoak-chart-archive-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const writeArchive = async (name: string, bytes: Buffer) => {
    const file = join(dir, name);
    await writeFile(file, bytes);
    return file;
  };

  it.runIf(tools.helm)('real helm renders the archive exactly as the directory', async () => {
    const archive = await packageChartDirectory(SOAK_APP);
    expect(archive.name).toBe('soak-app');
    const file = await writeArchive('soak-app.tgz', archive.bytes);
    const helm = tools.helm ?? '';
    const shown = await runTool(helm, ['show', 'chart', file]);
    expect(shown.stderr).toBe('');
    expect(shown.stdout).toMatch(/^name: soak-app$/m);
    const fromArchive = await runTool(helm, ['template', 'rel', file, '--namespace', 'ns']);
    const fromDir = await runTool(helm, ['template', 'rel', SOAK_APP, '--namespace', 'ns']);
    expect(fromArchive.code).toBe(0);
    expect(fromArchive.stdout).toBe(fromDir.stdout);
    expect(fromArchive.stdout).toMatch(/kind: StatefulSet/);
  });

  it.runIf(tools.helm)(
    'honours .helmignore basics, skips .git and dot files in templates/, keeps long paths',
    async () => {
      const chart = join(dir, 'ignoring');
      await mkdir(join(chart, 'templates'), { recursive: true });
      await mkdir(join(chart, 'scratch'), { recursive: true });
      await mkdir(join(chart, '.git'), { recursive: true });
      const deep = join('files', 'a'.repeat(60), 'b'.repeat(60));
      await mkdir(join(chart, deep), { recursive: true });
      const longName = `${'c'.repeat(120)}.txt`;
      await writeFile(join(chart, 'Chart.yaml'), 'apiVersion: v2\nname: ignoring\nversion: 1.2.3\n');
      await writeFile(join(chart, '.helmignore'), '# comment\n*.bak\nscratch/\n!keep.bak\n');
      await writeFile(join(chart, 'drop.bak'), 'x');
      await writeFile(join(chart, 'keep.bak'), 'kept');
      await writeFile(join(chart, 'scratch', 'big.bin'), 'x');
      await writeFile(join(chart, '.git', 'config'), '[core]\n');
      // Included, helm would fail to render this.
      await writeFile(join(chart, 'templates', '.broken.yaml'), '{{ .Values.nope.nope }}');
      await writeFile(join(chart, deep, 'nested.txt'), 'nested-content');
      await writeFile(join(chart, 'files', longName), 'long-content');
      await writeFile(
        join(chart, 'templates', 'cm.yaml'),
        [
          'apiVersion: v1',
          'kind: ConfigMap',
          'metadata: { name: cm }',
          'data:',
          `  nested: {{ .Files.Get "${deep.split('\\').join('/')}/nested.txt" | quote }}`,
          `  long: {{ .Files.Get "files/${longName}" | quote }}`,
          '  kept: {{ .Files.Get "keep.bak" | quote }}',
          '',
        ].join('\n'),
      );
      const archive = await packageChartDirectory(chart);
      expect(archive.version).toBe('1.2.3');
      const file = await writeArchive('ignoring.tgz', archive.bytes);
      const listing = await runTool('tar', ['-tzf', file]);
      expect(listing.code).toBe(0);
      const names = listing.stdout.trim().split('\n').sort();
      expect(names).toEqual(
        [
          'ignoring/.helmignore',
          'ignoring/Chart.yaml',
          `ignoring/files/${longName}`,
          `ignoring/${deep}/nested.txt`,
          'ignoring/keep.bak',
          'ignoring/templates/cm.yaml',
        ].sort(),
      );
      const rendered = await runTool(tools.helm ?? '', ['template', 'rel', file]);
      expect(rendered.stderr).toBe('');
      expect(rendered.stdout).toContain('nested: "nested-content"');
      expect(rendered.stdout).toContain('long: "long-content"');
      expect(rendered.stdout).toContain('kept: "kept"');
    },
  );

  it('refuses a chart over the size cap with a clear error', async () => {
    const chart = join(dir, 'huge');
    await mkdir(chart, { recursive: true });
    await writeFile(join(chart, 'Chart.yaml'), 'apiVersion: v2\nname: huge\nversion: 0.1.0\n');
    // Random bytes do not compress.
    await writeFile(join(chart, 'blob.bin'), randomBytes(MAX_CHART_ARCHIVE_BYTES + 100_000));
    const error = await packageChartDirectory(chart).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ChartArchiveError);
    expect((error as ChartArchiveError).oneLine).toMatch(
      /^chart directory .*huge packs to 1\.\d MiB, over the 1\.0 MiB limit for charts shipped with a run: add large files to \.helmignore/,
    );
  });

  it('the submission accepts a base64 .tgz archive and refuses anything else or anything too large', () => {
    const base = { chart: { ref: './c' }, iterations: 1, parallel: 1 };
    const gzip = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0]).toString('base64');
    expect(
      validateSubmission({ ...base, chart: { ref: './c', archive: gzip } }, { maxIterations: 10, runId: 'x' })
        .chart.archive,
    ).toBe(gzip);
    expect(() =>
      validateSubmission(
        { ...base, chart: { ref: './c', archive: Buffer.from('plain').toString('base64') } },
        { maxIterations: 10, runId: 'x' },
      ),
    ).toThrow(/chart.archive: must be a base64 .tgz/);
    expect(() =>
      validateSubmission(
        { ...base, chart: { ref: './c', archive: 'H4sI'.padEnd(2 * MAX_CHART_ARCHIVE_BYTES, 'A') } },
        { maxIterations: 10, runId: 'x' },
      ),
    ).toThrow(/chart.archive: must be at most 1 MiB/);
  });

  it.runIf(redisUrl)(
    'kubesoak submit with a too-large chart: exit 2, one line, nothing written',
    async () => {
      const prefix = testPrefix('cli-huge');
      const config = await configDir(prefix);
      try {
        const chart = join(dir, 'huge');
        const copy = join(dir, 'huge-copy.tgz');
        await cp(join(chart, 'blob.bin'), copy);
        const env = { REDIS_URL: redisUrl ?? '', KUBESOAK_CONFIG: config.configFile };
        const result = await cliWith(env, [
          'submit',
          '--chart',
          chart,
          '--iterations',
          '2',
          '--parallel',
          '1',
        ]);
        expect(result.code).toBe(2);
        expect(result.err.trimEnd().split('\n')).toHaveLength(1);
        expect(result.err).toMatch(/over the 1\.0 MiB limit/);
        const notGzip = await cliWith(env, [
          'submit',
          '--chart',
          copy,
          '--iterations',
          '2',
          '--parallel',
          '1',
        ]);
        expect(notGzip.code).toBe(2);
        expect(notGzip.err).toMatch(/huge-copy\.tgz is not a \.tgz/);
        expect(await keysUnder(redisUrl ?? '', prefix)).toEqual([]);
      } finally {
        await config.remove();
      }
    },
  );
});
