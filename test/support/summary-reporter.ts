import type { Reporter, TestModule, Vitest } from 'vitest/node';

/**
 * Prints one plain closing line, "tests: N passed, N failed, N skipped", after vitest's own summary
 * so that CI tooling which only reads the last lines can tell a run that tested nothing from a
 * green one. It also turns async leaks (detectAsyncLeaks) into a failed run: vitest only reports
 * them, and a test that leaves a timer or socket behind is a test that leaks in production too.
 */
export default class SummaryReporter implements Reporter {
  private vitest: Vitest | undefined;

  onInit(vitest: Vitest): void {
    this.vitest = vitest;
  }

  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed += 1;
        else if (state === 'failed') failed += 1;
        else skipped += 1;
      }
      if (module.state() === 'failed' && module.children.size === 0) failed += 1;
    }
    const all = [...(this.vitest?.state.leakSet ?? [])];
    // A pending promise that a dependency created for its own bookkeeping holds no timer or socket
    // and cannot keep a process alive (BullMQ leaves one behind per closed worker connection): it is
    // listed, not counted. Timers, sockets and every promise our own code created still fail the run.
    const foreign = all.filter((leak) => leak.type === 'PROMISE' && createdInDependency(leak.stack));
    const leaks = all.length - foreign.length;
    if (foreign.length > 0) {
      process.stdout.write(
        `\nnot counted: ${foreign.length} pending promise(s) created inside dependencies (${[
          ...new Set(foreign.map((leak) => dependencyOf(leak.stack))),
        ].join(', ')})\n`,
      );
    }
    if (leaks > 0) {
      process.exitCode = 1;
      process.stdout.write(`\nfailing the run: ${leaks} async leak(s) reported above\n`);
    }
    // Outside CI a missing tool skips the tests that need it (with a warning); in CI nothing may be
    // skipped: a skipped test there is a check that silently did not happen.
    const ci = process.env.CI === 'true' || process.env.CI === '1';
    if (ci && skipped > 0) {
      process.exitCode = 1;
      process.stdout.write(`\nfailing the run: ${skipped} test(s) skipped under CI\n`);
    }
    process.stdout.write(`\ntests: ${passed} passed, ${failed + leaks} failed, ${skipped} skipped\n`);
  }
}

/**
 * Where the leaked resource was created: the first frame below vitest's own async hook and Node's
 * internals.
 */
function creationFrame(stack: string): string {
  return (
    stack
      .split('\n')
      .slice(1)
      .find(
        (line) =>
          /\.(?:[cm]?js|ts):\d+/.test(line) && !/\(node:|[\\/]node_modules[\\/]vitest[\\/]/.test(line),
      ) ?? ''
  );
}

function createdInDependency(stack: string): boolean {
  return /[\\/]node_modules[\\/]/.test(creationFrame(stack));
}

function dependencyOf(stack: string): string {
  return /node_modules[\\/]((?:@[^\\/]+[\\/])?[^\\/]+)/.exec(creationFrame(stack))?.[1] ?? 'unknown';
}
