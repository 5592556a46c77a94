import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { IsomorphicFetchHttpLibrary, KubeConfig, RequestContext, Watch } from '@kubernetes/client-node';
import type { HttpMethod, ResponseContext } from '@kubernetes/client-node';
import { UsageError } from '../errors/usage-error.ts';
import { ClusterApiError } from './cluster-api-error.ts';
import type {
  ClusterClient,
  KubeObject,
  ListQuery,
  ListResult,
  LogQuery,
  WatchEnd,
  WatchEventType,
  WatchQuery,
} from './cluster-client.ts';
import { KubeKind } from './cluster-client.ts';

/** Where each kind lives in the REST API. */
interface KindPath {
  /** '/api/v1' or '/apis/GROUP/VERSION'. */
  prefix: string;
  plural: string;
  namespaced: boolean;
}

const KIND_PATHS: Record<KubeKind, KindPath> = {
  [KubeKind.Namespace]: { prefix: '/api/v1', plural: 'namespaces', namespaced: false },
  [KubeKind.Pod]: { prefix: '/api/v1', plural: 'pods', namespaced: true },
  [KubeKind.Event]: { prefix: '/api/v1', plural: 'events', namespaced: true },
  [KubeKind.Node]: { prefix: '/api/v1', plural: 'nodes', namespaced: false },
  [KubeKind.Service]: { prefix: '/api/v1', plural: 'services', namespaced: true },
  [KubeKind.Endpoints]: { prefix: '/api/v1', plural: 'endpoints', namespaced: true },
  [KubeKind.ConfigMap]: { prefix: '/api/v1', plural: 'configmaps', namespaced: true },
  [KubeKind.PersistentVolumeClaim]: {
    prefix: '/api/v1',
    plural: 'persistentvolumeclaims',
    namespaced: true,
  },
  [KubeKind.Deployment]: { prefix: '/apis/apps/v1', plural: 'deployments', namespaced: true },
  [KubeKind.ReplicaSet]: { prefix: '/apis/apps/v1', plural: 'replicasets', namespaced: true },
  [KubeKind.StatefulSet]: { prefix: '/apis/apps/v1', plural: 'statefulsets', namespaced: true },
  [KubeKind.DaemonSet]: { prefix: '/apis/apps/v1', plural: 'daemonsets', namespaced: true },
  [KubeKind.Job]: { prefix: '/apis/batch/v1', plural: 'jobs', namespaced: true },
  [KubeKind.ResourceQuota]: { prefix: '/api/v1', plural: 'resourcequotas', namespaced: true },
  [KubeKind.LimitRange]: { prefix: '/api/v1', plural: 'limitranges', namespaced: true },
  [KubeKind.ServiceAccount]: { prefix: '/api/v1', plural: 'serviceaccounts', namespaced: true },
  [KubeKind.CronJob]: { prefix: '/apis/batch/v1', plural: 'cronjobs', namespaced: true },
  [KubeKind.Ingress]: { prefix: '/apis/networking.k8s.io/v1', plural: 'ingresses', namespaced: true },
  [KubeKind.NetworkPolicy]: {
    prefix: '/apis/networking.k8s.io/v1',
    plural: 'networkpolicies',
    namespaced: true,
  },
  [KubeKind.PodDisruptionBudget]: {
    prefix: '/apis/policy/v1',
    plural: 'poddisruptionbudgets',
    namespaced: true,
  },
  [KubeKind.HorizontalPodAutoscaler]: {
    prefix: '/apis/autoscaling/v2',
    plural: 'horizontalpodautoscalers',
    namespaced: true,
  },
  [KubeKind.Role]: { prefix: '/apis/rbac.authorization.k8s.io/v1', plural: 'roles', namespaced: true },
  [KubeKind.RoleBinding]: {
    prefix: '/apis/rbac.authorization.k8s.io/v1',
    plural: 'rolebindings',
    namespaced: true,
  },
  [KubeKind.ClusterRole]: {
    prefix: '/apis/rbac.authorization.k8s.io/v1',
    plural: 'clusterroles',
    namespaced: false,
  },
  [KubeKind.ClusterRoleBinding]: {
    prefix: '/apis/rbac.authorization.k8s.io/v1',
    plural: 'clusterrolebindings',
    namespaced: false,
  },
};

