import { KubesoakError } from '../errors/kubesoak-error.ts';
import type { IterationSummary, StoredIterationResult } from './iteration-job.ts';
import { RunNameTakenError } from './redis-run-store.ts';
import type { RunProgressView } from './redis-run-store.ts';
import type { Run } from './run-model.ts';
import { InvalidSubmissionError } from './run-submission.ts';
import type { RunsClient } from './runs-client.ts';

/** The scheduler's API did not answer (refused, timed out, not JSON). */
export class SchedulerUnavailableError extends KubesoakError {
  constructor(url: string, cause?: unknown) {
    const reason = cause instanceof Error ? `: ${describeCause(cause)}` : '';
    super('scheduler-unavailable', `cannot reach the kubesoak scheduler at ${url}${reason}`, {
      retryable: true,
      hint: 'check KUBESOAK_URL and that `kubesoak scheduler` is running there (unset it to use Redis directly)',
      cause,
    });
  }
}

/** The scheduler answered with an error the client does not turn into a value. */
export class SchedulerApiError extends KubesoakError {
  readonly status: number;
  constructor(status: number, code: string, message: string) {
    super(code, message, { retryable: status >= 500 });
    this.status = status;
  }
}

interface ErrorBody {
  error?: { code?: string; message?: string; field?: string };
}

/** Options of {@link HttpRunsClient}. */
export interface HttpRunsClientOptions {
  /** Per-request budget. Default 30 s. */
  timeoutMs?: number;
  /** fetch implementation; default the global one. */
  fetch?: typeof fetch;
}

/** Runs through the scheduler's JSON API (docs/api.md), for a CLI with KUBESOAK_URL set. */
export class HttpRunsClient implements RunsClient {
  readonly target: string;
  readonly #base: string;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;
  readonly #closing = new AbortController();

  constructor(baseUrl: string, options: HttpRunsClientOptions = {}) {
    this.#base = baseUrl.replace(/\/+$/, '');
    this.target = redactUrl(this.#base);
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#fetch = options.fetch ?? fetch;
  }

  async submit(raw: unknown): Promise<Run> {
    const reply = await this.#request('POST', '/v1/runs', raw);
    if (reply.status === 400 && reply.error?.code === 'invalid-submission') {
      const field = reply.error.field ?? 'submission';
      const prefix = `invalid run submission: ${field}: `;
      const message = reply.error.message ?? 'invalid';
      throw new InvalidSubmissionError(
        field,
        message.startsWith(prefix) ? message.slice(prefix.length) : message,
      );
    }
    if (reply.status === 409) {
      const name = (raw as { name?: unknown } | undefined)?.name;
      throw new RunNameTakenError(typeof name === 'string' ? name : '?');
    }
    return this.#expect<Run>(reply, 201);
  }

  async status(ref: string): Promise<Run | undefined> {
    return this.#orUndefined<Run>(await this.#request('GET', `/v1/runs/${encodeURIComponent(ref)}`));
  }

  async progress(ref: string): Promise<RunProgressView | undefined> {
    return this.#orUndefined<RunProgressView>(
      await this.#request('GET', `/v1/runs/${encodeURIComponent(ref)}/progress`),
    );
  }

  async list(limit: number): Promise<Run[]> {
    const reply = await this.#request('GET', `/v1/runs?limit=${limit}`);
    return this.#expect<{ runs: Run[] }>(reply, 200).runs;
  }

  async live(): Promise<Run[]> {
    const reply = await this.#request('GET', '/v1/runs?live=true');
    return this.#expect<{ runs: Run[] }>(reply, 200).runs.sort((a, b) =>
      a.createdAt.localeCompare(b.createdAt),
    );
  }

  async iteration(ref: string, iteration: number): Promise<StoredIterationResult | undefined> {
    return this.#orUndefined<StoredIterationResult>(
      await this.#request('GET', `/v1/runs/${encodeURIComponent(ref)}/iterations/${iteration}`),
    );
  }

  async results(ref: string, iterations: readonly number[]): Promise<IterationSummary[] | undefined> {
    const reply = await this.#request(
      'GET',
      `/v1/runs/${encodeURIComponent(ref)}/results?iterations=${iterations.join(',')}`,
    );
    return this.#orUndefined<{ results: IterationSummary[] }>(reply)?.results;
  }

  async cancel(ref: string, options: { now: boolean }): Promise<Run | undefined> {
    return this.#orUndefined<Run>(
      await this.#request('POST', `/v1/runs/${encodeURIComponent(ref)}/cancel`, { now: options.now }),
    );
  }

  close(): Promise<void> {
    this.#closing.abort();
    return Promise.resolve();
  }

  async #request(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: unknown; error: ErrorBody['error'] }> {
    let response: Response;
    let text: string;
    try {
      response = await this.#fetch(`${this.#base}${path}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.any([AbortSignal.timeout(this.#timeoutMs), this.#closing.signal]),
      });
      text = await response.text();
    } catch (error) {
      throw new SchedulerUnavailableError(this.target, error);
    }
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : (JSON.parse(text) as unknown);
    } catch (error) {
      throw new SchedulerUnavailableError(
        this.target,
        new Error(`HTTP ${response.status} with a body that is not JSON`, { cause: error }),
      );
    }
    const error = (parsed as ErrorBody | undefined)?.error;
    return { status: response.status, body: parsed, error: response.ok ? undefined : error };
  }

  #expect<T>(reply: { status: number; body: unknown; error: ErrorBody['error'] }, status: number): T {
    if (reply.status === status) return reply.body as T;
    throw new SchedulerApiError(
      reply.status,
      reply.error?.code ?? 'scheduler-error',
      `the scheduler at ${this.target} answered ${reply.status}: ${reply.error?.message ?? 'no message'}`,
    );
  }

  #orUndefined<T>(reply: { status: number; body: unknown; error: ErrorBody['error'] }): T | undefined {
    if (
      reply.status === 404 &&
      (reply.error?.code === 'run-not-found' || reply.error?.code === 'iteration-not-found')
    )
      return undefined;
    return this.#expect<T>(reply, 200);
  }
}

function describeCause(error: Error): string {
  const cause = error.cause instanceof Error ? error.cause : undefined;
  const code = (cause as { code?: unknown } | undefined)?.code;
  if (error.name === 'TimeoutError') return 'timed out';
  if (typeof code === 'string') return code;
  return cause?.message ?? error.message;
}

function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return url;
  }
}
