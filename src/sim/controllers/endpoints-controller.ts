import { ApiError } from '../api/api-error.ts';
import type { KubeObject } from '../api/kube-object.ts';
import { R } from '../resources.ts';
import type { StoreEvent } from '../store/object-store.ts';
import { createObject } from './object-create.ts';
import { isPodReady, isPodTerminal, podSpec, podStatus } from './pod-state.ts';
import { objectKey, QueueController, splitKey } from './queue-controller.ts';
import { semanticEqual } from './template-hash.ts';

const HEADLESS_LABEL = 'service.kubernetes.io/headless';
const TRIGGER_TIME = 'endpoints.kubernetes.io/last-change-trigger-time';

interface ServicePort {
  name?: string;
  protocol?: string;
  appProtocol?: string;
  port: number;
  targetPort?: number | string;
}

interface ServiceSpec {
  selector?: Record<string, string>;
  ports?: ServicePort[];
  clusterIP?: string;
  publishNotReadyAddresses?: boolean;
}

interface EndpointAddress {
  ip: string;
  hostname?: string;
  nodeName?: string;
  targetRef: { kind: string; namespace: string; name: string; uid: string };
}

interface EndpointPort {
  name?: string;
  port: number;
  protocol: string;
  appProtocol?: string;
}

interface EndpointSubset {
  addresses?: EndpointAddress[];
  notReadyAddresses?: EndpointAddress[];
  ports?: EndpointPort[];
}

function serviceSpec(service: KubeObject): ServiceSpec {
  return service.spec ?? {};
}

function podIP(pod: KubeObject): string | undefined {
  const status = podStatus(pod);
  return status.podIP || status.podIPs?.[0]?.ip || undefined;
}

/** `podutil.FindPort`: a named targetPort resolves against the pod's container ports. */
function findPort(pod: KubeObject, port: ServicePort): number | undefined {
  const target = port.targetPort ?? port.port;
  if (typeof target === 'number') return target;
  if (/^\d+$/.test(target)) return Number(target);
  const protocol = port.protocol ?? 'TCP';
  const spec = podSpec(pod);
  for (const container of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
    for (const containerPort of container.ports ?? []) {
      if (containerPort.name === target && (containerPort.protocol ?? 'TCP') === protocol)
        return containerPort.containerPort;
    }
  }
  return undefined;
}

/** `shouldPodBeInEndpoints` for a pod that is not ready: as long as it may still run. */
function mayStillServe(pod: KubeObject): boolean {
  const phase = podStatus(pod).phase;
  switch (podSpec(pod).restartPolicy) {
    case 'Never':
      return phase !== 'Failed' && phase !== 'Succeeded';
    case 'OnFailure':
      return phase !== 'Succeeded';
    default:
      return true;
  }
}

function addressKey(address: EndpointAddress): string {
  return `${address.ip}/${address.targetRef.uid}`;
}

function compareAddresses(a: EndpointAddress, b: EndpointAddress): number {
  return a.ip.localeCompare(b.ip, 'en', { numeric: true }) || a.targetRef.uid.localeCompare(b.targetRef.uid);
}

/**
 * `endpoints.RepackSubsets`: one subset per distinct set of ports, each listing the ready and not
 * ready addresses that serve exactly those ports, sorted.
 */
function repack(
  entries: Array<{ address: EndpointAddress; port: EndpointPort | undefined; ready: boolean }>,
): EndpointSubset[] {
  const byPort = new Map<
    string,
    { port: EndpointPort | undefined; addresses: Map<string, { address: EndpointAddress; ready: boolean }> }
  >();
  for (const entry of entries) {
    const portKey = entry.port
      ? JSON.stringify([
          entry.port.name ?? '',
          entry.port.port,
          entry.port.protocol,
          entry.port.appProtocol ?? '',
        ])
      : '';
    let group = byPort.get(portKey);
    if (!group) {
      group = { port: entry.port, addresses: new Map() };
      byPort.set(portKey, group);
    }
    const key = addressKey(entry.address);
    const existing = group.addresses.get(key);
    group.addresses.set(key, { address: entry.address, ready: (existing?.ready ?? false) || entry.ready });
  }
  const bySet = new Map<
    string,
    { ports: EndpointPort[]; addresses: Array<{ address: EndpointAddress; ready: boolean }> }
  >();
  for (const group of byPort.values()) {
    const addresses = [...group.addresses.values()].sort((a, b) => compareAddresses(a.address, b.address));
    const setKey = addresses.map((entry) => `${addressKey(entry.address)}:${entry.ready}`).join(',');
    let subset = bySet.get(setKey);
    if (!subset) {
      subset = { ports: [], addresses };
      bySet.set(setKey, subset);
    }
    if (group.port) subset.ports.push(group.port);
  }
  const subsets: EndpointSubset[] = [];
  for (const { ports, addresses } of bySet.values()) {
    const subset: EndpointSubset = {};
    const ready = addresses.filter((entry) => entry.ready).map((entry) => entry.address);
    const notReady = addresses.filter((entry) => !entry.ready).map((entry) => entry.address);
    if (ready.length > 0) subset.addresses = ready;
    if (notReady.length > 0) subset.notReadyAddresses = notReady;
    if (ports.length > 0) {
      subset.ports = ports.sort((a, b) => (a.name ?? '').localeCompare(b.name ?? '') || a.port - b.port);
    }
    subsets.push(subset);
  }
  const first = (subset: EndpointSubset) => (subset.addresses ?? subset.notReadyAddresses ?? [])[0]?.ip ?? '';
  return subsets.sort((a, b) => first(a).localeCompare(first(b), 'en', { numeric: true }));
}

