// The composition root of the kubesoak CLI: the one module that may load both src/ and workers/.
import { createIterationExecutor } from '../../workers/iteration-executor.ts';
import { runIterationWorkerProcess } from '../../workers/iteration-worker.ts';
import { runCli } from './run-cli.ts';

const code = await runCli(
  process.argv.slice(2),
  { stdout: process.stdout, stderr: process.stderr, env: process.env },
  { createExecutor: createIterationExecutor, runWorkerProcess: runIterationWorkerProcess },
);
// exitCode, not exit(): let stdout drain when it is a pipe.
process.exitCode = code;
