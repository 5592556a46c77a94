import type { SimClock, SimTimer } from '../sim-clock.ts';

/** When a fault is active, in simulated ms since the cluster started. */
export interface FaultWindow {
  at?: number | undefined;
  every?: number | undefined;
  for?: number | undefined;
}

/** True while `simNow` falls in one of the fault's windows. */
export function windowActive(window: FaultWindow, simNow: number): boolean {
  const start = window.at ?? 0;
  if (simNow < start) return false;
  const since = simNow - start;
  const phase = window.every ? since % window.every : since;
  return window.for === undefined || phase < window.for;
}

/**
 * Calls `begin` at every window start and `end` at every window end on the simulated clock.
 * Returns a canceller; windows without `for` never end.
 */
export function scheduleWindows(
  clock: SimClock,
  window: FaultWindow,
  begin: (index: number) => void,
  end?: (index: number) => void,
): () => void {
  const timers = new Set<SimTimer>();
  let cancelled = false;
  const later = (delay: number, fn: () => void) => {
    const timer = clock.after(delay, () => {
      timers.delete(timer);
      if (!cancelled) fn();
    });
    timers.add(timer);
  };
  const open = (index: number) => {
    begin(index);
    if (window.for !== undefined && end) later(window.for, () => end(index));
    if (window.every) later(window.every, () => open(index + 1));
  };
  later(window.at ?? 0, () => open(0));
  return () => {
    cancelled = true;
    for (const timer of timers) timer.cancel();
    timers.clear();
  };
}