/** Options of {@link KubeClusterClient}. */
export interface KubeClusterClientOptions {
  /** A kubeconfig file; default as kubectl: $KUBECONFIG (merged, first current-context wins), then ~/.kube/config, then in-cluster. */
  kubeconfigPath?: string;
  /** A context of that kubeconfig; default its current-context. */
  context?: string;
  /** The environment to read KUBECONFIG and HOME from; default process.env. */
  env?: NodeJS.ProcessEnv;
}

const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/**
 * The production ClusterClient over @kubernetes/client-node, the one module that imports it.
 *
 * Requests go through client-node's own transport (kubeconfig auth, exec plugins, TLS dispatcher)
 * but bodies stay raw JSON: the typed API classes turn timestamps into Date objects and drop
 * fields their models do not know, and every consumer here (pod-display, readiness) wants objects
 * exactly as the API server wrote them.
 */
export class KubeClusterClient implements ClusterClient {
  readonly context: string;
  readonly kubeconfigPath: string | undefined;
  /** The API server's base URL, as the kubeconfig names it. */
  readonly server: string;
  private readonly config: KubeConfig;
  private readonly http = new IsomorphicFetchHttpLibrary();
  private dispatcher: ReturnType<RequestContext['getDispatcher']>;
  private dispatcherKnown = false;

  constructor(options: KubeClusterClientOptions = {}) {
    const env = options.env ?? process.env;
    const files = kubeconfigFiles(options.kubeconfigPath, env);
    const config = loadKubeConfig(files);
    if (options.context !== undefined) {
      assertContext(config, options.context, files);
      config.setCurrentContext(options.context);
    }
    const cluster = config.getCurrentCluster();
    if (!cluster) {
      throw new UsageError(
        `kubeconfig ${files.join(delimiter)} has no cluster for context "${config.getCurrentContext()}"`,
        { code: 'invalid-kubeconfig', hint: 'pass --context NAME or set current-context' },
      );
    }
    this.config = config;
    this.context = config.getCurrentContext();
    this.kubeconfigPath = files[0];
    this.server = cluster.server.replace(/\/+$/, '');
  }

  async get(
    kind: KubeKind,
    name: string,
    namespace: string | undefined,
    signal: AbortSignal,
  ): Promise<KubeObject | undefined> {
    const response = await this.request('GET', objectPath(kind, namespace, name), signal, {
      allow404: true,
    });
    return response === undefined ? undefined : (JSON.parse(response) as KubeObject);
  }

  async list(kind: KubeKind, query: ListQuery, signal: AbortSignal): Promise<ListResult> {
    const text = await this.request(
      'GET',
      collectionPath(kind, query.namespace) + queryString(selectorParams(query)),
      signal,
    );
    const list = JSON.parse(text ?? '{}') as {
      items?: KubeObject[] | null;
      metadata?: { resourceVersion?: string };
    };
    // Lists omit kind/apiVersion on items; put them back so items look like what get returns.
    const path = KIND_PATHS[kind];
    const apiVersion = path.prefix === '/api/v1' ? 'v1' : path.prefix.slice('/apis/'.length);
    const items = (list.items ?? []).map((item) => ({ ...item, apiVersion, kind }));
    return { items, resourceVersion: list.metadata?.resourceVersion ?? '' };
  }

