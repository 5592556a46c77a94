import { describe, expect, it } from 'vitest';
import { ApiError } from '../../src/sim/api/api-error.ts';
import { buildTable, includeObjectFrom, parseTableAccept } from '../../src/sim/api/tables.ts';
import type { BuildTableOptions, Table } from '../../src/sim/api/tables.ts';

const NOW = new Date('2025-06-01T12:00:00Z');

/** Seconds before NOW as RFC 3339 text. */
function ago(seconds: number): string {
  return new Date(NOW.getTime() - seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

const KUBECTL_ACCEPT =
  'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';

const OPTIONS: BuildTableOptions = { now: NOW, includeObject: 'Metadata', resourceVersion: '4242' };

type Obj = Record<string, unknown>;

function table(kind: string, objects: Obj[], options: Partial<BuildTableOptions> = {}): Table {
  return buildTable(kind, objects, { ...OPTIONS, ...options });
}

function header(result: Table): Array<[string, string, number]> {
  return result.columnDefinitions.map((column) => [column.name, column.type, column.priority]);
}

function cells(kind: string, object: Obj): unknown[] {
  return table(kind, [object]).rows[0]?.cells ?? [];
}

function meta(name: string, createdSecondsAgo: number, extra: Obj = {}): Obj {
  return {
    name,
    namespace: 'default',
    uid: `uid-${name}`,
    resourceVersion: '100',
    creationTimestamp: ago(createdSecondsAgo),
    ...extra,
  };
}

const RUNNING_POD: Obj = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: meta('web-7d4b9c-x2x8k', 300, {
    generateName: 'web-7d4b9c-',
    labels: { app: 'web', 'pod-template-hash': '7d4b9c' },
    ownerReferences: [
      { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-7d4b9c', uid: 'rs-uid', controller: true },
    ],
  }),
  spec: {
    containers: [
      { name: 'web', image: 'nginx:1.27' },
      { name: 'exporter', image: 'nginx/nginx-prometheus-exporter:1.3' },
    ],
    nodeName: 'kind-worker',
    readinessGates: [{ conditionType: 'target-health.elbv2.k8s.aws/web' }],
  },
  status: {
    phase: 'Running',
    conditions: [
      { type: 'PodReadyToStartContainers', status: 'True' },
      { type: 'Initialized', status: 'True' },
      { type: 'Ready', status: 'True' },
      { type: 'ContainersReady', status: 'True' },
      { type: 'PodScheduled', status: 'True' },
      { type: 'target-health.elbv2.k8s.aws/web', status: 'True' },
    ],
    hostIP: '172.18.0.3',
    podIP: '10.244.1.17',
    podIPs: [{ ip: '10.244.1.17' }],
    startTime: ago(300),
    containerStatuses: [
      {
        name: 'web',
        ready: true,
        started: true,
        restartCount: 2,
        image: 'docker.io/library/nginx:1.27',
        imageID: 'docker.io/library/nginx@sha256:abc',
        containerID: 'containerd://aaa',
        state: { running: { startedAt: ago(90) } },
        lastState: {
          terminated: { exitCode: 137, reason: 'OOMKilled', startedAt: ago(200), finishedAt: ago(95) },
        },
      },
      {
        name: 'exporter',
        ready: true,
        started: true,
        restartCount: 0,
        image: 'docker.io/nginx/nginx-prometheus-exporter:1.3',
        imageID: 'docker.io/nginx/nginx-prometheus-exporter@sha256:def',
        containerID: 'containerd://bbb',
        state: { running: { startedAt: ago(290) } },
      },
    ],
    qosClass: 'BestEffort',
  },
};

describe('parseTableAccept', () => {
  it('recognises the header kubectl get sends', () => {
    expect(parseTableAccept(KUBECTL_ACCEPT)).toEqual({ table: true, version: 'v1' });
  });

  it('accepts the v1beta1 Table and parameters in any order', () => {
    expect(parseTableAccept('application/json; g=meta.k8s.io; as=Table; v=v1beta1')).toEqual({
      table: true,
      version: 'v1beta1',
    });
  });

  it('answers plain JSON requests and a missing header with the object itself', () => {
    expect(parseTableAccept(undefined)).toEqual({ table: false });
    expect(parseTableAccept('')).toEqual({ table: false });
    expect(parseTableAccept('application/json')).toEqual({ table: false });
    expect(parseTableAccept('application/json, */*')).toEqual({ table: false });
    expect(parseTableAccept('application/json,application/json;as=Table;v=v1;g=meta.k8s.io')).toEqual({
      table: false,
    });
  });

  it('skips Table versions and groups it cannot produce', () => {
    expect(parseTableAccept('application/json;as=Table;v=v2;g=meta.k8s.io')).toEqual({ table: false });
    expect(parseTableAccept('application/json;as=Table;v=v1;g=example.com,application/json')).toEqual({
      table: false,
    });
    expect(parseTableAccept('application/yaml;as=Table;v=v1;g=meta.k8s.io')).toEqual({ table: false });
  });

  it('honours q values', () => {
    expect(parseTableAccept('application/json;q=0.5,application/json;as=Table;v=v1;g=meta.k8s.io')).toEqual({
      table: true,
      version: 'v1',
    });
    expect(parseTableAccept('application/json;as=Table;v=v1;g=meta.k8s.io;q=0,application/json')).toEqual({
      table: false,
    });
  });
});

describe('includeObjectFrom', () => {
  it('defaults to Metadata, as kubectl relies on', () => {
    expect(includeObjectFrom(new URLSearchParams('limit=500'))).toBe('Metadata');
    expect(includeObjectFrom(new URLSearchParams('includeObject='))).toBe('Metadata');
  });

  it.each(['None', 'Metadata', 'Object'] as const)('reads includeObject=%s', (value) => {
    expect(includeObjectFrom(new URLSearchParams({ includeObject: value }))).toBe(value);
  });

  it('refuses unknown values with 400 BadRequest', () => {
    let caught: unknown;
    try {
      includeObjectFrom(new URLSearchParams({ includeObject: 'Everything' }));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ApiError);
    expect((caught as ApiError).code).toBe(400);
    expect((caught as ApiError).message).toBe('unrecognized includeObject value: "Everything"');
  });
});

describe('buildTable: envelope and includeObject', () => {
  it('builds a meta.k8s.io/v1 Table with the list metadata', () => {
    const result = table('Pod', [RUNNING_POD], { continue: 'eyJ2Ijo', remainingItemCount: 7 });
    expect(result.kind).toBe('Table');
    expect(result.apiVersion).toBe('meta.k8s.io/v1');
    expect(result.metadata).toEqual({ resourceVersion: '4242', continue: 'eyJ2Ijo', remainingItemCount: 7 });
    expect(table('Pod', []).rows).toEqual([]);
  });

  it('attaches PartialObjectMetadata for includeObject=Metadata', () => {
    const row = table('Pod', [RUNNING_POD]).rows[0];
    expect(row?.object).toEqual({
      kind: 'PartialObjectMetadata',
      apiVersion: 'meta.k8s.io/v1',
      metadata: RUNNING_POD.metadata,
    });
  });

  it('attaches the whole object for includeObject=Object and nothing for None', () => {
    expect(table('Pod', [RUNNING_POD], { includeObject: 'Object' }).rows[0]?.object).toEqual(RUNNING_POD);
    const bare = table('Pod', [RUNNING_POD], { includeObject: 'None' }).rows[0];
    expect(bare && 'object' in bare).toBe(false);
  });

  it('leaves the column definitions out for noHeaders', () => {
    const result = table('Pod', [RUNNING_POD], { noHeaders: true });
    expect(result.columnDefinitions).toEqual([]);
    expect(result.rows[0]?.cells).toHaveLength(9);
  });

  it('survives JSON serialisation unchanged', () => {
    const result = table('Pod', [RUNNING_POD]);
    expect(JSON.parse(JSON.stringify(result))).toEqual(result);
  });
});

describe('Pod', () => {
  it('has kubectl columns, the wide ones at priority 1', () => {
    const result = table('Pod', [RUNNING_POD]);
    expect(header(result)).toEqual([
      ['Name', 'string', 0],
      ['Ready', 'string', 0],
      ['Status', 'string', 0],
      ['Restarts', 'string', 0],
      ['Age', 'string', 0],
      ['IP', 'string', 1],
      ['Node', 'string', 1],
      ['Nominated Node', 'string', 1],
      ['Readiness Gates', 'string', 1],
    ]);
    const [nameColumn, readyColumn] = result.columnDefinitions;
    expect(nameColumn?.format).toBe('name');
    expect(nameColumn?.description).toMatch(/^Name must be unique within a namespace\./);
    expect(readyColumn).toEqual({
      name: 'Ready',
      type: 'string',
      format: '',
      description: 'The aggregate readiness state of this pod for accepting traffic.',
      priority: 0,
    });
  });

  it('renders a running pod with restarts like kubectl get pods -o wide', () => {
    expect(cells('Pod', RUNNING_POD)).toEqual([
      'web-7d4b9c-x2x8k',
      '2/2',
      'Running',
      '2 (95s ago)',
      '5m',
      '10.244.1.17',
      'kind-worker',
      '<none>',
      '1/1',
    ]);
  });

  it('shows <none> for the wide columns of an unscheduled pod', () => {
    const pending: Obj = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: meta('batch-1', 12),
      spec: { containers: [{ name: 'main', image: 'busybox:1.36' }] },
      status: {
        phase: 'Pending',
        conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable' }],
        nominatedNodeName: 'kind-worker2',
      },
    };
    expect(cells('Pod', pending)).toEqual([
      'batch-1',
      '0/1',
      'Pending',
      '0',
      '12s',
      '<none>',
      '<none>',
      'kind-worker2',
      '<none>',
    ]);
  });

  it('marks finished pods with a Completed row condition', () => {
    const succeeded: Obj = {
      ...RUNNING_POD,
      status: {
        phase: 'Succeeded',
        containerStatuses: [
          {
            name: 'web',
            ready: false,
            restartCount: 0,
            state: { terminated: { exitCode: 0, reason: 'Completed', finishedAt: ago(10) } },
          },
        ],
      },
    };
    const failed: Obj = { ...RUNNING_POD, status: { phase: 'Failed', reason: 'Evicted' } };
    const [done, evicted, running] = table('Pod', [succeeded, failed, RUNNING_POD]).rows;
    expect(done?.cells[2]).toBe('Completed');
    expect(done?.conditions).toEqual([
      {
        type: 'Completed',
        status: 'True',
        reason: 'Succeeded',
        message: 'The pod has completed successfully.',
      },
    ]);
    expect(evicted?.cells[2]).toBe('Evicted');
    expect(evicted?.conditions).toEqual([
      { type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' },
    ]);
    expect(running && 'conditions' in running).toBe(false);
  });
});

describe('Node', () => {
  const node = (name: string, extra: { labels?: Obj; spec?: Obj; status?: Obj } = {}): Obj => ({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, uid: `uid-${name}`, creationTimestamp: ago(5 * 86400), labels: extra.labels ?? {} },
    spec: extra.spec ?? {},
    status: {
      conditions: [
        { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory' },
        { type: 'Ready', status: 'True', reason: 'KubeletReady' },
      ],
      addresses: [
        { type: 'InternalIP', address: '172.18.0.2' },
        { type: 'Hostname', address: name },
      ],
      nodeInfo: {
        kubeletVersion: 'v1.33.1',
        osImage: 'Debian GNU/Linux 12 (bookworm)',
        kernelVersion: '6.8.0-60-generic',
        containerRuntimeVersion: 'containerd://2.1.1',
      },
      ...extra.status,
    },
  });

  it('has the node columns', () => {
    expect(header(table('Node', [node('a')])).map(([name, , priority]) => `${name}:${priority}`)).toEqual([
      'Name:0',
      'Status:0',
      'Roles:0',
      'Age:0',
      'Version:0',
      'Internal-IP:1',
      'External-IP:1',
      'OS-Image:1',
      'Kernel-Version:1',
      'Container-Runtime:1',
    ]);
  });

  it('renders roles from node-role labels, sorted, and the wide system info', () => {
    const controlPlane = node('kind-control-plane', {
      labels: {
        'node-role.kubernetes.io/control-plane': '',
        'kubernetes.io/role': 'master',
        'node-role.kubernetes.io/': '',
        'kubernetes.io/hostname': 'kind-control-plane',
      },
    });
    expect(cells('Node', controlPlane)).toEqual([
      'kind-control-plane',
      'Ready',
      'control-plane,master',
      '5d',
      'v1.33.1',
      '172.18.0.2',
      '<none>',
      'Debian GNU/Linux 12 (bookworm)',
      '6.8.0-60-generic',
      'containerd://2.1.1',
    ]);
  });

  it('adds SchedulingDisabled to a cordoned node and reads NotReady and Unknown', () => {
    expect(cells('Node', node('w1', { spec: { unschedulable: true } })).slice(1, 3)).toEqual([
      'Ready,SchedulingDisabled',
      '<none>',
    ]);
    const notReady = node('w2', {
      status: { conditions: [{ type: 'Ready', status: 'Unknown', reason: 'NodeStatusUnknown' }] },
    });
    expect(cells('Node', notReady)[1]).toBe('NotReady');
    const fresh = node('w3', { status: { conditions: [], nodeInfo: {} } });
    expect(cells('Node', fresh)).toEqual([
      'w3',
      'Unknown',
      '<none>',
      '5d',
      '',
      '172.18.0.2',
      '<none>',
      '<unknown>',
      '<unknown>',
      '<unknown>',
    ]);
  });
});

describe('Namespace, ConfigMap, Secret, ServiceAccount', () => {
  it('renders a namespace with its phase', () => {
    const ns: Obj = {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: meta('soak-17', 45),
      status: { phase: 'Terminating' },
    };
    expect(header(table('Namespace', [ns])).map(([name]) => name)).toEqual(['Name', 'Status', 'Age']);
    expect(cells('Namespace', ns)).toEqual(['soak-17', 'Terminating', '45s']);
  });

  it('counts ConfigMap data and binaryData keys', () => {
    const cm: Obj = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: meta('app-config', 3600),
      data: { 'app.yaml': 'x: 1', LOG_LEVEL: 'debug' },
      binaryData: { 'logo.png': 'iVBORw0KGgo=' },
    };
    expect(header(table('ConfigMap', [cm]))).toEqual([
      ['Name', 'string', 0],
      ['Data', 'string', 0],
      ['Age', 'string', 0],
    ]);
    expect(cells('ConfigMap', cm)).toEqual(['app-config', 3, '60m']);
  });

  it('renders a Secret with its type and key count', () => {
    const secret: Obj = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: meta('sh.helm.release.v1.web.v1', 20),
      type: 'helm.sh/release.v1',
      data: { release: 'H4sIAAAA' },
    };
    expect(header(table('Secret', [secret])).map(([name]) => name)).toEqual(['Name', 'Type', 'Data', 'Age']);
    expect(cells('Secret', secret)).toEqual(['sh.helm.release.v1.web.v1', 'helm.sh/release.v1', 1, '20s']);
  });

  it('counts a ServiceAccount secrets', () => {
    const sa: Obj = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta('default', 100) };
    expect(header(table('ServiceAccount', [sa])).map(([name]) => name)).toEqual(['Name', 'Secrets', 'Age']);
    expect(cells('ServiceAccount', sa)).toEqual(['default', 0, '100s']);
  });
});

