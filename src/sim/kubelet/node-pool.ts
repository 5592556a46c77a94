import { createHash } from 'node:crypto';
import type { KubeObject } from '../api/kube-object.ts';
import { R } from '../resources.ts';
import type { SimTimer } from '../sim-clock.ts';
import type { SimComponent, SimContext } from '../sim-context.ts';
import { kubeTime } from '../store/object-store.ts';
import type { ImageRef } from './image-ref.ts';
import { parseImageRef } from './image-ref.ts';
import type { NodeCondition, QuantityValue, Taint } from './kube-shapes.ts';
import { cpuMillis, formatCpu, formatKi, wholeUnits } from '../../kube/quantity.ts';

/** One node's shape; every field is optional and per-node overrides win over pool defaults. */
export interface NodeSpec {
  /** Default sim-node-<n>. */
  name?: string;
  /** CPU capacity, default 4 cores. */
  cpu?: QuantityValue;
  /** Memory capacity, default 16Gi. */
  memory?: QuantityValue;
  /** Pod slots, default 110. */
  pods?: number;
  /** Ephemeral storage capacity, default 100Gi. */
  ephemeralStorage?: QuantityValue;
  /** Extra labels (override the defaults of the same key). */
  labels?: Record<string, string>;
  taints?: Taint[];
  /** spec.unschedulable, as after `kubectl cordon`. */
  unschedulable?: boolean;
  /** topology.kubernetes.io/zone; default round-robin over sim-zone-a/b/c. */
  zone?: string;
  /** node.kubernetes.io/instance-type; default derived from the CPU count. */
  instanceType?: string;
  /** Images already on the node (pulls of them report "already present on machine"). */
  images?: string[];
}

/** A pool: a count of default nodes, or explicit specs, with shared defaults. */
export interface NodePoolSpec {
  count?: number;
  nodes?: readonly NodeSpec[];
  defaults?: Omit<NodeSpec, 'name'>;
  /** Simulated seconds between node status heartbeats; default 10. */
  heartbeatSeconds?: number;
}

/** The node-local state the scheduler and kubelet share: addresses and the image cache. */
export interface ManagedNode {
  readonly name: string;
  /** 1-based position in the pool; the third octet of its pod CIDR. */
  readonly index: number;
  readonly internalIP: string;
  /** First three octets of the node's pod CIDR ("10.244.1"). */
  readonly podSubnet: string;
  /** Images on the node by normalized reference. */
  readonly images: Map<string, ImageRef>;
  /** False while a fault keeps the kubelet from posting status (node NotReady). */
  ready: boolean;
}

