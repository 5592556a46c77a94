import type { ContainerSpec, PodSpec, ResourceMap } from './kube-shapes.ts';
import { isSidecar } from './kube-shapes.ts';
import { cpuMillis, parseQuantity, wholeUnits } from '../../kube/quantity.ts';

/** Requested resources in scheduler units: millicores, bytes, and other resources by name. */
export interface Resources {
  milliCPU: number;
  memory: number;
  ephemeralStorage: number;
  scalar: Map<string, number>;
}

/** The requests the scheduler assumes for containers that request no CPU/memory, when scoring. */
const DEFAULT_MILLI_CPU = 100;
const DEFAULT_MEMORY = 200 * 1024 * 1024;

const IGNORED = new Set(['cpu', 'memory', 'ephemeral-storage', 'pods']);

/** A container's effective requests: what it requests, else its limits (as API defaulting copies them). */
function containerRequests(container: ContainerSpec, nonZero: boolean): Resources {
  const requests: ResourceMap = { ...container.resources?.limits, ...container.resources?.requests };
  const result = emptyResources();
  result.milliCPU = cpuMillis(requests.cpu);
  result.memory = wholeUnits(requests.memory);
  result.ephemeralStorage = wholeUnits(requests['ephemeral-storage']);
  for (const [name, value] of Object.entries(requests)) {
    if (!IGNORED.has(name)) result.scalar.set(name, wholeUnits(value));
  }
  if (nonZero) {
    if (requests.cpu === undefined) result.milliCPU = DEFAULT_MILLI_CPU;
    if (requests.memory === undefined) result.memory = DEFAULT_MEMORY;
  }
  return result;
}

/** A zero resource list. */
export function emptyResources(): Resources {
  return { milliCPU: 0, memory: 0, ephemeralStorage: 0, scalar: new Map() };
}

/** Adds `more` into `into`. */
export function addResources(into: Resources, more: Resources): void {
  into.milliCPU += more.milliCPU;
  into.memory += more.memory;
  into.ephemeralStorage += more.ephemeralStorage;
  for (const [name, value] of more.scalar) into.scalar.set(name, (into.scalar.get(name) ?? 0) + value);
}

/** Subtracts `less` from `from`. */
export function subtractResources(from: Resources, less: Resources): void {
  from.milliCPU -= less.milliCPU;
  from.memory -= less.memory;
  from.ephemeralStorage -= less.ephemeralStorage;
  for (const [name, value] of less.scalar) from.scalar.set(name, (from.scalar.get(name) ?? 0) - value);
}

function maxInto(into: Resources, other: Resources): void {
  into.milliCPU = Math.max(into.milliCPU, other.milliCPU);
  into.memory = Math.max(into.memory, other.memory);
  into.ephemeralStorage = Math.max(into.ephemeralStorage, other.ephemeralStorage);
  for (const [name, value] of other.scalar)
    into.scalar.set(name, Math.max(into.scalar.get(name) ?? 0, value));
}

function copy(resources: Resources): Resources {
  return { ...resources, scalar: new Map(resources.scalar) };
}

/**
 * A pod's requests as resourcehelper.PodRequests computes them: app containers and sidecars add
 * up; each ordinary init container needs its own requests plus the sidecars started before it;
 * the pod needs the larger of the two, plus overhead. `nonZero` applies the scheduler's scoring
 * defaults (100m CPU, 200Mi memory) to containers that request nothing.
 */
export function podRequests(spec: PodSpec, nonZero = false): Resources {
  const total = emptyResources();
  for (const container of spec.containers ?? []) addResources(total, containerRequests(container, nonZero));
  const sidecars = emptyResources();
  const initMax = emptyResources();
  for (const container of spec.initContainers ?? []) {
    const requests = containerRequests(container, nonZero);
    if (isSidecar(container)) {
      addResources(total, requests);
      addResources(sidecars, requests);
      maxInto(initMax, sidecars);
    } else {
      const during = copy(requests);
      addResources(during, sidecars);
      maxInto(initMax, during);
    }
  }
  maxInto(total, initMax);
  if (spec.overhead) {
    addResources(total, {
      milliCPU: cpuMillis(spec.overhead.cpu),
      memory: wholeUnits(spec.overhead.memory),
      ephemeralStorage: 0,
      scalar: new Map(),
    });
  }
  return total;
}

/** True when the pod requests nothing the NodeResourcesFit filter checks beyond a pod slot. */
export function requestsNothing(resources: Resources): boolean {
  return (
    resources.milliCPU === 0 &&
    resources.memory === 0 &&
    resources.ephemeralStorage === 0 &&
    resources.scalar.size === 0
  );
}

/**
 * The QoS class as v1qos.GetPodQOS computes it from CPU and memory: BestEffort without any
 * requests or limits, Guaranteed when every container limits both and requests equal limits.
 */
export function qosClass(spec: PodSpec): 'Guaranteed' | 'Burstable' | 'BestEffort' {
  const containers = [...(spec.containers ?? []), ...(spec.initContainers ?? [])];
  let any = false;
  let guaranteed = true;
  for (const container of containers) {
    const limits = container.resources?.limits ?? {};
    const requests = { ...limits, ...container.resources?.requests };
    for (const name of ['cpu', 'memory']) {
      const request = requests[name];
      const limit = limits[name];
      if (parseQuantity(request) !== 0 || parseQuantity(limit) !== 0) any = true;
      if (limit === undefined || request === undefined) {
        guaranteed = false;
      } else if (
        name === 'cpu' ? cpuMillis(request) !== cpuMillis(limit) : wholeUnits(request) !== wholeUnits(limit)
      ) {
        guaranteed = false;
      }
    }
  }
  if (!any) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}
