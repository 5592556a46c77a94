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
    const leaks = this.vitest?.state.leakSet.size ?? 0;
    if (leaks > 0) {
      process.exitCode = 1;
      process.stdout.write(`\nfailing the run: ${leaks} async leak(s) reported above\n`);
    }
    process.stdout.write(`\ntests: ${passed} passed, ${failed + leaks} failed, ${skipped} skipped\n`);
  }
}
