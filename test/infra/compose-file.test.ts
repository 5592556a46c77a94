import { execFile } from 'node:child_process';
import { access, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { describe, expect, inject, it } from 'vitest';
import { parseDuration } from '../../src/config/duration.ts';
import { loadKubesoakConfig } from '../../src/config/kubesoak-config.ts';

const run = promisify(execFile);
const tools = inject('tools');
const ROOT = new URL('../../', import.meta.url);
const repoPath = (path: string) => fileURLToPath(new URL(path.replace(/^\.\//, ''), ROOT));
const readYaml = async <T>(path: string): Promise<T> => parse(await readFile(repoPath(path), 'utf8')) as T;

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  stop_signal?: string;
  stop_grace_period?: string;
  depends_on?: Record<string, unknown> | string[];
}
interface Compose {
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}
interface PrometheusConfig {
  rule_files: string[];
  scrape_configs: Array<{
    job_name: string;
    static_configs?: Array<{ targets: string[] }>;
    dns_sd_configs?: Array<{ names: string[]; port: number }>;
  }>;
}
interface KubesoakConfigFile {
  scheduler: { listen: string };
  worker: { gracePeriod: string };
  metrics: { host: string; port: number };
  api: { url: string };
}

const compose = await readYaml<Compose>('docker-compose.yml');
const service = (name: string): ComposeService => {
  const found = compose.services[name];
  if (!found) throw new Error(`docker-compose.yml has no service ${name}`);
  return found;
};

/** Splits a short-syntax volume "SOURCE:TARGET[:ro]". */
function mount(spec: string): { source: string; target: string; readOnly: boolean } {
  // The source may be a ${VAR:-default} interpolation, whose ":-" is not a separator.
  const match = /^(\$\{[^}]*\}|[^:]*):([^:]+)(?::(ro|rw))?$/.exec(spec);
  if (!match) throw new Error(`unreadable volume ${spec}`);
  return { source: match[1] ?? '', target: match[2] ?? '', readOnly: match[3] === 'ro' };
}

/** The value following a flag in a command array. */
function flag(command: string[] | undefined, name: string): string | undefined {
  const index = (command ?? []).indexOf(name);
  return index < 0 ? undefined : command?.[index + 1];
}

describe('docker-compose.yml', () => {
  it('parses and runs Redis the way BullMQ needs it', () => {
    const redis = service('redis');
    expect(redis.image).toMatch(/^redis:/);
    expect(redis.command).toEqual(
      expect.arrayContaining(['--appendonly', 'yes', '--maxmemory-policy', 'noeviction']),
    );
  });

  it('has the scheduler, worker, prometheus and grafana services', () => {
    expect(Object.keys(compose.services).sort()).toEqual(
      ['grafana', 'prometheus', 'redis', 'scheduler', 'worker'].sort(),
    );
    expect(service('prometheus').image).toMatch(/^prom\/prometheus:v\d/);
    expect(service('grafana').image).toMatch(/^grafana\/grafana(-oss)?:\d/);
  });

  it('builds scheduler and worker from the repository Dockerfile, with the kubesoak subcommands', async () => {
    for (const name of ['scheduler', 'worker']) {
      const svc = service(name);
      expect(svc.build, name).toEqual({ context: '.', dockerfile: 'Dockerfile' });
      expect(svc.image, name).toBe('kubesoak:local');
      await access(repoPath(svc.build?.dockerfile ?? ''));
      expect(svc.depends_on, name).toMatchObject({ redis: { condition: 'service_healthy' } });
    }
    expect(service('scheduler').command?.[0]).toBe('scheduler');
    expect(service('worker').command?.[0]).toBe('worker');
    expect(Number(flag(service('worker').command, '--concurrency'))).toBeGreaterThanOrEqual(1);
  });

  it('mounts only paths that exist in the repository, read-only, plus named volumes it declares', async () => {
    for (const [name, svc] of Object.entries(compose.services)) {
      for (const spec of svc.volumes ?? []) {
        const { source, target, readOnly } = mount(spec);
        if (source.startsWith('./')) {
          await expect(access(repoPath(source)), `${name}: ${source}`).resolves.toBeUndefined();
          expect(readOnly, `${name}: ${spec} is read-only`).toBe(true);
        } else if (source.startsWith('${')) {
          // Only the kubeconfig comes from the host, and the container's KUBECONFIG names it.
          expect(source, name).toBe('${KUBESOAK_KUBECONFIG:-~/.kube/config}');
          expect(svc.environment?.KUBECONFIG, name).toBe(target);
          expect(readOnly, name).toBe(true);
        } else {
          expect(Object.keys(compose.volumes ?? {}), `${name}: named volume ${source}`).toContain(source);
        }
      }
    }
  });

  it('gives scheduler and worker the Redis service, the kubeconfig and a mounted --config file', () => {
    for (const name of ['scheduler', 'worker']) {
      const svc = service(name);
      const redisUrl = new URL(svc.environment?.REDIS_URL ?? '');
      expect(redisUrl.protocol).toBe('redis:');
      expect(compose.services[redisUrl.hostname], `${name}: REDIS_URL host is a service`).toBeDefined();
      expect(redisUrl.port).toBe('6379');
      expect(svc.environment?.KUBECONFIG, `${name}: KUBECONFIG`).toBe('/etc/kubesoak/kubeconfig');
      const configPath = flag(svc.command, '--config');
      const configMount = (svc.volumes ?? []).map(mount).find((m) => m.target === configPath);
      expect(configMount?.source, `${name}: --config ${configPath} is mounted`).toBe(
        './deploy/compose/kubesoak.yaml',
      );
    }
  });

  it('mounts a config file kubesoak loads, with the REDIS_URL compose sets', async () => {
    const redisUrl = service('worker').environment?.REDIS_URL;
    const config = await loadKubesoakConfig({
      file: repoPath('deploy/compose/kubesoak.yaml'),
      env: { REDIS_URL: redisUrl },
    });
    expect(config.redis.url).toBe('redis://redis:6379');
    expect(config.scheduler.listen).toEqual({ host: '0.0.0.0', port: 8080 });
    expect(config.metrics).toEqual({ host: '0.0.0.0', port: 9464 });
    expect(config.apiUrl).toBe('http://scheduler:8080');
  });

  it('keeps ports, listen addresses, scrape targets and the config file consistent', async () => {
    const config = await readYaml<KubesoakConfigFile>('deploy/compose/kubesoak.yaml');
    const scheduler = service('scheduler');
    const listen = flag(scheduler.command, '--listen');
    expect(listen).toBe(config.scheduler.listen);
    const apiPort = listen?.split(':')[1];
    expect(scheduler.ports).toContain(`127.0.0.1:${apiPort}:${apiPort}`);
    expect(config.api.url).toBe(`http://scheduler:${apiPort}`);
    expect(config.metrics.host).toBe('0.0.0.0');

    const prometheus = await readYaml<PrometheusConfig>('deploy/prometheus/prometheus.yml');
    const jobs = new Map(prometheus.scrape_configs.map((job) => [job.job_name, job]));
    expect(jobs.get('kubesoak-scheduler')?.static_configs?.[0]?.targets).toEqual([
      `scheduler:${config.metrics.port}`,
    ]);
    expect(jobs.get('kubesoak-worker')?.dns_sd_configs?.[0]).toMatchObject({
      names: ['worker'],
      port: config.metrics.port,
    });
    // The job names the alert rules select on must be the ones scraped.
    const rules = await readFile(repoPath('deploy/prometheus/rules.yml'), 'utf8');
    for (const [, job] of rules.matchAll(/job="([^"]+)"/g)) expect([...jobs.keys()]).toContain(job);
    const promPorts = service('prometheus').ports ?? [];
    expect(promPorts).toContain('127.0.0.1:9090:9090');
  });

  it('lets a worker drain on stop: stop_grace_period above the worker grace period', async () => {
    const config = await readYaml<KubesoakConfigFile>('deploy/compose/kubesoak.yaml');
    const worker = service('worker');
    expect(worker.stop_signal ?? 'SIGTERM').toBe('SIGTERM');
    expect(parseDuration(worker.stop_grace_period ?? '10s')).toBeGreaterThan(
      parseDuration(config.worker.gracePeriod),
    );
  });

  it('runs Prometheus on deploy/prometheus with enough retention for the 8-day rule windows', async () => {
    const prom = service('prometheus');
    const dir = (prom.volumes ?? []).map(mount).find((m) => m.target === '/etc/prometheus');
    expect(dir?.source).toBe('./deploy/prometheus');
    expect(prom.command).toContain('--config.file=/etc/prometheus/prometheus.yml');
    const prometheus = await readYaml<PrometheusConfig>('deploy/prometheus/prometheus.yml');
    for (const file of prometheus.rule_files) await access(repoPath(`deploy/prometheus/${file}`));
    expect(prometheus.rule_files).toContain('rules.yml');
    const retention = prom.command
      ?.find((arg) => arg.startsWith('--storage.tsdb.retention.time='))
      ?.split('=')[1];
    expect(parseDuration(retention ?? '15d')).toBeGreaterThanOrEqual(parseDuration('8d'));
  });

  it('provisions Grafana with the Prometheus service and the generated dashboards', async () => {
    const grafana = service('grafana');
    const mounts = (grafana.volumes ?? []).map(mount);
    const provider = await readYaml<{ providers: Array<{ options: { path: string } }> }>(
      'grafana/provisioning/dashboards/kubesoak.yml',
    );
    expect(mounts).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          source: './grafana/provisioning/datasources',
          target: '/etc/grafana/provisioning/datasources',
        }),
        expect.objectContaining({
          source: './grafana/provisioning/dashboards',
          target: '/etc/grafana/provisioning/dashboards',
        }),
        expect.objectContaining({
          source: './grafana/dashboards',
          target: provider.providers[0]?.options.path,
        }),
      ]),
    );
    const datasource = await readFile(
      repoPath('grafana/provisioning/datasources/kubesoak-prometheus.yml'),
      'utf8',
    );
    expect(datasource).toContain('${KUBESOAK_PROMETHEUS_URL');
    const url = new URL(grafana.environment?.KUBESOAK_PROMETHEUS_URL ?? '');
    expect(compose.services[url.hostname]).toBe(service('prometheus'));
    expect(service('prometheus').ports).toContain(`127.0.0.1:${url.port}:${url.port}`);
  });
});

