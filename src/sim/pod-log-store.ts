/** Options of GET pods/NAME/log that the simulated kubelet honours. */
export interface LogQuery {
  container: string;
  previous?: boolean;
  tailLines?: number | undefined;
  limitBytes?: number | undefined;
  timestamps?: boolean;
}

interface ContainerLog {
  current: Array<{ at: string; line: string }>;
  previous: Array<{ at: string; line: string }> | undefined;
}

const MAX_LINES = 2_000;

/** Synthesized container logs, current and previous instance, as the kubelet keeps them. */
export class PodLogStore {
  private readonly logs = new Map<string, ContainerLog>();
  private readonly followers = new Map<string, Set<(line: string, at: string) => void>>();

  append(namespace: string, pod: string, container: string, line: string, at = new Date()): void {
    const key = this.key(namespace, pod, container);
    const log = this.logs.get(key) ?? { current: [], previous: undefined };
    const stamp = at.toISOString();
    log.current.push({ at: stamp, line });
    if (log.current.length > MAX_LINES) log.current.splice(0, log.current.length - MAX_LINES);
    this.logs.set(key, log);
    for (const follower of this.followers.get(key) ?? []) follower(line, stamp);
  }

  /** A container restarted: its current log becomes the previous one. */
  rotate(namespace: string, pod: string, container: string): void {
    const key = this.key(namespace, pod, container);
    const log = this.logs.get(key);
    if (!log) return;
    this.logs.set(key, { current: [], previous: log.current });
  }

  has(namespace: string, pod: string, container: string, previous = false): boolean {
    const log = this.logs.get(this.key(namespace, pod, container));
    return previous ? log?.previous !== undefined : log !== undefined;
  }

  read(namespace: string, pod: string, query: LogQuery): string {
    const log = this.logs.get(this.key(namespace, pod, query.container));
    let lines = (query.previous ? log?.previous : log?.current) ?? [];
    if (query.tailLines !== undefined) lines = query.tailLines <= 0 ? [] : lines.slice(-query.tailLines);
    let text = lines
      .map((entry) => (query.timestamps ? `${entry.at} ${entry.line}\n` : `${entry.line}\n`))
      .join('');
    if (query.limitBytes !== undefined) text = Buffer.from(text).subarray(0, query.limitBytes).toString();
    return text;
  }

  follow(
    namespace: string,
    pod: string,
    container: string,
    onLine: (line: string, at: string) => void,
  ): () => void {
    const key = this.key(namespace, pod, container);
    const set = this.followers.get(key) ?? new Set();
    set.add(onLine);
    this.followers.set(key, set);
    return () => set.delete(onLine);
  }

  /** Drops every log of a pod (it was deleted). */
  forget(namespace: string, pod: string): void {
    const prefix = `${namespace}/${pod}/`;
    for (const key of this.logs.keys()) if (key.startsWith(prefix)) this.logs.delete(key);
  }

  private key(namespace: string, pod: string, container: string): string {
    return `${namespace}/${pod}/${container}`;
  }
}
