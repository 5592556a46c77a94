import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../src/sim/api/kube-object.ts';
import { loadScenario } from '../../../src/sim/faults/load-scenario.ts';
import type { PodSpec } from '../../../src/sim/kubelet/kube-shapes.ts';
import { R } from '../../../src/sim/resources.ts';
import { startSimCluster } from '../../../src/sim/sim-cluster.ts';
import { runTool } from '../../support/cli-runner.ts';
import { containerStatus, statusOf, tools, waitFor } from './fault-fixture.ts';

const story = fileURLToPath(new URL('../../../examples/scenarios/story.yaml', import.meta.url));
const bin = fileURLToPath(new URL('../../../bin/kubesoak.js', import.meta.url));

function failed(pod: KubeObject): boolean {
  return (
    statusOf(pod).reason === 'Evicted' ||
    (pod.status ? (containerStatus(pod, 'web')?.restartCount ?? 0) > 0 : false)
  );
}

describe('the story scenario (examples/scenarios/story.yaml)', () => {
  it('loads, and reproduces a node short of memory whose pods fail', async () => {
    const scenario = await loadScenario(story);
    expect(scenario.nodes?.count).toBe(3);
    const cluster = await startSimCluster({ scenario, timeScale: 0.01 });
    try {
      const { store } = cluster.context;
      store.create(R.namespace, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'story' } });
      for (let index = 0; index < 9; index += 1) {
        store.create(R.pod, {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: `web-${index}`, namespace: 'story', labels: { app: 'web' } },
          spec: {
            containers: [
              {
                name: 'web',
                image: 'registry.example/soak/web:1.0.0',
                readinessProbe: { httpGet: { path: '/ready', port: 8080 }, periodSeconds: 5 },
                livenessProbe: { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 5 },
                resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } },
              },
            ],
          },
        });
      }
      await waitFor(
        () => store.list(R.pod, { namespace: 'story' }).filter(failed).length >= 2,
        'pods failing on the short node',
      );
      const pods = store.list(R.pod, { namespace: 'story' });
      const failing = pods.filter(failed);
      const nodeOf = (pod: KubeObject) => (pod.spec as PodSpec).nodeName;
      // The short node fails most; rare liveness failures may hit the others too.
      const onShortNode = failing.filter((pod) => nodeOf(pod) === 'sim-node-3');
      expect(onShortNode.length).toBeGreaterThanOrEqual(2);
      expect(onShortNode.length).toBeGreaterThan(failing.length - onShortNode.length);
      const node = store.get(R.node, undefined, 'sim-node-3');
      const reasons = failing.map(
        (pod) => statusOf(pod).reason ?? containerStatus(pod, 'web')?.lastState.terminated?.reason ?? '',
      );
      expect(reasons.every((reason) => ['Evicted', 'OOMKilled', 'Error', 'Completed'].includes(reason))).toBe(
        true,
      );
      expect(node).toBeDefined();
    } finally {
      await cluster.stop();
    }
  });
});

describe('kubesoak sim --scenario', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kubesoak-scenario-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.each([
    [
      'faults:\n  - kind: crash\n  - kind: crash\n  - kind: crash\n    probability: 1.5\n',
      'faults[2].probability: must be between 0 and 1',
    ],
    ['faults:\n  - kind: explode\n', 'faults[0].kind: must be one of imagePull, initContainer'],
    ['nodes:\n  count: 0\n', 'nodes.count: must be at least 1'],
    ['faults:\n  - kind: apiSlow\n', 'faults[0].delay: is required'],
    [
      'faults:\n  - kind: crash\n    after: soon\n',
      'faults[0].after: must be a duration like 30s, 5m or 1h30m, got "soon"',
    ],
    ['seed: 1\nfaultz: []\n', '(root): unknown field faultz'],
    ['faults: [\n', 'not valid YAML'],
  ])('refuses %j with exit 2 and one line naming the field', async (text, message) => {
    const file = join(dir, 'scenario.yaml');
    await writeFile(file, text);
    const result = await runTool(process.execPath, [bin, 'sim', '--scenario', file]);
    expect(result.code).toBe(2);
    const lines = result.stderr.trim().split('\n');
    expect(lines[0]).toContain(`scenario.yaml: ${message}`);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it.runIf(tools.kubectl)(
    'starts the story cluster: nodes from the scenario, flags override it',
    async () => {
      const kubeconfig = join(dir, 'kubeconfig');
      const child = spawn(
        process.execPath,
        [bin, '--json', 'sim', '--scenario', story, '--time-scale', '0.01', '--kubeconfig-out', kubeconfig],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      try {
        const first = await new Promise<string>((resolve) =>
          createInterface({ input: child.stdout }).once('line', resolve),
        );
        expect(JSON.parse(first)).toMatchObject({ kubeconfig });
        const nodes = await runTool(tools.kubectl ?? '', [
          '--kubeconfig',
          kubeconfig,
          'get',
          'nodes',
          '-o',
          'json',
        ]);
        const items = (JSON.parse(nodes.stdout) as { items: KubeObject[] }).items;
        expect(items.map((node) => node.metadata.name)).toEqual(['sim-node-1', 'sim-node-2', 'sim-node-3']);
        expect(
          items.map((node) => (node.status as { capacity: { memory: string } }).capacity.memory),
        ).toEqual(['8388608Ki', '8388608Ki', '8388608Ki']);
      } finally {
        child.kill('SIGTERM');
      }
      expect(await exited).toBe(0);
    },
  );
});
