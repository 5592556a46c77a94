import { readFile, readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { gzipSync } from 'node:zlib';
import { parse } from 'yaml';
import { UsageError } from '../errors/usage-error.ts';
import { MAX_CHART_ARCHIVE_BYTES } from './iteration-job.ts';

/** Largest total of file bytes read from a chart directory before packaging gives up. */
const MAX_CHART_SOURCE_BYTES = 64 * 1024 * 1024;
/** Symlinked directories could loop; no real chart nests deeper than this. */
const MAX_DEPTH = 32;

/** A chart could not be packaged for shipping inline; the CLI exits 2. */
export class ChartArchiveError extends UsageError {
  constructor(message: string, hint?: string, cause?: unknown) {
    super(message, { code: 'chart-archive', hint, cause });
  }
}

/** A packaged chart: the .tgz bytes plus what the CLI shows about it. */
export interface ChartArchive {
  /** The chart's name from Chart.yaml (also the archive's top directory, as `helm package` does). */
  name: string;
  version: string | undefined;
  bytes: Buffer;
  files: number;
}

/**
 * Packages a chart directory into a gzipped tar in memory, the way `helm package` lays it out
 * (`<name>/...`), so that workers on other machines can install a chart only the submitter has.
 * Honours the basics of .helmignore (globs, `dir/`, `!negation`, last match wins) and always skips
 * `.git`. Throws ChartArchiveError naming the directory when it is not a chart or is too large.
 */
export async function packageChartDirectory(
  dir: string,
  options: { maxBytes?: number } = {},
): Promise<ChartArchive> {
  const maxBytes = options.maxBytes ?? MAX_CHART_ARCHIVE_BYTES;
  let chartYaml: string;
  try {
    chartYaml = await readFile(join(dir, 'Chart.yaml'), 'utf8');
  } catch (error) {
    throw new ChartArchiveError(
      `${dir} is not a chart directory: cannot read Chart.yaml`,
      'pass a chart directory, a .tgz, REPO/CHART or an oci:// reference',
      error,
    );
  }
  const meta = parseChartYaml(chartYaml, dir);
  const rules = parseHelmignore(await readFile(join(dir, '.helmignore'), 'utf8').catch(() => ''));
  const entries: TarEntry[] = [];
  let total = 0;
  const walk = async (current: string, depth: number): Promise<void> => {
    if (depth > MAX_DEPTH)
      throw new ChartArchiveError(`chart directory ${dir} nests deeper than ${MAX_DEPTH} levels`);
    const names = (await readdir(current)).sort();
    for (const name of names) {
      const full = join(current, name);
      const path = relative(dir, full).split(sep).join('/');
      if (name === '.git') continue;
      // stat follows symlinks, as helm's loader does.
      const info = await stat(full);
      const isDir = info.isDirectory();
      if (isIgnored(rules, path, isDir)) continue;
      if (isDir) {
        await walk(full, depth + 1);
        continue;
      }
      if (!info.isFile()) continue;
      total += info.size;
      if (total > MAX_CHART_SOURCE_BYTES)
        throw new ChartArchiveError(
          `chart directory ${dir} holds more than ${mib(MAX_CHART_SOURCE_BYTES)} of files`,
          'add large files to .helmignore or push the chart to a repository',
        );
      entries.push({ path: `${meta.name}/${path}`, content: await readFile(full) });
    }
  };
  await walk(dir, 0);
  const bytes = gzipSync(tar(entries), { level: 9 });
  if (bytes.length > maxBytes)
    throw new ChartArchiveError(
      `chart directory ${dir} packs to ${mib(bytes.length)}, over the ${mib(maxBytes)} limit for charts shipped with a run`,
      'add large files to .helmignore, or push the chart to a repository and pass REPO/CHART',
    );
  return { name: meta.name, version: meta.version, bytes, files: entries.length };
}

function parseChartYaml(text: string, dir: string): { name: string; version: string | undefined } {
  let value: unknown;
  try {
    value = parse(text);
  } catch (error) {
    throw new ChartArchiveError(`${dir}/Chart.yaml is not valid YAML`, undefined, error);
  }
  const chart = (value ?? {}) as { name?: unknown; version?: unknown };
  if (typeof chart.name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(chart.name))
    throw new ChartArchiveError(`${dir}/Chart.yaml has no valid name`);
  return {
    name: chart.name,
    version: typeof chart.version === 'string' ? chart.version : undefined,
  };
}

interface IgnoreRule {
  negate: boolean;
  dirOnly: boolean;
  /** Matched against the whole relative path when the pattern has a slash, else the base name. */
  anchored: boolean;
  pattern: RegExp;
}

// Dot files in templates/ are never templates; helm ignores them by default too.
const DEFAULT_IGNORES = ['templates/.?*'];

function parseHelmignore(text: string): IgnoreRule[] {
  const rules: IgnoreRule[] = [];
  for (const raw of [...DEFAULT_IGNORES, ...text.split(/\r?\n/)]) {
    let line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const negate = line.startsWith('!');
    if (negate) line = line.slice(1);
    const dirOnly = line.endsWith('/');
    if (dirOnly) line = line.replace(/\/+$/, '');
    line = line.replace(/^\.\//, '');
    const anchored = line.includes('/');
    line = line.replace(/^\//, '');
    if (line === '') continue;
    rules.push({ negate, dirOnly, anchored, pattern: globToRegExp(line) });
  }
  return rules;
}

/** Last matching rule wins, as in .gitignore. */
function isIgnored(rules: readonly IgnoreRule[], path: string, isDir: boolean): boolean {
  const base = path.slice(path.lastIndexOf('/') + 1);
  let ignored = false;
  for (const rule of rules) {
    if (rule.dirOnly && !isDir) continue;
    if (rule.pattern.test(rule.anchored ? path : base)) ignored = !rule.negate;
  }
  return ignored;
}

/** A shell glob (`*`, `?`, `[...]`, `**` for any depth) as an anchored regular expression. */
function globToRegExp(glob: string): RegExp {
  let source = '';
  for (let index = 0; index < glob.length; index += 1) {
    const char = glob[index] as string;
    if (char === '*') {
      if (glob[index + 1] === '*') {
        source += '.*';
        index += 1;
      } else source += '[^/]*';
    } else if (char === '?') source += '[^/]';
    else if (char === '[') {
      const end = glob.indexOf(']', index + 1);
      if (end === -1) source += '\\[';
      else {
        const body = glob
          .slice(index + 1, end)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\');
        source += `[${body}]`;
        index = end;
      }
    } else source += char.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

interface TarEntry {
  path: string;
  content: Buffer;
}

/** A POSIX ustar archive of regular files; names too long for ustar get a PAX header. */
function tar(entries: readonly TarEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const split = splitUstarName(entry.path);
    if (!split) {
      const record = paxRecord('path', entry.path);
      blocks.push(header({ name: 'PaxHeader', prefix: '', size: record.length, type: 'x' }));
      blocks.push(padded(record));
    }
    // With a PAX path the ustar name is only a fallback for old readers (write() cuts it at 100 bytes).
    const { name, prefix } = split ?? { name: entry.path, prefix: '' };
    blocks.push(header({ name, prefix, size: entry.content.length, type: '0' }));
    blocks.push(padded(entry.content));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

function splitUstarName(path: string): { name: string; prefix: string } | undefined {
  if (Buffer.byteLength(path) <= 100) return { name: path, prefix: '' };
  for (let index = path.indexOf('/'); index !== -1; index = path.indexOf('/', index + 1)) {
    const prefix = path.slice(0, index);
    const name = path.slice(index + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100) return { name, prefix };
  }
  return undefined;
}

function paxRecord(key: string, value: string): Buffer {
  const body = ` ${key}=${value}\n`;
  // The length prefix counts its own digits.
  let length = Buffer.byteLength(body) + 1;
  while (String(length).length + Buffer.byteLength(body) !== length)
    length = String(length).length + Buffer.byteLength(body);
  return Buffer.from(`${length}${body}`);
}

function header(fields: { name: string; prefix: string; size: number; type: string }): Buffer {
  const block = Buffer.alloc(512);
  block.write(fields.name, 0, 100, 'utf8');
  block.write('0000644\0', 100);
  block.write('0000000\0', 108);
  block.write('0000000\0', 116);
  block.write(`${fields.size.toString(8).padStart(11, '0')}\0`, 124);
  // A fixed mtime keeps the archive of an unchanged chart byte-identical.
  block.write('00000000000\0', 136);
  block.write(fields.type, 156);
  block.write('ustar\0', 257);
  block.write('00', 263);
  block.write(fields.prefix, 345, 155, 'utf8');
  block.fill(' ', 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return block;
}

function padded(content: Buffer): Buffer {
  const size = Math.ceil(content.length / 512) * 512;
  return size === content.length ? content : Buffer.concat([content, Buffer.alloc(size - content.length)]);
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(bytes < 1024 * 1024 ? 2 : 1)} MiB`;
}