  watch(
    kind: KubeKind,
    query: WatchQuery,
    onEvent: (type: WatchEventType, object: KubeObject) => void,
    signal: AbortSignal,
  ): Promise<WatchEnd> {
    let resourceVersion = query.resourceVersion;
    if (signal.aborted) return Promise.resolve({ reason: 'aborted', resourceVersion });
    return new Promise<WatchEnd>((resolve) => {
      let controller: AbortController | undefined;
      let settled = false;
      const finish = (end: Omit<WatchEnd, 'resourceVersion'>) => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onAbort);
        controller?.abort();
        resolve({ ...end, resourceVersion });
      };
      const onAbort = () => finish({ reason: 'aborted' });
      signal.addEventListener('abort', onAbort, { once: true });
      const params: Record<string, string | undefined> = {
        ...selectorParams(query),
        resourceVersion: query.resourceVersion,
        allowWatchBookmarks: query.allowBookmarks === false ? undefined : 'true',
      };
      const watcher = new Watch(this.config);
      watcher
        .watch(
          collectionPath(kind, query.namespace),
          params,
          (type: string, object: unknown) => {
            if (settled) return;
            const item = object as KubeObject & { code?: number; reason?: string; message?: string };
            if (type === 'ERROR') {
              const expired = item.code === 410 || item.reason === 'Expired' || item.reason === 'Gone';
              finish(
                expired
                  ? { reason: 'expired' }
                  : {
                      reason: 'error',
                      error: new ClusterApiError(
                        `watch ${KIND_PATHS[kind].plural}: ${item.message ?? 'error'}`,
                        {
                          ...(typeof item.code === 'number' ? { status: item.code } : {}),
                          ...(item.reason ? { reason: item.reason } : {}),
                        },
                      ),
                    },
              );
              return;
            }
            const version = item.metadata?.resourceVersion;
            if (version) resourceVersion = version;
            if (type === 'ADDED' || type === 'MODIFIED' || type === 'DELETED' || type === 'BOOKMARK') {
              onEvent(type, item);
            }
          },
          (error: unknown) => {
            if (settled) return;
            if (signal.aborted) return finish({ reason: 'aborted' });
            if (error === null || error === undefined) return finish({ reason: 'closed' });
            const status = (error as { statusCode?: unknown }).statusCode;
            if (status === 410) return finish({ reason: 'expired' });
            // client-node ends a watch that saw nothing for 30 s: an idle stream, resumable.
            if (error instanceof Error && error.name === 'TimeoutError') return finish({ reason: 'closed' });
            finish({
              reason: 'error',
              error:
                typeof status === 'number'
                  ? new ClusterApiError(`watch ${KIND_PATHS[kind].plural}: HTTP ${status}`, { status })
                  : this.transportError(error, `watch ${KIND_PATHS[kind].plural}`),
            });
          },
        )
        .then(
          (started) => {
            controller = started;
            if (settled) started.abort();
          },
          (error: unknown) => finish({ reason: 'error', error: this.transportError(error, 'watch') }),
        );
    });
  }

  async create(object: KubeObject, signal: AbortSignal): Promise<KubeObject> {
    const kind = kindOf(object);
    const text = await this.request('POST', collectionPath(kind, object.metadata.namespace), signal, {
      body: JSON.stringify(object),
    });
    return JSON.parse(text ?? '{}') as KubeObject;
  }

  async delete(
    kind: KubeKind,
    name: string,
    namespace: string | undefined,
    options: { propagationPolicy?: 'Background' | 'Foreground' | 'Orphan'; gracePeriodSeconds?: number },
    signal: AbortSignal,
  ): Promise<boolean> {
    const response = await this.request('DELETE', objectPath(kind, namespace, name), signal, {
      allow404: true,
      body: JSON.stringify({ apiVersion: 'v1', kind: 'DeleteOptions', ...options }),
    });
    return response !== undefined;
  }

  async patchMetadata(
    kind: KubeKind,
    name: string,
    namespace: string | undefined,
    metadata: { labels?: Record<string, string | null>; annotations?: Record<string, string | null> },
    signal: AbortSignal,
  ): Promise<KubeObject> {
    const text = await this.request('PATCH', objectPath(kind, namespace, name), signal, {
      body: JSON.stringify({ metadata }),
      contentType: 'application/merge-patch+json',
    });
    return JSON.parse(text ?? '{}') as KubeObject;
  }

  async readPodLog(namespace: string, pod: string, query: LogQuery, signal: AbortSignal): Promise<string> {
    const params: Record<string, string | undefined> = {
      container: query.container,
      previous: query.previous ? 'true' : undefined,
      tailLines: query.tailLines === undefined ? undefined : String(query.tailLines),
      limitBytes: query.limitBytes === undefined ? undefined : String(query.limitBytes),
    };
    const path = `${objectPath(KubeKind.Pod, namespace, pod)}/log${queryString(params)}`;
    return (await this.request('GET', path, signal)) ?? '';
  }

  async serverVersion(signal: AbortSignal): Promise<string> {
    const text = await this.request('GET', '/version', signal);
    return (JSON.parse(text ?? '{}') as { gitVersion?: string }).gitVersion ?? 'unknown';
  }

  /** One request; resolves with the body text, or undefined for an allowed 404. */
  private async request(
    method: HttpMethod,
    path: string,
    signal: AbortSignal,
    options: { body?: string; contentType?: string; allow404?: boolean } = {},
  ): Promise<string | undefined> {
    signal.throwIfAborted();
    const context = new RequestContext(this.server + path, method);
    context.setHeaderParam('Accept', 'application/json');
    if (options.body !== undefined) {
      context.setHeaderParam('Content-Type', options.contentType ?? 'application/json');
      context.setBody(options.body);
    }
    context.setSignal(signal);
    let response: ResponseContext;
    try {
      await this.config.applySecurityAuthentication(context);
      this.reuseDispatcher(context);
      response = await this.http.send(context).toPromise();
    } catch (error) {
      signal.throwIfAborted();
      throw this.transportError(error, `${method} ${path}`);
    }
    let text: string;
    try {
      text = await response.body.text();
    } catch (error) {
      signal.throwIfAborted();
      throw this.transportError(error, `${method} ${path}`);
    }
    const status = response.httpStatusCode;
    if (status >= 200 && status < 300) return text;
    if (status === 404 && options.allow404) return undefined;
    let reason: string | undefined;
    let message = text.trim().slice(0, 500) || `HTTP ${status}`;
    try {
      const parsed = JSON.parse(text) as { reason?: string; message?: string };
      if (parsed.reason) reason = parsed.reason;
      if (parsed.message) message = parsed.message;
    } catch {
      // Not a Status object (a proxy's HTML page, say): keep the raw text.
    }
    throw new ClusterApiError(`${method} ${path}: ${message}`, {
      status,
      ...(reason === undefined ? {} : { reason }),
    });
  }

  /**
   * client-node builds a new undici dispatcher for every request when the kubeconfig has TLS
   * settings, which would open a fresh connection per call; they depend only on the kubeconfig, so
   * the first one serves them all.
   */
  private reuseDispatcher(context: RequestContext): void {
    if (!this.dispatcherKnown) {
      this.dispatcher = context.getDispatcher();
      this.dispatcherKnown = true;
    } else if (this.dispatcher !== undefined) {
      context.setDispatcher(this.dispatcher);
    }
  }

  /** A request that got no HTTP response: name the server and what the socket said. */
  private transportError(error: unknown, what: string): ClusterApiError {
    if (error instanceof ClusterApiError) return error;
    return new ClusterApiError(
      `cannot reach the Kubernetes API server at ${this.server} (${what}): ${socketProblem(error)}`,
      { cause: error },
    );
  }
}

