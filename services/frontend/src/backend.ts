import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { DURATION_BUCKETS } from '@task-manager/kit';
import { Histogram, type Registry } from 'prom-client';
import { Agent, type Dispatcher } from 'undici';
import { FreshCalls } from './fresh-calls.js';
import { RecentlyUsed } from './recently-used.js';

/** A task as the backend's contract (docs/contracts.md) defines it. */
export interface Task {
  id: string;
  title: string;
  description: string | null;
  status: 'todo' | 'in_progress' | 'done';
  priority: 'low' | 'medium' | 'high';
  dueDate: string | null;
  tags: string[];
  createdAt: string;
  updatedAt: string;
  version: number;
}

export interface TaskPage {
  items: Task[];
  nextCursor: string | null;
}

export interface Stats {
  total: number;
  byStatus: Record<Task['status'], number>;
  byPriority: Record<Task['priority'], number>;
  overdue: number;
}

/** The problem+json body the backend sends with every error. */
export interface Problem {
  title?: string;
  detail?: string;
  status?: number;
  errors?: { field: string; detail: string }[];
  current?: Task;
  missing?: string[];
}

export interface BackendResponse<T> {
  status: number;
  etag: string | undefined;
  /** The parsed JSON body: T on success, a Problem otherwise. */
  body: T | Problem | undefined;
}

/** The backend could not be reached or did not answer in time: the UI answers 503. */
export class BackendUnavailable extends Error {
  constructor(readonly reason: string) {
    super(`the task service is unavailable (${reason})`);
    this.name = 'BackendUnavailable';
  }
}

export interface BackendOptions {
  baseUrl: URL;
  timeoutMs: number;
  registry: Registry;
}

interface Call {
  method: Dispatcher.HttpMethod;
  /** The path below the backend's base URL, with its query. */
  path: string;
  /** The route template, for the metric label (bounded cardinality). */
  route: string;
  requestId?: string;
  headers?: Record<string, string>;
  json?: unknown;
}

const RETRYABLE_METHODS = new Set(['GET', 'HEAD']);
const STATS_MAX_AGE_MS = 1000;
/** List answers kept for If-None-Match: at most about 100 KB each once parsed. */
const KEPT_LISTS = 100;
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'host']);

/**
 * The one way the frontend reaches data. Connections are pooled and kept alive; every call
 * is bounded by the timeout so a hung backend turns into a 503 page, not a hung browser.
 * Reads are retried once when the connection failed (a keep-alive socket the backend had
 * just closed, a pod that just went away); writes never are, so nothing happens twice.
 */
export class BackendClient {
  private readonly agent: Agent;
  private readonly origin: string;
  private readonly basePath: string;
  private readonly duration: Histogram<'method' | 'route' | 'status_code'>;
  private sharedStats: { at: number; answer: Promise<BackendResponse<Stats>> } | undefined;
  /** The last page of each list query, with its ETag. */
  private readonly lists = new RecentlyUsed<{ etag: string; page: TaskPage }>(KEPT_LISTS);
  private readonly listCalls: FreshCalls<BackendResponse<TaskPage>>;

  constructor(private readonly options: BackendOptions) {
    this.origin = options.baseUrl.origin;
    this.basePath = options.baseUrl.pathname.replace(/\/+$/, '');
    this.listCalls = new FreshCalls(options.timeoutMs, () => new BackendUnavailable('timed out waiting for a shared list call'));
    this.agent = new Agent({ connections: 128, keepAliveTimeout: 4_000, connectTimeout: options.timeoutMs });
    this.duration = new Histogram({
      name: 'backend_request_duration_seconds',
      help: 'Duration of calls from the frontend to the backend API, by method, route template and status code.',
      labelNames: ['method', 'route', 'status_code'],
      buckets: DURATION_BUCKETS,
      registers: [options.registry],
    });
  }

  /**
   * A page of tasks. The last answer to each query is kept with its ETag, and the backend is
   * asked whether it is still current (If-None-Match): while nothing has been written it says
   * 304 after one trivial query, instead of reading, sending and parsing the list again. Kept
   * pages serve every user (tasks are not per user) and are never changed. Requests for the
   * same list that arrive together share one such call (FreshCalls), never one older than them.
   */
  listTasks(query: URLSearchParams, requestId?: string): Promise<BackendResponse<TaskPage>> {
    const search = query.toString();
    const path = `/api/tasks${search ? `?${search}` : ''}`;
    return this.listCalls.run(path, () => this.revalidate(path, requestId));
  }

  private async revalidate(path: string, requestId?: string): Promise<BackendResponse<TaskPage>> {
    const kept = this.lists.get(path);
    const headers = kept ? { 'if-none-match': `"${kept.etag}"` } : undefined;
    const response = await this.json<TaskPage>({ method: 'GET', path, route: '/api/tasks', requestId, headers });
    if (response.status === 304 && kept) return { status: 200, etag: kept.etag, body: kept.page };
    if (response.status === 200 && response.etag) this.lists.set(path, { etag: response.etag, page: response.body as TaskPage });
    else this.lists.delete(path);
    return response;
  }