describe('workloads', () => {
  const template = {
    metadata: { labels: { app: 'web' } },
    spec: {
      containers: [
        { name: 'web', image: 'nginx:1.27' },
        { name: 'exporter', image: 'nginx/nginx-prometheus-exporter:1.3' },
      ],
    },
  };

  it('renders a Deployment with READY as ready/desired and the wide selector', () => {
    const deployment: Obj = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta('web', 600, { generation: 3 }),
      spec: {
        replicas: 3,
        selector: {
          matchLabels: { app: 'web', tier: 'frontend' },
          matchExpressions: [
            { key: 'env', operator: 'In', values: ['staging', 'prod'] },
            { key: 'canary', operator: 'DoesNotExist' },
          ],
        },
        template,
      },
      status: {
        observedGeneration: 3,
        replicas: 3,
        updatedReplicas: 3,
        readyReplicas: 2,
        availableReplicas: 2,
      },
    };
    expect(header(table('Deployment', [deployment]))).toEqual([
      ['Name', 'string', 0],
      ['Ready', 'string', 0],
      ['Up-to-date', 'string', 0],
      ['Available', 'string', 0],
      ['Age', 'string', 0],
      ['Containers', 'string', 1],
      ['Images', 'string', 1],
      ['Selector', 'string', 1],
    ]);
    expect(cells('Deployment', deployment)).toEqual([
      'web',
      '2/3',
      3,
      2,
      '10m',
      'web,exporter',
      'nginx:1.27,nginx/nginx-prometheus-exporter:1.3',
      'app=web,!canary,env in (prod,staging),tier=frontend',
    ]);
  });

  it('renders a fresh Deployment without status as 0/1 and an invalid selector as <invalid>', () => {
    const fresh: Obj = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta('api', 1),
      spec: { selector: { matchExpressions: [{ key: 'app', operator: 'Near' }] }, template },
    };
    expect(cells('Deployment', fresh).slice(0, 5)).toEqual(['api', '0/1', 0, 0, '1s']);
    expect(cells('Deployment', fresh)[7]).toBe('<invalid>');
  });

  it('renders a ReplicaSet with integer DESIRED/CURRENT/READY', () => {
    const rs: Obj = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: meta('web-7d4b9c', 600),
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'web', 'pod-template-hash': '7d4b9c' } },
        template,
      },
      status: { replicas: 3, fullyLabeledReplicas: 3, readyReplicas: 1, availableReplicas: 1 },
    };
    expect(header(table('ReplicaSet', [rs]))).toEqual([
      ['Name', 'string', 0],
      ['Desired', 'integer', 0],
      ['Current', 'integer', 0],
      ['Ready', 'integer', 0],
      ['Age', 'string', 0],
      ['Containers', 'string', 1],
      ['Images', 'string', 1],
      ['Selector', 'string', 1],
    ]);
    expect(cells('ReplicaSet', rs)).toEqual([
      'web-7d4b9c',
      3,
      3,
      1,
      '10m',
      'web,exporter',
      'nginx:1.27,nginx/nginx-prometheus-exporter:1.3',
      'app=web,pod-template-hash=7d4b9c',
    ]);
  });

  it('renders a StatefulSet', () => {
    const sts: Obj = {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: meta('postgres', 7200),
      spec: { replicas: 2, selector: { matchLabels: { app: 'pg' } }, template },
      status: { replicas: 2, readyReplicas: 1, currentReplicas: 2 },
    };
    expect(header(table('StatefulSet', [sts])).map(([name, , priority]) => `${name}:${priority}`)).toEqual([
      'Name:0',
      'Ready:0',
      'Age:0',
      'Containers:1',
      'Images:1',
    ]);
    expect(cells('StatefulSet', sts)).toEqual([
      'postgres',
      '1/2',
      '120m',
      'web,exporter',
      'nginx:1.27,nginx/nginx-prometheus-exporter:1.3',
    ]);
  });

  it('renders a DaemonSet with its node selector', () => {
    const ds: Obj = {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: meta('node-exporter', 86400),
      spec: {
        selector: { matchLabels: { app: 'node-exporter' } },
        template: {
          ...template,
          spec: { ...template.spec, nodeSelector: { 'kubernetes.io/os': 'linux', disk: 'ssd' } },
        },
      },
      status: {
        desiredNumberScheduled: 3,
        currentNumberScheduled: 3,
        numberReady: 2,
        updatedNumberScheduled: 3,
        numberAvailable: 2,
        numberMisscheduled: 0,
      },
    };
    expect(
      header(table('DaemonSet', [ds])).map(([name, type, priority]) => `${name}:${type}:${priority}`),
    ).toEqual([
      'Name:string:0',
      'Desired:integer:0',
      'Current:integer:0',
      'Ready:integer:0',
      'Up-to-date:integer:0',
      'Available:integer:0',
      'Node Selector:string:0',
      'Age:string:0',
      'Containers:string:1',
      'Images:string:1',
      'Selector:string:1',
    ]);
    expect(cells('DaemonSet', ds)).toEqual([
      'node-exporter',
      3,
      3,
      2,
      3,
      2,
      'disk=ssd,kubernetes.io/os=linux',
      '24h',
      'web,exporter',
      'nginx:1.27,nginx/nginx-prometheus-exporter:1.3',
      'app=node-exporter',
    ]);
    const bare: Obj = { ...ds, spec: { template } };
    expect(cells('DaemonSet', bare)[6]).toBe('<none>');
    expect(cells('DaemonSet', bare)[10]).toBe('<none>');
  });

  describe('Job', () => {
    const job = (spec: Obj, status: Obj, metadata: Obj = {}): Obj => ({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: meta('helm-test-web', 400, metadata),
      spec: {
        selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'c0ffee' } },
        template: { spec: { containers: [{ name: 'test', image: 'busybox:1.36' }], restartPolicy: 'Never' } },
        ...spec,
      },
      status,
    });

    it('has the job columns', () => {
      expect(header(table('Job', [job({}, {})])).map(([name, , priority]) => `${name}:${priority}`)).toEqual([
        'Name:0',
        'Status:0',
        'Completions:0',
        'Duration:0',
        'Age:0',
        'Containers:1',
        'Images:1',
        'Selector:1',
      ]);
    });

    it('renders a running job with its duration so far', () => {
      const running = job({ completions: 1, parallelism: 1 }, { startTime: ago(130), active: 1, ready: 0 });
      expect(cells('Job', running)).toEqual([
        'helm-test-web',
        'Running',
        '0/1',
        '2m10s',
        '6m40s',
        'test',
        'busybox:1.36',
        'batch.kubernetes.io/controller-uid=c0ffee',
      ]);
    });

    it('renders a complete job with the time it took', () => {
      const complete = job(
        { completions: 3, parallelism: 2 },
        {
          startTime: ago(300),
          completionTime: ago(255),
          succeeded: 3,
          conditions: [
            { type: 'SuccessCriteriaMet', status: 'True' },
            { type: 'Complete', status: 'True' },
          ],
        },
      );
      expect(cells('Job', complete).slice(1, 4)).toEqual(['Complete', '3/3', '45s']);
    });

    it('renders failed, suspended and terminating jobs and the completions without spec.completions', () => {
      const failed = job(
        { parallelism: 4 },
        {
          startTime: ago(60),
          failed: 1,
          conditions: [
            { type: 'FailureTarget', status: 'True', reason: 'BackoffLimitExceeded' },
            { type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' },
          ],
        },
      );
      expect(cells('Job', failed).slice(1, 3)).toEqual(['Failed', '0/1 of 4']);
      const suspended = job({ suspend: true }, { conditions: [{ type: 'Suspended', status: 'True' }] });
      expect(cells('Job', suspended).slice(1, 4)).toEqual(['Suspended', '0/1', '']);
      const terminating = job({}, { startTime: ago(10) }, { deletionTimestamp: ago(-30) });
      expect(cells('Job', terminating)[1]).toBe('Terminating');
    });
  });

  it('renders a CronJob', () => {
    const cron: Obj = {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: meta('nightly-backup', 3 * 86400),
      spec: {
        schedule: '0 3 * * *',
        timeZone: 'Europe/Berlin',
        suspend: false,
        jobTemplate: {
          spec: { template: { spec: { containers: [{ name: 'backup', image: 'restic/restic:0.17' }] } } },
        },
      },
      status: { active: [{ kind: 'Job', name: 'nightly-backup-29100000' }], lastScheduleTime: ago(3600) },
    };
    expect(
      header(table('CronJob', [cron])).map(([name, type, priority]) => `${name}:${type}:${priority}`),
    ).toEqual([
      'Name:string:0',
      'Schedule:string:0',
      'Timezone:string:0',
      'Suspend:boolean:0',
      'Active:integer:0',
      'Last Schedule:string:0',
      'Age:string:0',
      'Containers:string:1',
      'Images:string:1',
      'Selector:string:1',
    ]);
    expect(cells('CronJob', cron)).toEqual([
      'nightly-backup',
      '0 3 * * *',
      'Europe/Berlin',
      'False',
      1,
      '60m',
      '3d',
      'backup',
      'restic/restic:0.17',
      '<none>',
    ]);
    const fresh: Obj = { ...cron, spec: { schedule: '*/5 * * * *', jobTemplate: {} }, status: {} };
    expect(cells('CronJob', fresh).slice(1, 6)).toEqual(['*/5 * * * *', '<none>', '<unset>', 0, '<none>']);
  });
});