describe('Dockerfile', () => {
  it('builds on node:24-slim with npm ci, npm run build and the pinned helm/kubectl on PATH', async () => {
    const dockerfile = await readFile(repoPath('Dockerfile'), 'utf8');
    const froms = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((match) => match[1]);
    expect(froms.length).toBeGreaterThan(0);
    for (const from of froms) expect(from).toBe('node:24-slim');
    expect(dockerfile).toMatch(/^RUN npm ci$/m);
    expect(dockerfile).toMatch(/^RUN npm run build$/m);
    expect(dockerfile).toMatch(/bin\/kubesoak\.js tools/);
    expect(dockerfile).toMatch(/COPY --from=build \/out\/ \/usr\/local\/bin\//);
    // tini forwards SIGTERM to kubesoak (the worker drains) and reaps helm's processes.
    expect(dockerfile).toMatch(
      /^ENTRYPOINT \["\/usr\/bin\/tini", "--", "node", "\/app\/bin\/kubesoak\.js"\]$/m,
    );
    expect(dockerfile).toMatch(/apt-get install -y --no-install-recommends ca-certificates tini/);
    // The chart runs the pods as uid 1000: the image's user must be that one ("node").
    expect(dockerfile).toMatch(/^USER node$/m);
    const ignore = (await readFile(repoPath('.dockerignore'), 'utf8')).split('\n');
    expect(ignore).toEqual(expect.arrayContaining(['node_modules', 'dist', '.git']));
  });
});

describe.runIf(tools.promtool)('deploy/prometheus/prometheus.yml', () => {
  it('passes promtool check config, rules included', async () => {
    const { stdout } = await run(tools.promtool ?? '', [
      'check',
      'config',
      repoPath('deploy/prometheus/prometheus.yml'),
    ]);
    expect(stdout).toMatch(/SUCCESS: .*prometheus\.yml is valid prometheus config file syntax/);
    expect(stdout).toMatch(/SUCCESS: \d+ rules found/);
  });
});
