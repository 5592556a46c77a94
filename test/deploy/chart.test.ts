import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseDuration } from '../../src/config/duration.ts';
import { loadKubesoakConfig } from '../../src/config/kubesoak-config.ts';
import { runTool } from '../support/cli-runner.ts';
import {
  CHART_DIR,
  CHART_RULES_FILE,
  REDIS_SECRET_VALUES,
  RULES_FILE,
  find,
  helmRender,
  helmTemplate,
  parseManifests,
  readRuleGroups,
} from './chart-support.ts';
import type { Manifest, RuleGroup } from './chart-support.ts';

const run = promisify(execFile);
const tools = inject('tools');

interface Container {
  name: string;
  args: string[];
  env: Array<{ name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }>;
  ports: Array<{ name: string; containerPort: number }>;
  volumeMounts: Array<{ name: string; mountPath: string }>;
}
interface PodSpec {
  serviceAccountName: string;
  terminationGracePeriodSeconds?: number;
  containers: Container[];
  volumes: Array<{ name: string; configMap?: { name: string }; secret?: { secretName: string } }>;
}
interface DeploymentSpec {
  replicas: number;
  selector: { matchLabels: Record<string, string> };
  template: { metadata: { labels: Record<string, string> }; spec: PodSpec };
}
interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

const spec = <T>(manifest: Manifest): T => manifest.spec as T;
const container = (deployment: Manifest): Container => {
  const first = spec<DeploymentSpec>(deployment).template.spec.containers[0];
  if (!first) throw new Error(`${deployment.metadata.name} has no container`);
  return first;
};
const flag = (args: string[], name: string) => args[args.indexOf(name) + 1];

/** The kubesoak config file as the pods read it: the ConfigMap key their --config flag names. */
function configFileOf(manifests: Manifest[], deployment: Manifest): Record<string, Record<string, unknown>> {
  const c = container(deployment);
  const path = flag(c.args, '--config') ?? '';
  const mount = c.volumeMounts.find((m) => path.startsWith(`${m.mountPath}/`));
  const volume = spec<DeploymentSpec>(deployment).template.spec.volumes.find((v) => v.name === mount?.name);
  const configMap = manifests.find(
    (m) => m.kind === 'ConfigMap' && m.metadata.name === volume?.configMap?.name,
  );
  const key = path.slice((mount?.mountPath.length ?? 0) + 1);
  const text = (configMap?.data as Record<string, string> | undefined)?.[key];
  if (text === undefined) throw new Error(`--config ${path} is not a key of a mounted ConfigMap`);
  return parse(text) as Record<string, Record<string, unknown>>;
}

/** Which verbs the ClusterRole grants on group/resource. */
function verbsFor(rules: PolicyRule[], group: string, resource: string): Set<string> {
  return new Set(
    rules
      .filter((rule) => rule.apiGroups.includes(group) && rule.resources.includes(resource))
      .flatMap((rule) => rule.verbs),
  );
}

