import type { RequestHandler } from 'express';
import { Transport, type TransportOptions } from './client.js';
import { TaskLists } from './lists.js';
import { passThrough } from './passthrough.js';
import { SharedStats } from './stats.js';
import type { OidcFinish, OidcSessionResult, OidcStart, SignInMethods } from '@task-manager/contract';
import type {
  ActivityList,
  BackendResponse,
  SessionResult,
  Stats,
  Task,
  TaskList,
  TokenCreated,
  TokenList,
  User,
  UserList,
  Viewer,
} from './types.js';

export { BackendUnavailable, NotAllowed, NotSignedIn } from './client.js';
export type * from './types.js';

export type BackendOptions = TransportOptions;

const forwardedFor = (clientAddress: string | undefined): Record<string, string> => (clientAddress ? { 'x-forwarded-for': clientAddress } : {});

/** How long the directory of users serves the assignee pickers: a new colleague appears within this. */
const DIRECTORY_MS = 5000;

/**
 * The calls the UI makes. Reads of lists and counts go through their caches (lists.ts,
 * stats.ts); every write drops the shared counts once it has been answered (or failed, as
 * it may still have happened), so a user sees the counts after their own change.
 */
export class BackendClient {
  private readonly transport: Transport;
  private readonly lists: TaskLists;
  private readonly sharedStats: SharedStats;
  private directoryKept: { at: number; people: User[] } | undefined;

  constructor(options: BackendOptions) {
    this.transport = new Transport(options);
    this.lists = new TaskLists(this.transport);
    this.sharedStats = new SharedStats(this.transport);
  }

  listTasks(query: URLSearchParams, viewer: Viewer): Promise<BackendResponse<TaskList>> {
    return this.lists.get(query, viewer);
  }

  /** The header counts if they are at hand or come quickly; undefined means the page goes without and asks `freshStats` later. */
  stats(viewer: Viewer): Promise<Stats | undefined> {
    return this.sharedStats.get(viewer);
  }

  /** The header counts, waiting for the refresh they need (or undefined if it failed). */
  freshStats(viewer: Viewer): Promise<Stats | undefined> {
    return this.sharedStats.fresh(viewer);
  }

  getTask(id: string, viewer: Viewer): Promise<BackendResponse<Task>> {
    return this.transport.json({ method: 'GET', path: taskPath(id), route: '/api/tasks/:id', viewer });
  }

  /** `idempotencyKey` makes a repeated submit of the same form (a double click, a resend), or a resend of a call whose answer was lost, create one task. */
  createTask(fields: Record<string, unknown>, viewer: Viewer, idempotencyKey?: string): Promise<BackendResponse<Task>> {
    const headers: Record<string, string> = idempotencyKey ? { 'idempotency-key': idempotencyKey } : {};
    return this.write(this.transport.json({ method: 'POST', path: '/api/tasks', route: '/api/tasks', viewer, headers, json: fields, repeatable: Boolean(idempotencyKey) }));
  }

  updateTask(id: string, patch: Record<string, unknown>, version: string | undefined, viewer: Viewer): Promise<BackendResponse<Task>> {
    const headers: Record<string, string> = version ? { 'if-match': `"${version}"` } : {};
    return this.write(this.transport.json({ method: 'PATCH', path: taskPath(id), route: '/api/tasks/:id', viewer, headers, json: patch }));
  }

  /**
   * `version` (the one the page showed) goes as If-Match: the task is deleted only as the user saw
   * it, and the backend may repeat the delete through a database failover, since a repeat after
   * it committed can only find the task gone.
   */
  deleteTask(id: string, version: string | undefined, viewer: Viewer): Promise<BackendResponse<undefined>> {
    const headers: Record<string, string> = version ? { 'if-match': `"${version}"` } : {};
    return this.write(this.transport.json({ method: 'DELETE', path: taskPath(id), route: '/api/tasks/:id', viewer, headers }));
  }

  bulk(body: { action: 'update' | 'delete'; ids: string[]; patch?: Record<string, unknown> }, viewer: Viewer): Promise<BackendResponse<{ count: number }>> {
    return this.write(this.transport.json({ method: 'POST', path: '/api/tasks/bulk', route: '/api/tasks/bulk', viewer, json: body }));
  }

  activity(id: string, viewer: Viewer): Promise<BackendResponse<ActivityList>> {
    return this.transport.json({ method: 'GET', path: `${taskPath(id)}/activity`, route: '/api/tasks/:id/activity', viewer });
  }

