import { randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { followRun, FollowStoppedError } from '../../src/cli/follow-run.ts';
import { startIterationWorker } from '../../src/runs/iteration-worker-service.ts';
import type { IterationWorker } from '../../src/runs/iteration-worker-service.ts';
import type { StoredIterationResult } from '../../src/runs/iteration-job.ts';
import { RedisRunStore } from '../../src/runs/redis-run-store.ts';
import { HttpRunsClient } from '../../src/runs/http-runs-client.ts';
import { RedisRunsClient } from '../../src/runs/redis-runs-client.ts';
import { freePort } from '../../src/net/free-port.ts';
import { encodeResult } from '../../src/runs/result-codec.ts';
import type { Run } from '../../src/runs/run-model.ts';
import { startSchedulerHttp } from '../../src/runs/scheduler-http.ts';
import type { SchedulerHttpServer } from '../../src/runs/scheduler-http.ts';
import { startScheduler } from '../../src/runs/scheduler.ts';
import type { Scheduler } from '../../src/runs/scheduler.ts';
import {
  quietLogger,
  seededOutcome,
  testPrefix,
  trackingExecutor,
  waitFor,
} from '../runs/runs-test-support.ts';
import { cliWith, configDir, ttyStream } from './cli-runs-support.ts';

const redisUrl = inject('redisUrl');
const CHART = fileURLToPath(new URL('../fixtures/charts/sim-light', import.meta.url));
const spec = {
  name: 'x',
  note: '',
  chart: { ref: 'repo/chart' },
  valuesFiles: [],
  setValues: [],
  plan: {},
  iterations: 1,
  parallel: 1,
  submitter: 'test',
};
const RUN_JSON_KEYS = [
  'id',
  'name',
  'state',
  'iterations',
  'parallel',
  'counts',
  'dispatched',
  'active',
  'note',
  'chart',
  'valuesFiles',
  'setValues',
  'plan',
  'submitter',
  'createdAt',
];

// Iterations 1 and 6 fail under the seeded rule of trackingExecutor; 0, 2-5, 7-9 pass.
const FAILING = Array.from({ length: 10 }, (_, i) => i).filter((i) => seededOutcome(i) === 'failed');

describe.runIf(redisUrl)('soak-run commands against an in-process scheduler and worker', () => {
  const url = redisUrl ?? '';
  const prefix = testPrefix('cli-runs');
  const idlePrefix = testPrefix('cli-idle');
  const logger = quietLogger();
  let scheduler: Scheduler;
  let worker: IterationWorker;
  let http: SchedulerHttpServer;
  let config: Awaited<ReturnType<typeof configDir>>;
  let idleConfig: Awaited<ReturnType<typeof configDir>>;
  /** Direct Redis mode. */
  let direct: NodeJS.ProcessEnv;
  /** Through the scheduler's HTTP API. */
  let api: NodeJS.ProcessEnv;
  /** A prefix no scheduler serves: runs stay queued until cancelled. */
  let idle: NodeJS.ProcessEnv;

  beforeAll(async () => {
    config = await configDir(prefix);
    idleConfig = await configDir(idlePrefix);
    scheduler = await startScheduler(
      { redisUrl: url, prefix, tickInterval: 300, maxIterations: 500 },
      logger,
    );
    worker = await startIterationWorker(
      { redisUrl: url, prefix, concurrency: 4 },
      trackingExecutor(20).executor,
      logger,
    );
    http = await startSchedulerHttp(scheduler, {}, logger);
    direct = { REDIS_URL: url, KUBESOAK_CONFIG: config.configFile };
    api = { ...direct, KUBESOAK_URL: http.url };
    idle = { REDIS_URL: url, KUBESOAK_CONFIG: idleConfig.configFile };
  });
  afterAll(async () => {
    await http?.close();
    await worker?.close();
    await scheduler?.close();
    await config?.remove();
    await idleConfig?.remove();
  });

  const submit = (env: NodeJS.ProcessEnv, ...extra: string[]) =>
    cliWith(env, ['submit', '--chart', CHART, '--iterations', '10', '--parallel', '3', ...extra]);

  it('submit prints the run id (direct Redis), and the run completes with every result', async () => {
    const result = await submit(direct, '--name', 'direct-one', '--note', 'first');
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    const id = result.out.trim();
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const done = await cliWith(direct, ['submit', '--chart', CHART, '--iterations', '1', '--parallel', '1']);
    expect(done.code).toBe(0);
    const status = await waitForState(direct, id, 'completed');
    expect(status.counts).toEqual({ passed: 10 - FAILING.length, failed: FAILING.length, error: 0 });
  });

  it('records who submitted: user@host with the CI job when one is detected, or --submitter', async () => {
    const ci = {
      ...direct,
      USER: 'ci-runner',
      GITHUB_ACTIONS: 'true',
      GITHUB_SERVER_URL: 'https://github.example',
      GITHUB_REPOSITORY: 'team/charts',
      GITHUB_RUN_ID: '4242',
    };
    const detected = await cliWith(ci, [
      'submit',
      '--chart',
      'repo/chart',
      '--iterations',
      '1',
      '--parallel',
      '1',
      '--json',
    ]);
    expect(detected.code).toBe(0);
    expect((JSON.parse(detected.out) as Run).submitter).toMatch(
      /^ci-runner@.+ \(kubesoak submit, https:\/\/github\.example\/team\/charts\/actions\/runs\/4242\)$/,
    );
    const given = await cliWith(direct, [
      'submit',
      '--chart',
      'repo/chart',
      '--iterations',
      '1',
      '--parallel',
      '1',
      '--submitter',
      'nightly upgrade check',
      '--json',
    ]);
    expect((JSON.parse(given.out) as Run).submitter).toBe('nightly upgrade check');
  });

  it('--wait prints one plain line per iteration with failures=N success=M and the category, then a summary', async () => {
    const result = await submit(direct, '--wait', '--name', 'wait-plain');
    expect(result.code).toBe(0);
    const lines = result.out.trimEnd().split('\n');
    const iterationLines = lines.filter((line) => line.startsWith('iteration '));
    expect(iterationLines).toHaveLength(10);
    for (const failing of FAILING)
      expect(iterationLines).toContainEqual(
        expect.stringMatching(
          new RegExp(
            `^iteration ${failing} failed category=probe-failure .*failures=\\d+ success=\\d+ errors=0$`,
          ),
        ),
      );
    const last = iterationLines.at(-1) ?? '';
    expect(last).toMatch(new RegExp(`failures=${FAILING.length} success=${10 - FAILING.length} errors=0$`));
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^run wait-plain completed: 10\/10 iterations, success=8 failures=2 errors=0, success rate 80\.0%/,
      ),
    );
    expect(lines).toContain('failures by category: probe-failure=2');
  });

  it('--wait --fail-on-failure exits 1 when an iteration failed, 0 when none did', async () => {
    const failing = await submit(direct, '--wait', '--fail-on-failure', '--name', 'gate-red');
    expect(failing.code).toBe(1);
    expect(failing.err.trimEnd().split('\n')).toHaveLength(1);
    expect(failing.err).toMatch(
      /run gate-red had 2 failed and 0 errored of 10 iterations \(--fail-on-failure\)/,
    );
    // Iteration 0 passes under the seeded rule.
    const passing = await cliWith(direct, [
      'submit',
      '--chart',
      CHART,
      '--iterations',
      '1',
      '--parallel',
      '1',
      '--wait',
      '--fail-on-failure',
      '--name',
      'gate-green',
    ]);
    expect(passing.err).toBe('');
    expect(passing.code).toBe(0);
    expect(passing.out).toMatch(/run gate-green completed: 1\/1 iterations, success=1 failures=0 errors=0/);
  });

  it('--wait --json prints only the final run as JSON', async () => {
    const result = await submit(direct, '--wait', '--json', '--name', 'wait-json');
    expect(result.code).toBe(0);
    const run = JSON.parse(result.out) as Run;
    expect(run).toMatchObject({
      name: 'wait-json',
      state: 'completed',
      iterations: 10,
      counts: { passed: 8, failed: 2, error: 0 },
    });
  });

  it('through the HTTP API (KUBESOAK_URL): submit, status, runs, show, and the same --wait lines', async () => {
    const result = await submit(api, '--wait', '--name', 'via-http', '-f', CHART + '/values.yaml');
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    expect(result.out.split('\n').filter((line) => line.startsWith('iteration '))).toHaveLength(10);
    expect(result.out).toMatch(/run via-http completed: 10\/10 iterations, success=8 failures=2 errors=0/);

    const status = await cliWith(api, ['status', 'via-http', '--json']);
    const run = JSON.parse(status.out) as Run & { chart: { archiveBytes?: number } };
    for (const key of RUN_JSON_KEYS) expect(run).toHaveProperty(key);
    expect(run.valuesFiles).toHaveLength(1);
    expect(run.chart.archiveBytes).toBeGreaterThan(0);

    const human = await cliWith(api, ['status', run.id]);
    expect(human.code).toBe(0);
    expect(human.out).toMatch(new RegExp(`^run +via-http \\(${run.id}\\)$`, 'm'));
    expect(human.out).toMatch(/^state +completed$/m);
    expect(human.out).toMatch(/^iterations +10 requested, at most 3 at a time$/m);
    expect(human.out).toMatch(/^results +passed 8, failed 2, error 0 \(10\/10 recorded, 80\.0% passed\)$/m);
    expect(human.out).toMatch(/^chart +.*sim-light \(packaged with the run, [\d.]+ KiB\)$/m);
    expect(human.out).toMatch(/^created +\d{4}-/m);

    const runs = await cliWith(api, ['runs', '--json']);
    expect((JSON.parse(runs.out) as { runs: Run[] }).runs.map((item) => item.name)).toContain('via-http');
    const table = await cliWith(api, ['runs']);
    expect(table.out).toMatch(/^ID +NAME +STATE +PROGRESS +PASSED +FAILED +ERROR +ACTIVE +CREATED$/m);
    expect(table.out).toMatch(/ via-http +completed +10\/10 +8 +2 +0 +0 /);

    const shown = await cliWith(api, ['show', 'via-http', String(FAILING[0])]);
    expect(shown.code).toBe(0);
    expect(shown.out).toMatch(new RegExp(`^FAILED  iteration ${FAILING[0]} of run via-http`));
    expect(shown.out).toMatch(/^category +probe-failure$/m);
    const shownJson = await cliWith(api, ['show', run.id, '0', '--json']);
    expect(JSON.parse(shownJson.out)).toMatchObject({ iteration: 0, outcome: 'passed', attempt: 1 });

    // The endpoints the client added: results without snapshots, live runs.
    const results = (await (
      await fetch(`${http.url}/v1/runs/via-http/results?iterations=0,1,99`)
    ).json()) as { results: Array<Record<string, unknown>> };
    expect(results.results.map((result) => result.iteration)).toEqual([0, 1]);
    expect(results.results[0]).not.toHaveProperty('snapshot');
    const progress = (await (await fetch(`${http.url}/v1/runs/via-http/progress`)).json()) as Record<
      string,
      unknown
    >;
    expect(Object.keys(progress).sort()).toEqual(
      [
        'id',
        'name',
        'state',
        'iterations',
        'parallel',
        'counts',
        'dispatched',
        'active',
        'createdAt',
        'startedAt',
        'finishedAt',
      ].sort(),
    );
    expect(progress).toMatchObject({
      name: 'via-http',
      state: 'completed',
      counts: { passed: 8, failed: 2, error: 0 },
    });
    const bad = await fetch(`${http.url}/v1/runs/via-http/results?iterations=1,x`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'invalid-query' } });
    const unknown = await fetch(`${http.url}/v1/runs/nope/results?iterations=1`);
    expect(unknown.status).toBe(404);
    await unknown.body?.cancel();
    const live = await cliWith(api, ['status', '--json']);
    expect(live.code).toBe(0);
    expect(JSON.parse(live.out)).toEqual({ runs: [] });
  });

  it('show: exit 2 for an unknown run or an iteration outside the run', async () => {
    for (const env of [direct, api]) {
      const unknown = await cliWith(env, ['show', 'no-such-run', '0']);
      expect(unknown.code).toBe(2);
      expect(unknown.err).toMatch(/no run with id or name "no-such-run"/);
      const outside = await cliWith(env, ['show', 'via-http', '10']);
      expect(outside.code).toBe(2);
      expect(outside.err).toMatch(/run via-http has iterations 0 to 9/);
      const status = await cliWith(env, ['status', 'no-such-run', '--json']);
      expect(status.code).toBe(2);
      expect(JSON.parse(status.err)).toMatchObject({ error: { code: 'run-not-found', exitCode: 2 } });
    }
  });

  it('status without RUN lists the live runs; cancel (and --now) ends them, human and --json', async () => {
    const first = (await submit(idle, '--name', 'idle-one')).out.trim();
    const second = (await submit(idle, '--name', 'idle-two')).out.trim();
    const taken = await submit(idle, '--name', 'idle-one');
    expect(taken.code).toBe(2);
    expect(taken.err).toMatch(/name: "idle-one" is already used by a live run/);
    const live = await cliWith(idle, ['status']);
    expect(live.out).toMatch(/ idle-one +queued +0\/10 /);
    expect(live.out).toMatch(/ idle-two +queued +0\/10 /);
    const liveJson = JSON.parse((await cliWith(idle, ['status', '--json'])).out) as { runs: Run[] };
    expect(liveJson.runs.map((run) => run.id)).toEqual([first, second]);

    const cancelled = await cliWith(idle, ['cancel', 'idle-one']);
    expect(cancelled.code).toBe(0);
    expect(cancelled.out).toBe(`cancelled run idle-one (${first}): no iteration is active\n`);
    const now = await cliWith(idle, ['cancel', second, '--now', '--json']);
    expect(JSON.parse(now.out)).toMatchObject({ id: second, state: 'cancelled' });
    const again = await cliWith(idle, ['cancel', 'idle-one']);
    expect(again.out).toBe(`run idle-one (${first}) had already ended: cancelled\n`);
    expect((await cliWith(idle, ['status'])).out).toBe('no live runs\n');
    expect((await cliWith(idle, ['cancel', 'nope'])).code).toBe(2);
  });

  it('through the API: a name used by a live run is refused with exit 2; cancel --now stops a running run', async () => {
    const long = await cliWith(api, [
      'submit',
      '--chart',
      'repo/chart',
      '--iterations',
      '500',
      '--parallel',
      '1',
      '--name',
      'long-http',
    ]);
    expect(long.code).toBe(0);
    const taken = await cliWith(api, [
      'submit',
      '--chart',
      'repo/chart',
      '--iterations',
      '5',
      '--parallel',
      '1',
      '--name',
      'long-http',
    ]);
    expect(taken.code).toBe(2);
    expect(taken.err.trimEnd().split('\n')).toHaveLength(1);
    expect(taken.err).toMatch(/name: "long-http" is already used by a live run/);
    const cancelled = await cliWith(api, ['cancel', 'long-http', '--now']);
    expect(cancelled.code).toBe(0);
    expect(cancelled.out).toMatch(
      /^cancelled run long-http \([0-9a-f-]{36}\): (1 active iteration\(s\) are being aborted|no iteration is active)\n$/,
    );
    const status = JSON.parse((await cliWith(api, ['status', 'long-http', '--json'])).out) as Run;
    expect(status.state).toBe('cancelled');
    expect(status.cancelledAt).toBeDefined();
  });

  it('show prints the debug snapshot readably, and exit 1 while an iteration has no result', async () => {
    const redis = new Redis(url, { protocol: 2 });
    try {
      const store = new RedisRunStore(redis, idlePrefix);
      const run = await store.create(
        randomUUID(),
        { ...spec, name: 'snapshots', iterations: 3, parallel: 1 },
        new Date(),
      );
      const failed: StoredIterationResult = {
        iteration: 0,
        attempt: 2,
        workerId: 'w-7',
        outcome: 'failed',
        category: 'oom-killed',
        failedStep: 'await-ready',
        evidence: ['[OOMKilled] container db was killed (pod=db-0 node=n2)'],
        stepTimings: { install: 1200, 'await-ready': 8000 },
        nodes: ['n2'],
        startedAt: '2026-11-25T03:41:00.000Z',
        finishedAt: '2026-11-25T03:41:09.200Z',
        snapshot: {
          takenAt: '2026-11-25T03:41:09.000Z',
          namespace: 'ks-snap-0',
          release: 'soak',
          pods: [
            {
              name: 'db-0',
              ready: '0/1',
              status: 'CrashLoopBackOff',
              restarts: 3,
              age: '9s',
              node: 'n2',
              hook: false,
            },
          ],
          podDetails: [
            {
              name: 'db-0',
              node: 'n2',
              phase: 'Running',
              conditions: [{ type: 'Ready', status: 'False', reason: 'ContainersNotReady' }],
              containers: [
                {
                  name: 'db',
                  kind: 'app',
                  ready: false,
                  restartCount: 3,
                  state: { waiting: { reason: 'CrashLoopBackOff' } },
                  lastState: { terminated: { reason: 'OOMKilled', exitCode: 137 } },
                  probes: [],
                },
              ],
              events: [],
            },
          ],
          events: [
            {
              time: '2026-11-25T03:41:05Z',
              type: 'Warning',
              reason: 'BackOff',
              object: 'Pod/db-0',
              message: 'Back-off restarting failed container',
              count: 4,
            },
          ],
          logs: [{ pod: 'db-0', container: 'db', previous: true, text: 'starting\nallocating buffers\n' }],
          nodes: [
            {
              name: 'n2',
              ready: 'True',
              conditions: [],
              unschedulable: false,
              requestedMemoryBytes: 1024,
              allocatableMemoryBytes: 2048,
              pods: ['db-0'],
            },
          ],
          helmCommands: [
            {
              argv: ['install', 'soak', '/tmp/chart.tgz'],
              exitCode: 0,
              stdout: 'STATUS: deployed\n',
              stderr: '',
              durationMs: 1100,
            },
          ],
          truncated: false,
        },
      };
      await store.record(run.id, 0, 'failed', encodeResult(failed, 256 * 1024), new Date());
      const human = await cliWith(idle, ['show', 'snapshots', '0']);
      expect(human.err).toBe('');
      expect(human.code).toBe(0);
      for (const line of [
        /^FAILED {2}iteration 0 of run snapshots /m,
        /^category +oom-killed \(step await-ready\)$/m,
        /^attempt +2, worker w-7$/m,
        /^nodes +n2$/m,
        /\(9\.2s\)$/m,
        /^await-ready +8\.0s$/m,
        /^ {2}- \[OOMKilled\] container db was killed/m,
        /^SNAPSHOT of namespace ks-snap-0, release soak/m,
        /^db-0 +0\/1 +CrashLoopBackOff +3 +n2$/m,
        /^ {2}condition Ready=False ContainersNotReady$/m,
        /^ {2}app container db: waiting CrashLoopBackOff, ready false, restarts 3$/m,
        /Warning BackOff Pod\/db-0 \(x4\): Back-off restarting failed container/,
        /^LOG db-0\/db \(previous\)$/m,
        /^ {2}\| allocating buffers$/m,
        /^node n2: ready True, memory requested 1024 of 2048 bytes, pods db-0$/m,
        /^helm install soak \/tmp\/chart\.tgz → exit 0/m,
      ])
        expect(human.out).toMatch(line);
      const raw = JSON.parse(
        (await cliWith(idle, ['show', run.id, '0', '--json'])).out,
      ) as StoredIterationResult;
      expect(raw).toEqual(failed);

      const pending = await cliWith(idle, ['show', 'snapshots', '1']);
      expect(pending.code).toBe(1);
      expect(pending.err).toMatch(/iteration 1 of run snapshots has no result yet \(run queued\)/);
      await store.cancel(run.id, new Date());
    } finally {
      await redis.quit();
    }
  });

  it('a repository chart keeps its --version (or --chart-version) and --set values; the run is not packaged', async () => {
    for (const flag of ['--version', '--chart-version']) {
      const result = await cliWith(idle, [
        'submit',
        '--chart',
        'bitnami/redis',
        flag,
        '19.0.1',
        '--set',
        'replica.count=1',
        '--iterations',
        '2',
        '--parallel',
        '1',
        '--json',
      ]);
      expect(result.code).toBe(0);
      const run = JSON.parse(result.out) as Run;
      expect(run.chart).toEqual({ ref: 'bitnami/redis', version: '19.0.1' });
      expect(run.setValues).toEqual(['replica.count=1']);
      await cliWith(idle, ['cancel', run.id]);
    }
    const needsRun = await cliWith(idle, ['status', '--wait']);
    expect(needsRun.code).toBe(2);
    expect(needsRun.err).toMatch(/--wait and --fail-on-failure need a RUN/);
  });

  it('on a TTY, --wait redraws a progress bar with passed/failed/error, rate and ETA', async () => {
    const stdout = ttyStream();
    const result = await cliWith(
      direct,
      ['submit', '--chart', CHART, '--iterations', '10', '--parallel', '3', '--wait', '--name', 'tty-bar'],
      { stdout },
    );
    expect(result.code).toBe(0);
    const frames = result.out.split('\r\x1b[2K').filter((frame) => frame.startsWith('['));
    expect(frames.length).toBeGreaterThan(0);
    expect(frames.at(-1)).toMatch(/^\[#+\] 10\/10 +passed 8 +failed 2 +error 0 +active 0 +[\d.]+\/s +ETA -/);
    expect(result.out).toMatch(/\d+\/10 +passed \d+ +failed \d+ +error \d+ +active \d+ +[\d.]+\/s +ETA /);
    // Failures are printed above the bar, passes only move it.
    expect(result.out.match(/iteration \d+ failed category=probe-failure/g)).toHaveLength(2);
    expect(result.out).not.toMatch(/iteration \d+ passed/);
    expect(result.out).toMatch(/run tty-bar completed: 10\/10 iterations/);
  });

  it('followRun waits out an outage of the scheduler API and then follows on to the end', async () => {
    const port = await freePort();
    let server = await startSchedulerHttp(scheduler, { port }, logger);
    const client = new HttpRunsClient(server.url);
    const out = new PassThrough();
    const err = new PassThrough();
    let text = '';
    let errText = '';
    out.on('data', (chunk: Buffer) => (text += chunk.toString()));
    err.on('data', (chunk: Buffer) => (errText += chunk.toString()));
    try {
      const run = await client.submit({
        chart: { ref: 'repo/chart' },
        iterations: 30,
        parallel: 1,
        name: 'outage',
      });
      const following = followRun(
        client,
        run.id,
        { stdout: out, stderr: err, env: {} },
        { pollIntervalMs: 50 },
      );
      await waitFor('a first result line', () => Promise.resolve(text.includes('iteration 0 ')));
      await server.close();
      await waitFor('the follower to notice', () => Promise.resolve(errText.includes('cannot reach')));
      server = await startSchedulerHttp(scheduler, { port }, logger);
      const final = await following;
      expect(final.state).toBe('completed');
      expect(text.split('\n').filter((line) => line.startsWith('iteration '))).toHaveLength(30);
      expect(errText).toMatch(
        /^kubesoak: cannot reach http:\/\/127\.0\.0\.1:\d+ \(.*\); retrying for up to 60s$/m,
      );
      expect(errText).toMatch(/reaching http:\/\/127\.0\.0\.1:\d+ again; following on/);
    } finally {
      await client.close();
      await server.close();
    }
  });

  it('followRun with an in-process RedisRunsClient; aborting stops following, not the run', async () => {
    const client = await RedisRunsClient.open({ redisUrl: url, prefix: idlePrefix });
    try {
      const run = await client.submit({
        chart: { ref: 'repo/chart' },
        iterations: 3,
        parallel: 1,
        name: 'follow-abort',
      });
      const controller = new AbortController();
      const out = new PassThrough();
      let text = '';
      out.on('data', (chunk: Buffer) => (text += chunk.toString()));
      const following = followRun(
        client,
        'follow-abort',
        { stdout: out, stderr: new PassThrough(), env: {} },
        {
          signal: controller.signal,
          pollIntervalMs: 50,
        },
      );
      setTimeout(() => controller.abort(), 200);
      const error = await following.catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(FollowStoppedError);
      expect((error as FollowStoppedError).oneLine).toBe(
        'stopped following run follow-abort; the run continues: see it with `kubesoak status follow-abort`, follow it again with `kubesoak status follow-abort --wait`',
      );
      expect(text).toMatch(/^following run follow-abort/);
      expect((await client.status(run.id))?.state).toBe('queued');
      await client.cancel(run.id, { now: false });
    } finally {
      await client.close();
    }
  });
});

async function waitForState(env: NodeJS.ProcessEnv, ref: string, state: string): Promise<Run> {
  for (let attempt = 0; attempt < 300; attempt += 1) {
    const result = await cliWith(env, ['status', ref, '--json']);
    const run = JSON.parse(result.out) as Run;
    if (run.state === state) return run;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`run ${ref} never reached ${state}`);
}