describe.runIf(tools.helm)('deploy/chart/kubesoak with the real helm', () => {
  const helm = tools.helm ?? '';
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kubesoak-chart-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('passes helm lint --strict (helm 4 and 3), with the defaults and with every optional part on', async () => {
    for (const [binary, extra] of [
      [],
      [
        '--set',
        'prometheusRule.enabled=true,metrics.serviceMonitor.enabled=true,metrics.podMonitor.enabled=true',
        '--set',
        'kubeconfig.existingSecret=soak-kubeconfig,rbac.clusterAdmin=true',
      ],
    ].flatMap((extra) => [helm, tools.helm3].filter((b) => b !== null).map((b) => [b, extra] as const))) {
      const result = await runTool(binary, ['lint', '--strict', CHART_DIR, ...REDIS_SECRET_VALUES, ...extra]);
      expect(`${binary}: ${result.code}\n${result.stdout}${result.stderr}`).toMatch(
        /: 0\n[\s\S]*1 chart\(s\) linted, 0 chart\(s\) failed/,
      );
    }
  });

  it('refuses to render without a Redis URL source, naming the values to set', async () => {
    const result = await helmRender(helm, []);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/set redis\.existingSecret .* or redis\.url/);
  });

  it('renders the scheduler and worker Deployments, their Services, the ConfigMap and RBAC', async () => {
    const manifests = await helmTemplate(helm, [...REDIS_SECRET_VALUES]);
    expect(manifests.map((m) => `${m.kind}/${m.metadata.name}`).sort()).toEqual(
      [
        'ClusterRole/soak-kubesoak',
        'ClusterRoleBinding/soak-kubesoak',
        'ConfigMap/soak-kubesoak-config',
        'Deployment/soak-kubesoak-scheduler',
        'Deployment/soak-kubesoak-worker',
        'Service/soak-kubesoak-scheduler',
        'Service/soak-kubesoak-worker',
        'ServiceAccount/soak-kubesoak',
      ].sort(),
    );
    for (const name of ['scheduler', 'worker']) {
      const deployment = find(manifests, 'Deployment', `-${name}`);
      const pod = spec<DeploymentSpec>(deployment).template;
      // The selector must select the pod template, and Services must select the pods.
      expect(pod.metadata.labels).toMatchObject(spec<DeploymentSpec>(deployment).selector.matchLabels);
      const service = find(manifests, 'Service', `-${name}`);
      expect(pod.metadata.labels).toMatchObject(spec<{ selector: Record<string, string> }>(service).selector);
      expect(pod.spec.serviceAccountName).toBe('soak-kubesoak');
    }
  });

  it('runs `kubesoak scheduler --listen 0.0.0.0:8080` behind a Service for the API and metrics', async () => {
    const manifests = await helmTemplate(helm, [...REDIS_SECRET_VALUES]);
    const scheduler = find(manifests, 'Deployment', '-scheduler');
    const c = container(scheduler);
    expect(c.args[0]).toBe('scheduler');
    expect(flag(c.args, '--listen')).toBe('0.0.0.0:8080');
    expect(c.ports).toEqual([
      { name: 'http', containerPort: 8080 },
      { name: 'metrics', containerPort: 9464 },
    ]);
    const config = configFileOf(manifests, scheduler);
    expect(config.scheduler?.listen).toBe('0.0.0.0:8080');
    expect(config.metrics).toEqual({ host: '0.0.0.0', port: 9464 });
    expect(config.api?.url).toBe('http://soak-kubesoak-scheduler:8080');
    const service = spec<{ ports: Array<{ name: string; port: number; targetPort: string }> }>(
      find(manifests, 'Service', '-scheduler'),
    );
    expect(service.ports).toEqual([
      { name: 'http', port: 8080, targetPort: 'http' },
      { name: 'metrics', port: 9464, targetPort: 'metrics' },
    ]);
  });

  it('runs `kubesoak worker --concurrency C` with a termination grace period above its drain grace period', async () => {
    const manifests = await helmTemplate(helm, [
      ...REDIS_SECRET_VALUES,
      '--set',
      'worker.replicas=5,worker.concurrency=7,worker.gracePeriodSeconds=900',
    ]);
    const worker = find(manifests, 'Deployment', '-worker');
    expect(spec<DeploymentSpec>(worker).replicas).toBe(5);
    const c = container(worker);
    expect(c.args[0]).toBe('worker');
    expect(flag(c.args, '--concurrency')).toBe('7');
    const gracePeriodMs = parseDuration(String(configFileOf(manifests, worker).worker?.gracePeriod));
    expect(gracePeriodMs).toBe(900_000);
    const termination = spec<DeploymentSpec>(worker).template.spec.terminationGracePeriodSeconds ?? 30;
    expect(termination * 1000).toBeGreaterThan(gracePeriodMs);
  });

  it('passes the config file to every process with --config and keeps the user config in it', async () => {
    const redis = { prefix: '{kubesoak}', cluster: ['redis-0:6379', 'redis-1:6379'], options: { tls: {} } };
    const values = join(dir, 'config-values.yaml');
    await writeFile(
      values,
      stringify({
        config: {
          redis,
          scheduler: { maxIterations: 500, retentionMaxAge: '7d' },
          worker: { lockDuration: '2m' },
        },
      }),
    );
    const manifests = await helmTemplate(helm, [...REDIS_SECRET_VALUES, '-f', values]);
    for (const name of ['scheduler', 'worker']) {
      const deployment = find(manifests, 'Deployment', `-${name}`);
      expect(container(deployment).args.slice(0, 3)).toEqual([
        name,
        '--config',
        '/etc/kubesoak/config/kubesoak.yaml',
      ]);
      const config = configFileOf(manifests, deployment);
      expect(config.scheduler).toEqual({ maxIterations: 500, retentionMaxAge: '7d', listen: '0.0.0.0:8080' });
      expect(config.worker).toEqual({ lockDuration: '2m', gracePeriod: '300s' });
      expect(config.redis).toEqual(redis);
    }
  });

  it('renders a config file kubesoak loads: listen, metrics, API URL and grace period as the pods expect', async () => {
    const manifests = await helmTemplate(helm, [
      ...REDIS_SECRET_VALUES,
      '--set',
      'scheduler.port=8181,metrics.port=9999,worker.gracePeriodSeconds=120',
      '--set',
      'config.scheduler.maxIterations=500,config.worker.lockDuration=2m',
    ]);
    const text = (find(manifests, 'ConfigMap').data as Record<string, string>)['kubesoak.yaml'] ?? '';
    const file = join(dir, 'kubesoak.yaml');
    await writeFile(file, text);
    const url = 'redis://:pw@redis.kubesoak:6379';
    const config = await loadKubesoakConfig({ file, env: { REDIS_URL: url } });
    expect(config.redis).toMatchObject({ url, prefix: 'kubesoak' });
    expect(config.scheduler.listen).toEqual({ host: '0.0.0.0', port: 8181 });
    expect(config.scheduler.options).toMatchObject({ maxIterations: 500 });
    expect(config.metrics).toEqual({ host: '0.0.0.0', port: 9999 });
    expect(config.apiUrl).toBe('http://soak-kubesoak-scheduler:8080');
    expect(parseDuration(String(config.worker.options.gracePeriod))).toBe(120_000);
    expect(config.worker.options).toMatchObject({ lockDuration: '2m' });
    const scheduler = container(find(manifests, 'Deployment', '-scheduler'));
    expect(flag(scheduler.args, '--listen')).toBe('0.0.0.0:8181');
    expect(scheduler.ports.map((p) => p.containerPort)).toEqual([8181, 9999]);
    const worker = find(manifests, 'Deployment', '-worker');
    expect(container(worker).ports.map((p) => p.containerPort)).toEqual([9999]);
    expect(
      (spec<DeploymentSpec>(worker).template.spec.terminationGracePeriodSeconds ?? 0) * 1000,
    ).toBeGreaterThan(120_000);
  });

  it('refuses config keys the chart owns, and a Redis URL in the ConfigMap', async () => {
    for (const [setting, message] of [
      ['config.redis.url=redis://r:6379', /config\.redis\.url would put the Redis URL/],
      ['config.worker.gracePeriod=1m', /set worker\.gracePeriodSeconds instead/],
      ['config.scheduler.listen=0.0.0.0:1', /set by the chart/],
    ] as const) {
      const result = await helmRender(helm, [...REDIS_SECRET_VALUES, '--set', setting]);
      expect(result.code, setting).not.toBe(0);
      expect(result.stderr, setting).toMatch(message);
    }
  });

  it('reads REDIS_URL from a Secret and never renders the URL in clear', async () => {
    const existing = await helmTemplate(helm, [
      '--set',
      'redis.existingSecret=mine,redis.existingSecretKey=url',
    ]);
    expect(existing.filter((m) => m.kind === 'Secret')).toEqual([]);
    for (const name of ['scheduler', 'worker']) {
      const env = container(find(existing, 'Deployment', `-${name}`)).env;
      expect(env.find((e) => e.name === 'REDIS_URL')).toEqual({
        name: 'REDIS_URL',
        valueFrom: { secretKeyRef: { name: 'mine', key: 'url' } },
      });
    }

    const url = 'rediss://kubesoak:s3cr3t-pw@redis.example:6380/2';
    const result = await helmRender(helm, ['--set', `redis.url=${url}`]);
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain('s3cr3t-pw');
    expect(result.stdout).not.toContain('redis.example');
    const manifests = parseManifests(result.stdout);
    const secret = find(manifests, 'Secret');
    expect(Buffer.from((secret.data as Record<string, string>)['redis-url'] ?? '', 'base64').toString()).toBe(
      url,
    );
    for (const name of ['scheduler', 'worker']) {
      const env = container(find(manifests, 'Deployment', `-${name}`)).env;
      expect(env.find((e) => e.name === 'REDIS_URL')?.valueFrom?.secretKeyRef).toEqual({
        name: secret.metadata.name,
        key: 'redis-url',
      });
    }
    const notes = await readFile(join(CHART_DIR, 'templates/NOTES.txt'), 'utf8');
    expect(notes).not.toMatch(/redis\.url/);
  });

  it('points KUBECONFIG at a ServiceAccount kubeconfig by default, or at a mounted kubeconfig Secret', async () => {
    // kubesoak passes its context name to helm as --kube-context: without a file, client-node's
    // in-cluster fallback names it "inClusterContext", and helm refuses a context it cannot find.
    const refused = await runTool(helm, ['list', '--kube-context', 'inClusterContext'], {
      env: { KUBECONFIG: join(dir, 'absent-kubeconfig') },
    });
    expect(refused.stderr).toContain('context "inClusterContext" does not exist');

    const plain = await helmTemplate(helm, [...REDIS_SECRET_VALUES]);
    const configMap = find(plain, 'ConfigMap');
    for (const name of ['scheduler', 'worker']) {
      const deployment = find(plain, 'Deployment', `-${name}`);
      const c = container(deployment);
      const path = c.env.find((e) => e.name === 'KUBECONFIG')?.value ?? '';
      const mount = c.volumeMounts.find((m) => path.startsWith(`${m.mountPath}/`));
      const volume = spec<DeploymentSpec>(deployment).template.spec.volumes.find(
        (v) => v.name === mount?.name,
      );
      expect(volume?.configMap?.name).toBe(configMap.metadata.name);
      const key = path.slice((mount?.mountPath.length ?? 0) + 1);
      const kubeconfig = parse((configMap.data as Record<string, string>)[key] ?? '') as {
        'current-context': string;
        clusters: Array<{ cluster: Record<string, string> }>;
        users: Array<{ name: string; user: Record<string, string> }>;
        contexts: Array<{ name: string; context: Record<string, string> }>;
      };
      expect(kubeconfig.contexts).toEqual([
        {
          name: kubeconfig['current-context'],
          context: { cluster: 'in-cluster', user: 'soak-kubesoak', namespace: 'kubesoak' },
        },
      ]);
      expect(kubeconfig.clusters[0]?.cluster).toEqual({
        server: 'https://kubernetes.default.svc',
        'certificate-authority': '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt',
      });
      // tokenFile for client-go (helm, kubectl), token-file for client-node.
      expect(kubeconfig.users[0]?.user).toEqual({
        tokenFile: '/var/run/secrets/kubernetes.io/serviceaccount/token',
        'token-file': '/var/run/secrets/kubernetes.io/serviceaccount/token',
      });
    }
    // kubectl, as helm's client-go, reads it and finds the context and the token file.
    const file = join(dir, 'in-cluster-kubeconfig');
    await writeFile(file, (configMap.data as Record<string, string>).kubeconfig ?? '');
    if (tools.kubectl) {
      const view = await runTool(tools.kubectl, [
        'config',
        'view',
        '--minify',
        '-o',
        'json',
        '--kubeconfig',
        file,
      ]);
      expect(view.code, view.stderr).toBe(0);
      expect(JSON.parse(view.stdout)).toMatchObject({
        'current-context': 'in-cluster',
        users: [{ user: { tokenFile: '/var/run/secrets/kubernetes.io/serviceaccount/token' } }],
      });
    }

    const manifests = await helmTemplate(helm, [
      ...REDIS_SECRET_VALUES,
      '--set',
      'kubeconfig.existingSecret=target',
    ]);
    expect(Object.keys(find(manifests, 'ConfigMap').data as object)).toEqual(['kubesoak.yaml']);
    for (const name of ['scheduler', 'worker']) {
      const deployment = find(manifests, 'Deployment', `-${name}`);
      const c = container(deployment);
      const path = c.env.find((e) => e.name === 'KUBECONFIG')?.value ?? '';
      const mount = c.volumeMounts.find((m) => path.startsWith(`${m.mountPath}/`));
      const volume = spec<DeploymentSpec>(deployment).template.spec.volumes.find(
        (v) => v.name === mount?.name,
      );
      expect(volume?.secret?.secretName).toBe('target');
      expect(path).toBe(`${mount?.mountPath}/config`);
    }
  });

  it('grants the iteration engine what it uses, plus extra rules, or cluster-admin when asked', async () => {
    const manifests = await helmTemplate(helm, [
      ...REDIS_SECRET_VALUES,
      '--set',
      'rbac.extraRules[0].apiGroups[0]=example.com,rbac.extraRules[0].resources[0]=widgets,rbac.extraRules[0].verbs[0]=*',
    ]);
    const rules = (find(manifests, 'ClusterRole').rules ?? []) as PolicyRule[];
    const write = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];
    expect([...verbsFor(rules, '', 'namespaces')]).toEqual(expect.arrayContaining(write));
    expect([...verbsFor(rules, '', 'pods/log')]).toContain('get');
    expect([...verbsFor(rules, '', 'events')]).toEqual(expect.arrayContaining(['list', 'watch']));
    expect([...verbsFor(rules, '', 'nodes')]).toEqual(expect.arrayContaining(['get', 'list', 'watch']));
    // The namespaced kinds the fixture and example charts install, and the teardown check lists.
    const kinds: Array<[string, string]> = [
      ['', 'pods'],
      ['', 'services'],
      ['', 'endpoints'],
      ['', 'configmaps'],
      ['', 'secrets'],
      ['', 'serviceaccounts'],
      ['', 'persistentvolumeclaims'],
      ['', 'resourcequotas'],
      ['', 'limitranges'],
      ['apps', 'deployments'],
      ['apps', 'replicasets'],
      ['apps', 'statefulsets'],
      ['apps', 'daemonsets'],
      ['batch', 'jobs'],
      ['batch', 'cronjobs'],
      ['networking.k8s.io', 'ingresses'],
      ['networking.k8s.io', 'networkpolicies'],
      ['policy', 'poddisruptionbudgets'],
      ['autoscaling', 'horizontalpodautoscalers'],
      ['rbac.authorization.k8s.io', 'roles'],
      ['rbac.authorization.k8s.io', 'rolebindings'],
    ];
    for (const [group, resource] of kinds) {
      expect([...verbsFor(rules, group, resource)], `${group}/${resource}`).toEqual(
        expect.arrayContaining(write),
      );
    }
    for (const resource of ['clusterroles', 'clusterrolebindings']) {
      expect([...verbsFor(rules, 'rbac.authorization.k8s.io', resource)]).toEqual(
        expect.arrayContaining(['get', 'list']),
      );
    }
    expect(rules.at(-1)).toEqual({ apiGroups: ['example.com'], resources: ['widgets'], verbs: ['*'] });
    const binding = find(manifests, 'ClusterRoleBinding');
    expect(binding.roleRef).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
      name: find(manifests, 'ClusterRole').metadata.name,
    });
    expect(binding.subjects).toEqual([
      { kind: 'ServiceAccount', name: 'soak-kubesoak', namespace: 'kubesoak' },
    ]);

    const admin = await helmTemplate(helm, [...REDIS_SECRET_VALUES, '--set', 'rbac.clusterAdmin=true']);
    expect(admin.filter((m) => m.kind === 'ClusterRole')).toEqual([]);
    expect(find(admin, 'ClusterRoleBinding').roleRef).toMatchObject({ name: 'cluster-admin' });
  });

  it('scrapes with ServiceMonitor or PodMonitor under the job names the alert rules select', async () => {
    const manifests = await helmTemplate(helm, [
      ...REDIS_SECRET_VALUES,
      '--set',
      'metrics.serviceMonitor.enabled=true,metrics.podMonitor.enabled=true',
      '--set',
      'metrics.serviceMonitor.labels.release=prom',
    ]);
    const rulesText = await readFile(RULES_FILE, 'utf8');
    const ruleJobs = new Set([...rulesText.matchAll(/job="([^"]+)"/g)].map((match) => match[1]));
    expect(ruleJobs).toEqual(new Set(['kubesoak-worker']));
    const jobs = new Set<string>();
    for (const name of ['scheduler', 'worker']) {
      const service = find(manifests, 'Service', `-${name}`);
      const pod = spec<DeploymentSpec>(find(manifests, 'Deployment', `-${name}`)).template;
      const serviceMonitor = find(manifests, 'ServiceMonitor', `-${name}`);
      const podMonitor = find(manifests, 'PodMonitor', `-${name}`);
      expect(serviceMonitor.metadata.labels?.release).toBe('prom');
      const sm = spec<{
        jobLabel: string;
        selector: { matchLabels: Record<string, string> };
        endpoints: Array<{ port: string }>;
      }>(serviceMonitor);
      const pm = spec<{
        jobLabel: string;
        selector: { matchLabels: Record<string, string> };
        podMetricsEndpoints: Array<{ port: string }>;
      }>(podMonitor);
      expect(service.metadata.labels).toMatchObject(sm.selector.matchLabels);
      expect(pod.metadata.labels).toMatchObject(pm.selector.matchLabels);
      // prometheus-operator takes job from the value of the jobLabel label of the Service / pod.
      const serviceJob = service.metadata.labels?.[sm.jobLabel];
      expect(pod.metadata.labels[pm.jobLabel]).toBe(serviceJob);
      jobs.add(serviceJob ?? '');
      const servicePorts = spec<{ ports: Array<{ name: string }> }>(service).ports.map((p) => p.name);
      expect(servicePorts).toContain(sm.endpoints[0]?.port);
      expect(pod.spec.containers[0]?.ports.map((p) => p.name)).toContain(pm.podMetricsEndpoints[0]?.port);
    }
    expect(jobs).toEqual(new Set(['kubesoak-scheduler', 'kubesoak-worker']));
    for (const job of ruleJobs) expect(jobs.has(job ?? '')).toBe(true);
  });

  it('keeps files/rules.yml an exact copy of deploy/prometheus/rules.yml (npm run rules:sync)', async () => {
    const [source, copy] = await Promise.all([
      readFile(RULES_FILE, 'utf8'),
      readFile(CHART_RULES_FILE, 'utf8'),
    ]);
    expect(copy, 'deploy/chart/kubesoak/files/rules.yml drifted: run `npm run rules:sync`').toBe(source);
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts['rules:sync']).toBe(
      'cp deploy/prometheus/rules.yml deploy/chart/kubesoak/files/rules.yml',
    );
  });

  describe('PrometheusRule', () => {
    let groups: RuleGroup[] = [];
    let rule: Manifest;
    beforeAll(async () => {
      const manifests = await helmTemplate(helm, [
        ...REDIS_SECRET_VALUES,
        '--set',
        'prometheusRule.enabled=true,prometheusRule.labels.release=kube-prometheus-stack',
      ]);
      rule = find(manifests, 'PrometheusRule');
      groups = spec<{ groups: RuleGroup[] }>(rule).groups;
    });

    it('is off by default: its kind needs the prometheus-operator CRDs', async () => {
      const manifests = await helmTemplate(helm, [...REDIS_SECRET_VALUES]);
      expect(manifests.map((m) => m.kind)).not.toContain('PrometheusRule');
    });

    it('renders exactly the groups of deploy/prometheus/rules.yml, with the configured labels', async () => {
      expect(rule.apiVersion).toBe('monitoring.coreos.com/v1');
      expect(rule.metadata.labels).toMatchObject({ release: 'kube-prometheus-stack' });
      expect(groups).toEqual(await readRuleGroups(RULES_FILE));
    });

    it('passes promtool check rules', async ({ skip }) => {
      if (!tools.promtool) skip('promtool missing');
      const file = join(dir, 'rendered-rules.yml');
      await writeFile(file, stringify({ groups }));
      const { stdout } = await run(tools.promtool ?? '', ['check', 'rules', file]);
      const count = groups.reduce((sum, group) => sum + group.rules.length, 0);
      expect(stdout).toContain(`SUCCESS: ${count} rules found`);
    });

    it('prefixes every runbook anchor with prometheusRule.runbookBaseUrl and changes nothing else', async () => {
      const base = 'https://wiki.example.com/kubesoak/runbooks';
      const manifests = await helmTemplate(helm, [
        ...REDIS_SECRET_VALUES,
        '--set',
        `prometheusRule.enabled=true,prometheusRule.runbookBaseUrl=${base}/`,
      ]);
      const custom = spec<{ groups: RuleGroup[] }>(find(manifests, 'PrometheusRule')).groups;
      const expected = structuredClone(await readRuleGroups(RULES_FILE));
      let alerts = 0;
      for (const group of expected) {
        for (const r of group.rules) {
          if (!r.alert) continue;
          alerts += 1;
          const anchor = (r.annotations?.runbook_url ?? '').split('#')[1];
          expect(anchor, r.alert).toMatch(/^[a-z0-9-]+$/);
          if (r.annotations) r.annotations.runbook_url = `${base}#${anchor}`;
        }
      }
      expect(alerts).toBeGreaterThan(5);
      expect(custom).toEqual(expected);
    });
  });
});