const SOCKET_PROBLEMS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  UND_ERR_SOCKET: 'connection reset',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host not found',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
};

function socketProblem(error: unknown): string {
  const codes: string[] = [];
  const visit = (value: unknown, depth: number) => {
    if (depth > 4 || typeof value !== 'object' || value === null) return;
    const record = value as { code?: unknown; cause?: unknown; errors?: unknown };
    if (typeof record.code === 'string') codes.push(record.code);
    visit(record.cause, depth + 1);
    if (Array.isArray(record.errors)) for (const inner of record.errors) visit(inner, depth + 1);
  };
  visit(error, 0);
  for (const code of codes) {
    const problem = SOCKET_PROBLEMS[code];
    if (problem) return problem;
  }
  return error instanceof Error ? error.message : String(error);
}

/** The kubeconfig files in kubectl's order: an explicit path, else $KUBECONFIG, else ~/.kube/config. */
/**
 * Checks that a kube context exists in the kubeconfig kubectl would read (KUBECONFIG merged, else
 * ~/.kube/config, or `kubeconfigPath`), without contacting the cluster: the submitter's check
 * before a run is stored. Throws UsageError (exit 2) naming the context and the files.
 */
export function checkKubeContext(
  context: string,
  options: { kubeconfigPath?: string | undefined; env?: NodeJS.ProcessEnv } = {},
): void {
  const files = kubeconfigFiles(options.kubeconfigPath, options.env ?? process.env);
  assertContext(loadKubeConfig(files), context, files);
}

