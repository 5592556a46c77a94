import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { parse as parseYaml } from 'yaml';
import type { SimTimer } from '../sim-clock.ts';
import type { SimContext } from '../sim-context.ts';
import { R } from '../resources.ts';
import type { DeleteOptions } from '../store/object-store.ts';
import { kubeTime } from '../store/object-store.ts';
import { parseFieldSelector, parseLabelSelector } from '../store/selectors.ts';
import { ApiError, StatusReason } from './api-error.ts';
import { admitPod } from '../controllers/pod-admission.ts';
import { ClusterIpAllocator, applyDefaults } from './defaulting.ts';
import { SIM_SERVER_VERSION, apiGroup, apiGroupList, apiResourceList, apiVersions } from './discovery.ts';
import type { KubeObject } from './kube-object.ts';
import {
  OPENAPI_V2_PROTOBUF_CONTENT_TYPE,
  openApiV2Protobuf,
  openApiV3Document,
  openApiV3Root,
} from './openapi.ts';
import {
  ApplyConflictError,
  PatchError,
  applyJsonPatch,
  applyMergePatch,
  applyStrategicMergePatch,
  recordUpdateManager,
  serverSideApply,
} from './patch.ts';
import { ProtobufDecodeError, decodeKubernetesProtobuf } from './protobuf-codec.ts';
import type { ResourcePath } from './request-path.ts';
import { parseResourcePath } from './request-path.ts';
import type { ResourceType } from './resource-types.ts';
import { RESOURCE_TYPES, apiVersionOf } from './resource-types.ts';
import { buildTable, includeObjectFrom, parseTableAccept } from './tables.ts';
import { validateObject } from './validation.ts';

/** What the fault layer may do to a request before it is served (used by fault injection). */
export type RequestFault =
  | { kind: 'status'; code: number; reason?: string; message?: string }
  /** Simulated ms, scaled by the cluster's time scale. */
  | { kind: 'delay'; ms: number }
  | { kind: 'reset' };

/** Consulted for every request; returns faults to apply in order (delay first, then the rest). */
export type RequestFaultHook = (request: { method: string; path: string; verb: string }) => RequestFault[];

export interface ApiServerOptions {
  /** Milliseconds between BOOKMARK events sent to watches that allow them. */
  bookmarkIntervalMs?: number;
  /** Upper bound of a watch's life when the client sets no timeoutSeconds. */
  maxWatchSeconds?: number;
  faults?: RequestFaultHook;
}

interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  method: string;
}

const JSON_TYPE = 'application/json';

/**
 * The simulated cluster's Kubernetes API server over plain HTTP: discovery, OpenAPI v3, CRUD with
 * JSON/YAML/protobuf bodies, merge/strategic/JSON patches and server-side apply, list/watch with
 * selectors and resourceVersion semantics, Tables for kubectl, and pod logs.
 */
export class SimApiServer {
  private readonly ctx: SimContext;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly watchClosers = new Set<() => void>();
  private readonly ips = new ClusterIpAllocator();
  private readonly options: Required<Omit<ApiServerOptions, 'faults'>> & Pick<ApiServerOptions, 'faults'>;
  private bookmarkTimer: NodeJS.Timeout | undefined;
  private address = '127.0.0.1:0';
  private closed = false;
  private refusing = false;
  private refuseTimer: SimTimer | undefined;
  /** Requests served so far (for benchmarks and tests). */
  requestCount = 0;
  /** Server-side durations (ms) of non-watch requests since the last reset, bounded. */
  private latencies: number[] = [];

  constructor(ctx: SimContext, options: ApiServerOptions = {}) {
    this.ctx = ctx;
    this.options = {
      bookmarkIntervalMs: options.bookmarkIntervalMs ?? 10_000,
      maxWatchSeconds: options.maxWatchSeconds ?? 1800,
      faults: options.faults,
    };
    this.server = createServer((req, res) => {
      void this.handle(req, res);
    });
    this.server.keepAliveTimeout = 65_000;
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  /** Starts listening; resolves with the base URL. */
  async listen(port = 0, host = '127.0.0.1'): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const address = this.server.address();
    const actualPort = typeof address === 'object' && address ? address.port : port;
    this.address = `${host}:${actualPort}`;
    this.bookmarkTimer = setInterval(() => this.ctx.store.bookmark(), this.options.bookmarkIntervalMs);
    this.bookmarkTimer.unref();
    return `http://${this.address}`;
  }

