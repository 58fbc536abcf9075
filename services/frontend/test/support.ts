import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Health, Metrics } from '@task-manager/kit';
import { LogScan, createTestDatabase, freePorts } from '@task-manager/kit/testing';
import { afterAll, beforeAll, inject } from 'vitest';
import { createApp } from '../src/app.js';
import { BackendClient } from '../src/backend/index.js';

export { CHROMIUM, CHROMIUM_ARGS } from '../../../tests/chromium.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const BACKEND_MAIN = path.join(repo, 'services/backend-api/dist/main.js');
export const FRONTEND_MAIN = path.join(repo, 'services/frontend/dist/main.js');
export const SCREENSHOTS = path.join(repo, 'test-results');
export const SESSION_SECRET = 'test-session-secret-that-is-long-enough-0123456789';

export interface Account {
  email: string;
  password: string;
}

/** The admin every backend under test starts with (ADMIN_EMAIL, ADMIN_PASSWORD). */
export const ADMIN: Account = { email: 'admin@example.test', password: 'the admin password of the tests' };

/**
 * Every log line this test file makes the frontend and its backend write, and every password,
 * token and cookie it uses: test/log-scan.ts checks after the file that no line holds one.
 */
export const suiteLogs = new LogScan();
suiteLogs.remember('password', ADMIN.password);
suiteLogs.remember('session secret', SESSION_SECRET);
const SECRET_FORM_FIELDS = ['password', 'currentPassword', 'newPassword'];

/** The real backend as its own process, as in production; it can be stopped and started again on its port. */
export class BackendProcess {
  private child: ChildProcess | undefined;
  private output = '';

  private constructor(
    readonly databaseUrl: string,
    readonly port: number,
    readonly metricsPort: number,
    private readonly env: Record<string, string>,
  ) {
    suiteLogs.watch('backend process', () => this.output);
  }