describe('Service', () => {
  const service = (spec: Obj, status: Obj = {}): Obj => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta('web', 2 * 86400 + 3 * 3600),
    spec,
    status,
  });

  it('has the service columns', () => {
    expect(
      header(table('Service', [service({})])).map(([name, , priority]) => `${name}:${priority}`),
    ).toEqual(['Name:0', 'Type:0', 'Cluster-IP:0', 'External-IP:0', 'Port(s):0', 'Age:0', 'Selector:1']);
  });

  it('renders a ClusterIP service', () => {
    const svc = service({
      type: 'ClusterIP',
      clusterIP: '10.96.12.7',
      clusterIPs: ['10.96.12.7'],
      ports: [
        { name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' },
        { name: 'dns', port: 53, targetPort: 53, protocol: 'UDP' },
      ],
      selector: { app: 'web', tier: 'frontend' },
    });
    expect(cells('Service', svc)).toEqual([
      'web',
      'ClusterIP',
      '10.96.12.7',
      '<none>',
      '80/TCP,53/UDP',
      '2d3h',
      'app=web,tier=frontend',
    ]);
  });

  it('renders NodePort, headless and ExternalName services', () => {
    const nodePort = service({
      type: 'NodePort',
      clusterIPs: ['10.96.0.40'],
      externalIPs: ['192.0.2.10'],
      ports: [{ port: 443, targetPort: 8443, nodePort: 30443, protocol: 'TCP' }],
    });
    expect(cells('Service', nodePort).slice(1, 5)).toEqual([
      'NodePort',
      '10.96.0.40',
      '192.0.2.10',
      '443:30443/TCP',
    ]);
    const headless = service({ type: 'ClusterIP', clusterIP: 'None', clusterIPs: ['None'], selector: {} });
    expect(cells('Service', headless).slice(1, 7)).toEqual([
      'ClusterIP',
      'None',
      '<none>',
      '<none>',
      '2d3h',
      '<none>',
    ]);
    const external = service({ type: 'ExternalName', externalName: 'db.example.com' });
    expect(cells('Service', external).slice(1, 5)).toEqual([
      'ExternalName',
      '<none>',
      'db.example.com',
      '<none>',
    ]);
  });

  it('renders LoadBalancer services pending and provisioned', () => {
    const spec = {
      type: 'LoadBalancer',
      clusterIPs: ['10.96.3.3'],
      ports: [{ port: 80, nodePort: 31080, protocol: 'TCP' }],
    };
    expect(cells('Service', service(spec))[3]).toBe('<pending>');
    const provisioned = service(spec, {
      loadBalancer: {
        ingress: [{ ip: '203.0.113.9' }, { hostname: 'a1b2c3.elb.amazonaws.com' }, { ip: '203.0.113.9' }],
      },
    });
    expect(cells('Service', provisioned)[3]).toBe('203.0.113.9,a1b2c3.elb.amazonaws.com');
    const withExternal = service(
      { ...spec, externalIPs: ['192.0.2.1'] },
      { loadBalancer: { ingress: [{ ip: '203.0.113.9' }] } },
    );
    expect(cells('Service', withExternal)[3]).toBe('203.0.113.9,192.0.2.1');
  });
});