/**
 * The Endpoints controller: for every Service with a selector, an Endpoints object of the same
 * name (service labels, plus service.kubernetes.io/headless for clusterIP None) whose subsets list
 * Ready pods under `addresses` and the others, while they may still run, under
 * `notReadyAddresses` (each with ip, nodeName, targetRef and, for a pod whose subdomain is the
 * service, hostname), ports taken from the service with named targetPorts resolved against the
 * pod's container ports. Terminating pods leave unless publishNotReadyAddresses. The Endpoints go
 * when the Service does.
 */
export class EndpointsController extends QueueController {
  protected initialKeys(): Iterable<string> {
    return this.cache.list(R.service).map(objectKey);
  }

  protected onEvent(event: StoreEvent): void {
    const { resource, object, previous } = event;
    if (resource === R.service) {
      this.enqueue(objectKey(object));
    } else if (resource === R.pod) {
      const namespace = object.metadata.namespace;
      for (const service of this.cache.list(R.service, namespace)) {
        const selector = serviceSpec(service).selector;
        if (!selector || Object.keys(selector).length === 0) continue;
        const selects = (pod: KubeObject | undefined) =>
          !!pod && Object.entries(selector).every(([key, value]) => pod.metadata.labels?.[key] === value);
        if (selects(object) || selects(previous)) this.enqueue(objectKey(service));
      }
    }
  }

  protected reconcile(key: string): void {
    const { namespace, name } = splitKey(key);
    const service = this.cache.get(R.service, namespace, name);
    if (!service) {
      try {
        if (this.cache.get(R.endpoints, namespace, name)) this.ctx.store.delete(R.endpoints, namespace, name);
      } catch (error) {
        if (!(error instanceof ApiError && error.code === 404)) throw error;
      }
      return;
    }
    const spec = serviceSpec(service);
    const selector = spec.selector;
    if (!selector || Object.keys(selector).length === 0) return;
    if (service.metadata.deletionTimestamp) return;
    const tolerateUnready = spec.publishNotReadyAddresses === true;
    const headless = spec.clusterIP === 'None';
    const entries: Array<{ address: EndpointAddress; port: EndpointPort | undefined; ready: boolean }> = [];
    for (const pod of this.cache.list(R.pod, namespace)) {
      if (!Object.entries(selector).every(([label, value]) => pod.metadata.labels?.[label] === value))
        continue;
      const ip = podIP(pod);
      if (isPodTerminal(pod) || !ip) continue;
      if (!tolerateUnready && pod.metadata.deletionTimestamp) continue;
      const ready = tolerateUnready || isPodReady(pod);
      if (!ready && !mayStillServe(pod)) continue;
      const address: EndpointAddress = {
        ip,
        targetRef: {
          kind: 'Pod',
          namespace: pod.metadata.namespace ?? '',
          name: pod.metadata.name ?? '',
          uid: pod.metadata.uid ?? '',
        },
      };
      const podSpecValue = podSpec(pod);
      if (podSpecValue.hostname && podSpecValue.subdomain === name) address.hostname = podSpecValue.hostname;
      if (podSpecValue.nodeName) address.nodeName = podSpecValue.nodeName;
      const ports = spec.ports ?? [];
      if (ports.length === 0) {
        // Headless services may have no ports; others without ports expose nothing.
        if (headless) entries.push({ address, port: undefined, ready });
        continue;
      }
      for (const servicePort of ports) {
        const portNumber = findPort(pod, servicePort);
        if (portNumber === undefined) continue;
        const port: EndpointPort = { port: portNumber, protocol: servicePort.protocol ?? 'TCP' };
        if (servicePort.name) port.name = servicePort.name;
        if (servicePort.appProtocol) port.appProtocol = servicePort.appProtocol;
        entries.push({ address, port, ready });
      }
    }
    const subsets = repack(entries);
    const labels: Record<string, string> = { ...(service.metadata.labels ?? {}) };
    if (headless) labels[HEADLESS_LABEL] = '';
    else delete labels[HEADLESS_LABEL];
    const existing = this.cache.get(R.endpoints, namespace, name);
    if (existing) {
      const existingSubsets = (existing.subsets as EndpointSubset[] | undefined) ?? [];
      if (semanticEqual(existingSubsets, subsets) && semanticEqual(existing.metadata.labels ?? {}, labels))
        return;
    }
    const metadata: KubeObject['metadata'] = existing
      ? structuredClone(existing.metadata)
      : { name, namespace };
    if (Object.keys(labels).length > 0) metadata.labels = labels;
    else delete metadata.labels;
    metadata.annotations = {
      ...(metadata.annotations ?? {}),
      [TRIGGER_TIME]: this.ctx.clock.now().toISOString(),
    };
    const endpoints: KubeObject = { apiVersion: 'v1', kind: 'Endpoints', metadata };
    if (subsets.length > 0) endpoints.subsets = subsets;
    if (existing) this.ctx.store.update(R.endpoints, endpoints);
    else createObject(this.ctx, R.endpoints, endpoints, Math.random);
  }
}
