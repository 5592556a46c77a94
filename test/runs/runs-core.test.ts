import { describe, expect, it } from 'vitest';
import { interleave, planDispatch, runCapacity } from '../../src/runs/dispatch-plan.ts';
import { JanitorReason, decideNamespace } from '../../src/runs/janitor.ts';
import type { KubeObject } from '../../src/kube/cluster-client.ts';
import { decodeResult, encodeResult } from '../../src/runs/result-codec.ts';
import type { StoredIterationResult } from '../../src/runs/iteration-job.ts';
import { InvalidSubmissionError, validateSubmission } from '../../src/runs/run-submission.ts';

const run = (
  runId: string,
  fields: Partial<{ iterations: number; parallel: number; dispatched: number; active: number }> = {},
) => ({
  runId,
  iterations: 100,
  parallel: 4,
  dispatched: 0,
  active: 0,
  ...fields,
});

describe('planDispatch (fair share)', () => {
  it('never plans beyond P - active nor beyond N - dispatched', () => {
    expect(runCapacity(run('a', { parallel: 4, active: 3 }))).toBe(1);
    expect(runCapacity(run('a', { iterations: 10, dispatched: 9 }))).toBe(1);
    expect(runCapacity(run('a', { parallel: 2, active: 5 }))).toBe(0);
    expect(planDispatch([run('a', { parallel: 3 })], 100)).toEqual(['a', 'a', 'a']);
  });

  it('hands slots round-robin across runs and rotates the starting run', () => {
    const runs = [run('a', { parallel: 3 }), run('b', { parallel: 1 }), run('c', { parallel: 2 })];
    expect(planDispatch(runs, 100)).toEqual(['a', 'b', 'c', 'a', 'c', 'a']);
    expect(planDispatch(runs, 3, 1)).toEqual(['b', 'c', 'a']);
    expect(planDispatch(runs, 0)).toEqual([]);
    expect(planDispatch([], 5)).toEqual([]);
  });

  it('interleaves per-run job lists keeping each run in order', () => {
    expect(interleave([[1, 2, 3], [10], [20, 21]])).toEqual([1, 10, 20, 2, 21, 3]);
  });
});

describe('validateSubmission', () => {
  const options = { maxIterations: 1000, runId: '0123456789abcdef' };
  it('normalises a minimal submission', () => {
    expect(
      validateSubmission(
        { chart: { ref: 'repo/app', version: '1.2.3' }, iterations: 5, parallel: 2 },
        options,
      ),
    ).toEqual({
      name: 'run-01234567',
      note: '',
      chart: { ref: 'repo/app', version: '1.2.3' },
      valuesFiles: [],
      setValues: [],
      plan: {},
      iterations: 5,
      parallel: 2,
      submitter: 'unknown',
    });
  });
  it('names the field in one line', () => {
    const error = (() => {
      try {
        validateSubmission(
          { chart: { ref: 'x' }, iterations: 5, parallel: 2, setValues: ['novalue'] },
          options,
        );
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(InvalidSubmissionError);
    expect((error as InvalidSubmissionError).field).toBe('setValues.0');
    expect((error as Error).message).toBe('invalid run submission: setValues.0: must be key=value');
  });
});

describe('result codec', () => {
  const base: StoredIterationResult = {
    outcome: 'failed',
    category: 'probe-failure',
    iteration: 3,
    attempt: 2,
    workerId: 'w',
    startedAt: 'a',
    finishedAt: 'b',
  };
  it('round-trips a compressed result', () => {
    const result = { ...base, snapshot: { pods: ['x'.repeat(10_000)] } };
    const payload = encodeResult(result, 64 * 1024);
    expect(payload.length).toBeLessThan(1_000);
    expect(decodeResult(payload)).toEqual(result);
  });
  it('truncates a snapshot over the cap with a marker', () => {
    const big = Array.from({ length: 5_000 }, (_, i) => `line ${i} ${Math.sin(i)}`);
    const decoded = decodeResult(encodeResult({ ...base, snapshot: big }, 4096));
    expect(decoded.snapshotTruncated).toBe(true);
    expect(decoded.snapshot).toMatchObject({
      truncated: true,
      originalBytes: Buffer.byteLength(JSON.stringify(big)),
    });
    expect(decoded.outcome).toBe('failed');
  });
});

describe('decideNamespace (janitor rules)', () => {
  const now = new Date('2026-11-25T12:00:00Z');
  const options = { now, minAgeMs: 60_000 };
  const ns = (
    labels: Record<string, string>,
    annotations: Record<string, string> = {},
    created = '2026-11-25T11:00:00Z',
  ): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'n', labels, annotations, creationTimestamp: created },
  });
  const managed = {
    'app.kubernetes.io/managed-by': 'kubesoak',
    'kubesoak.io/run': 'r',
    'kubesoak.io/iteration': '1',
  };
  const live = { runLive: true, iterationRecorded: false, attempts: 1 };

  it('never selects a namespace without the managed-by label, even expired and with an ended run', () => {
    const foreign = ns({ 'kubesoak.io/run': 'r' }, { 'kubesoak.io/expires-at': '2020-01-01T00:00:00Z' });
    expect(
      decideNamespace(foreign, { runLive: false, iterationRecorded: true, attempts: 9 }, options),
    ).toBeUndefined();
    expect(
      decideNamespace(ns({ 'app.kubernetes.io/managed-by': 'helm' }), { ...live, runLive: false }, options),
    ).toBeUndefined();
  });
  it('deletes expired, ended-run, recorded-iteration and superseded-attempt namespaces', () => {
    expect(
      decideNamespace(ns(managed, { 'kubesoak.io/expires-at': '2026-11-25T11:59:00Z' }), live, options),
    ).toBe(JanitorReason.expired);
    expect(decideNamespace(ns(managed), { ...live, runLive: false }, options)).toBe(JanitorReason.runEnded);
    expect(decideNamespace(ns(managed), { ...live, runLive: undefined }, options)).toBe(
      JanitorReason.runEnded,
    );
    expect(decideNamespace(ns(managed), { ...live, iterationRecorded: true }, options)).toBe(
      JanitorReason.iterationRecorded,
    );
    expect(
      decideNamespace(ns({ ...managed, 'kubesoak.io/attempt': '1' }), { ...live, attempts: 2 }, options),
    ).toBe(JanitorReason.attemptSuperseded);
  });
  it('keeps the active attempt and young namespaces', () => {
    expect(
      decideNamespace(ns({ ...managed, 'kubesoak.io/attempt': '2' }), { ...live, attempts: 2 }, options),
    ).toBeUndefined();
    expect(
      decideNamespace(ns(managed, {}, '2026-11-25T11:59:30Z'), { ...live, runLive: false }, options),
    ).toBeUndefined();
  });
});
