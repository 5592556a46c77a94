import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { describe, expect, inject, it } from 'vitest';
import { KUBE_TOOL_BUNDLES } from '../../src/toolchain/kube-tools.ts';

const run = promisify(execFile);
const tools = inject('tools');
const chart = fileURLToPath(new URL('../fixtures/charts/soak-app', import.meta.url));

describe.runIf(tools.helm && tools.helm3 && tools.kubectl)('pinned helm and kubectl binaries', () => {
  const helm = tools.helm ?? '';
  const helm3 = tools.helm3 ?? '';
  const kubectl = tools.kubectl ?? '';

  it('helm reports the pinned Helm 4 version', async () => {
    const { stdout } = await run(helm, ['version', '--short']);
    expect(stdout.trim()).toMatch(new RegExp(`^${KUBE_TOOL_BUNDLES.current.helmVersion}\\+`));
  });

  it('helm3 reports the pinned Helm 3 version', async () => {
    const { stdout } = await run(helm3, ['version', '--short']);
    expect(stdout.trim()).toMatch(new RegExp(`^${KUBE_TOOL_BUNDLES.helm3.helmVersion}\\+`));
  });

  it('kubectl reports the pinned client version', async () => {
    const { stdout } = await run(kubectl, ['version', '--client', '-o', 'json']);
    const version = JSON.parse(stdout) as { clientVersion: { gitVersion: string } };
    expect(version.clientVersion.gitVersion).toBe(KUBE_TOOL_BUNDLES.current.kubectlVersion);
  });

  it.each([
    ['helm 4', () => helm],
    ['helm 3', () => helm3],
  ])('%s renders the fixture chart with helm template', async (_name, binary) => {
    const { stdout } = await run(binary(), [
      'template',
      'rel',
      chart,
      '--namespace',
      'ns1',
      '--set',
      'web.replicas=3',
    ]);
    const docs = parseAllDocuments(stdout).map(
      (doc) => doc.toJSON() as { kind: string; metadata: { name: string } },
    );
    const kinds = docs.map((doc) => `${doc.kind}/${doc.metadata.name}`).sort();
    expect(kinds).toEqual(
      [
        'ConfigMap/rel-config',
        'Deployment/rel-web',
        'Pod/rel-test-connection',
        'Secret/rel-credentials',
        'Service/rel-datastore',
        'Service/rel-web',
        'ServiceAccount/rel-web',
        'StatefulSet/rel-datastore',
      ].sort(),
    );
    const deployment = docs.find((doc) => doc.kind === 'Deployment') as unknown as {
      spec: { replicas: number };
    };
    expect(deployment.spec.replicas).toBe(3);
  });

  it('helm template fails on a chart that does not exist', async () => {
    await expect(run(helm, ['template', 'rel', `${chart}-missing`])).rejects.toThrow(
      /path .* not found|no such/i,
    );
  });
});
