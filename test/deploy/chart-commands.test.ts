import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startSimCluster } from '../../src/sim/sim-cluster.ts';
import type { SimCluster } from '../../src/sim/sim-cluster.ts';
import { waitFor } from '../runs/runs-test-support.ts';
import { REDIS_SECRET_VALUES, find, helmTemplate } from './chart-support.ts';
import type { Manifest } from './chart-support.ts';

const tools = inject('tools');
const redisUrl = inject('redisUrl');
const BIN = fileURLToPath(new URL('../../bin/kubesoak.js', import.meta.url));
const CHART = fileURLToPath(new URL('../fixtures/charts/sim-light', import.meta.url));

interface Container {
  args: string[];
  env: Array<{ name: string; value?: string }>;
  volumeMounts: Array<{ name: string; mountPath: string }>;
}

/** A kubesoak process started with a pod's command line, and the JSON log lines it wrote. */
interface ServiceProcess {
  child: ChildProcess;
  logs: Array<Record<string, unknown>>;
  exited: Promise<number | null>;
}

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * The scheduler and worker started with exactly the command lines, environment and files the
 * chart renders, against the suite's Redis and the simulated cluster: the chart's wiring runs a
 * real soak run end to end. What a pod gets from the kubelet is played by the test: every volume
 * mount is a directory under a temp dir (paths in args and env follow), the ServiceAccount token
 * is a file there, and the in-cluster kubeconfig's server is the simulated API server (plain
 * HTTP, so insecure-skip-tls-verify instead of the CA). Only the listen and metrics ports move to
 * free ones.
 */
describe.runIf(tools.helm && redisUrl)('the chart’s scheduler and worker command lines', () => {
  const prefix = `kt-deploy-${randomUUID().slice(0, 8)}`;
  let dir = '';
  let cluster: SimCluster;
  let manifests: Manifest[] = [];
  const processes: ServiceProcess[] = [];
  const hostPath = (mountPath: string) => join(dir, 'mounts', mountPath);

  function start(name: 'scheduler' | 'worker', extra: string[]): ServiceProcess {
    const container = (
      find(manifests, 'Deployment', `-${name}`).spec as {
        template: { spec: { containers: Container[] } };
      }
    ).template.spec.containers[0] as Container;
    const relocate = (text: string) => {
      const mount = container.volumeMounts.find((m) => text.startsWith(`${m.mountPath}/`));
      return mount ? hostPath(mount.mountPath) + text.slice(mount.mountPath.length) : text;
    };
    const env: Record<string, string> = {
      PATH: [dirname(tools.helm ?? ''), process.env.PATH].join(delimiter),
      // The Secret the chart names holds the suite's Redis URL.
      REDIS_URL: redisUrl ?? '',
    };
    for (const variable of container.env) {
      if (variable.value !== undefined) env[variable.name] = relocate(variable.value);
    }
    const child = spawn(process.execPath, [BIN, ...container.args.map(relocate), ...extra], {
      env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const logs: Array<Record<string, unknown>> = [];
    createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', (line) => {
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        logs.push({ msg: line });
      }
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const service = { child, logs, exited };
    processes.push(service);
    return service;
  }

  const ready = (service: ServiceProcess, message: string) =>
    waitFor(`${message} in the logs`, () =>
      Promise.resolve(service.logs.find((line) => line.msg === message)),
    );

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kubesoak-chart-commands-'));
    cluster = await startSimCluster({ timeScale: 0.01, nodes: 3, seed: 5 });
    manifests = await helmTemplate(tools.helm ?? '', [
      ...REDIS_SECRET_VALUES,
      '--set',
      `config.redis.prefix=${prefix},worker.concurrency=2`,
    ]);
    const worker = (
      find(manifests, 'Deployment', '-worker').spec as { template: { spec: { containers: Container[] } } }
    ).template.spec.containers[0] as Container;
    for (const mount of worker.volumeMounts) await mkdir(hostPath(mount.mountPath), { recursive: true });
    const configDir = hostPath(worker.volumeMounts.find((m) => m.name === 'config')?.mountPath ?? '');
    const serviceAccount = join(dir, 'serviceaccount');
    await mkdir(serviceAccount);
    await writeFile(join(serviceAccount, 'token'), 'sim-accepts-any-token');
    for (const [key, text] of Object.entries(find(manifests, 'ConfigMap').data as Record<string, string>)) {
      const content =
        key === 'kubeconfig'
          ? text
              .replaceAll(SERVICE_ACCOUNT_DIR, serviceAccount)
              .replace(/server: \S+/, `server: ${cluster.url}`)
              .replace(/certificate-authority: \S+/, 'insecure-skip-tls-verify: true')
          : text;
      await writeFile(join(configDir, key), content);
    }
  });

  afterAll(async () => {
    for (const service of processes) {
      if (service.child.exitCode === null && service.child.signalCode === null) service.child.kill('SIGKILL');
      await service.exited;
    }
    await cluster?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('run a soak run of the fixture chart through the in-cluster kubeconfig, and exit 0 on SIGTERM', async () => {
    const scheduler = start('scheduler', ['--listen', '127.0.0.1:0', '--metrics-port', '0']);
    const worker = start('worker', ['--metrics-port', '0']);
    const schedulerReady = await ready(scheduler, 'scheduler ready');
    await ready(worker, 'iteration worker started');
    expect(worker.logs.find((line) => line.msg === 'iteration worker started')).toMatchObject({
      concurrency: 2,
    });
    // The janitor runs: the scheduler found the cluster through the chart's kubeconfig.
    expect(schedulerReady).toMatchObject({ janitor: true });
    const api = String(schedulerReady.api);

    const submitted = await fetch(`${api}/v1/runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ chart: { ref: CHART }, iterations: 2, parallel: 2, submitter: 'test/deploy' }),
    });
    expect(submitted.status).toBe(201);
    const run = (await submitted.json()) as { id: string };
    const done = await waitFor(
      'the run to complete',
      async () => {
        const status = (await (await fetch(`${api}/v1/runs/${run.id}`)).json()) as {
          state: string;
          counts: Record<string, number>;
        };
        return status.state === 'completed' ? status : undefined;
      },
      45_000,
    );
    expect(done.counts).toEqual({ passed: 2, failed: 0, error: 0 });

    for (const service of [worker, scheduler]) service.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    expect(await scheduler.exited).toBe(0);
  });
});