  /** Ends every watch with a clean close, as an API server restart or a proxy timeout does. */
  dropWatches(): number {
    const closers = [...this.watchClosers];
    for (const close of closers) close();
    return closers.length;
  }

  /**
   * Fault injection: stops accepting connections for `simMs` simulated ms, as a restarting API
   * server or a dead load balancer does. Open connections are destroyed (clients see EOF or
   * "connection reset by peer"), new ones are refused ("connect: connection refused"), then the
   * server listens again on the same port.
   */
  refuseConnections(simMs: number): void {
    if (this.closed || this.refusing) return;
    this.refusing = true;
    this.dropWatches();
    this.server.close();
    for (const socket of this.sockets) socket.destroy();
    this.refuseTimer = this.ctx.clock.after(simMs, () => this.relisten());
  }

  private relisten(): void {
    this.refuseTimer = undefined;
    if (this.closed) return;
    const [host = '127.0.0.1', port = '0'] = splitHostPort(this.address);
    // Someone may have taken the port meanwhile: keep trying every simulated second.
    const retry = () => {
      this.server.off('listening', listening);
      if (!this.closed) this.refuseTimer = this.ctx.clock.after(1000, () => this.relisten());
    };
    const listening = () => {
      this.server.off('error', retry);
      this.refusing = false;
    };
    this.server.once('error', retry);
    this.server.once('listening', listening);
    this.server.listen(Number(port), host);
  }

  /** True while {@link refuseConnections} keeps the port closed. */
  get refusingConnections(): boolean {
    return this.refusing;
  }

  /** Stops accepting and closes every connection. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.bookmarkTimer) clearInterval(this.bookmarkTimer);
    this.refuseTimer?.cancel();
    this.dropWatches();
    const done = this.server.listening
      ? new Promise<void>((resolve) => this.server.close(() => resolve()))
      : Promise.resolve();
    for (const socket of this.sockets) socket.destroy();
    await done;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.requestCount += 1;
    const started = performance.now();
    const url = new URL(req.url ?? '/', 'http://sim');
    const method = (req.method ?? 'GET').toUpperCase();
    if (url.pathname === '/debug/kubesoak/latency') return this.serveLatency(res, url);
    res.once('finish', () => {
      if (url.searchParams.get('watch') === 'true' || url.searchParams.get('follow') === 'true') return;
      if (this.latencies.length < 1_000_000) this.latencies.push(performance.now() - started);
    });
    const rc: RequestContext = { req, res, url, method };
    try {
      if (this.options.faults) {
        const verb = this.verbOf(method, url);
        for (const fault of this.options.faults({ method, path: url.pathname, verb })) {
          if (fault.kind === 'delay')
            await new Promise<void>((resolve) => this.ctx.clock.after(fault.ms, resolve));
          else if (fault.kind === 'reset') {
            req.socket.destroy();
            return;
          } else {
            throw new ApiError(
              fault.code,
              (fault.reason ??
                (fault.code === 503
                  ? StatusReason.ServiceUnavailable
                  : StatusReason.InternalError)) as StatusReason,
              fault.message ?? 'simulated server error',
            );
          }
        }
      }
      await this.route(rc);
    } catch (error) {
      this.fail(rc, error);
    }
  }

  /** Server-side request latency percentiles, like apiserver_request_duration_seconds. */
  private serveLatency(res: ServerResponse, url: URL): void {
    const sorted = [...this.latencies].sort((a, b) => a - b);
    const at = (p: number) =>
      sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0;
    const body = JSON.stringify({
      count: sorted.length,
      p50: at(50),
      p90: at(90),
      p99: at(99),
      max: sorted.at(-1) ?? 0,
    });
    if (url.searchParams.get('reset') === 'true') this.latencies = [];
    res.writeHead(200, { 'Content-Type': JSON_TYPE });
    res.end(body);
  }

  private verbOf(method: string, url: URL): string {
    if (method === 'GET')
      return url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1'
        ? 'watch'
        : 'get';
    return method.toLowerCase();
  }

