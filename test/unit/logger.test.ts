import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log/create-logger.ts';

describe('createLogger', () => {
  it('writes NDJSON with its bindings and redacts credentials', async () => {
    const destination = new PassThrough();
    let out = '';
    destination.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const logger = await createLogger({ destination, pretty: false, base: { worker: 'w1' } });
    logger.child({ run: 'r1' }).info({ password: 'hunter2', namespace: 'ks-r1-1' }, 'iteration started');
    const line = JSON.parse(out.trim()) as Record<string, unknown>;
    expect(line).toMatchObject({ worker: 'w1', run: 'r1', namespace: 'ks-r1-1', msg: 'iteration started' });
    expect(line.password).toBe('[redacted]');
    expect(out).not.toContain('hunter2');
  });
});
