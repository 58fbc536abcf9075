import { RecentlyUsed } from '../recently-used.js';
import { BackendUnavailable, type Transport } from './client.js';
import { FreshCalls } from './fresh-calls.js';
import type { BackendResponse, TaskList, Viewer } from './types.js';

/** List answers kept for If-None-Match: at most about 100 KB each once parsed. */
const KEPT_LISTS = 100;

/**
 * Pages of tasks. The last answer to each query is kept with its ETag, and the backend is
 * asked whether it is still current (If-None-Match): while nothing has been written it says
 * 304 after one trivial query, instead of reading, sending and parsing the list again. Kept
 * pages serve every user (tasks are not per user) and are never changed, except lists that
 * name the caller (`assignee=me`, `createdBy=me`): those are kept per session. Every page
 * still makes its own call with the viewer's session, so the backend decides on each whether
 * they may see it; only requests of the same session for the same list that arrive together
 * share one such call (FreshCalls), never one older than them.
 */
export class TaskLists {
  /** The last page of each list query, with its ETag. */
  private readonly kept = new RecentlyUsed<{ etag: string; page: TaskList }>(KEPT_LISTS);
  private readonly calls: FreshCalls<BackendResponse<TaskList>>;

  constructor(private readonly transport: Transport) {
    this.calls = new FreshCalls(transport.timeoutMs, () => new BackendUnavailable('timed out waiting for a shared list call'));
  }

  get(query: URLSearchParams, viewer: Viewer): Promise<BackendResponse<TaskList>> {
    const search = query.toString();
    const path = `/api/tasks${search ? `?${search}` : ''}`;
    const namesCaller = query.get('assignee') === 'me' || query.get('createdBy') === 'me';
    const keptAs = namesCaller ? `${viewer.sid} ${path}` : path;
    return this.calls.run(`${viewer.sid} ${path}`, () => this.revalidate(path, keptAs, viewer));
  }

  private async revalidate(path: string, keptAs: string, viewer: Viewer): Promise<BackendResponse<TaskList>> {
    const kept = this.kept.get(keptAs);
    const headers = kept ? { 'if-none-match': `"${kept.etag}"` } : undefined;
    const response = await this.transport.json<TaskList>({ method: 'GET', path, route: '/api/tasks', viewer, headers });
    if (response.status === 304 && kept) return { status: 200, etag: kept.etag, body: kept.page };
    if (response.status === 200 && response.etag) this.kept.set(keptAs, { etag: response.etag, page: response.body as TaskList });
    else this.kept.delete(keptAs);
    return response;
  }
}
