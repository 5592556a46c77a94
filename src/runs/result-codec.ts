import { deflateSync, inflateSync } from 'node:zlib';
import type { StoredIterationResult } from './iteration-job.ts';

/** Default cap on a result's serialised snapshot; larger snapshots are truncated with a marker. */
export const DEFAULT_SNAPSHOT_CAP_BYTES = 256 * 1024;

/** What replaces a snapshot over the cap, so a reader sees that (and how much) was cut. */
export interface TruncatedSnapshot {
  truncated: true;
  originalBytes: number;
  /** The first bytes of the serialised snapshot, for a human to start from. */
  head: string;
}

/**
 * Serialises a result as deflated JSON. Results are written once and read rarely, and snapshots
 * (pod tables, events, logs) compress 5-10x, so compression is what keeps 100,000 results in Redis.
 */
export function encodeResult(result: StoredIterationResult, snapshotCapBytes: number): Buffer {
  let stored = result;
  if (result.snapshot !== undefined) {
    const serialised = JSON.stringify(result.snapshot) ?? '';
    const bytes = Buffer.byteLength(serialised);
    if (bytes > snapshotCapBytes) {
      const head = Buffer.from(serialised).subarray(0, Math.min(4096, snapshotCapBytes)).toString('utf8');
      const marker: TruncatedSnapshot = { truncated: true, originalBytes: bytes, head };
      stored = { ...result, snapshot: marker, snapshotTruncated: true };
    }
  }
  return deflateSync(JSON.stringify(stored));
}

/** Reverses encodeResult. */
export function decodeResult(payload: Buffer): StoredIterationResult {
  return JSON.parse(inflateSync(payload).toString('utf8')) as StoredIterationResult;
}