  /**
   * The header counts. Every page shows them and they are the same for every user, so one
   * answer serves all pages for up to STATS_MAX_AGE_MS, and concurrent pages share one call.
   * Any write that goes through this client (the UI's or the /api pass-through's) drops the
   * shared answer, so a user always sees the counts after their own change; changes made
   * elsewhere show within STATS_MAX_AGE_MS. A failed call is never shared.
   */
  stats(requestId?: string): Promise<BackendResponse<Stats>> {
    const now = Date.now();
    if (this.sharedStats && now - this.sharedStats.at < STATS_MAX_AGE_MS) return this.sharedStats.answer;
    const answer = this.json<Stats>({ method: 'GET', path: '/api/stats', route: '/api/stats', requestId });
    const entry = { at: now, answer };
    this.sharedStats = entry;
    const forget = () => {
      if (this.sharedStats === entry) this.sharedStats = undefined;
    };
    answer.then((response) => response.status !== 200 && forget(), forget);
    return answer;
  }

  getTask(id: string, requestId?: string): Promise<BackendResponse<Task>> {
    return this.json({ method: 'GET', path: `/api/tasks/${encodeURIComponent(id)}`, route: '/api/tasks/:id', requestId });
  }

  /** `idempotencyKey` makes a repeated submit of the same form (a double click, a resend) create one task. */
  createTask(fields: Record<string, unknown>, requestId?: string, idempotencyKey?: string): Promise<BackendResponse<Task>> {
    const headers: Record<string, string> = idempotencyKey ? { 'idempotency-key': idempotencyKey } : {};
    return this.json({ method: 'POST', path: '/api/tasks', route: '/api/tasks', requestId, headers, json: fields });
  }

  updateTask(id: string, patch: Record<string, unknown>, version: string | undefined, requestId?: string): Promise<BackendResponse<Task>> {
    const headers: Record<string, string> = version ? { 'if-match': `"${version}"` } : {};
    return this.json({ method: 'PATCH', path: `/api/tasks/${encodeURIComponent(id)}`, route: '/api/tasks/:id', requestId, headers, json: patch });
  }

  deleteTask(id: string, requestId?: string): Promise<BackendResponse<undefined>> {
    return this.json({ method: 'DELETE', path: `/api/tasks/${encodeURIComponent(id)}`, route: '/api/tasks/:id', requestId });
  }

  bulk(body: { action: 'update' | 'delete'; ids: string[]; patch?: Record<string, unknown> }, requestId?: string): Promise<BackendResponse<{ count: number }>> {
    return this.json({ method: 'POST', path: '/api/tasks/bulk', route: '/api/tasks/bulk', requestId, json: body });
  }

  /**
   * Forwards a raw request (the /api pass-through): the body streams both ways and only
   * hop-by-hop headers are dropped.
   */
  async forward(
    method: string,
    pathAndQuery: string,
    headers: IncomingHttpHeaders,
    body: Readable | undefined,
  ): Promise<{ status: number; headers: Record<string, string | string[]>; body: Readable }> {
    const outgoing: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(headers)) {
      if (value !== undefined && !HOP_BY_HOP.has(name)) outgoing[name] = value;
    }
    const response = await this.send(
      { method: method as Dispatcher.HttpMethod, path: pathAndQuery, route: 'passthrough' },
      outgoing,
      body,
    );
    const responseHeaders: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(response.headers)) {
      if (value !== undefined && !HOP_BY_HOP.has(name)) responseHeaders[name] = value;
    }
    return { status: response.statusCode, headers: responseHeaders, body: response.body };
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  private async json<T>(call: Call): Promise<BackendResponse<T>> {
    const headers: Record<string, string> = { accept: 'application/json', ...call.headers };
    if (call.requestId) headers['x-request-id'] = call.requestId;
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
    return {
      status: response.statusCode,
      etag: typeof etag === 'string' ? etag.replace(/^W\//, '').replace(/"/g, '') : undefined,
      body: (text === '' ? undefined : parseJson(text)) as T | Problem | undefined,
    };
  }

  private async send(
    call: Call,
    headers: Record<string, string | string[]>,
    body: string | Readable | undefined,
  ): Promise<Dispatcher.ResponseData> {
    const attempts = RETRYABLE_METHODS.has(call.method) && typeof body !== 'object' ? 2 : 1;
    for (let attempt = 1; ; attempt++) {
      const stop = this.duration.startTimer({ method: call.method, route: call.route });
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
        if (!RETRYABLE_METHODS.has(call.method)) this.sharedStats = undefined;
        return response;
      } catch (error) {
        stop({ status_code: 'error' });
        // A write that failed in flight may still have happened.
        if (!RETRYABLE_METHODS.has(call.method)) this.sharedStats = undefined;
        // A timeout is not retried: the page must answer within the timeout, not twice it.
        if (attempt >= attempts || isTimeout(error)) throw new BackendUnavailable(describe(error));
      }
    }
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