describe('Endpoints', () => {
  it('lists up to three endpoints and counts the rest', () => {
    const endpoints: Obj = {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: meta('web', 60),
      subsets: [
        {
          addresses: [{ ip: '10.244.1.5' }, { ip: '10.244.2.6' }],
          ports: [
            { name: 'http', port: 8080, protocol: 'TCP' },
            { name: 'metrics', port: 9113, protocol: 'TCP' },
          ],
        },
        { addresses: [{ ip: 'fd00::7' }], ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] },
      ],
    };
    expect(header(table('Endpoints', [endpoints])).map(([name]) => name)).toEqual([
      'Name',
      'Endpoints',
      'Age',
    ]);
    expect(cells('Endpoints', endpoints)).toEqual([
      'web',
      '10.244.1.5:8080,10.244.2.6:8080,10.244.1.5:9113 + 2 more...',
      '60s',
    ]);
  });

  it('shows bare addresses for a port-less subset and <none> without subsets', () => {
    const headless: Obj = {
      kind: 'Endpoints',
      metadata: meta('db', 5),
      subsets: [{ addresses: [{ ip: '10.244.1.9' }] }],
    };
    expect(cells('Endpoints', headless)[1]).toBe('10.244.1.9');
    expect(cells('Endpoints', { kind: 'Endpoints', metadata: meta('empty', 5) })[1]).toBe('<none>');
  });
});

