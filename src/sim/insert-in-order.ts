/**
 * Inserts a timer entry into a queue kept ordered by (time, creation sequence), so entries due at
 * the same moment fire in the order they were scheduled. Binary search: queues hold thousands.
 */
export function insertInOrder<T extends { readonly seq: number }>(
  queue: T[],
  entry: T,
  timeOf: (entry: T) => number,
): void {
  const time = timeOf(entry);
  let low = 0;
  let high = queue.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    const other = queue[mid] as T;
    const otherTime = timeOf(other);
    if (otherTime < time || (otherTime === time && other.seq < entry.seq)) low = mid + 1;
    else high = mid;
  }
  queue.splice(low, 0, entry);
}
