import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../src/sim/api/kube-object.ts';
import { R } from '../../../src/sim/resources.ts';
import { faultCluster, namespace, statusOf, tools, webPod } from './fault-fixture.ts';

const NS = 'replay';

const scenario = (seed: number) => ({
  seed,
  faults: [
    { kind: 'crash', probability: 0.5, after: '20s', exitCode: 2 },
    { kind: 'readiness', probability: 0.3 },
    { kind: 'liveness', probability: 0.3, after: '30s' },
    { kind: 'initContainer', mode: 'fail', probability: 0.4, duration: '3s' },
    { kind: 'imagePull', error: 'rpc error: code = Unknown desc = failed to pull', probability: 0.2 },
  ],
});

/** "phase/reason/restarts/waiting-or-terminated reason" of a pod: what a soak iteration sees. */
function stateOf(pod: KubeObject): string {
  const status = statusOf(pod);
  const containers = [...(status.initContainerStatuses ?? []), ...(status.containerStatuses ?? [])];
  const parts = containers.map((c) => {
    const state =
      c.state.waiting?.reason ?? c.state.terminated?.reason ?? (c.state.running ? 'Running' : '-');
    return `${c.name}:${state}:${c.restartCount}:${c.ready ? 'ready' : 'unready'}`;
  });
  return [status.phase ?? '', status.reason ?? '', ...parts].join(' ');
}

/** Runs the scenario for a while and returns each pod's sequence of distinct states. */
async function record(seed: number): Promise<Map<string, string[]>> {
  const fc = await faultCluster(scenario(seed), { timeScale: 0.005 });
  const sequences = new Map<string, string[]>();
  fc.cluster.context.store.subscribe((event) => {
    if (event.resource !== R.pod || event.object.metadata.namespace !== NS) return;
    const name = event.object.metadata.name ?? '';
    const states = sequences.get(name) ?? [];
    const state = stateOf(event.object);
    if (states.at(-1) !== state) states.push(state);
    sequences.set(name, states);
  });
  const pods = Array.from({ length: 8 }, (_, index) =>
    webPod(NS, `pod-${index}`, { initContainers: [{ name: 'setup', image: 'busybox:1.36' }] }),
  );
  await fc.apply(namespace(NS), ...pods);
  // Ten simulated minutes.
  await new Promise((resolve) => setTimeout(resolve, 600_000 * 0.005));
  await fc.stop();
  return sequences;
}

/** The sequences cut to the length both runs reached (wall-clock cut-off differs slightly). */
function common(a: Map<string, string[]>, b: Map<string, string[]>): Array<[string, string[], string[]]> {
  return [...a.keys()].sort().map((name) => {
    const left = a.get(name) ?? [];
    const right = b.get(name) ?? [];
    const length = Math.min(left.length, right.length);
    return [name, left.slice(0, length), right.slice(0, length)];
  });
}

describe.runIf(tools.kubectl)('replaying a scenario', () => {
  it('gives the same sequence of pod states for the same seed, another for another seed', async () => {
    const [first, second, other] = await Promise.all([record(11), record(11), record(12)]);
    expect([...first.keys()].sort()).toEqual(Array.from({ length: 8 }, (_, index) => `pod-${index}`));
    for (const [name, left, right] of common(first, second)) {
      expect(left.length, name).toBeGreaterThanOrEqual(3);
      expect(right, name).toEqual(left);
    }
    // The faults hit: some pods failed in some way.
    const all = [...first.values()].flat().join('\n');
    expect(all).toMatch(/CrashLoopBackOff|Error/);
    const differs = common(first, other).some(([, left, right]) => left.join('\n') !== right.join('\n'));
    expect(differs).toBe(true);
  });
});
