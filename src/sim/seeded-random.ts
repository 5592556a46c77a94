import { createHash } from 'node:crypto';

/**
 * Seeded random streams. Each simulated entity draws from its own stream, derived from the seed and
 * a stable name ("kubelet/node-1/pod ns/web-0"), so the draws one entity makes do not depend on how
 * many other entities drew before it: concurrency changes timing, not outcomes.
 */
export class SeededRandom {
  readonly seed: string;

  constructor(seed: string | number) {
    this.seed = String(seed);
  }

  /** A generator of floats in [0, 1) for one named stream. */
  stream(name: string): () => number {
    const digest = createHash('sha256').update(`${this.seed}\0${name}`).digest();
    let a = digest.readUInt32LE(0);
    let b = digest.readUInt32LE(4);
    let c = digest.readUInt32LE(8);
    let d = digest.readUInt32LE(12);
    // sfc32: small, fast, and good enough for fault draws.
    return () => {
      a >>>= 0;
      b >>>= 0;
      c >>>= 0;
      d >>>= 0;
      let t = (a + b) | 0;
      a = b ^ (b >>> 9);
      b = (c + (c << 3)) | 0;
      c = (c << 21) | (c >>> 11);
      d = (d + 1) | 0;
      t = (t + d) | 0;
      c = (c + t) | 0;
      return (t >>> 0) / 4294967296;
    };
  }
}