describe('Event', () => {
  const event: Obj = {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: meta('web-7d4b9c-x2x8k.1840f2a1b3c4d5e6', 130),
    involvedObject: {
      kind: 'Pod',
      namespace: 'default',
      name: 'web-7d4b9c-x2x8k',
      uid: 'uid-pod',
      apiVersion: 'v1',
      fieldPath: 'spec.containers{web}',
    },
    reason: 'BackOff',
    message: 'Back-off restarting failed container web in pod web-7d4b9c-x2x8k_default(uid-pod)\n',
    source: { component: 'kubelet', host: 'kind-worker' },
    firstTimestamp: ago(130),
    lastTimestamp: ago(20),
    count: 7,
    type: 'Warning',
    eventTime: null,
    reportingComponent: 'kubelet',
    reportingInstance: 'kind-worker',
  };

  it('puts the wide columns between and after the default ones', () => {
    expect(header(table('Event', [event])).map(([name, , priority]) => `${name}:${priority}`)).toEqual([
      'Last Seen:0',
      'Type:0',
      'Reason:0',
      'Object:0',
      'Subobject:1',
      'Source:1',
      'Message:0',
      'First Seen:1',
      'Count:1',
      'Name:1',
    ]);
    expect(table('Event', [event]).columnDefinitions.at(-1)?.format).toBe('name');
  });

  it('renders a core/v1 event', () => {
    expect(cells('Event', event)).toEqual([
      '20s',
      'Warning',
      'BackOff',
      'pod/web-7d4b9c-x2x8k',
      'spec.containers{web}',
      'kubelet, kind-worker',
      'Back-off restarting failed container web in pod web-7d4b9c-x2x8k_default(uid-pod)',
      '2m10s',
      7,
      'web-7d4b9c-x2x8k.1840f2a1b3c4d5e6',
    ]);
  });

  it('falls back to eventTime, series and reporting fields for events.k8s.io events', () => {
    const modern: Obj = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: meta('web.18410', 40),
      involvedObject: { kind: 'Deployment', namespace: 'default', name: 'web' },
      reason: 'ScalingReplicaSet',
      message: 'Scaled up replica set web-7d4b9c to 3',
      source: {},
      firstTimestamp: null,
      lastTimestamp: null,
      eventTime: '2025-06-01T11:59:20.123456Z',
      series: { count: 4, lastObservedTime: '2025-06-01T11:59:55.000000Z' },
      type: 'Normal',
      reportingComponent: 'deployment-controller',
      reportingInstance: '',
    };
    expect(cells('Event', modern)).toEqual([
      '5s',
      'Normal',
      'ScalingReplicaSet',
      'deployment/web',
      '',
      'deployment-controller',
      'Scaled up replica set web-7d4b9c to 3',
      '39s',
      4,
      'web.18410',
    ]);
    const singleton: Obj = { ...modern, series: undefined, involvedObject: { kind: 'Node' } };
    expect(cells('Event', singleton).slice(0, 4)).toEqual(['39s', 'Normal', 'ScalingReplicaSet', 'node']);
    expect(cells('Event', singleton)[8]).toBe(1);
  });
});

