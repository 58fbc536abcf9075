import type { AddressInfo } from 'node:net';
import { Health, Metrics, createLogger } from '@task-manager/kit';
import { createTestDatabase } from '@task-manager/kit/testing';
import { inject } from 'vitest';
import { createApp, databaseReadiness } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createDatabase, type Database } from '../src/db.js';
import { migrateUp } from '../src/migrations/migrator.js';

export interface RunningBackend {
  baseUrl: string;
  databaseUrl: string;
  db: Database;
  metrics: Metrics;
  close(): Promise<void>;
}

export const silentLogger = createLogger('backend-api-test', 'silent');

/** A fresh database on the test server (or on the server at `adminUrl`), migrated or not. */
export async function freshDatabase(options: { migrate: boolean; adminUrl?: string }) {
  const database = await createTestDatabase(options.adminUrl ?? inject('pgAdminUrl'));
  const db = createDatabase(loadConfig({ DATABASE_URL: database.url, DB_POOL_SIZE: '10' }));
  if (options.migrate) await migrateUp(db.sql, silentLogger);
  return {
    url: database.url,
    db,
    async drop() {
      await db.close();
      await database.drop();
    },
  };
}

/** The real app, built as main.ts builds it, on a fresh migrated database and a random port. */
export async function startBackend(options: { adminUrl?: string } = {}): Promise<RunningBackend> {
  const database = await freshDatabase({ migrate: true, adminUrl: options.adminUrl });
  const metrics = new Metrics('backend-api');
  const db = createDatabase(loadConfig({ DATABASE_URL: database.url }), metrics);
  const app = createApp({ db, logger: silentLogger, metrics, health: new Health(databaseReadiness(db)) });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    databaseUrl: database.url,
    db,
    metrics,
    async close() {
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

/** fetch with JSON in and out; `body` as a string is sent verbatim (for malformed-input tests). */
export async function call(
  baseUrl: string,
  method: string,
  path: string,
  options: { body?: unknown; headers?: Record<string, string> } = {},
): Promise<Reply> {
  const headers: Record<string, string> = { ...options.headers };
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const response = await fetch(`${baseUrl}${path}`, { method, headers, body });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: response.status, headers: response.headers, body: parsed, text };
}

/** The single value of a one-row, one-column query. */
export async function scalar<T>(query: Promise<readonly object[]>): Promise<T> {
  const [row] = await query;
  return Object.values(row!)[0] as T;
}
