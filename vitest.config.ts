import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // 2-core machines: more forks only add contention for the real processes the tests start.
    maxWorkers: 2,
    reporters: ['default', './test/support/summary-reporter.ts'],
    // Leaked timers, sockets and promises fail the run (see summary-reporter.ts).
    detectAsyncLeaks: true,
  },
});
