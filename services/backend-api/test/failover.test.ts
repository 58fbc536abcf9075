import { rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTestDatabase, freePort, startEmbeddedPostgres, type PostgresServer } from '@task-manager/kit/testing';
import postgres from 'postgres';
import type { Counter } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createDatabase } from '../src/db.js';
import { migrationFiles } from '../src/migrations/files.js';
import { migrateUp } from '../src/migrations/migrator.js';
import { call, scalar, startBackend, testLogger, type Reply, type RunningBackend } from './support.js';

/**
 * What a failover does to the backend, on a PostgreSQL of this file's own: its connections are
 * terminated, the server stops and starts again at the same address, it turns read-only. Stopping
 * the shared test server would fail every other file's requests.
 */
const BUDGET_MS = 3000;
const dataDir = path.join(os.tmpdir(), `task-manager-pg-failover-${randomBytes(6).toString('hex')}`);
let port: number;
let server: PostgresServer;
let admin: postgres.Sql;
let own: RunningBackend;
let databaseName: string;

const startServer = async () => {
  server = await startEmbeddedPostgres({ dataDir, port, fast: true });
};

beforeAll(async () => {
  port = await freePort();
  await startServer();
  // Its own sessions stay writable when the server is made read-only (a startup parameter outranks the configuration file).
  admin = postgres(server.adminUrl, { max: 2, onnotice: () => {}, connection: { default_transaction_read_only: false } });
  own = await startBackend({ adminUrl: server.adminUrl, env: { DB_RETRY_BUDGET_MS: String(BUDGET_MS) } });
  databaseName = new URL(own.databaseUrl).pathname.slice(1);
});
afterAll(async () => {
  await own?.close();
  await admin?.end();
  await server?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const api = (method: string, urlPath: string, options?: Parameters<typeof call>[3]) => call(own.baseUrl, method, urlPath, options);
const keyed = (title: string, key: string) => api('POST', '/api/tasks', { body: { title }, headers: { 'idempotency-key': key } });
const tasksTitled = (title: string) => scalar<number>(own.db.sql`select count(*)::int from tasks where title = ${title}`);

/** Every connection to the backend's database ends with 57P01 admin_shutdown, as in a switchover. */
const terminateConnections = () => admin`select pg_terminate_backend(pid) from pg_stat_activity where datname = ${databaseName} and pid <> pg_backend_pid()`;

/** db_query_retries_total, summed over the queries named (all when none). */
async function retries(...queries: string[]): Promise<number> {
  const counter = own.metrics.registry.getSingleMetric('db_query_retries_total') as Counter;
  const { values } = await counter.get();
  return values.filter((value) => queries.length === 0 || queries.includes(String(value.labels.query))).reduce((sum, value) => sum + value.value, 0);
}

function expectUnavailable(reply: Reply, detail: RegExp): void {
  expect(reply.status, reply.text).toBe(503);
  expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(Number(reply.headers.get('retry-after'))).toBeGreaterThan(0);
  expect(reply.body.detail).toMatch(detail);
  expect(reply.text).not.toMatch(/\bat .*\.(ts|js):\d+/);
}

/**
 * A session of the admin's in `database` that holds `lock table tasks in <mode> mode` until
 * `release`: in share mode inserts wait and reads do not.
 */
async function holdTasksLock(database = databaseName, mode = 'share'): Promise<{ release(): Promise<void> }> {
  const url = new URL(server.adminUrl);
  url.pathname = `/${database}`;
  const holder = postgres(url.toString(), { max: 1, onnotice: () => {} });
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let locked!: () => void;
  const taken = new Promise<void>((resolve) => (locked = resolve));
  const transaction = holder.begin(async (tx) => {
    await tx`lock table tasks in ${tx.unsafe(mode)} mode`;
    locked();
    await released;
  });
  await taken;
  return {
    async release() {
      release();
      await transaction;
      await holder.end();
    },
  };
}

/** The pid of the backend's statement waiting for a lock (a write held up by holdTasksLock). */
async function waitingStatement(statement = 'insert into tasks'): Promise<number> {
  for (let i = 0; i < 200; i++) {
    const [row] = await admin<{ pid: number }[]>`select pid from pg_stat_activity where datname = ${databaseName} and wait_event_type = 'Lock' and query ilike ${`%${statement}%`}`;
    if (row) return row.pid;
    await sleep(25);
  }
  throw new Error(`no ${statement} waits for the lock`);
}

/** Settles `reply` within `ms`, or says it did not. */
const within = <T>(reply: Promise<T>, ms: number) => Promise.race([reply, sleep(ms).then(() => 'still waiting' as const)]);

describe('connections terminated mid-traffic (pg_terminate_backend, 57P01)', () => {
  it('answers every read and keyed create, with exactly one task per key', async () => {
    const before = await retries();
    let traffic = true;
    const killer = (async () => {
      let kills = 0;
      while (traffic) {
        kills += (await terminateConnections()).length;
        // A switchover ends every connection at once: here again and again while the traffic lasts,
        // yet far enough apart (as failovers are) for a transaction to finish between two of them.
        await sleep(500);
      }
      return kills;
    })();
    const failures = await Promise.all(
      Array.from({ length: 4 }, async (_, worker) => {
        const failed: string[] = [];
        const note = (what: string, reply: Reply) => reply.status < 300 || failed.push(`${what}: ${reply.status} ${reply.body?.detail}`);
        for (let i = 0; i < 15; i++) {
          note('create', await keyed(`traffic ${worker}-${i}`, `traffic-${worker}-${i}`));
          note('list', await api('GET', '/api/tasks?limit=5&q=traffic'));
          note('stats', await api('GET', '/api/stats'));
        }
        return failed;
      }),
    );
    traffic = false;
    expect(await killer).toBeGreaterThan(0);
    expect(failures.flat()).toEqual([]);
    const counts = await own.db.sql<{ title: string; n: number }[]>`select title, count(*)::int as n from tasks where title like 'traffic %' group by title`;
    expect(counts).toHaveLength(60);
    expect(counts.filter((row) => row.n !== 1)).toEqual([]);
    // It was the retries that carried the requests through, not luck.
    expect(await retries()).toBeGreaterThan(before);
  });

  it('tries a keyed create again after its statement was terminated, and it makes one task', async () => {
    const lock = await holdTasksLock();
    try {
      const reply = keyed('keyed, terminated mid-insert', 'terminated-mid-insert');
      await admin`select pg_terminate_backend(${await waitingStatement()})`;
      // The repeat waits for the lock again: it is there, held up like the first.
      await waitingStatement();
      await lock.release();
      expect((await reply).status).toBe(201);
    } finally {
      await lock.release();
    }
    expect(await tasksTitled('keyed, terminated mid-insert')).toBe(1);
  });

  it('does not try a create without a key again once its statement may have run: 503, and no task', async () => {
    const before = await retries('tasks.create');
    const lock = await holdTasksLock();
    let answer: Reply | 'still waiting';
    try {
      const reply = api('POST', '/api/tasks', { body: { title: 'unkeyed, terminated mid-insert' } });
      await admin`select pg_terminate_backend(${await waitingStatement()})`;
      // Answered while the lock is still held: a repeat would be waiting for it.
      answer = await within(reply, 2000);
    } finally {
      await lock.release();
    }
    expect(answer).not.toBe('still waiting');
    expectUnavailable(answer as Reply, /unavailable/);
    expect(await retries('tasks.create')).toBe(before);
    expect(await tasksTitled('unkeyed, terminated mid-insert')).toBe(0);
  });
});

describe('an update terminated mid-statement', () => {
  /** Sends the PATCH, terminates it while it waits for the lock, and answers what the client got once the lock is gone. */
  async function terminatedPatch(headers: Record<string, string>, id: string): Promise<Reply> {
    const lock = await holdTasksLock();
    try {
      const reply = api('PATCH', `/api/tasks/${id}`, { body: { status: 'done' }, headers });
      await admin`select pg_terminate_backend(${await waitingStatement('update tasks')})`;
      const early = await within(reply, 300);
      if (early !== 'still waiting') return early;
      await lock.release();
      return await reply;
    } finally {
      await lock.release();
    }
  }

  it('with If-Match naming its version is tried again, and changes the task once', async () => {
    const created = await keyed('patched across a termination', 'patched-across-a-termination');
    const reply = await terminatedPatch({ 'if-match': created.headers.get('etag')! }, created.body.id);
    expect(reply.status, reply.text).toBe(200);
    expect(reply.body).toMatchObject({ status: 'done', version: created.body.version + 1 });
  });

  it('without If-Match is not tried again once it may have run: 503, and the task as it was', async () => {
    const created = await keyed('patched unconditionally', 'patched-unconditionally');
    expectUnavailable(await terminatedPatch({}, created.body.id), /unavailable/);
    expect((await api('GET', `/api/tasks/${created.body.id}`)).body).toMatchObject({ status: created.body.status, version: created.body.version });
  });
});

describe('PostgreSQL stopped and started again', () => {
  it('holds a read and a keyed create until the server is back within the budget, then answers them', async () => {
    await server.stop();
    const read = api('GET', '/api/tasks?limit=5');
    const create = keyed('created across a restart', 'across-a-restart');
    await sleep(300);
    await startServer();
    expect((await read).status).toBe(200);
    expect((await create).status).toBe(201);
    expect(await tasksTitled('created across a restart')).toBe(1);
  });

  it('answers 503 with Retry-After and a problem, no stack, when the server is not back within the budget; liveness stays up, readiness says why', async () => {
    await server.stop();
    try {
      const started = Date.now();
      expectUnavailable(await api('GET', '/api/tasks?limit=5'), /unavailable/);
      // Tried for the budget, not for ever, and not given up at once.
      expect(Date.now() - started).toBeGreaterThanOrEqual(BUDGET_MS / 2);
      expect(Date.now() - started).toBeLessThan(BUDGET_MS + 2000);
      expect((await fetch(`${own.baseUrl}/livez`)).status).toBe(200);
      const ready = await fetch(`${own.baseUrl}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ status: 'not ready', checks: { database: { ok: false, detail: expect.stringMatching(/unreachable \(ECONNREFUSED\)/) } } });
    } finally {
      await startServer();
    }
    expect((await api('GET', '/api/tasks?limit=5')).status).toBe(200);
  });
});

describe('a read-only server (a demoted primary during a switchover)', () => {
  const readOnly = async (on: boolean) => {
    await admin.unsafe(on ? 'alter system set default_transaction_read_only = on' : 'alter system reset default_transaction_read_only');
    await admin`select pg_reload_conf()`;
    // Every session applies the reload between its statements; readiness reads a fresh one's setting.
    for (let i = 0; i < 100; i++) {
      if ((await fetch(`${own.baseUrl}/readyz`)).status === (on ? 503 : 200)) return;
      await sleep(20);
    }
    throw new Error(`readiness did not follow read-only ${on}`);
  };

  it('tries writes again, then answers 503 saying no writes are taken; reads go on; readiness says not ready', async () => {
    await readOnly(true);
    try {
      const before = await retries('tasks.create_idempotent', 'tasks.create');
      expectUnavailable(await keyed('written while read-only', 'while-read-only'), /accepts no writes/);
      // A write refused as read-only never ran, so even a create without a key is tried again.
      expectUnavailable(await api('POST', '/api/tasks', { body: { title: 'written while read-only' } }), /accepts no writes/);
      expect(await retries('tasks.create_idempotent', 'tasks.create')).toBeGreaterThan(before + 2);
      expect((await api('GET', '/api/tasks?limit=5')).status).toBe(200);
      const ready = await fetch(`${own.baseUrl}/readyz`);
      expect(await ready.json()).toMatchObject({ status: 'not ready', checks: { database: { ok: false, detail: expect.stringMatching(/read-only .*no writable primary/) } } });
      expect((await fetch(`${own.baseUrl}/livez`)).status).toBe(200);
    } finally {
      await readOnly(false);
    }
    expect(await tasksTitled('written while read-only')).toBe(0);
  });

  it('gives a request one budget for all its calls: a late first call leaves the next only the rest', async () => {
    await readOnly(true);
    await server.stop();
    const started = Date.now();
    // Its credentials are checked once the server is back (over half the budget on), and then its write meets a read-only server.
    const create = keyed('written late into a read-only server', 'late-into-read-only');
    await sleep(BUDGET_MS / 2);
    await startServer();
    try {
      expectUnavailable(await create, /accepts no writes/);
      // Two budgets back to back would answer after BUDGET_MS / 2 + BUDGET_MS.
      expect(Date.now() - started).toBeLessThan(BUDGET_MS + 800);
    } finally {
      await readOnly(false);
    }
  });

  it('answers a write held through a switchover once the server takes writes again', async () => {
    await readOnly(true);
    const create = keyed('written across a switchover', 'across-a-switchover');
    await sleep(300);
    await readOnly(false);
    expect((await create).status).toBe(201);
    expect(await tasksTitled('written across a switchover')).toBe(1);
  });
});

describe('migrations when the connection drops mid-way', () => {
  it('a migrator whose connection is terminated mid-migration takes the lock again, and every migration is applied exactly once', async () => {
    const database = await createTestDatabase(server.adminUrl);
    const pool = () => createDatabase(loadConfig({ DATABASE_URL: database.url, DB_POOL_SIZE: '3' }));
    const [a, b] = [pool(), pool()];
    const names = migrationFiles().map((file) => file.name);
    const url = new URL(database.url);
    try {
      await migrateUp(a.sql, testLogger, '0003_count_tasks');
      // 0004 alters tasks: an admin's lock on it holds the migration up, in the middle of its transaction.
      const lock = await holdTasksLock(url.pathname.slice(1), 'access exclusive');
      const first = migrateUp(a.sql, testLogger);
      const lockHolder = async () => {
        for (let i = 0; i < 200; i++) {
          const [row] = await admin<{ pid: number }[]>`
            select l.pid from pg_locks l join pg_stat_activity s on s.pid = l.pid
            where l.locktype = 'advisory' and l.granted and s.datname = ${url.pathname.slice(1)} and s.wait_event_type = 'Lock'`;
          if (row) return row.pid;
          await sleep(25);
        }
        throw new Error('no migrator holds the lock while waiting');
      };
      // The migrator's lock and its migration are on the connection terminated: both end together.
      await admin`select pg_terminate_backend(${await lockHolder()})`;
      const second = migrateUp(b.sql, testLogger);
      // One of the two holds the lock again and waits in 0004; the other waits for the lock.
      await lockHolder();
      await lock.release();
      const applied = await Promise.all([first, second]);
      expect(applied.flat().sort()).toEqual(names.slice(3));
      expect(await a.sql<{ name: string }[]>`select name from schema_migrations order by name`.then((rows) => rows.map((row) => row.name))).toEqual(names);
    } finally {
      await a.close();
      await b.close();
      await database.drop();
    }
  });
});
