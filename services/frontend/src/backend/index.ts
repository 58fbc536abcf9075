import type { RequestHandler } from 'express';
import { Transport, type TransportOptions } from './client.js';
import { TaskLists } from './lists.js';
import { passThrough } from './passthrough.js';
import { SharedStats } from './stats.js';
import type { BackendResponse, Stats, Task, TaskList } from './types.js';

export { BackendUnavailable } from './client.js';
export type { BackendResponse, ProblemBody, Stats, Task, TaskList } from './types.js';

export type BackendOptions = TransportOptions;

/**
 * The calls the UI makes. Reads of lists and counts go through their caches (lists.ts,
 * stats.ts); every write drops the shared counts once it has been answered (or failed, as
 * it may still have happened), so a user sees the counts after their own change.
 */
export class BackendClient {
  private readonly transport: Transport;
  private readonly lists: TaskLists;
  private readonly sharedStats: SharedStats;

  constructor(options: BackendOptions) {
    this.transport = new Transport(options);
    this.lists = new TaskLists(this.transport);
    this.sharedStats = new SharedStats(this.transport);
  }

  listTasks(query: URLSearchParams, requestId?: string): Promise<BackendResponse<TaskList>> {
    return this.lists.get(query, requestId);
  }

  /** The header counts if they are at hand or come quickly; undefined means the page goes without and asks `freshStats` later. */
  stats(requestId?: string): Promise<Stats | undefined> {
    return this.sharedStats.get(requestId);
  }

  /** The header counts, waiting for the refresh they need (or undefined if it failed). */
  freshStats(requestId?: string): Promise<Stats | undefined> {
    return this.sharedStats.fresh(requestId);
  }

  getTask(id: string, requestId?: string): Promise<BackendResponse<Task>> {
    return this.transport.json({ method: 'GET', path: taskPath(id), route: '/api/tasks/:id', requestId });
  }

  /** `idempotencyKey` makes a repeated submit of the same form (a double click, a resend) create one task. */
  createTask(fields: Record<string, unknown>, requestId?: string, idempotencyKey?: string): Promise<BackendResponse<Task>> {
    const headers: Record<string, string> = idempotencyKey ? { 'idempotency-key': idempotencyKey } : {};
    return this.write(this.transport.json({ method: 'POST', path: '/api/tasks', route: '/api/tasks', requestId, headers, json: fields }));
  }

  updateTask(id: string, patch: Record<string, unknown>, version: string | undefined, requestId?: string): Promise<BackendResponse<Task>> {
    const headers: Record<string, string> = version ? { 'if-match': `"${version}"` } : {};
    return this.write(this.transport.json({ method: 'PATCH', path: taskPath(id), route: '/api/tasks/:id', requestId, headers, json: patch }));
  }

  deleteTask(id: string, requestId?: string): Promise<BackendResponse<undefined>> {
    return this.write(this.transport.json({ method: 'DELETE', path: taskPath(id), route: '/api/tasks/:id', requestId }));
  }

  bulk(body: { action: 'update' | 'delete'; ids: string[]; patch?: Record<string, unknown> }, requestId?: string): Promise<BackendResponse<{ count: number }>> {
    return this.write(this.transport.json({ method: 'POST', path: '/api/tasks/bulk', route: '/api/tasks/bulk', requestId, json: body }));
  }

  /** The /api pass-through, on this client's connections and counts. */
  passThrough(): RequestHandler {
    return passThrough(this.transport, this.sharedStats);
  }

  async close(): Promise<void> {
    await this.transport.close();
  }

  private write<T>(answer: Promise<T>): Promise<T> {
    return answer.finally(() => this.sharedStats.forget());
  }
}

const taskPath = (id: string) => `/api/tasks/${encodeURIComponent(id)}`;
