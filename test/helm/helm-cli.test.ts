import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { HelmCli } from '../../src/helm/helm-cli.ts';
import { HelmError, HelmErrorKind, classifyHelmOutput } from '../../src/helm/helm-error.ts';

const tools = inject('tools');
const dir = mkdtempSync(join(tmpdir(), 'kubesoak-fake-helm-'));

/** A fake helm: records its argv (one per line) and answers like helm 4 or fails with a text. */
function fakeHelm(
  name: string,
  options: { major?: number; stderr?: string; exitCode?: number } = {},
): { binary: string; argvFile: string } {
  const binary = join(dir, name);
  const argvFile = join(dir, `${name}.argv`);
  writeFileSync(
    binary,
    [
      '#!/bin/sh',
      `if [ "$1" = version ]; then echo "v${options.major ?? 4}.1.0+gabc"; exit 0; fi`,
      `printf '%s\\n' "$@" > '${argvFile}'`,
      options.stderr ? `printf '%s\\n' '${options.stderr}' >&2` : '',
      `exit ${options.exitCode ?? 0}`,
    ].join('\n'),
  );
  chmodSync(binary, 0o755);
  return { binary, argvFile };
}

const signal = () => AbortSignal.timeout(10_000);

describe('HelmCli argv', () => {
  it('passes chart, version, values, --set and kube flags as separate argv entries, never a shell string', async () => {
    const { binary, argvFile } = fakeHelm('argv');
    const helm = new HelmCli({ binary, kubeconfig: '/tmp/kc', kubeContext: 'ctx' });
    await helm.install(
      {
        chart: 'repo/app',
        version: '1.2.3',
        release: 'rel',
        namespace: 'ns',
        valuesFiles: ['a.yaml', 'b c.yaml'],
        set: ['x=$(rm -rf /)', 'y=2'],
        timeoutMs: 1500,
      },
      signal(),
    );
    expect(readFileSync(argvFile, 'utf8').trim().split('\n')).toEqual([
      'install',
      'rel',
      'repo/app',
      '--version',
      '1.2.3',
      '--namespace',
      'ns',
      '--values',
      'a.yaml',
      '--values',
      'b c.yaml',
      '--set',
      'x=$(rm -rf /)',
      '--set',
      'y=2',
      '--timeout',
      '2s',
      '--kubeconfig',
      '/tmp/kc',
      '--kube-context',
      'ctx',
    ]);
  });

  it('uninstall waits with a strategy on helm 4 and plainly on helm 3', async () => {
    const four = fakeHelm('four', { major: 4 });
    await new HelmCli({ binary: four.binary }).uninstall('rel', 'ns', 60_000, signal());
    expect(readFileSync(four.argvFile, 'utf8')).toMatch(/^--wait=watcher$/m);
    const three = fakeHelm('three', { major: 3 });
    await new HelmCli({ binary: three.binary }).uninstall('rel', 'ns', 60_000, signal());
    expect(readFileSync(three.argvFile, 'utf8')).toMatch(/^--wait$/m);
  });

  it('helm test runs with --logs', async () => {
    const { binary, argvFile } = fakeHelm('test');
    await new HelmCli({ binary }).test('rel', 'ns', 30_000, signal());
    expect(readFileSync(argvFile, 'utf8').split('\n').slice(0, 5)).toEqual([
      'test',
      'rel',
      '--namespace',
      'ns',
      '--logs',
    ]);
  });
});

describe('HelmCli errors', () => {
  it.each([
    ['Error: INSTALLATION FAILED: cannot re-use a name that is still in use', HelmErrorKind.nameInUse, false],
    [
      'Error: INSTALLATION FAILED: Kubernetes cluster unreachable: Get "https://x/version": dial tcp 127.0.0.1:1: connect: connection refused',
      HelmErrorKind.connectionRefused,
      true,
    ],
    ['Error: INSTALLATION FAILED: rpc error: transport is closing', HelmErrorKind.transportClosing, true],
    ['Error: INSTALLATION FAILED: timed out waiting for the condition', HelmErrorKind.timedOut, true],
    [
      'Error: INSTALLATION FAILED: YAML parse error on app/templates/x.yaml: error converting YAML to JSON',
      HelmErrorKind.renderError,
      false,
    ],
    [
      'Error: INSTALLATION FAILED: rendered manifests contain an error: unknown field',
      HelmErrorKind.renderError,
      false,
    ],
    ['Error: INSTALLATION FAILED: path "/charts/nope" not found', HelmErrorKind.chartNotFound, false],
    ['Error: INSTALLATION FAILED: no such chart', HelmErrorKind.chartNotFound, false],
    ['Error: uninstall: Release not loaded: rel: release: not found', HelmErrorKind.releaseNotFound, false],
    ['Error: something new', HelmErrorKind.failed, false],
  ])('maps "%s" to %s', async (stderr, kind, retryable) => {
    const { binary } = fakeHelm(`err-${kind}`, { stderr, exitCode: 1 });
    const error = await new HelmCli({ binary })
      .install(
        { chart: 'c', release: 'r', namespace: 'n', valuesFiles: [], set: [], timeoutMs: 1000 },
        signal(),
      )
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(HelmError);
    expect(error).toMatchObject({ kind, code: `helm-${kind}`, retryable });
    expect((error as HelmError).output?.stderr).toContain(stderr);
  });

  it('a helm test failure in stderr wins over "connection refused" in the test pod logs on stdout', () => {
    expect(
      classifyHelmOutput(
        'Error: resource Pod/ns/x-test not ready. status: Failed, message: pod x-test failed',
      ),
    ).toBe(HelmErrorKind.testFailed);
    expect(
      classifyHelmOutput(
        'Error: INSTALLATION FAILED: failed to create resource: the server is currently unable to handle the request (post deployments.apps)',
      ),
    ).toBe(HelmErrorKind.serverError);
    expect(classifyHelmOutput('Error: Internal error occurred: etcdserver: request timed out')).toBe(
      HelmErrorKind.serverError,
    );
  });

  it('a missing binary is binary-missing, not retryable', async () => {
    const error = await new HelmCli({ binary: join(dir, 'missing') })
      .version(signal())
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ kind: HelmErrorKind.binaryMissing, retryable: false });
  });

  it('caps captured output', async () => {
    const binary = join(dir, 'noisy');
    writeFileSync(binary, '#!/bin/sh\nhead -c 300000 /dev/zero | tr "\\0" x\nexit 0\n');
    chmodSync(binary, 0o755);
    const output = await new HelmCli({ binary, maxOutputBytes: 10_000 }).status('r', 'n', signal());
    expect(output.truncated).toBe(true);
    expect(output.stdout.length).toBeLessThan(11_000);
  });
});

describe.runIf(tools.helm && tools.helm3)('HelmCli against the real binaries', () => {
  it('detects helm 4 and helm 3', async () => {
    expect((await new HelmCli({ binary: tools.helm ?? '' }).version(signal())).major).toBe(4);
    expect((await new HelmCli({ binary: tools.helm3 ?? '' }).version(signal())).major).toBe(3);
  });
});