  private async route(rc: RequestContext): Promise<void> {
    const { url, method } = rc;
    const path = url.pathname.replace(/\/+$/, '') || '/';
    if (method === 'GET') {
      switch (path) {
        case '/version':
          return this.send(rc, 200, SIM_SERVER_VERSION);
        case '/healthz':
        case '/livez':
        case '/readyz':
          return this.sendText(rc, 200, 'ok');
        case '/api':
          return this.send(rc, 200, apiVersions(this.address));
        case '/apis':
          return this.send(rc, 200, apiGroupList(RESOURCE_TYPES));
        case '/openapi/v3':
          return this.send(rc, 200, openApiV3Root(RESOURCE_TYPES));
        case '/openapi/v2': {
          // client-go decodes v2 only as protobuf; an empty but valid document lets kinds the
          // cluster does not serve fail with the real "no matches for kind" error.
          const body = openApiV2Protobuf();
          rc.res.writeHead(200, {
            'Content-Type': OPENAPI_V2_PROTOBUF_CONTENT_TYPE,
            'Content-Length': body.byteLength,
          });
          rc.res.end(body);
          return;
        }
        default:
          break;
      }
      if (path.startsWith('/openapi/v3/')) {
        const gvPath = path.slice('/openapi/v3/'.length);
        const [prefix, a, b] = gvPath.split('/');
        const group = prefix === 'api' ? '' : (a ?? '');
        const version = prefix === 'api' ? (a ?? '') : (b ?? '');
        const doc =
          prefix === 'api' || prefix === 'apis'
            ? openApiV3Document(RESOURCE_TYPES, group, version)
            : undefined;
        if (!doc)
          throw new ApiError(404, StatusReason.NotFound, `the server could not find the requested resource`);
        // Like the real server: hashed URLs are immutable, so kubectl caches them across commands.
        if (url.searchParams.has('hash')) rc.res.setHeader('Cache-Control', 'public, immutable');
        return this.send(rc, 200, doc);
      }
      const groupPath = /^\/apis\/([^/]+)$/.exec(path);
      if (groupPath) {
        const group = apiGroup(RESOURCE_TYPES, groupPath[1] ?? '');
        if (!group) throw notFoundPath();
        return this.send(rc, 200, group);
      }
    }
    const parsed = parseResourcePath(path, RESOURCE_TYPES);
    if (!parsed) throw notFoundPath();
    if (parsed.kind === 'group-version') {
      const list =
        method === 'GET' ? apiResourceList(RESOURCE_TYPES, parsed.group, parsed.version) : undefined;
      if (!list) throw notFoundPath();
      return this.send(rc, 200, list);
    }
    if (parsed.kind === 'unknown-resource') throw notFoundPath();
    return this.serveResource(rc, parsed.path);
  }

  private async serveResource(rc: RequestContext, path: ResourcePath): Promise<void> {
    const { method, url } = rc;
    const { resource, name, subresource } = path;
    const watch =
      path.legacyWatch || url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1';
    if (subresource !== undefined && !resource.subresources.includes(subresource as never))
      throw notFoundPath();
    if (method === 'GET') {
      if (subresource === 'log') return this.serveLog(rc, path);
      if (name === undefined || watch) {
        const fieldName = name === undefined ? undefined : `metadata.name=${name}`;
        return watch ? this.serveWatch(rc, path, fieldName) : this.serveList(rc, path);
      }
      const object = this.ctx.store.mustGet(resource, path.namespace, name);
      return this.sendObject(rc, 200, resource, object);
    }
    if (method === 'POST') {
      if (name !== undefined && subresource === 'eviction') return this.evict(rc, path);
      if (name !== undefined && subresource === 'binding') return this.bind(rc, path);
      if (name !== undefined)
        throw ApiError.methodNotAllowed(`the server does not allow this method on the requested resource`);
      return this.create(rc, path);
    }
    if (method === 'PUT') {
      if (name === undefined)
        throw ApiError.methodNotAllowed('the server does not allow this method on the requested resource');
      return this.replace(rc, path);
    }
    if (method === 'PATCH') {
      if (name === undefined)
        throw ApiError.methodNotAllowed('the server does not allow this method on the requested resource');
      return this.patch(rc, path);
    }
    if (method === 'DELETE') {
      return name === undefined ? this.deleteCollection(rc, path) : this.deleteOne(rc, path);
    }
    throw ApiError.methodNotAllowed(`the server does not allow this method on the requested resource`);
  }

  private listOptions(url: URL, path: ResourcePath, extraField?: string) {
    const fieldSelector = [url.searchParams.get('fieldSelector'), extraField].filter(Boolean).join(',');
    return {
      namespace: path.namespace,
      labelSelector: parseLabelSelector(url.searchParams.get('labelSelector')),
      fieldSelector: parseFieldSelector(fieldSelector),
    };
  }

