import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log/create-logger.ts';
import type { ClusterClient } from '../../src/kube/cluster-client.ts';
import type { HelmDriver } from '../../src/helm/helm-driver.ts';
import { performanceClock } from '../../src/iteration/monotonic-clock.ts';
import { runSteps } from '../../src/iteration/run-steps.ts';
import type { Step, StepContext } from '../../src/iteration/step.ts';

const logger = await createLogger({ level: 'silent' });

function context(signal: AbortSignal): StepContext {
  return {
    signal,
    logger,
    clock: performanceClock,
    client: {} as ClusterClient,
    helm: {} as HelmDriver,
    identity: { run: 'r', iteration: 0, attempt: 0, namespace: 'ns', release: 'rel' },
    state: {
      namespaceCreated: false,
      installed: false,
      manifest: [],
      helmCommands: [],
      restartsAtReady: undefined,
      notes: [],
    },
  };
}

function step(
  name: string,
  phase: 'main' | 'cleanup',
  log: string[],
  behaviour: 'ok' | 'fail' | 'throw' | 'hang' = 'ok',
  timeoutMs = 1000,
): Step {
  return {
    name,
    phase,
    timeoutMs,
    async run({ signal }) {
      log.push(name);
      if (behaviour === 'fail') return { status: 'failed', message: 'no' };
      if (behaviour === 'throw') throw new Error('boom');
      if (behaviour === 'hang')
        await new Promise((_resolve, reject) =>
          signal.addEventListener('abort', () => reject(signal.reason as Error)),
        );
      return { status: 'ok' };
    },
  };
}

describe('runSteps', () => {
  it('runs cleanup last-in-first-out, every one even when one throws', async () => {
    const log: string[] = [];
    const records = await runSteps(
      [
        step('a', 'main', log),
        step('undo-a', 'cleanup', log, 'throw'),
        step('b', 'main', log),
        step('undo-b', 'cleanup', log),
        step('c', 'main', log, 'fail'),
        step('d', 'main', log),
        step('undo-d', 'cleanup', log),
      ],
      context,
      { signal: new AbortController().signal },
    );
    expect(log).toEqual(['a', 'b', 'c', 'undo-b', 'undo-a']);
    expect(records.map((record) => [record.name, record.status])).toEqual([
      ['a', 'ok'],
      ['b', 'ok'],
      ['c', 'failed'],
      ['d', 'skipped'],
      ['undo-b', 'ok'],
      ['undo-a', 'error'],
    ]);
  });

  it('times a step out on its own timeout and still cleans up', async () => {
    const log: string[] = [];
    const records = await runSteps(
      [step('undo', 'cleanup', log), step('slow', 'main', log, 'hang', 50)],
      context,
      { signal: new AbortController().signal },
    );
    expect(records.map((record) => [record.name, record.status])).toEqual([
      ['slow', 'timeout'],
      ['undo', 'ok'],
    ]);
    expect(records[0]?.durationMs).toBeGreaterThanOrEqual(45);
  });

  it('a cancel stops the running main step but not cleanup, which runs on its own budget', async () => {
    const log: string[] = [];
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 30);
    let snapshotTaken = false;
    const records = await runSteps(
      [step('undo', 'cleanup', log), step('install', 'main', log, 'hang', 10_000), step('next', 'main', log)],
      context,
      {
        signal: controller.signal,
        beforeCleanup: () => {
          snapshotTaken = true;
          return Promise.resolve();
        },
      },
    );
    expect(snapshotTaken).toBe(true);
    expect(records.map((record) => [record.name, record.status])).toEqual([
      ['install', 'cancelled'],
      ['next', 'skipped'],
      ['undo', 'ok'],
    ]);
  });
});