const HEALTHY_CONDITIONS: ReadonlyArray<Pick<NodeCondition, 'type' | 'status' | 'reason' | 'message'>> = [
  {
    type: 'MemoryPressure',
    status: 'False',
    reason: 'KubeletHasSufficientMemory',
    message: 'kubelet has sufficient memory available',
  },
  {
    type: 'DiskPressure',
    status: 'False',
    reason: 'KubeletHasNoDiskPressure',
    message: 'kubelet has no disk pressure',
  },
  {
    type: 'PIDPressure',
    status: 'False',
    reason: 'KubeletHasSufficientPID',
    message: 'kubelet has sufficient PID available',
  },
  { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' },
];

const ZONES = ['sim-zone-a', 'sim-zone-b', 'sim-zone-c'];
const PRELOADED = ['registry.k8s.io/pause:3.10'];
const UNREACHABLE_TAINT = 'node.kubernetes.io/unreachable';

type ReadyListener = (node: ManagedNode) => void;

/**
 * The simulated nodes: Node objects as a kubeadm-style kubelet registers them, plus heartbeats
 * and the node-level fault switches (NotReady) later parts use.
 */
export class NodePool implements SimComponent {
  readonly nodes: readonly ManagedNode[];
  private readonly byName: Map<string, ManagedNode>;
  private readonly ctx: SimContext;
  private readonly heartbeatMs: number;
  private timer: SimTimer | undefined;
  private running = false;
  private lastBeat = '';
  private readonly imageVersions = new Map<string, number>();
  private readonly readyListeners = new Set<ReadyListener>();

  constructor(ctx: SimContext, nodes: readonly ManagedNode[], heartbeatSeconds = 10) {
    this.ctx = ctx;
    this.nodes = nodes;
    this.byName = new Map(nodes.map((node) => [node.name, node]));
    this.heartbeatMs = heartbeatSeconds * 1000;
  }

  /** The managed node of that name, if this pool owns it. */
  get(name: string | undefined): ManagedNode | undefined {
    return name === undefined ? undefined : this.byName.get(name);
  }

  /** Names of every node in the pool. */
  get names(): string[] {
    return this.nodes.map((node) => node.name);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule();
  }

  stop(): void {
    this.running = false;
    this.timer?.cancel();
    this.timer = undefined;
  }

  /** Subscribes to NotReady/Ready switches (the kubelet freezes and resumes pods). */
  onReadyChange(listener: ReadyListener): () => void {
    this.readyListeners.add(listener);
    return () => this.readyListeners.delete(listener);
  }

  /**
   * Fault switch: a NotReady node stops heartbeating and gets what the node lifecycle controller
   * writes once the grace period passes (every condition Unknown, unreachable taints); Ready
   * restores the kubelet's healthy conditions and removes those taints.
   */
  setReady(name: string, ready: boolean): void {
    const node = this.byName.get(name);
    if (!node || node.ready === ready) return;
    node.ready = ready;
    const current = this.ctx.store.get(R.node, undefined, name);
    if (current) {
      const now = kubeTime(this.ctx.clock.now());
      const status = { ...current.status } as { conditions?: NodeCondition[] };
      const spec = { ...current.spec } as { taints?: Taint[] };
      const others = (spec.taints ?? []).filter((taint) => taint.key !== UNREACHABLE_TAINT);
      if (ready) {
        status.conditions = HEALTHY_CONDITIONS.map((condition) => ({
          ...condition,
          lastHeartbeatTime: now,
          lastTransitionTime: now,
        }));
        spec.taints = others;
      } else {
        status.conditions = (status.conditions ?? []).map((condition) => ({
          type: condition.type,
          status: 'Unknown',
          lastHeartbeatTime: condition.lastHeartbeatTime ?? now,
          lastTransitionTime: now,
          reason: 'NodeStatusUnknown',
          message: 'Kubelet stopped posting node status.',
        }));
        spec.taints = [
          ...others,
          { key: UNREACHABLE_TAINT, effect: 'NoSchedule' },
          { key: UNREACHABLE_TAINT, effect: 'NoExecute', timeAdded: now },
        ];
      }
      if (spec.taints.length === 0) delete spec.taints;
      const updated = this.ctx.store.update(R.node, { ...current, spec });
      this.ctx.store.update(R.node, { ...updated, status }, { subresource: 'status' });
    }
    for (const listener of this.readyListeners) listener(node);
  }

  /** One heartbeat pass over every ready node (public so tests need not wait for the timer). */
  heartbeat(): void {
    const now = kubeTime(this.ctx.clock.now());
    const beat = now !== this.lastBeat;
    this.lastBeat = now;
    for (const node of this.nodes) {
      if (!node.ready) continue;
      const imagesChanged = this.imageVersions.get(node.name) !== node.images.size;
      // Identical second-precision timestamps and images would be a no-op write: skip the read too.
      if (!beat && !imagesChanged) continue;
      const current = this.ctx.store.get(R.node, undefined, node.name);
      if (!current) continue;
      const status = { ...current.status } as { conditions?: NodeCondition[]; images?: unknown };
      status.conditions = (status.conditions ?? []).map((condition) => ({
        ...condition,
        lastHeartbeatTime: now,
      }));
      if (imagesChanged) {
        status.images = imageList(node);
        this.imageVersions.set(node.name, node.images.size);
      }
      this.ctx.store.update(R.node, { ...current, status }, { subresource: 'status' });
    }
  }

  private schedule(): void {
    if (!this.running) return;
    this.timer = this.ctx.clock.after(this.heartbeatMs, () => {
      this.heartbeat();
      this.schedule();
    });
  }
}

/**
 * Creates (or adopts, when they already exist) the simulated Node objects and returns the pool.
 * Accepts a node count, explicit node specs, or a full pool spec.
 */
export function createNodes(ctx: SimContext, spec: number | readonly NodeSpec[] | NodePoolSpec): NodePool {
  const poolSpec: NodePoolSpec =
    typeof spec === 'number'
      ? { count: spec }
      : Array.isArray(spec)
        ? { nodes: spec }
        : (spec as NodePoolSpec);
  const specs: NodeSpec[] = poolSpec.nodes
    ? poolSpec.nodes.map((node) => ({ ...poolSpec.defaults, ...node }))
    : Array.from({ length: poolSpec.count ?? 3 }, () => ({ ...poolSpec.defaults }));
  const managed: ManagedNode[] = [];
  const now = kubeTime(ctx.clock.now());
  specs.forEach((nodeSpec, position) => {
    const index = position + 1;
    const name = nodeSpec.name ?? `sim-node-${index}`;
    const node: ManagedNode = {
      name,
      index,
      internalIP: `10.0.0.${index + 1}`,
      podSubnet: `10.244.${index}`,
      images: new Map(),
      ready: true,
    };
    for (const image of [...PRELOADED, ...(nodeSpec.images ?? [])]) {
      const ref = parseImageRef(image);
      node.images.set(ref.normalized, ref);
    }
    managed.push(node);
    if (!ctx.store.get(R.node, undefined, name))
      ctx.store.create(R.node, nodeObject(node, nodeSpec, position, now));
  });
  return new NodePool(ctx, managed, poolSpec.heartbeatSeconds ?? 10);
}

function nodeObject(node: ManagedNode, spec: NodeSpec, position: number, now: string): KubeObject {
  const cpu = cpuMillis(spec.cpu ?? 4);
  const memory = wholeUnits(spec.memory ?? '16Gi');
  const storage = wholeUnits(spec.ephemeralStorage ?? '100Gi');
  const pods = String(spec.pods ?? 110);
  const zone = spec.zone ?? ZONES[position % ZONES.length] ?? 'sim-zone-a';
  const instanceType = spec.instanceType ?? `sim-standard-${Math.max(1, Math.round(cpu / 1000))}`;
  const id = createHash('sha256').update(`node/${node.name}`).digest('hex');
  const uuid = `${id.slice(0, 8)}-${id.slice(8, 12)}-${id.slice(12, 16)}-${id.slice(16, 20)}-${id.slice(20, 32)}`;
  const bootId = `${id.slice(32, 40)}-${id.slice(40, 44)}-${id.slice(44, 48)}-${id.slice(48, 52)}-${id.slice(52, 64)}`;
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: node.name,
      labels: {
        'beta.kubernetes.io/arch': 'amd64',
        'beta.kubernetes.io/instance-type': instanceType,
        'beta.kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'kubernetes.io/hostname': node.name,
        'kubernetes.io/os': 'linux',
        'node.kubernetes.io/instance-type': instanceType,
        'topology.kubernetes.io/region': 'sim-region-1',
        'topology.kubernetes.io/zone': zone,
        ...spec.labels,
      },
      annotations: {
        'node.alpha.kubernetes.io/ttl': '0',
        'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
      },
    },
    spec: {
      podCIDR: `${node.podSubnet}.0/24`,
      podCIDRs: [`${node.podSubnet}.0/24`],
      providerID: `kubesoak-sim://${zone}/${node.name}`,
      ...(spec.taints && spec.taints.length > 0 ? { taints: spec.taints } : {}),
      ...(spec.unschedulable ? { unschedulable: true } : {}),
    },
    status: {
      capacity: {
        cpu: formatCpu(cpu),
        'ephemeral-storage': formatKi(storage),
        'hugepages-1Gi': '0',
        'hugepages-2Mi': '0',
        memory: formatKi(memory),
        pods,
      },
      allocatable: {
        cpu: formatCpu(cpu - reservedCpu(cpu)),
        // Ephemeral storage keeps the 10% nodefs eviction threshold off, in bytes, as real nodes show it.
        'ephemeral-storage': String(Math.floor(storage * 0.9)),
        'hugepages-1Gi': '0',
        'hugepages-2Mi': '0',
        memory: formatKi(memory - reservedMemory(memory)),
        pods,
      },
      conditions: HEALTHY_CONDITIONS.map((condition) => ({
        ...condition,
        lastHeartbeatTime: now,
        lastTransitionTime: now,
      })),
      addresses: [
        { address: node.internalIP, type: 'InternalIP' },
        { address: node.name, type: 'Hostname' },
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        machineID: id.slice(0, 32),
        systemUUID: uuid,
        bootID: bootId,
        kernelVersion: '6.8.0-1021-sim',
        osImage: 'Ubuntu 24.04.2 LTS',
        containerRuntimeVersion: 'containerd://1.7.27',
        kubeletVersion: 'v1.33.0',
        kubeProxyVersion: '',
        operatingSystem: 'linux',
        architecture: 'amd64',
      },
      images: imageList(node),
    },
  };
}

/** CPU kept for system daemons, by the tiers cloud providers use (6% of the first core, …). */
function reservedCpu(millis: number): number {
  const tiers: Array<[number, number]> = [
    [1000, 0.06],
    [1000, 0.01],
    [2000, 0.005],
    [Infinity, 0.0025],
  ];
  let left = millis;
  let reserved = 0;
  for (const [size, share] of tiers) {
    const part = Math.min(left, size);
    reserved += part * share;
    left -= part;
    if (left <= 0) break;
  }
  return Math.round(reserved);
}

/** Memory kept back: the 100Mi hard eviction threshold plus a small kube-reserved share. */
function reservedMemory(bytes: number): number {
  return 100 * 1024 * 1024 + Math.round(bytes * 0.02);
}

function imageList(node: ManagedNode): Array<{ names: string[]; sizeBytes: number }> {
  return [...node.images.values()]
    .sort((a, b) => b.sizeBytes - a.sizeBytes)
    .slice(0, 50)
    .map((ref) => ({ names: [ref.imageID, ref.normalized], sizeBytes: ref.sizeBytes }));
}