  private serveList(rc: RequestContext, path: ResourcePath): void {
    const items = this.ctx.store.list(path.resource, this.listOptions(rc.url, path));
    if (parseTableAccept(rc.req.headers.accept).table) {
      return this.send(
        rc,
        200,
        buildTable(path.resource.kind, items, {
          now: this.ctx.clock.now(),
          includeObject: includeObjectFrom(rc.url.searchParams),
          resourceVersion: this.ctx.store.resourceVersion,
        }),
      );
    }
    this.send(rc, 200, {
      kind: `${path.resource.kind}List`,
      apiVersion: apiVersionOf(path.resource),
      metadata: { resourceVersion: this.ctx.store.resourceVersion },
      items,
    });
  }

  private serveWatch(rc: RequestContext, path: ResourcePath, nameField: string | undefined): void {
    const { res, url, req } = rc;
    const options = this.listOptions(url, path, nameField);
    const sendInitialEvents = url.searchParams.get('sendInitialEvents') === 'true';
    const resourceVersion = url.searchParams.get('resourceVersion') ?? undefined;
    const table = parseTableAccept(req.headers.accept).table;
    const includeObject = table ? includeObjectFrom(url.searchParams) : 'None';
    let headersSent = false;
    // Headers go out at once: client-go blocks on them until the first event otherwise.
    res.writeHead(200, {
      'Content-Type': JSON_TYPE,
      'Cache-Control': 'no-cache, private',
      'Transfer-Encoding': 'chunked',
    });
    res.flushHeaders();
    let open = true;
    const sink = {
      send: (type: string, object: unknown) => {
        if (!open) return;
        let payload = object;
        if (table && type !== 'ERROR' && type !== 'BOOKMARK') {
          const row = object as KubeObject;
          // Like the real server: column definitions ride on the first event only.
          payload = buildTable(path.resource.kind, [row], {
            now: this.ctx.clock.now(),
            includeObject,
            resourceVersion: row.metadata.resourceVersion ?? this.ctx.store.resourceVersion,
            noHeaders: headersSent,
          });
          headersSent = true;
        }
        res.write(`${JSON.stringify({ type, object: payload })}\n`);
      },
    };
    let stop: () => void = () => undefined;
    const close = () => {
      if (!open) return;
      open = false;
      stop();
      clearTimeout(timer);
      this.watchClosers.delete(close);
      res.end();
    };
    const timeoutSeconds = Number(url.searchParams.get('timeoutSeconds') ?? this.options.maxWatchSeconds);
    const timer = setTimeout(close, Math.min(timeoutSeconds, this.options.maxWatchSeconds) * 1000);
    this.watchClosers.add(close);
    req.once('close', close);
    res.once('close', close);
    try {
      stop = this.ctx.store.watch(
        path.resource,
        {
          ...options,
          resourceVersion: sendInitialEvents ? undefined : resourceVersion,
          sendInitialEvents,
          allowBookmarks: url.searchParams.get('allowWatchBookmarks') === 'true',
        },
        sink,
      );
    } catch (error) {
      const status =
        error instanceof ApiError ? error : new ApiError(500, StatusReason.InternalError, String(error));
      sink.send('ERROR', status.toStatus());
      close();
    }
  }