describe('PersistentVolumeClaim', () => {
  const pvc = (spec: Obj, status: Obj, metadata: Obj = {}): Obj => ({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: meta('data-postgres-0', 900, metadata),
    spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '8Gi' } }, ...spec },
    status,
  });

  it('has the PVC columns', () => {
    expect(
      header(table('PersistentVolumeClaim', [pvc({}, {})])).map(
        ([name, , priority]) => `${name}:${priority}`,
      ),
    ).toEqual([
      'Name:0',
      'Status:0',
      'Volume:0',
      'Capacity:0',
      'Access Modes:0',
      'StorageClass:0',
      'VolumeAttributesClass:0',
      'Age:0',
      'VolumeMode:1',
    ]);
  });

  it('renders a bound claim with the volume capacity and modes', () => {
    const bound = pvc(
      { storageClassName: 'standard', volumeMode: 'Filesystem', volumeName: 'pvc-0d3c' },
      {
        phase: 'Bound',
        accessModes: ['ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOnce'],
        capacity: { storage: '10Gi' },
      },
    );
    expect(cells('PersistentVolumeClaim', bound)).toEqual([
      'data-postgres-0',
      'Bound',
      'pvc-0d3c',
      '10Gi',
      'RWO,RWX',
      'standard',
      '<unset>',
      '15m',
      'Filesystem',
    ]);
  });

  it('renders a pending claim blank and a deleted one as Terminating', () => {
    const pending = pvc(
      { volumeMode: 'Filesystem' },
      { phase: 'Pending' },
      { annotations: { 'volume.beta.kubernetes.io/storage-class': 'fast' } },
    );
    expect(cells('PersistentVolumeClaim', pending).slice(1, 6)).toEqual(['Pending', '', '', '', 'fast']);
    const deleting = pvc({ volumeName: 'pvc-1' }, { phase: 'Bound' }, { deletionTimestamp: ago(-5) });
    expect(cells('PersistentVolumeClaim', deleting).slice(1, 4)).toEqual(['Terminating', 'pvc-1', '0']);
  });
});

