import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubesoakError } from '../errors/kubesoak-error.ts';
import type { Logger } from '../log/create-logger.ts';
import { InvalidSubmissionError } from './run-submission.ts';
import { RunNameTakenError } from './redis-run-store.ts';
import { MAX_RESULTS_PER_REQUEST } from './runs-client.ts';
import type { Scheduler } from './scheduler.ts';

/** Largest accepted request body: values files travel inline. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;

/** A listening scheduler API. */
export interface SchedulerHttpServer {
  /** e.g. http://127.0.0.1:8080 */
  readonly url: string;
  close(): Promise<void>;
}

class HttpError extends KubesoakError {
  readonly status: number;
  constructor(status: number, code: string, message: string) {
    super(code, message, { retryable: false });
    this.status = status;
  }
}

/**
 * Serves the scheduler's JSON API (docs/api.md) with node:http. Errors are
 * `{ "error": { "code", "message", "field"? } }`; bad input is 400 with a message naming the field.
 */
export async function startSchedulerHttp(
  scheduler: Scheduler,
  options: { host?: string; port?: number },
  logger: Logger,
): Promise<SchedulerHttpServer> {
  const log = logger.child({ component: 'scheduler-http' });
  const server: Server = createServer((request, response) => {
    handle(scheduler, request, response).catch((error: unknown) => {
      const status = errorStatus(error);
      if (status >= 500)
        log.warn({ err: error instanceof Error ? error.message : String(error) }, 'request failed');
      send(response, status, { error: errorBody(error) });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

async function handle(
  scheduler: Scheduler,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const url = new URL(request.url ?? '/', 'http://scheduler');
  const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  const method = request.method ?? 'GET';
  if (parts[0] !== 'v1' || parts[1] !== 'runs')
    throw new HttpError(404, 'not-found', `no such endpoint: ${url.pathname}`);
  const [, , idOrName, sub, iterationText] = parts;

  if (idOrName === undefined) {
    if (method === 'POST') {
      const run = await scheduler.submit(await readJson(request));
      return send(response, 201, run);
    }
    if (method === 'GET') {
      if (url.searchParams.get('live') === 'true')
        return send(response, 200, { runs: await scheduler.live() });
      const limitText = url.searchParams.get('limit') ?? '100';
      const limit = Number(limitText);
      if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) {
        throw new HttpError(400, 'invalid-query', 'limit: must be a whole number from 1 to 10000');
      }
      return send(response, 200, { runs: await scheduler.list(limit) });
    }
    throw new HttpError(405, 'method-not-allowed', `${method} not allowed on /v1/runs`);
  }

  if (sub === undefined && method === 'GET') {
    const run = await scheduler.status(idOrName);
    if (!run) throw new HttpError(404, 'run-not-found', `no run with id or name "${idOrName}"`);
    return send(response, 200, run);
  }
  if (sub === 'cancel' && iterationText === undefined && method === 'POST') {
    const body = await readJson(request, true);
    const now =
      url.searchParams.get('now') === 'true' ||
      (typeof body === 'object' && body !== null && (body as { now?: unknown }).now === true);
    const run = await scheduler.cancel(idOrName, { now });
    if (!run) throw new HttpError(404, 'run-not-found', `no run with id or name "${idOrName}"`);
    return send(response, 200, run);
  }
  if (sub === 'iterations' && iterationText !== undefined && method === 'GET') {
    if (!/^\d+$/.test(iterationText))
      throw new HttpError(400, 'invalid-path', 'iteration: must be a whole number');
    const run = await scheduler.status(idOrName);
    if (!run) throw new HttpError(404, 'run-not-found', `no run with id or name "${idOrName}"`);
    const result = await scheduler.iteration(run.id, Number(iterationText));
    if (!result)
      throw new HttpError(
        404,
        'iteration-not-found',
        `run ${run.name} has no result for iteration ${iterationText}`,
      );
    return send(response, 200, result);
  }
  if (sub === 'progress' && iterationText === undefined && method === 'GET') {
    const progress = await scheduler.progress(idOrName);
    if (!progress) throw new HttpError(404, 'run-not-found', `no run with id or name "${idOrName}"`);
    return send(response, 200, progress);
  }
  if (sub === 'results' && iterationText === undefined && method === 'GET') {
    const list = (url.searchParams.get('iterations') ?? '').split(',').filter((text) => text !== '');
    if (list.length > MAX_RESULTS_PER_REQUEST || !list.every((text) => /^\d+$/.test(text)))
      throw new HttpError(
        400,
        'invalid-query',
        `iterations: must be a comma-separated list of at most ${MAX_RESULTS_PER_REQUEST} whole numbers`,
      );
    const results = await scheduler.results(idOrName, list.map(Number));
    if (!results) throw new HttpError(404, 'run-not-found', `no run with id or name "${idOrName}"`);
    return send(response, 200, { results });
  }
  throw new HttpError(404, 'not-found', `no such endpoint: ${method} ${url.pathname}`);
}

async function readJson(request: IncomingMessage, optional = false): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES)
      throw new HttpError(413, 'body-too-large', `request body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') {
    if (optional) return undefined;
    throw new HttpError(400, 'invalid-submission', 'invalid run submission: body: a JSON object is required');
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HttpError(400, 'invalid-json', 'invalid run submission: body: not valid JSON');
  }
}

function send(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}

function errorStatus(error: unknown): number {
  if (error instanceof HttpError) return error.status;
  if (error instanceof InvalidSubmissionError) return 400;
  if (error instanceof RunNameTakenError) return 409;
  return 503;
}

function errorBody(error: unknown): { code: string; message: string; field?: string } {
  if (error instanceof InvalidSubmissionError)
    return { code: error.code, message: error.message, field: error.field };
  if (error instanceof KubesoakError) return { code: error.code, message: error.message };
  return { code: 'unavailable', message: error instanceof Error ? error.message : String(error) };
}