  private serveLog(rc: RequestContext, path: ResourcePath): void {
    const { url, res, req } = rc;
    const namespace = path.namespace ?? 'default';
    const podName = path.name ?? '';
    const pod = this.ctx.store.mustGet(path.resource, namespace, podName);
    const spec = pod.spec as {
      containers?: Array<{ name: string }>;
      initContainers?: Array<{ name: string }>;
    };
    const containers = (spec.containers ?? []).map((c) => c.name);
    const inits = (spec.initContainers ?? []).map((c) => c.name);
    let container = url.searchParams.get('container') ?? undefined;
    if (!container) {
      if (containers.length === 1) container = containers[0];
      else {
        throw ApiError.badRequest(
          `a container name must be specified for pod ${podName}, choose one of: [${containers.join(' ')}]` +
            (inits.length > 0 ? ` or one of the init containers: [${inits.join(' ')}]` : ''),
        );
      }
    }
    const name = container ?? '';
    if (!containers.includes(name) && !inits.includes(name)) {
      throw ApiError.badRequest(`container ${name} is not valid for pod ${podName}`);
    }
    const previous = url.searchParams.get('previous') === 'true';
    const status = pod.status as {
      containerStatuses?: Array<{ name: string; state?: { waiting?: { reason?: string } } }>;
      initContainerStatuses?: Array<{ name: string; state?: { waiting?: { reason?: string } } }>;
    };
    const containerStatus = [
      ...(status?.containerStatuses ?? []),
      ...(status?.initContainerStatuses ?? []),
    ].find((s) => s.name === name);
    if (previous && !this.ctx.logs.has(namespace, podName, name, true)) {
      throw ApiError.badRequest(`previous terminated container "${name}" in pod "${podName}" not found`);
    }
    if (!previous && !this.ctx.logs.has(namespace, podName, name)) {
      const reason = containerStatus?.state?.waiting?.reason ?? 'ContainerCreating';
      throw ApiError.badRequest(`container "${name}" in pod "${podName}" is waiting to start: ${reason}`);
    }
    const numberParam = (key: string) => {
      const value = url.searchParams.get(key);
      return value === null ? undefined : Number(value);
    };
    const timestamps = url.searchParams.get('timestamps') === 'true';
    const text = this.ctx.logs.read(namespace, podName, {
      container: name,
      previous,
      tailLines: numberParam('tailLines'),
      limitBytes: numberParam('limitBytes'),
      timestamps,
    });
    if (url.searchParams.get('follow') !== 'true' || previous) {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end(text);
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Transfer-Encoding': 'chunked' });
    res.write(text);
    const unfollow = this.ctx.logs.follow(namespace, podName, name, (line, at) => {
      res.write(timestamps ? `${at} ${line}\n` : `${line}\n`);
    });
    const unsubscribe = this.ctx.store.subscribe((event) => {
      if (
        event.resource !== R.pod ||
        event.object.metadata.name !== podName ||
        event.object.metadata.namespace !== namespace
      ) {
        return;
      }
      const statuses = (event.object.status as typeof status | undefined)?.containerStatuses ?? [];
      const terminated = statuses.find(
        (s) => s.name === name && (s.state as { terminated?: unknown } | undefined)?.terminated,
      );
      if (event.type === 'DELETED' || terminated) end();
    });
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      unfollow();
      unsubscribe();
      this.watchClosers.delete(end);
      res.end();
    };
    this.watchClosers.add(end);
    req.once('close', end);
  }

  private async create(rc: RequestContext, path: ResourcePath): Promise<void> {
    const { resource } = path;
    const body = await this.readObject(rc);
    if (body.kind && body.kind !== resource.kind) {
      throw ApiError.badRequest(
        `the API version in the data (${body.apiVersion}) does not match the expected API version (${apiVersionOf(resource)})`,
      );
    }
    const object: KubeObject = {
      ...body,
      apiVersion: apiVersionOf(resource),
      kind: resource.kind,
      metadata: { ...body.metadata },
    };
    this.placeInNamespace(object, path);
    this.admitCreate(resource, object);
    this.defaultNew(resource, object);
    validateObject(resource, object);
    const manager = rc.url.searchParams.get('fieldManager') ?? userAgentManager(rc.req);
    const managed = recordUpdateManager(undefined, object, manager, kubeTime());
    if (isDryRun(rc.url)) return this.sendObject(rc, 201, resource, managed);
    const created = this.ctx.store.create(resource, managed);
    this.sendObject(rc, 201, resource, created);
  }

  private async replace(rc: RequestContext, path: ResourcePath): Promise<void> {
    const { resource, name } = path;
    const body = await this.readObject(rc);
    if (body.metadata?.name && body.metadata.name !== name) {
      throw ApiError.badRequest(
        `the name of the object (${body.metadata.name}) does not match the name on the URL (${name})`,
      );
    }
    const object: KubeObject = {
      ...body,
      apiVersion: apiVersionOf(resource),
      kind: resource.kind,
      metadata: { ...body.metadata, name },
    };
    this.placeInNamespace(object, path);
    const current = this.ctx.store.get(resource, path.namespace, name ?? '');
    if (!current) throw ApiError.notFound(resource.plural, name ?? '', resource.group);
    if (path.subresource === 'status') {
      if (isDryRun(rc.url)) return this.sendObject(rc, 200, resource, { ...current, status: object.status });
      return this.sendObject(
        rc,
        200,
        resource,
        this.ctx.store.update(resource, object, { subresource: 'status' }),
      );
    }
    if (path.subresource === 'finalize' && resource.kind === 'Namespace') {
      const next = {
        ...current,
        spec: {
          ...current.spec,
          finalizers: (object.spec as { finalizers?: string[] } | undefined)?.finalizers ?? [],
        },
      };
      return this.sendObject(rc, 200, resource, this.ctx.store.update(resource, next));
    }
    applyDefaults(resource, object, this.ips);
    if (resource.kind === 'Service') keepClusterIp(current, object);
    validateObject(resource, object);
    const manager = rc.url.searchParams.get('fieldManager') ?? userAgentManager(rc.req);
    const managed = recordUpdateManager(current, object, manager, kubeTime());
    if (isDryRun(rc.url)) return this.sendObject(rc, 200, resource, managed);
    this.sendObject(rc, 200, resource, this.ctx.store.update(resource, managed));
  }