describe('networking, policy, rbac and autoscaling kinds', () => {
  it('renders an Ingress', () => {
    const ingress: Obj = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: meta('web', 600),
      spec: {
        ingressClassName: 'nginx',
        tls: [{ hosts: ['a.example.com'], secretName: 'tls' }],
        rules: [
          { host: 'a.example.com' },
          { http: {} },
          { host: 'b.example.com' },
          { host: 'c.example.com' },
          { host: 'd.example.com' },
        ],
      },
      status: { loadBalancer: { ingress: [{ ip: '172.18.0.5' }] } },
    };
    expect(header(table('Ingress', [ingress])).map(([name]) => name)).toEqual([
      'Name',
      'Class',
      'Hosts',
      'Address',
      'Ports',
      'Age',
    ]);
    expect(cells('Ingress', ingress)).toEqual([
      'web',
      'nginx',
      'a.example.com,b.example.com,c.example.com + 2 more...',
      '172.18.0.5',
      '80, 443',
      '10m',
    ]);
    expect(cells('Ingress', { ...ingress, spec: { rules: [{ http: {} }] }, status: {} })).toEqual([
      'web',
      '<none>',
      '*',
      '',
      '80',
      '10m',
    ]);
  });

  it('renders a NetworkPolicy pod selector', () => {
    const policy: Obj = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: meta('deny-all', 50),
      spec: { podSelector: {}, policyTypes: ['Ingress'] },
    };
    expect(cells('NetworkPolicy', policy)).toEqual(['deny-all', '<none>', '50s']);
    const scoped = { ...policy, spec: { podSelector: { matchLabels: { role: 'db' } } } };
    expect(cells('NetworkPolicy', scoped)[1]).toBe('role=db');
  });

  it('renders a PodDisruptionBudget', () => {
    const pdb: Obj = {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: meta('web', 50),
      spec: { minAvailable: '50%', selector: { matchLabels: { app: 'web' } } },
      status: { disruptionsAllowed: 1, currentHealthy: 3, desiredHealthy: 2, expectedPods: 3 },
    };
    expect(header(table('PodDisruptionBudget', [pdb])).map(([name, type]) => `${name}:${type}`)).toEqual([
      'Name:string',
      'Min Available:string',
      'Max Unavailable:string',
      'Allowed Disruptions:integer',
      'Age:string',
    ]);
    expect(cells('PodDisruptionBudget', pdb)).toEqual(['web', '50%', 'N/A', 1, '50s']);
    expect(cells('PodDisruptionBudget', { ...pdb, spec: { maxUnavailable: 1 } }).slice(1, 3)).toEqual([
      'N/A',
      '1',
    ]);
  });

  it('renders RoleBindings and ClusterRoleBindings with their subjects in the wide columns', () => {
    const binding: Obj = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: meta('web-reader', 50),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'reader' },
      subjects: [
        { kind: 'ServiceAccount', name: 'web', namespace: 'default' },
        { kind: 'User', name: 'alice' },
        { kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'devs' },
        { kind: 'User', name: 'bob' },
      ],
    };
    expect(
      header(table('RoleBinding', [binding])).map(([name, , priority]) => `${name}:${priority}`),
    ).toEqual(['Name:0', 'Role:0', 'Age:0', 'Users:1', 'Groups:1', 'ServiceAccounts:1']);
    expect(cells('RoleBinding', binding)).toEqual([
      'web-reader',
      'Role/reader',
      '50s',
      'alice, bob',
      'devs',
      'default/web',
    ]);
    const cluster = table('ClusterRoleBinding', [
      { ...binding, kind: 'ClusterRoleBinding', roleRef: { kind: 'ClusterRole', name: 'view' } },
    ]);
    expect(cluster.rows[0]?.cells[1]).toBe('ClusterRole/view');
    expect(cluster.columnDefinitions[3]?.description).toBe('Users in the clusterRoleBinding');
  });

  it('renders a HorizontalPodAutoscaler with its metric targets', () => {
    const hpa: Obj = {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: meta('web', 600),
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
        minReplicas: 2,
        maxReplicas: 10,
        metrics: [
          {
            type: 'Resource',
            resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } },
          },
          {
            type: 'Resource',
            resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '512Mi' } },
          },
          {
            type: 'Pods',
            pods: { metric: { name: 'rps' }, target: { type: 'AverageValue', averageValue: '100' } },
          },
        ],
      },
      status: {
        currentReplicas: 3,
        desiredReplicas: 3,
        currentMetrics: [
          {
            type: 'Resource',
            resource: { name: 'cpu', current: { averageUtilization: 42, averageValue: '210m' } },
          },
          { type: 'Resource', resource: { name: 'memory', current: { averageValue: '300Mi' } } },
        ],
      },
    };
    expect(header(table('HorizontalPodAutoscaler', [hpa])).map(([name]) => name)).toEqual([
      'Name',
      'Reference',
      'Targets',
      'MinPods',
      'MaxPods',
      'Replicas',
      'Age',
    ]);
    expect(cells('HorizontalPodAutoscaler', hpa)).toEqual([
      'web',
      'Deployment/web',
      'cpu: 42%/80%, memory: 300Mi/512Mi + 1 more...',
      '2',
      10,
      3,
      '10m',
    ]);
    const fresh: Obj = {
      ...hpa,
      spec: {
        ...(hpa.spec as Obj),
        minReplicas: undefined,
        metrics: [(hpa.spec as { metrics: Obj[] }).metrics[0]],
      },
      status: {},
    };
    expect(cells('HorizontalPodAutoscaler', fresh).slice(2, 4)).toEqual(['cpu: <unknown>/80%', '<unset>']);
  });

  it('renders a ResourceQuota with requests and limits split', () => {
    const quota: Obj = {
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: meta('compute', 50),
      spec: { hard: {} },
      status: {
        hard: { 'limits.memory': '4Gi', pods: '10', 'requests.cpu': '2', 'limits.cpu': '4' },
        used: { 'limits.memory': '1Gi', pods: '3', 'requests.cpu': '500m' },
      },
    };
    expect(header(table('ResourceQuota', [quota])).map(([name]) => name)).toEqual([
      'Name',
      'Request',
      'Limit',
      'Age',
    ]);
    expect(cells('ResourceQuota', quota)).toEqual([
      'compute',
      'pods: 3/10, requests.cpu: 500m/2',
      'limits.cpu: 0/4, limits.memory: 1Gi/4Gi',
      '50s',
    ]);
  });
});

