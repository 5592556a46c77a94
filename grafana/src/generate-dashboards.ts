import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runnerHealthDashboard } from './runner-health-dashboard.ts';
import { soakRunsDashboard } from './soak-runs-dashboard.ts';

/** Where the committed dashboard JSON lives (Grafana's provisioning mounts this folder). */
export const DASHBOARDS_DIR = fileURLToPath(new URL('../dashboards/', import.meta.url));

/** Every dashboard as the exact file content committed under grafana/dashboards/. */
export function generateDashboards(): Map<string, string> {
  const files = new Map<string, string>();
  for (const dashboard of [soakRunsDashboard(), runnerHealthDashboard()]) {
    files.set(`${dashboard.uid ?? 'dashboard'}.json`, `${JSON.stringify(dashboard, null, 2)}\n`);
  }
  return files;
}

async function main(): Promise<void> {
  await mkdir(DASHBOARDS_DIR, { recursive: true });
  for (const [name, content] of generateDashboards()) {
    const path = join(DASHBOARDS_DIR, name);
    await writeFile(path, content);
    process.stdout.write(`wrote ${join(dirname(path).split('/').slice(-2).join('/'), name)}\n`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