  private async patch(rc: RequestContext, path: ResourcePath): Promise<void> {
    const { resource, name } = path;
    const contentType = (rc.req.headers['content-type'] ?? '').split(';')[0]?.trim() ?? '';
    const raw = await readBody(rc.req);
    const current = this.ctx.store.get(resource, path.namespace, name ?? '');
    const now = kubeTime();
    if (contentType === 'application/apply-patch+yaml' || contentType === 'application/apply-patch+cbor') {
      const applied = parseYamlOrJson(raw) as KubeObject;
      if (!applied || typeof applied !== 'object')
        throw ApiError.badRequest('the body of the apply patch is not an object');
      const manager = rc.url.searchParams.get('fieldManager');
      if (!manager) {
        throw new ApiError(
          422,
          StatusReason.Invalid,
          'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
        );
      }
      if (!current && path.subresource) throw ApiError.notFound(resource.plural, name ?? '', resource.group);
      const force = rc.url.searchParams.get('force') === 'true';
      const appliedObject: KubeObject = {
        ...applied,
        metadata: {
          ...applied.metadata,
          name,
          ...(resource.namespaced ? { namespace: path.namespace } : {}),
        },
      };
      let result: { object: Record<string, unknown>; created: boolean };
      try {
        result = serverSideApply(current, appliedObject, { manager, force, kind: resource.kind, now });
      } catch (error) {
        throw translatePatchError(error, resource, name ?? '');
      }
      const object = result.object as KubeObject;
      if (!current) {
        this.placeInNamespace(object, path);
        this.admitCreate(resource, object);
        this.defaultNew(resource, object);
        validateObject(resource, object);
        if (isDryRun(rc.url)) return this.sendObject(rc, 201, resource, object);
        return this.sendObject(rc, 201, resource, this.ctx.store.create(resource, object));
      }
      applyDefaults(resource, object, this.ips);
      if (resource.kind === 'Service') keepClusterIp(current, object);
      validateObject(resource, object);
      object.metadata.resourceVersion = current.metadata.resourceVersion;
      if (isDryRun(rc.url)) return this.sendObject(rc, 200, resource, object);
      return this.sendObject(
        rc,
        200,
        resource,
        this.ctx.store.update(
          resource,
          object,
          path.subresource === 'status' ? { subresource: 'status' } : {},
        ),
      );
    }
    if (!current) throw ApiError.notFound(resource.plural, name ?? '', resource.group);
    let patched: Record<string, unknown>;
    try {
      const patch = JSON.parse(raw.toString('utf8') || 'null') as unknown;
      if (contentType === 'application/json-patch+json') patched = applyJsonPatch(current, patch);
      else if (contentType === 'application/merge-patch+json') patched = applyMergePatch(current, patch);
      else if (contentType === 'application/strategic-merge-patch+json') {
        patched = applyStrategicMergePatch(current, patch, resource.kind);
      } else {
        throw new ApiError(
          415,
          StatusReason.UnsupportedMediaType,
          `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json`,
        );
      }
    } catch (error) {
      if (error instanceof SyntaxError) throw ApiError.badRequest(`error decoding patch: ${error.message}`);
      throw translatePatchError(error, resource, name ?? '');
    }
    const object = patched as KubeObject;
    object.metadata = {
      ...object.metadata,
      name,
      resourceVersion: object.metadata?.resourceVersion ?? current.metadata.resourceVersion,
    };
    this.placeInNamespace(object, path);
    if (path.subresource === 'status') {
      if (isDryRun(rc.url)) return this.sendObject(rc, 200, resource, object);
      return this.sendObject(
        rc,
        200,
        resource,
        this.ctx.store.update(resource, object, { subresource: 'status' }),
      );
    }
    applyDefaults(resource, object, this.ips);
    if (resource.kind === 'Service') keepClusterIp(current, object);
    validateObject(resource, object);
    const manager = rc.url.searchParams.get('fieldManager') ?? userAgentManager(rc.req);
    const managed = recordUpdateManager(current, object, manager, now);
    if (isDryRun(rc.url)) return this.sendObject(rc, 200, resource, managed);
    this.sendObject(rc, 200, resource, this.ctx.store.update(resource, managed));
  }

  private async deleteOne(rc: RequestContext, path: ResourcePath): Promise<void> {
    const options = await this.deleteOptions(rc);
    const { object } = this.ctx.store.delete(path.resource, path.namespace, path.name ?? '', options);
    this.sendObject(rc, 200, path.resource, object);
  }