  /**
   * A sign-in with a password. Not on a viewer's behalf: its 401 (wrong email or password)
   * and 429 (throttled) are answers for the form. `clientAddress` is whom the backend throttles.
   */
  /** Like every sign-in call, each names the client (X-Forwarded-For) as the frontend trusts it. */
  signInMethods(clientAddress: string | undefined, requestId?: string): Promise<BackendResponse<SignInMethods>> {
    return this.transport.json({ method: 'GET', path: '/api/sign-in-methods', route: '/api/sign-in-methods', requestId, headers: forwardedFor(clientAddress) });
  }

  startOidcSignIn(clientAddress: string | undefined, requestId?: string): Promise<BackendResponse<OidcStart>> {
    return this.transport.json({ method: 'POST', path: '/api/sessions/oidc/start', route: '/api/sessions/oidc/start', requestId, headers: forwardedFor(clientAddress) });
  }

  /** The provider's answer as it reached /login/oidc/callback, with the values kept since the start: the backend verifies all of it. */
  finishOidcSignIn(answer: OidcFinish, clientAddress: string | undefined, requestId?: string): Promise<BackendResponse<OidcSessionResult>> {
    const headers = forwardedFor(clientAddress);
    return this.transport.json({ method: 'POST', path: '/api/sessions/oidc', route: '/api/sessions/oidc', requestId, headers, json: answer });
  }

  createSession(credentials: { email: string; password: string }, clientAddress: string | undefined, requestId?: string): Promise<BackendResponse<SessionResult>> {
    const headers = forwardedFor(clientAddress);
    return this.transport.json({ method: 'POST', path: '/api/sessions', route: '/api/sessions', requestId, headers, json: credentials });
  }

  /** Ends the viewer's session, or with `everywhere` all of theirs. */
  signOut(viewer: Viewer, everywhere: boolean): Promise<BackendResponse<undefined>> {
    const call = everywhere ? { method: 'DELETE' as const, path: '/api/me/sessions', route: '/api/me/sessions' } : { method: 'POST' as const, path: '/api/logout', route: '/api/logout' };
    return this.transport.json({ ...call, viewer });
  }

  me(viewer: Viewer): Promise<BackendResponse<User>> {
    return this.transport.json({ method: 'GET', path: '/api/me', route: '/api/me', viewer });
  }

  changePassword(change: { currentPassword: string; newPassword: string }, viewer: Viewer): Promise<BackendResponse<undefined>> {
    return this.transport.json({ method: 'POST', path: '/api/me/password', route: '/api/me/password', viewer, json: change });
  }

  users(viewer: Viewer): Promise<BackendResponse<UserList>> {
    return this.transport.json({ method: 'GET', path: '/api/users', route: '/api/users', viewer });
  }

  createUser(user: Record<string, unknown>, viewer: Viewer): Promise<BackendResponse<User>> {
    return this.transport.json({ method: 'POST', path: '/api/users', route: '/api/users', viewer, json: user });
  }

  updateUser(id: string, patch: Record<string, unknown>, viewer: Viewer): Promise<BackendResponse<User>> {
    return this.transport.json({ method: 'PATCH', path: `/api/users/${encodeURIComponent(id)}`, route: '/api/users/:id', viewer, json: patch });
  }

  /**
   * The active users, for the assignee pickers: shared by everyone for a few seconds, like the
   * counts. It is never the check on who may see a page: the page's own call is.
   */
  async directory(viewer: Viewer): Promise<User[]> {
    const kept = this.directoryKept;
    if (kept && Date.now() - kept.at < DIRECTORY_MS) return kept.people;
    const at = Date.now();
    const response = await this.users(viewer);
    if (response.status !== 200) return [];
    const people = (response.body as UserList).items.filter((user) => user.active);
    this.directoryKept = { at, people };
    return people;
  }

  /** A user was created or changed here: the pickers show it from the next page on. */
  forgetDirectory(): void {
    this.directoryKept = undefined;
  }

  tokens(viewer: Viewer): Promise<BackendResponse<TokenList>> {
    return this.transport.json({ method: 'GET', path: '/api/tokens', route: '/api/tokens', viewer });
  }

  createToken(token: Record<string, unknown>, viewer: Viewer): Promise<BackendResponse<TokenCreated>> {
    return this.transport.json({ method: 'POST', path: '/api/tokens', route: '/api/tokens', viewer, json: token });
  }

  revokeToken(id: string, viewer: Viewer): Promise<BackendResponse<undefined>> {
    return this.transport.json({ method: 'DELETE', path: `/api/tokens/${encodeURIComponent(id)}`, route: '/api/tokens/:id', viewer });
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
