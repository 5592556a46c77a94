import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// src/demo/ runs from the checkout, dist/src/demo/ from the npm package: examples/ sits at the
// package root either way, two or three levels up.
const CANDIDATES = ['../../examples/', '../../../examples/'];

/** The package's examples/ directory (shipped in the npm package's "files"). */
export function examplesDir(): string {
  for (const candidate of CANDIDATES) {
    const path = fileURLToPath(new URL(candidate, import.meta.url));
    if (existsSync(`${path}charts/shop/Chart.yaml`)) return path;
  }
  return fileURLToPath(new URL(CANDIDATES[0] ?? '', import.meta.url));
}

/** The bundled example chart `kubesoak demo` soak-tests. */
export function bundledChartPath(): string {
  return `${examplesDir()}charts/shop`;
}

/** The bundled scenario modelled on the motivating story. */
export function bundledScenarioPath(): string {
  return `${examplesDir()}scenarios/demo.yaml`;
}
