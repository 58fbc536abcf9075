import type { AddressInfo } from 'node:net';
import { Health, Metrics } from '@task-manager/kit';
import { LogScan, createTestDatabase } from '@task-manager/kit/testing';
import type { Role } from '@task-manager/contract';
import { afterEach, inject } from 'vitest';
import { Credentials } from '../src/accounts/credentials.js';
import { ensureAdmin } from '../src/accounts/routes.js';
import { createApp, databaseReadiness } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createDatabase, type Database } from '../src/db.js';
import { migrateUp } from '../src/migrations/migrator.js';

export interface Account {
  id: string;
  email: string;
  password: string;
  /** A login token (POST /api/login). */
  token: string;
}

export interface RunningBackend {
  baseUrl: string;
  databaseUrl: string;
  db: Database;
  metrics: Metrics;
  /** The bootstrap admin (ADMIN_EMAIL/ADMIN_PASSWORD) and a member and a viewer it created, each signed in. */
  accounts: Record<Role, Account>;
  close(): Promise<void>;
}

/**
 * Every log line this test file makes the backend write, and every password and token it uses:
 * test/log-scan.ts checks after the file that no line holds one.
 */
export const suiteLogs = new LogScan();
/** What the backends and migrations under test log to: at debug level, scanned by suiteLogs. */
export const testLogger = suiteLogs.logger('backend-api');

/** A digest of every row of every table the API writes: equal before and after means nothing changed. */
export async function digest(db: Database): Promise<string> {
  const tables = ['tasks', 'users', 'credentials', 'task_activity', 'idempotency_keys', 'sign_in_failures'];
  const parts = await Promise.all(
    tables.map((table) => scalar<string>(db.sql`select coalesce(md5(string_agg(t::text, '|' order by t::text)), 'empty') from ${db.sql(table)} t`)),
  );
  return parts.join(' ');
}

/** What the backends under test are started with, as ADMIN_EMAIL and ADMIN_PASSWORD. */
export const TEST_ADMIN = { email: 'admin@example.test', password: 'the admin password of the tests' };
suiteLogs.remember('password', TEST_ADMIN.password);

/** The token `call` sends for each backend unless told otherwise: the member's, since most tests read and write tasks. */
const defaultTokens = new Map<string, Record<Role, string>>();

export async function signIn(baseUrl: string, email: string, password: string): Promise<string> {
  const reply = await call(baseUrl, 'POST', '/api/login', { body: { email, password }, as: 'nobody' });
  if (reply.status !== 200) throw new Error(`sign-in of ${email} failed: ${reply.status} ${reply.text}`);
  return reply.body.token as string;
}

/** Signs in as the admin and creates a member and a viewer, each signed in too. */
export async function signInAccounts(baseUrl: string): Promise<Record<Role, Account>> {
  const adminToken = await signIn(baseUrl, TEST_ADMIN.email, TEST_ADMIN.password);
  const me = await call(baseUrl, 'GET', '/api/me', { headers: { authorization: `Bearer ${adminToken}` } });
  const accounts = { admin: { id: me.body.id as string, ...TEST_ADMIN, token: adminToken } } as Record<Role, Account>;
  for (const role of ['member', 'viewer'] as const) {
    const email = `${role}@example.test`;
    const password = `the ${role} password of the tests`;
    const made = await call(baseUrl, 'POST', '/api/users', {
      body: { email, displayName: `The ${role}`, role, password },
      headers: { authorization: `Bearer ${adminToken}` },
    });
    if (made.status !== 201) throw new Error(`creating the ${role} failed: ${made.status} ${made.text}`);
    accounts[role] = { id: made.body.id as string, email, password, token: await signIn(baseUrl, email, password) };
  }
  defaultTokens.set(baseUrl, { admin: accounts.admin.token, member: accounts.member.token, viewer: accounts.viewer.token });
  return accounts;
}

/** A fresh database on the test server (or on the server at `adminUrl`), migrated or not. */
export async function freshDatabase(options: { migrate: boolean; adminUrl?: string }) {
  const database = await createTestDatabase(options.adminUrl ?? inject('pgAdminUrl'));
  const db = createDatabase(loadConfig({ DATABASE_URL: database.url, DB_POOL_SIZE: '10' }));
  if (options.migrate) await migrateUp(db.sql, testLogger);
  return {
    url: database.url,
    db,
    async drop() {
      await db.close();
      await database.drop();
    },
  };
}