  private async deleteCollection(rc: RequestContext, path: ResourcePath): Promise<void> {
    const options = await this.deleteOptions(rc);
    const items = this.ctx.store.list(path.resource, this.listOptions(rc.url, path));
    const deleted: KubeObject[] = [];
    for (const item of items) {
      try {
        deleted.push(
          this.ctx.store.delete(path.resource, item.metadata.namespace, item.metadata.name ?? '', options)
            .object,
        );
      } catch (error) {
        if (!(error instanceof ApiError && error.code === 404)) throw error;
      }
    }
    this.send(rc, 200, {
      kind: `${path.resource.kind}List`,
      apiVersion: apiVersionOf(path.resource),
      metadata: { resourceVersion: this.ctx.store.resourceVersion },
      items: deleted,
    });
  }

  private async deleteOptions(rc: RequestContext): Promise<DeleteOptions> {
    const params = rc.url.searchParams;
    const raw = await readBody(rc.req);
    let body: Record<string, unknown> = {};
    if (raw.length > 0) body = this.decodeBody(rc, raw) as Record<string, unknown>;
    const grace = params.get('gracePeriodSeconds') ?? body.gracePeriodSeconds;
    const policy = params.get('propagationPolicy') ?? body.propagationPolicy;
    const orphan = params.get('orphanDependents') ?? body.orphanDependents;
    return {
      gracePeriodSeconds: grace === undefined || grace === null ? undefined : Number(grace),
      propagationPolicy:
        (policy as DeleteOptions['propagationPolicy']) ??
        (orphan === true || orphan === 'true' ? 'Orphan' : undefined),
      preconditions: body.preconditions as DeleteOptions['preconditions'],
    };
  }