describe('kinds without a printer', () => {
  it('gives built-in kinds served by the default convertor Name and Created At', () => {
    const role: Obj = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'view', creationTimestamp: '2025-05-30T08:15:00Z' },
      rules: [],
    };
    const result = table('ClusterRole', [role]);
    expect(header(result)).toEqual([
      ['Name', 'string', 0],
      ['Created At', 'date', 0],
    ]);
    expect(result.rows[0]?.cells).toEqual(['view', '2025-05-30T08:15:00Z']);
    expect(cells('LimitRange', { kind: 'LimitRange', metadata: { name: 'limits' } })).toEqual([
      'limits',
      '0001-01-01T00:00:00Z',
    ]);
  });

  it('gives any other kind Name and Age, as for a custom resource', () => {
    const widget: Obj = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: meta('w1', 90) };
    const result = table('Widget', [widget]);
    expect(result.columnDefinitions).toEqual([
      expect.objectContaining({ name: 'Name', type: 'string', format: 'name', priority: 0 }),
      {
        name: 'Age',
        type: 'date',
        format: '',
        description: 'Custom resource definition column (in JSONPath format): .metadata.creationTimestamp',
        priority: 0,
      },
    ]);
    expect(result.rows[0]?.cells).toEqual(['w1', '90s']);
    expect(table('toString', [widget]).rows[0]?.cells).toEqual(['w1', '90s']);
  });
});
