import type { Readable } from 'node:stream';
import { DURATION_BUCKETS, activeSpan, formatTraceparent, idOnlyTracer, type Tracer } from '@task-manager/kit';
import { Histogram, type Registry } from 'prom-client';
import { Agent, type Dispatcher } from 'undici';
import { CSRF_HEADER, SESSION_COOKIE } from '@task-manager/contract';
import type { BackendResponse, ProblemBody, Viewer } from './types.js';

/** The backend could not be reached or did not answer in time: the UI answers 503. */
export class BackendUnavailable extends Error {
  constructor(readonly reason: string) {
    super(`the task service is unavailable (${reason})`);
    this.name = 'BackendUnavailable';
  }
}

/** The backend did not accept the viewer's session (none, expired, signed out): the UI sends them to sign in. */
export class NotSignedIn extends Error {
  constructor() {
    super('the session is not signed in');
    this.name = 'NotSignedIn';
  }
}

/** The backend refused the viewer (403): their role may not, or they must change their password first. */
export class NotAllowed extends Error {
  constructor(readonly detail: string) {
    super(`not allowed: ${detail}`);
    this.name = 'NotAllowed';
  }

  get mustChangePassword(): boolean {
    return /change your password first/i.test(this.detail);
  }
}

export interface TransportOptions {
  baseUrl: URL;
  timeoutMs: number;
  registry: Registry;
  /** Each call is a client span under the request's, and carries it to the backend in `traceparent`. */
  tracer?: Tracer;
}

export interface Call {
  method: Dispatcher.HttpMethod;
  /** The path below the backend's base URL, with its query. */
  path: string;
  /** The route template, for the metric label (bounded cardinality). */
  route: string;
  requestId?: string;
  /** A call on the viewer's behalf: it carries their session, and a 401 or 403 throws NotSignedIn or NotAllowed. */
  viewer?: Viewer;
  headers?: Record<string, string>;
  json?: unknown;
  /** A write that a second send cannot do twice (it carries an Idempotency-Key): retried like a read. */
  repeatable?: boolean;
}

const READS = new Set(['GET', 'HEAD']);

/** Whether a call only reads: a write can change what any cached answer says. */
export const isRead = (method: string): boolean => READS.has(method);

/**
 * The one way the frontend reaches the backend. Connections are pooled and kept alive; every
 * call is bounded by the timeout so a hung backend turns into a 503 page, not a hung browser.
 * Reads are retried once when the connection failed (a keep-alive socket the backend had
 * just closed, a pod that just went away), and so are repeatable writes, whose second send finds
 * the first one's answer; other writes never are, so nothing happens twice.
 */
export class Transport {
  private readonly agent: Agent;
  private readonly origin: string;
  private readonly basePath: string;
  private readonly duration: Histogram<'method' | 'route' | 'status_code'>;
  private readonly tracer: Tracer;

  constructor(private readonly options: TransportOptions) {
    this.tracer = options.tracer ?? idOnlyTracer;
    this.origin = options.baseUrl.origin;
    this.basePath = options.baseUrl.pathname.replace(/\/+$/, '');
    this.agent = new Agent({ connections: 128, keepAliveTimeout: 4_000, connectTimeout: options.timeoutMs });
    this.duration = new Histogram({
      name: 'backend_request_duration_seconds',
      help: 'Duration of calls from the frontend to the backend API, by method, route template and status code.',
      labelNames: ['method', 'route', 'status_code'],
      buckets: DURATION_BUCKETS,
      registers: [options.registry],
    });
  }

  get timeoutMs(): number {
    return this.options.timeoutMs;
  }

  /** A call with a JSON body (if any) whose JSON answer is read whole. */
  async json<T>(call: Call): Promise<BackendResponse<T>> {
    const headers: Record<string, string> = { accept: 'application/json', ...call.headers };
    const { viewer } = call;
    const requestId = call.requestId ?? viewer?.requestId;
    if (requestId) headers['x-request-id'] = requestId;
    if (viewer) {
      headers.cookie = `${SESSION_COOKIE}=${viewer.sid}`;
      if (!isRead(call.method)) headers[CSRF_HEADER] = viewer.csrf;
    }
    let payload: string | undefined;
    if (call.json !== undefined) {
      headers['content-type'] = 'application/json';
      payload = JSON.stringify(call.json);
    }
    const response = await this.send(call, headers, payload);
    let text: string;
    try {
      text = await response.body.text();
    } catch (error) {
      throw new BackendUnavailable(describe(error));
    }
    const etag = response.headers.etag;
    const body = (text === '' ? undefined : parseJson(text)) as T | ProblemBody | undefined;
    if (viewer && response.statusCode === 401) throw new NotSignedIn();
    if (viewer && response.statusCode === 403) throw new NotAllowed((body as ProblemBody | undefined)?.detail ?? 'Your role may not do that.');
    return {
      status: response.statusCode,
      etag: typeof etag === 'string' ? etag.replace(/^W\//, '').replace(/"/g, '') : undefined,
      body,
      retryAfter: response.statusCode === 429 ? Number(response.headers['retry-after']) || undefined : undefined,
    };
  }

  /** A call as given; a streamed body is never retried, since it cannot be sent twice. */
  async send(call: Call, headers: Record<string, string | string[]>, body: string | Readable | undefined): Promise<Dispatcher.ResponseData> {
    const attempts = (isRead(call.method) || call.repeatable) && typeof body !== 'object' ? 2 : 1;
    for (let attempt = 1; ; attempt++) {
      const stop = this.duration.startTimer({ method: call.method, route: call.route });
      const span = this.tracer.start(`${call.method} ${call.route}`, 'client', activeSpan(), {
        'http.request.method': call.method,
        'http.route': call.route,
        'server.address': this.options.baseUrl.hostname,
      });
      // Replaces whatever the browser sent through the pass-through: the backend's parent is this call.
      headers.traceparent = formatTraceparent(span.context);
      try {
        const response = await this.agent.request({
          origin: this.origin,
          path: `${this.basePath}${call.path}`,
          method: call.method,
          headers,
          body,
          headersTimeout: this.options.timeoutMs,
          bodyTimeout: this.options.timeoutMs,
        });
        stop({ status_code: String(response.statusCode) });
        span.setAttributes({ 'http.response.status_code': response.statusCode });
        if (response.statusCode >= 500) span.fail(`HTTP ${response.statusCode}`);
        span.end();
        return response;
      } catch (error) {
        stop({ status_code: 'error' });
        span.fail(describe(error));
        span.end();
        // A timeout is not retried: the page must answer within the timeout, not twice it.
        if (attempt >= attempts || isTimeout(error)) throw new BackendUnavailable(describe(error));
      }
    }
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

function isTimeout(error: unknown): boolean {
  const code = (error as { code?: string } | undefined)?.code;
  return code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT';
}

function describe(error: unknown): string {
  const code = (error as { code?: string } | undefined)?.code;
  return code ?? (error instanceof Error ? error.message : String(error));
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