  /** `env`: settings beyond the defaults of the tests (the identity provider's, say). */
  static async start(databaseUrl: string, env: Record<string, string> = {}): Promise<BackendProcess> {
    const backend = new BackendProcess(databaseUrl, ...(await freePorts(2)), env);
    suiteLogs.rememberEnvironment({ DATABASE_URL: databaseUrl, ...env });
    await backend.resume();
    return backend;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** What the process wrote to stdout and stderr: its log lines. */
  get logs(): string {
    return this.output;
  }

  async resume(): Promise<void> {
    const child = spawn(process.execPath, [BACKEND_MAIN], {
      cwd: path.dirname(path.dirname(BACKEND_MAIN)),
      env: {
        PATH: process.env.PATH,
        DATABASE_URL: this.databaseUrl,
        PORT: String(this.port),
        METRICS_PORT: String(this.metricsPort),
        LOG_LEVEL: 'debug',
        MIGRATE_ON_START: 'true',
        ADMIN_EMAIL: ADMIN.email,
        ADMIN_PASSWORD: ADMIN.password,
        ...this.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`the backend exited with ${child.exitCode}:\n${this.output}`);
      try {
        if ((await fetch(`${this.url}/readyz`)).status === 200) return;
      } catch {
        // not listening yet
      }
      await sleep(100);
    }
    throw new Error(`the backend did not become ready within 60 s:\n${this.output}`);
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await Promise.race([exited, sleep(10_000)]);
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}

/**
 * A link in front of the real backend that holds back the answers `delayMs` picks (0 for
 * none) after the backend sent them: a slow network, or a backend slow at one call.
 */
export class SlowLink {
  /** Where the link leads: set once the backend it stands in front of has started. */
  target = '';
  private readonly server: http.Server;

  private constructor(delayMs: (req: http.IncomingMessage, res: http.ServerResponse) => number) {
    this.server = http.createServer((req, res) => {
      const delay = delayMs(req, res);
      const upstream = http.request(`${this.target}${req.url}`, { method: req.method, headers: req.headers }, (answer) => {
        const forward = () => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        };
        if (delay > 0) setTimeout(forward, delay);
        else forward();
      });
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    });
  }

  static async start(delayMs: (req: http.IncomingMessage, res: http.ServerResponse) => number): Promise<SlowLink> {
    const link = new SlowLink(delayMs);
    await new Promise<void>((resolve) => link.server.listen(0, '127.0.0.1', resolve));
    return link;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

export interface Stack {
  /** The frontend's base URL. */
  url: string;
  backend: BackendProcess;
  metrics: Metrics;
  /** An API token of the admin, for calls made around the UI. */
  token: string;
  /** fetch with the admin's token: what a script does through /api. */
  fetch(url: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

/** An API token for `account`, from the backend's POST /api/login. */
export async function apiToken(baseUrl: string, account: Account = ADMIN): Promise<string> {
  const response = await fetch(`${baseUrl}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(account) });
  if (response.status !== 200) throw new Error(`signing in as ${account.email} answered ${response.status}: ${await response.text()}`);
  const { token } = (await response.json()) as { token: string };
  suiteLogs.remember('token', token);
  return token;
}

/** fetch with `token` as the bearer. */
export function withToken(token: string): (url: string, init?: RequestInit) => Promise<Response> {
  suiteLogs.remember('token', token);
  return (url, init = {}) => fetch(url, { ...init, headers: { ...(init.headers as Record<string, string> | undefined), authorization: `Bearer ${token}` } });
}

/** A new user with `role`, created by the admin; their password is the account's. */
export async function createUser(stack: Pick<Stack, 'backend' | 'fetch'>, role: 'viewer' | 'member' | 'admin', name = `${role} ${Math.random().toString(36).slice(2, 8)}`): Promise<Account & { id: string }> {
  const account = { email: `${name.replace(/\W+/g, '.')}@example.test`, password: `password of ${name}` };
  suiteLogs.remember('password', account.password);
  const response = await stack.fetch(`${stack.backend.url}/api/users`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...account, displayName: name, role }),
  });
  if (response.status !== 201) throw new Error(`creating a ${role} answered ${response.status}: ${await response.text()}`);
  return { ...account, id: ((await response.json()) as { id: string }).id };
}

/** The real frontend app in this process, in front of `backendUrl`. */
export async function startFrontend(backendUrl: string, options: { timeoutMs?: number; trustProxy?: string; port?: number } = {}): Promise<{ url: string; metrics: Metrics; close(): Promise<void> }> {
  const metrics = new Metrics('frontend');
  const client = new BackendClient({ baseUrl: new URL(backendUrl), timeoutMs: options.timeoutMs ?? 2000, registry: metrics.registry });
  const app = await createApp({
    backend: client,
    sessionSecret: SESSION_SECRET,
    trustProxy: options.trustProxy,
    logger: suiteLogs.logger('frontend'),
    metrics,
    health: new Health(async () => ({ ready: true, checks: {} })),
  });
  const server = app.listen(options.port ?? 0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    metrics,
    async close() {
      await new Promise((resolve) => server.close(resolve));
      server.closeAllConnections();
      await client.close();
    },
  };
}

/** A fresh database, the real backend on it, and the real frontend app in this process. */
export async function startStack(options: { backendUrl?: string; timeoutMs?: number } = {}): Promise<Stack> {
  const database = await createTestDatabase(inject('pgAdminUrl'));
  const backend = await BackendProcess.start(database.url);
  const frontend = await startFrontend(options.backendUrl ?? backend.url, { timeoutMs: options.timeoutMs });
  const token = await apiToken(backend.url);
  return {
    url: frontend.url,
    backend,
    metrics: frontend.metrics,
    token,
    fetch: withToken(token),
    async close() {
      await frontend.close();
      await backend.stop();
      await database.drop();
    },
  };
}

/** This test file's stack: started before its tests, closed after them. */
export function useStack(): Stack {
  const stack = {} as Stack;
  beforeAll(async () => void Object.assign(stack, await startStack()));
  afterAll(async () => stack.close?.());
  return stack;
}

/** Creates tasks straight through the /api pass-through, the way other clients do (with the admin's token). */
export async function createTasks(stack: Pick<Stack, 'url' | 'fetch'>, tasks: Record<string, unknown>[]): Promise<{ id: string; version: number; title: string }[]> {
  const created = [];
  for (const task of tasks) {
    const response = await stack.fetch(`${stack.url}/api/tasks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(task),
    });
    if (response.status !== 201) throw new Error(`creating a task answered ${response.status}: ${await response.text()}`);
    created.push((await response.json()) as { id: string; version: number; title: string });
  }
  return created;
}

/**
 * A cookie-keeping client that speaks to the UI as a browser without JavaScript does (or as
 * htmx does, with `htmx: true`), reading the CSRF token from the page it was given. It signs
 * in as `account` (the admin unless told otherwise) before its first request; with `null`, it
 * stays signed out.
 */
export class UiClient {
  private readonly cookies = new Map<string, string>();
  /** The first request's sign-in, which every request waits for. */
  private signingIn: Promise<unknown> | undefined;
  csrf = '';

  constructor(
    readonly baseUrl: string,
    readonly account: Account | null = ADMIN,
  ) {}

  /** The cookie line of the last Set-Cookie for `name`, attributes and all. */
  readonly setCookies = new Map<string, string>();

  /**
   * The UI's sign-in: the login form's CSRF token, then the form; answers the form's response.
   * The token after it (the session's own) is read from /login again, which asks the backend nothing.
   */
  async signIn(account: Account = this.account ?? ADMIN, next?: string) {
    this.signingIn ??= Promise.resolve();
    const form = await this.send('GET', '/login', undefined, {});
    const token = /name="_csrf" value="([^"]+)"/.exec(form.text)?.[1];
    if (!token) throw new Error(`no CSRF token on /login (status ${form.status})`);
    const answer = await this.send('POST', '/login', formBody({ _csrf: token, email: account.email, password: account.password, ...(next ? { next } : {}) }), {});
    const after = await this.send('GET', '/login', undefined, {});
    this.csrf = /name="_csrf" value="([^"]+)"/.exec(after.text)?.[1] ?? '';
    suiteLogs.remember('CSRF token', this.csrf);
    return answer;
  }

