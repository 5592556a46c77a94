/**
 * The closed list of failure categories (docs/diagnosis.md explains each and the evidence it needs).
 * Adding one is a documented change: dashboards and alerts group by these strings.
 */
export const DiagnosisCategory = {
  installRejected: 'install-rejected',
  helmTransport: 'helm-transport',
  unschedulable: 'unschedulable',
  imagePull: 'image-pull',
  crashLoop: 'crash-loop',
  oomKilled: 'oom-killed',
  livenessRestart: 'liveness-restart',
  readinessTimeout: 'readiness-timeout',
  initTimeout: 'init-timeout',
  restartedDuringTest: 'restarted-during-test',
  nodeNotReady: 'node-not-ready',
  nodePressure: 'node-pressure',
  evicted: 'evicted',
  testFailed: 'test-failed',
  testTimeout: 'test-timeout',
  hookFailed: 'hook-failed',
  cleanupStuck: 'cleanup-stuck',
  apiError: 'api-error',
  infrastructure: 'infrastructure',
  cancelled: 'cancelled',
  timeout: 'timeout',
  unknown: 'unknown',
} as const;
export type DiagnosisCategory = (typeof DiagnosisCategory)[keyof typeof DiagnosisCategory];

/** passed; failed: the chart or cluster under test failed; error: kubesoak's own infrastructure failed. */
export const IterationOutcome = { passed: 'passed', failed: 'failed', error: 'error' } as const;
export type IterationOutcome = (typeof IterationOutcome)[keyof typeof IterationOutcome];
