import { readFileSync } from 'node:fs';

/**
 * kubesoak's version, read from the package.json above this module: the same code runs from src/
 * (type-stripped by Node) and from dist/src/ (compiled), which sit at different depths.
 */
export const VERSION: string = (() => {
  let dir = new URL('.', import.meta.url);
  for (let depth = 0; depth < 6; depth += 1) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('package.json', dir), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'kubesoak' && pkg.version) return pkg.version;
    } catch {
      // not here: keep walking up
    }
    dir = new URL('..', dir);
  }
  return '0.0.0-unknown';
})();
