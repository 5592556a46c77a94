import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DASHBOARDS_DIR, generateDashboards } from '../../grafana/src/generate-dashboards.ts';

interface DashboardJson {
  title: string;
  uid: string;
  templating: { list: Array<{ name: string }> };
  panels: Array<{ type: string; title?: string }>;
}

describe('grafana dashboards', () => {
  it('are committed exactly as `npm run dashboards` generates them', async () => {
    const generated = generateDashboards();
    const committed = (await readdir(DASHBOARDS_DIR)).filter((name) => name.endsWith('.json')).sort();
    expect(committed, 'run `npm run dashboards` and commit grafana/dashboards/').toEqual(
      [...generated.keys()].sort(),
    );
    for (const [name, content] of generated) {
      const onDisk = await readFile(join(DASHBOARDS_DIR, name), 'utf8');
      expect(onDisk === content, `${name} is stale: run \`npm run dashboards\``).toBe(true);
    }
  });

  it('has the soak-runs panels and variables the issue asks for', () => {
    const soak = JSON.parse(generateDashboards().get('kubesoak-soak-runs.json') ?? '{}') as DashboardJson;
    expect(soak.title).toBe('kubesoak — soak runs');
    expect(soak.templating.list.map((variable) => variable.name)).toEqual(['datasource', 'chart', 'run']);
    const types = new Set(soak.panels.map((panel) => panel.type));
    for (const type of ['stat', 'timeseries', 'bargauge', 'heatmap', 'table'])
      expect(types.has(type), type).toBe(true);
    const health = JSON.parse(
      generateDashboards().get('kubesoak-runner-health.json') ?? '{}',
    ) as DashboardJson;
    expect(health.title).toBe('kubesoak — runner health');
    expect(health.panels.map((panel) => panel.title)).toContain('Redis latency');
  });
});
