/** Time for measuring durations: never jumps with NTP or DST, unlike Date.now(). */
export interface MonotonicClock {
  /** Milliseconds since an arbitrary origin. */
  now(): number;
  /** Wall-clock time for timestamps people read. */
  wallTime(): Date;
}

/** The process's performance clock. */
export const performanceClock: MonotonicClock = Object.freeze({
  now: () => performance.now(),
  wallTime: () => new Date(),
});