function loadKubeConfig(files: readonly string[]): KubeConfig {
  const config = new KubeConfig();
  try {
    if (files.length > 0) {
      config.loadFromFile(files[0] as string);
      for (const file of files.slice(1)) {
        const more = new KubeConfig();
        more.loadFromFile(file);
        // kubectl keeps the first file's current-context; later files only add entries.
        config.mergeConfig(more, true);
      }
    } else if (existsSync(SERVICE_ACCOUNT_TOKEN)) {
      config.loadFromCluster();
    } else {
      throw new UsageError('no kubeconfig found', {
        code: 'no-kubeconfig',
        hint: 'set KUBECONFIG or pass --kubeconfig FILE',
      });
    }
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(
      `cannot load kubeconfig ${files.join(delimiter)}: ${error instanceof Error ? error.message : String(error)}`,
      { code: 'invalid-kubeconfig', cause: error },
    );
  }
  return config;
}

function assertContext(config: KubeConfig, context: string, files: readonly string[]): void {
  if (config.getContextObject(context)) return;
  const names = config.getContexts().map((entry) => entry.name);
  throw new UsageError(
    `kube context "${context}" not found in ${files.join(delimiter) || 'the in-cluster config'}; contexts: ${names.join(', ') || '(none)'}`,
    { code: 'unknown-context' },
  );
}

function kubeconfigFiles(explicit: string | undefined, env: NodeJS.ProcessEnv): string[] {
  if (explicit) return [explicit];
  const fromEnv = (env.KUBECONFIG ?? '').split(delimiter).filter((file) => file !== '');
  if (fromEnv.length > 0) return fromEnv.filter((file, index) => index === 0 || existsSync(file));
  const home = env.HOME ?? homedir();
  const fallback = join(home, '.kube', 'config');
  return existsSync(fallback) ? [fallback] : [];
}

function kindOf(object: KubeObject): KubeKind {
  const kind = Object.values(KubeKind).find((candidate) => candidate === object.kind);
  if (!kind) throw new ClusterApiError(`kind ${object.kind} is not supported by kubesoak`, { status: 400 });
  return kind;
}

function collectionPath(kind: KubeKind, namespace: string | undefined): string {
  const path = KIND_PATHS[kind];
  return path.namespaced && namespace
    ? `${path.prefix}/namespaces/${encodeURIComponent(namespace)}/${path.plural}`
    : `${path.prefix}/${path.plural}`;
}

function objectPath(kind: KubeKind, namespace: string | undefined, name: string): string {
  return `${collectionPath(kind, KIND_PATHS[kind].namespaced ? namespace : undefined)}/${encodeURIComponent(name)}`;
}

function selectorParams(query: ListQuery): Record<string, string | undefined> {
  return { labelSelector: query.labelSelector, fieldSelector: query.fieldSelector };
}

function queryString(params: Record<string, string | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params))
    if (value !== undefined && value !== '') search.set(key, value);
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
}