/**
 * For a test file whose tests each make their own databases (and other things to let go): `cleanups`
 * run after each test, newest first; `database` is a fresh one dropped then.
 */
export function perTestResources() {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  async function database(migrate: boolean) {
    const db = await freshDatabase({ migrate });
    cleanups.push(() => db.drop());
    return db;
  }
  return { cleanups, database };
}

/** The real app, built as main.ts builds it, on a fresh migrated database and a random port. */
export async function startBackend(options: { adminUrl?: string; env?: Record<string, string> } = {}): Promise<RunningBackend> {
  const database = await freshDatabase({ migrate: true, adminUrl: options.adminUrl });
  const metrics = new Metrics('backend-api');
  const env = { DATABASE_URL: database.url, ADMIN_EMAIL: TEST_ADMIN.email, ADMIN_PASSWORD: TEST_ADMIN.password, ...options.env };
  suiteLogs.rememberEnvironment(env);
  const config = loadConfig(env);
  const db = createDatabase(config, metrics);
  const credentials = new Credentials(db);
  await credentials.listen();
  await ensureAdmin(db, config.admin!);
  const app = createApp({ db, logger: testLogger, metrics, health: new Health(databaseReadiness(db)), credentials, config });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    baseUrl,
    databaseUrl: database.url,
    db,
    metrics,
    accounts: await signInAccounts(baseUrl),
    async close() {
      defaultTokens.delete(baseUrl);
      await new Promise((resolve) => server.close(resolve));
      server.closeAllConnections();
      await db.close();
      await database.drop();
    },
  };
}

export interface Reply {
  status: number;
  headers: Headers;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- assertions reach into it freely
  text: string;
}

/**
 * fetch with JSON in and out; `body` as a string is sent verbatim (for malformed-input tests).
 * It signs the request with the token of `as` (default: the member) of a backend started by
 * startBackend, unless the headers carry an Authorization or Cookie already or `as` is 'nobody'.
 */
export async function call(
  baseUrl: string,
  method: string,
  path: string,
  options: { body?: unknown; headers?: Record<string, string>; as?: Role | 'nobody' } = {},
): Promise<Reply> {
  const headers: Record<string, string> = { ...options.headers };
  const token = options.as === 'nobody' ? undefined : defaultTokens.get(baseUrl)?.[options.as ?? 'member'];
  const signed = Object.keys(headers).some((name) => ['authorization', 'cookie'].includes(name.toLowerCase()));
  if (token && !signed) headers.authorization = `Bearer ${token}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  rememberSecretsSent(headers, options.body);
  const response = await fetch(`${baseUrl}${path}`, { method, headers, body });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  rememberSecretsReceived(parsed);
  return { status: response.status, headers: response.headers, body: parsed, text };
}

const SECRET_FIELDS_SENT = ['password', 'currentPassword', 'newPassword', 'codeVerifier'];
const SECRET_FIELDS_RECEIVED = ['token', 'csrfToken'];

function rememberSecretsSent(headers: Record<string, string>, body: unknown): void {
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (lower === 'authorization') suiteLogs.remember('token', value.replace(/^Bearer /i, ''));
    if (lower === 'x-csrf-token') suiteLogs.remember('CSRF token', value);
    if (lower === 'cookie') for (const pair of value.split(';')) suiteLogs.remember('session cookie', pair.split('=').slice(1).join('='));
  }
  if (body && typeof body === 'object') {
    const fields = body as Record<string, unknown>;
    for (const field of SECRET_FIELDS_SENT) suiteLogs.remember(field, fields[field]);
    // The provider's answer, handed on to POST /api/sessions/oidc: its code is a credential until used.
    if (typeof fields.callbackQuery === 'string') suiteLogs.remember('authorization code', new URLSearchParams(fields.callbackQuery).get('code'));
  }
}

function rememberSecretsReceived(body: unknown): void {
  if (body && typeof body === 'object') for (const field of SECRET_FIELDS_RECEIVED) suiteLogs.remember(field, (body as Record<string, unknown>)[field]);
}

/** The single value of a one-row, one-column query. */
export async function scalar<T>(query: Promise<readonly object[]>): Promise<T> {
  const [row] = await query;
  return Object.values(row!)[0] as T;
}