  private async evict(rc: RequestContext, path: ResourcePath): Promise<void> {
    const body = (await this.readObject(rc)) as { deleteOptions?: { gracePeriodSeconds?: number } };
    this.ctx.store.delete(path.resource, path.namespace, path.name ?? '', {
      gracePeriodSeconds: body.deleteOptions?.gracePeriodSeconds,
    });
    this.send(rc, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
  }

  private async bind(rc: RequestContext, path: ResourcePath): Promise<void> {
    const body = (await this.readObject(rc)) as { target?: { name?: string } };
    const target = body.target?.name;
    if (!target) throw ApiError.badRequest('Binding.target.name: Required value');
    this.ctx.store.bindPod(
      path.resource,
      path.namespace ?? 'default',
      path.name ?? '',
      target,
      this.ctx.clock.now(),
    );
    this.send(rc, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
  }

  /**
   * Defaulting plus the mutating admission a new object passes: pods get what the ServiceAccount,
   * DefaultTolerationSeconds and Priority plugins add (the same path controller-made pods take).
   */
  private defaultNew(resource: ResourceType, object: KubeObject): void {
    if (resource.kind === 'Pod') {
      const random = this.ctx.random.stream(
        `admission/${object.metadata.namespace ?? ''}/${object.metadata.name ?? object.metadata.generateName ?? ''}`,
      );
      admitPod(this.ctx.store, object, random);
      return;
    }
    applyDefaults(resource, object, this.ips);
  }

  /** Namespace admission: the namespace must exist and not be terminating (NamespaceLifecycle). */
  private admitCreate(resource: ResourceType, object: KubeObject): void {
    if (!resource.namespaced) return;
    const namespace = object.metadata.namespace ?? '';
    const ns = this.ctx.store.get(R.namespace, undefined, namespace);
    if (!ns) throw ApiError.notFound('namespaces', namespace);
    if (
      ns.metadata.deletionTimestamp ||
      (ns.status as { phase?: string } | undefined)?.phase === 'Terminating'
    ) {
      throw ApiError.namespaceTerminating(
        resource.plural,
        object.metadata.name ?? object.metadata.generateName ?? '',
        namespace,
        resource.group,
      );
    }
  }

  private placeInNamespace(object: KubeObject, path: ResourcePath): void {
    if (!path.resource.namespaced) {
      delete object.metadata.namespace;
      return;
    }
    const namespace = path.namespace ?? 'default';
    if (object.metadata.namespace && object.metadata.namespace !== namespace) {
      throw ApiError.badRequest(
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    }
    object.metadata.namespace = namespace;
  }

  private async readObject(rc: RequestContext): Promise<KubeObject> {
    const raw = await readBody(rc.req);
    const decoded = this.decodeBody(rc, raw);
    if (!decoded || typeof decoded !== 'object' || Array.isArray(decoded)) {
      throw ApiError.badRequest("Object 'Kind' is missing in request body");
    }
    const object = decoded as KubeObject;
    object.metadata = { ...(object.metadata ?? {}) };
    return object;
  }

  private decodeBody(rc: RequestContext, raw: Buffer): unknown {
    const contentType = (rc.req.headers['content-type'] ?? JSON_TYPE).split(';')[0]?.trim() ?? JSON_TYPE;
    try {
      if (contentType === 'application/vnd.kubernetes.protobuf') return decodeKubernetesProtobuf(raw);
      if (contentType === 'application/yaml' || contentType.endsWith('+yaml'))
        return parseYaml(raw.toString('utf8')) as unknown;
      return JSON.parse(raw.toString('utf8')) as unknown;
    } catch (error) {
      if (error instanceof ProtobufDecodeError) {
        throw new ApiError(
          415,
          StatusReason.UnsupportedMediaType,
          `the body of the request was in an unknown format: ${error.message}`,
        );
      }
      throw ApiError.badRequest(
        `error decoding request body: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  private sendObject(rc: RequestContext, code: number, resource: ResourceType, object: KubeObject): void {
    if (parseTableAccept(rc.req.headers.accept).table) {
      return this.send(
        rc,
        code,
        buildTable(resource.kind, [object], {
          now: this.ctx.clock.now(),
          includeObject: includeObjectFrom(rc.url.searchParams),
          resourceVersion: object.metadata.resourceVersion ?? this.ctx.store.resourceVersion,
        }),
      );
    }
    this.send(rc, code, object);
  }

  private send(rc: RequestContext, code: number, body: unknown): void {
    const text = JSON.stringify(body);
    rc.res.writeHead(code, { 'Content-Type': JSON_TYPE, 'Content-Length': Buffer.byteLength(text) });
    rc.res.end(text);
  }

  private sendText(rc: RequestContext, code: number, text: string): void {
    rc.res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8' });
    rc.res.end(text);
  }

  private fail(rc: RequestContext, error: unknown): void {
    const apiError =
      error instanceof ApiError
        ? error
        : new ApiError(
            500,
            StatusReason.InternalError,
            `Internal error occurred: ${error instanceof Error ? error.message : String(error)}`,
          );
    if (!(error instanceof ApiError))
      process.emitWarning(`sim api: ${error instanceof Error ? error.stack : String(error)}`);
    if (rc.res.headersSent) {
      rc.res.end();
      return;
    }
    this.send(rc, apiError.code, apiError.toStatus());
  }
}

function notFoundPath(): ApiError {
  return new ApiError(404, StatusReason.NotFound, 'the server could not find the requested resource', {});
}

function isDryRun(url: URL): boolean {
  return url.searchParams.getAll('dryRun').includes('All');
}

function userAgentManager(req: IncomingMessage): string {
  // Real servers derive the default field manager from the user agent's first token.
  return (req.headers['user-agent'] ?? 'unknown').split('/')[0] ?? 'unknown';
}

function keepClusterIp(current: KubeObject, next: KubeObject): void {
  const currentSpec = current.spec as { clusterIP?: string; clusterIPs?: string[] } | undefined;
  const nextSpec = (next.spec ??= {}) as { clusterIP?: string; clusterIPs?: string[] };
  if (currentSpec?.clusterIP) {
    nextSpec.clusterIP = currentSpec.clusterIP;
    nextSpec.clusterIPs = currentSpec.clusterIPs ?? [currentSpec.clusterIP];
  }
}

function translatePatchError(error: unknown, resource: ResourceType, name: string): unknown {
  if (error instanceof ApplyConflictError) {
    return new ApiError(409, StatusReason.Conflict, error.message, {
      name,
      group: resource.group,
      kind: resource.plural,
    });
  }
  if (error instanceof PatchError) {
    if (error.code === 'conflict') return ApiError.conflict(resource.plural, name, resource.group);
    return new ApiError(422, StatusReason.Invalid, error.message, {
      name,
      group: resource.group,
      kind: resource.kind,
    });
  }
  return error;
}

function parseYamlOrJson(raw: Buffer): unknown {
  const text = raw.toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    try {
      return parseYaml(text) as unknown;
    } catch (error) {
      throw ApiError.badRequest(
        `error decoding YAML: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function splitHostPort(address: string): [string, string] {
  const at = address.lastIndexOf(':');
  return [address.slice(0, at), address.slice(at + 1)];
}
