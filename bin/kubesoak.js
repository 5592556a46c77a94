#!/usr/bin/env node
// Runs the TypeScript sources directly (Node >= 22.18 strips types) in a checkout, dist/ when installed.
import { existsSync } from 'node:fs';

const source = new URL('../src/cli/main.ts', import.meta.url);
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
if (existsSync(source)) {
  if (major < 22 || (major === 22 && minor < 18)) {
    process.stderr.write(
      `kubesoak: Node ${process.versions.node} is too old to run from source: ` +
        'run it through npm (npx kubesoak, npm run demo), which uses the pinned Node 24\n',
    );
    process.exit(2);
  }
  await import(source.href);
} else {
  await import(new URL('../dist/src/cli/main.js', import.meta.url).href);
}
