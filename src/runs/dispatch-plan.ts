/** What the dispatcher knows about one live run when topping up the queue. */
export interface DispatchCandidate {
  runId: string;
  iterations: number;
  parallel: number;
  dispatched: number;
  active: number;
}

/** How many more iterations a run may have handed out right now. */
export function runCapacity(run: DispatchCandidate): number {
  return Math.max(0, Math.min(run.parallel - run.active, run.iterations - run.dispatched));
}

/**
 * Decides which runs get the next `budget` queue slots: one slot per run per round, round-robin,
 * starting at `rotation` (the caller advances it every pass), so concurrent runs share the worker
 * pool instead of the first-submitted run filling the shared FIFO queue. Returns run ids in the
 * order their jobs should be added.
 */
export function planDispatch(
  candidates: readonly DispatchCandidate[],
  budget: number,
  rotation = 0,
): string[] {
  const count = candidates.length;
  if (count === 0 || budget <= 0) return [];
  const start = ((rotation % count) + count) % count;
  const ordered = [...candidates.slice(start), ...candidates.slice(0, start)];
  const remaining = ordered.map(runCapacity);
  const order: string[] = [];
  let progressed = true;
  while (order.length < budget && progressed) {
    progressed = false;
    for (let index = 0; index < ordered.length && order.length < budget; index += 1) {
      if ((remaining[index] ?? 0) <= 0) continue;
      remaining[index] = (remaining[index] ?? 0) - 1;
      order.push((ordered[index] as DispatchCandidate).runId);
      progressed = true;
    }
  }
  return order;
}

/** Interleaves per-run job lists round-robin, keeping each run's own order. */
export function interleave<T>(lists: readonly (readonly T[])[]): T[] {
  const out: T[] = [];
  const longest = Math.max(0, ...lists.map((list) => list.length));
  for (let index = 0; index < longest; index += 1) {
    for (const list of lists) {
      const item = list[index];
      if (item !== undefined) out.push(item);
    }
  }
  return out;
}
