import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

describe('docker-compose.yml', () => {
  it('parses and runs Redis the way BullMQ needs it', async () => {
    const compose = parse(await readFile(new URL('../../docker-compose.yml', import.meta.url), 'utf8')) as {
      services: Record<string, { image?: string; command?: string[] }>;
    };
    const redis = compose.services.redis;
    expect(redis?.image).toMatch(/^redis:/);
    expect(redis?.command).toEqual(
      expect.arrayContaining(['--appendonly', 'yes', '--maxmemory-policy', 'noeviction']),
    );
  });
});