  /** Takes `token` for its backend session without signing in: for a backend that cannot answer a sign-in. */
  assumeSession(token: string): void {
    this.signingIn = Promise.resolve();
    this.cookies.set('tm_sid', token);
  }

  /** The same browser (its cookies) speaking to another frontend replica. */
  on(baseUrl: string): UiClient {
    const twin = new UiClient(baseUrl, this.account);
    twin.signingIn = this.signingIn;
    twin.csrf = this.csrf;
    for (const [name, value] of this.cookies) twin.cookies.set(name, value);
    return twin;
  }

  /** The Cookie header this client sends. */
  get cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  /** The backend session token this client holds, if any. */
  get sessionToken(): string | undefined {
    return this.cookies.get('tm_sid');
  }

  async get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; text: string }> {
    return this.request('GET', path, undefined, headers);
  }

  async post(path: string, form: Record<string, string | string[]>, headers: Record<string, string> = {}) {
    return this.request('POST', path, formBody(form), headers);
  }

  /** Loads the page so that the session cookie and its CSRF token are known. */
  async open(path = '/'): Promise<string> {
    const page = await this.get(path);
    const token = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1];
    if (!token) throw new Error(`no CSRF token on ${path} (status ${page.status})`);
    this.csrf = token;
    suiteLogs.remember('CSRF token', token);
    return page.text;
  }

  private async request(method: string, path: string, body: URLSearchParams | undefined, headers: Record<string, string>) {
    if (this.account) await (this.signingIn ??= this.signIn(this.account));
    return this.send(method, path, body, headers);
  }

  private async send(method: string, path: string, body: URLSearchParams | undefined, headers: Record<string, string>) {
    const cookie = this.cookieHeader;
    for (const field of SECRET_FORM_FIELDS) suiteLogs.remember(field, body?.get(field));
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      body,
      redirect: 'manual',
      headers: { ...(cookie ? { cookie } : {}), ...headers },
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      this.setCookies.set(name, line);
      suiteLogs.remember(`cookie ${name}`, value);
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return { status: response.status, headers: response.headers, text: await response.text() };
  }
}

function formBody(form: Record<string, string | string[]>): URLSearchParams {
  const body = new URLSearchParams();
  for (const [name, value] of Object.entries(form)) for (const one of [value].flat()) body.append(name, one);
  return body;
}
