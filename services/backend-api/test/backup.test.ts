// The backup and restore CLIs, run as the chart's Job runs them (dist/backup/*.js), against the
// test PostgreSQL, a directory target and a real S3-compatible server (versitygw).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startEmbeddedPostgres, type PostgresServer } from '@task-manager/kit/testing';
import { migrationFiles } from '../src/migrations/files.js';
import { migrateUp } from '../src/migrations/migrator.js';
import { withoutLine } from '../src/backup/postgres-tools.js';
import type { Sql } from '../src/db.js';
import { runNode } from './processes.js';
import { call, freshDatabase, perTestResources, startBackend, testLogger, type RunningBackend } from './support.js';

const CACHE = process.env.TASK_MANAGER_CACHE ?? '/var/cache/task-manager';
/** pg_dump/pg_restore of the server's major and the S3 server, as tests/tools/install puts them. */
const PG_BIN_DIR = join(CACHE, 'postgresql-client-17/bin');
/** A server older than that client, as an external database may run (tests/tools/install, Debian bookworm's). */
const OLDER_SERVER_BIN_DIR = join(CACHE, 'postgresql-15/bin');
const VERSITYGW = join(CACHE, 'bin/versitygw');
const SHIPPED = migrationFiles().map((file) => file.name);

const { cleanups, database } = perTestResources();

async function scratchDir() {
  const dir = await mkdtemp(join(tmpdir(), 'backups-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const run = (script: 'backup' | 'restore', databaseUrl: string, env: Record<string, string>, args: string[] = []) =>
  runNode(`dist/backup/${script}.js`, args, { DATABASE_URL: databaseUrl, PG_BIN_DIR, LOG_LEVEL: 'info', DB_CONNECT_TIMEOUT_SECONDS: '5', ...env }, 60_000);

/**
 * Every row of every table of the public schema (each row as text, every column), and where
 * every sequence stands: equal digests mean the same data, down to the ids still to be handed out.
 */
async function everyRow(sql: Sql): Promise<Record<string, string>> {
  const tables = await sql<{ name: string }[]>`select tablename as name from pg_tables where schemaname = 'public' order by tablename`;
  const out: Record<string, string> = {};
  for (const { name } of tables) {
    const [row] = await sql<{ digest: string; rows: number }[]>`
      select coalesce(md5(string_agg(t::text, E'\n' order by t::text)), 'empty') as digest, count(*)::int as rows from ${sql(name)} t`;
    out[name] = `${row!.rows} rows ${row!.digest}`;
  }
  for (const s of await sql<{ name: string; last: string | null }[]>`select sequencename as name, last_value::text as last from pg_sequences where schemaname = 'public'`) {
    out[`sequence ${s.name}`] = String(s.last);
  }
  return out;
}

/** A team's worth of everything: tasks created, edited and deleted (activity history), an idempotent create, a revoked token. */
async function teamWork(backend: RunningBackend): Promise<void> {
  const ids: string[] = [];
  for (let i = 0; i < 12; i++) {
    const made = await call(backend.baseUrl, 'POST', '/api/tasks', {
      body: { title: `Task ${i} — "quoted", tab\there, ünïcödé`, description: i % 2 ? `line one\nline two ${i}` : undefined, priority: ['low', 'medium', 'high'][i % 3] },
      headers: i === 0 ? { 'idempotency-key': 'first-task-once' } : {},
    });
    expect(made.status, made.text).toBe(201);
    ids.push(made.body.id as string);
  }
  for (const id of ids.slice(0, 4)) {
    const got = await call(backend.baseUrl, 'GET', `/api/tasks/${id}`);
    const edited = await call(backend.baseUrl, 'PATCH', `/api/tasks/${id}`, { body: { status: 'in_progress' }, headers: { 'if-match': got.headers.get('etag')! } });
    expect(edited.status, edited.text).toBe(200);
  }
  expect((await call(backend.baseUrl, 'DELETE', `/api/tasks/${ids[11]}`)).status).toBe(204);
  const failed = await call(backend.baseUrl, 'POST', '/api/login', { body: { email: 'viewer@example.test', password: 'not the password' }, as: 'nobody' });
  expect(failed.status).toBe(401);
}

describe('backup and restore to a directory', () => {
  let backend: RunningBackend;
  let source: Record<string, string>;
  beforeAll(async () => {
    backend = await startBackend();
    await teamWork(backend);
    source = await everyRow(backend.db.sql);
  });
  afterAll(() => backend.close());

  it('restores every row of every table, sequences included, into an empty database', async () => {
    expect(source.tasks).toMatch(/^11 rows/);
    expect(source.task_activity).not.toMatch(/^0 rows/);
    const dir = await scratchDir();
    const made = await run('backup', backend.databaseUrl, { BACKUP_DIR: dir });
    expect(made.code, made.stderr).toBe(0);
    const files = (await readdir(dir)).sort();
    expect(files).toHaveLength(2);
    const manifest = JSON.parse(await readFile(join(dir, files.find((f) => f.endsWith('.json'))!), 'utf8'));
    expect(manifest).toMatchObject({ format: 'task-manager-backup/1', schemaVersion: SHIPPED.at(-1), migrations: SHIPPED, encryption: null, file: `${manifest.id}.dump` });
    // pg_dump's custom format, unencrypted.
    expect((await readFile(join(dir, manifest.file))).subarray(0, 5).toString()).toBe('PGDMP');

    const target = await database(false);
    const restored = await run('restore', target.url, { BACKUP_DIR: dir });
    expect(restored.code, restored.stderr).toBe(0);
    expect(await everyRow(target.db.sql)).toEqual(source);
  });

  it('refuses a database that holds rows, leaving it as it was, and replaces it with --force', async () => {
    const dir = await scratchDir();
    expect((await run('backup', backend.databaseUrl, { BACKUP_DIR: dir })).code).toBe(0);
    const target = await database(true);
    await target.db.sql`insert into tasks (title) values ('written after the backup')`;
    const before = await everyRow(target.db.sql);

    const refused = await run('restore', target.url, { BACKUP_DIR: dir });
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim()).toMatch(/^restore failed: the database is not empty \(rows in .*\btasks\b.*\): restore replaces everything in it; run it again with --force to do that$/);
    expect(await everyRow(target.db.sql)).toEqual(before);

    const forced = await run('restore', target.url, { BACKUP_DIR: dir }, ['--force']);
    expect(forced.code, forced.stderr).toBe(0);
    expect(await everyRow(target.db.sql)).toEqual(source);
  });

  it('lists the backups, and keeps the newest BACKUP_KEEP_LAST and none older than BACKUP_KEEP_DAYS', async () => {
    const dir = await scratchDir();
    for (let i = 0; i < 3; i++) expect((await run('backup', backend.databaseUrl, { BACKUP_DIR: dir, BACKUP_KEEP_LAST: '2' })).code).toBe(0);
    const listed = await run('restore', backend.databaseUrl, { BACKUP_DIR: dir }, ['--list']);
    const ids = listed.stdout.trim().split('\n').map((line) => line.split(/\s+/)[0]);
    expect(ids).toHaveLength(2);
    expect(await readdir(dir)).toHaveLength(4);

    // Age the older one by 40 days: with a 30-day limit the next backup deletes it, however many are kept.
    const oldManifest = join(dir, `${ids[1]}.json`);
    const aged = JSON.parse(await readFile(oldManifest, 'utf8'));
    await writeFile(oldManifest, JSON.stringify({ ...aged, createdAt: new Date(Date.now() - 40 * 86_400_000).toISOString() }));
    expect((await run('backup', backend.databaseUrl, { BACKUP_DIR: dir, BACKUP_KEEP_LAST: '10', BACKUP_KEEP_DAYS: '30' })).code).toBe(0);
    const after = (await run('restore', backend.databaseUrl, { BACKUP_DIR: dir }, ['--list'])).stdout.trim().split('\n').map((line) => line.split(/\s+/)[0]);
    expect(after).toHaveLength(2);
    expect(after).toContain(ids[0]);
    expect(after).not.toContain(ids[1]);
  });

  it('encrypts with AES-256-GCM, restores with the key, and names the problem with no key, another key or a damaged file', async () => {
    const dir = await scratchDir();
    const key = randomBytes(32).toString('base64');
    expect((await run('backup', backend.databaseUrl, { BACKUP_DIR: dir, BACKUP_ENCRYPTION_KEY: key })).code).toBe(0);
    const dump = (await readdir(dir)).find((f) => f.endsWith('.dump.enc'))!;
    const bytes = await readFile(join(dir, dump));
    expect(bytes.subarray(0, 4).toString()).toBe('TMB1');
    expect(bytes.includes(Buffer.from('PGDMP'))).toBe(false);
    expect(bytes.includes(Buffer.from('Task 3'))).toBe(false);

    const target = await database(false);
    const noKey = await run('restore', target.url, { BACKUP_DIR: dir });
    expect(noKey.code).toBe(1);
    expect(noKey.stderr).toMatch(/^restore failed: backup backup-\S+ is encrypted \(aes-256-gcm, key id [0-9a-f]{16}\): set BACKUP_ENCRYPTION_KEY to its key\n$/);
    const otherKey = await run('restore', target.url, { BACKUP_DIR: dir, BACKUP_ENCRYPTION_KEY: randomBytes(32).toString('hex') });
    expect(otherKey.code).toBe(1);
    expect(otherKey.stderr).toMatch(/^restore failed: BACKUP_ENCRYPTION_KEY is not the key backup backup-\S+ was encrypted with \(its key id is [0-9a-f]{16}, this key's is [0-9a-f]{16}\)\n$/);
    const badKey = await run('restore', target.url, { BACKUP_DIR: dir, BACKUP_ENCRYPTION_KEY: 'hunter2' });
    expect(badKey.code).toBe(1);
    expect(badKey.stderr).toContain('BACKUP_ENCRYPTION_KEY must be 32 bytes');
    expect(await everyRow(target.db.sql)).toEqual({});

    const good = await run('restore', target.url, { BACKUP_DIR: dir, BACKUP_ENCRYPTION_KEY: key });
    expect(good.code, good.stderr).toBe(0);
    expect(await everyRow(target.db.sql)).toEqual(source);

    // One flipped byte in the middle of the ciphertext.
    bytes.writeUInt8(bytes.readUInt8(bytes.length >> 1) ^ 1, bytes.length >> 1);
    await writeFile(join(dir, dump), bytes);
    const damaged = await run('restore', target.url, { BACKUP_DIR: dir, BACKUP_ENCRYPTION_KEY: key }, ['--force']);
    expect(damaged.code).toBe(1);
    expect(damaged.stderr).toMatch(/^restore failed: backup \S+ is damaged: \S+\.dump\.enc does not have the sha256 its manifest records\n$/);
    expect(await everyRow(target.db.sql)).toEqual(source);
  });

  it('fails the backup with one line, without the password, when the database never answers', async () => {
    const dir = await scratchDir();
    const port = await freePort();
    const failed = await run('backup', `postgres://nobody:secret@127.0.0.1:${port}/none`, { BACKUP_DIR: dir, DB_CONNECT_TIMEOUT_SECONDS: '1' });
    expect(failed.code).toBe(1);
    expect(failed.stderr.trim()).toBe('backup failed: database not reachable after 1s (last error: ECONNREFUSED)');
    expect(failed.stderr + failed.stdout).not.toContain('secret');
    expect(await readdir(dir)).toEqual([]);
  });
});

describe('an external database older than the image\'s PostgreSQL client', () => {
  let older: PostgresServer;
  beforeAll(async () => {
    if (!existsSync(join(OLDER_SERVER_BIN_DIR, 'postgres'))) throw new Error(`${OLDER_SERVER_BIN_DIR} is missing: run tests/tools/install`);
    older = await startEmbeddedPostgres({ binDir: OLDER_SERVER_BIN_DIR, fast: true });
  });
  afterAll(() => older?.stop());

  it('is backed up and restored by the newer pg_dump and pg_restore, every row as it was', async () => {
    const backend = await startBackend({ adminUrl: older.adminUrl });
    cleanups.push(() => backend.close());
    expect((await backend.db.sql<[{ version: number }]>`select current_setting('server_version_num')::int as version`)[0].version).toBeLessThan(170_000);
    await teamWork(backend);
    const source = await everyRow(backend.db.sql);
    const dir = await scratchDir();
    const made = await run('backup', backend.databaseUrl, { BACKUP_DIR: dir });
    expect(made.code, made.stderr).toBe(0);

    const target = await freshDatabase({ migrate: false, adminUrl: older.adminUrl });
    cleanups.push(() => target.drop());
    const restored = await run('restore', target.url, { BACKUP_DIR: dir });
    expect(restored.code, restored.stderr).toBe(0);
    expect(await everyRow(target.db.sql)).toEqual(source);
  });

  it('stops at the first statement that server refuses, naming it, with the public schema left empty for another try', async () => {
    const source = await freshDatabase({ migrate: true, adminUrl: older.adminUrl });
    cleanups.push(() => source.drop());
    const dir = await scratchDir();
    expect((await run('backup', source.url, { BACKUP_DIR: dir })).code).toBe(0);
    // pg_trgm already there, in another schema: the dump's index asks for public.gin_trgm_ops.
    const target = await freshDatabase({ migrate: false, adminUrl: older.adminUrl });
    cleanups.push(() => target.drop());
    await target.db.sql.unsafe('create schema elsewhere; create extension pg_trgm schema elsewhere');
    const failed = await run('restore', target.url, { BACKUP_DIR: dir });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/^restore failed: psql exited with 3: .*ERROR: {2}operator class "public.gin_trgm_ops" does not exist.*\(the database's public schema is now empty: fix the cause and restore again\)\n$/s);
    expect(await everyRow(target.db.sql)).toEqual({});
  });
});

describe('the statement an older server refuses', () => {
  it('is dropped whole wherever the chunks split the text, and every other byte passes, characters split between chunks too', async () => {
    const text = 'SET statement_timeout = 0;\nSET transaction_timeout = 0;\nCOPY public.tasks (title) FROM stdin;\nünïcödé — "quoted"\n\\.\n-- SET transaction_timeout = 0; in a comment stays\nthe last line, with no newline';
    const expected = text.replace('SET transaction_timeout = 0;\n', '');
    const bytes = Buffer.from(text);
    for (let size = 1; size <= 7; size++) {
      const chunks: Buffer[] = [];
      for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
      const out: Buffer[] = [];
      await pipeline(Readable.from(chunks), withoutLine('SET transaction_timeout = 0;'), new Writable({ write: (chunk: Buffer, _e, done) => (out.push(chunk), done()) }));
      expect(Buffer.concat(out).toString('utf8'), `chunks of ${size} bytes`).toBe(expected);
    }
  });
});

describe('a pg_dump that fails', () => {
  it('fails the backup with pg_dump\'s last words and leaves no file behind', async () => {
    const source = await database(true);
    const dir = await scratchDir();
    // A stand-in that fails as pg_dump does on a server it cannot dump.
    const bin = await scratchDir();
    await writeFile(join(bin, 'pg_dump'), '#!/bin/sh\n[ "$1" = --version ] && { echo "pg_dump (PostgreSQL) 17.0"; exit 0; }\nprintf "partial" ; echo "pg_dump: error: aborting because of server version mismatch" >&2; exit 1\n', { mode: 0o755 });
    const failed = await run('backup', source.url, { BACKUP_DIR: dir, PG_BIN_DIR: bin });
    expect(failed.code).toBe(1);
    expect(failed.stderr.trim()).toBe('backup failed: pg_dump exited with 1: pg_dump: error: aborting because of server version mismatch');
    expect(await readdir(dir)).toEqual([]);
  });
});

describe('the schema version of a backup', () => {
  it('restores an older schema, then runs the migrations it lacks', async () => {
    const older = await database(false);
    const previous = SHIPPED.at(-2)!;
    await migrateUp(older.db.sql, testLogger, previous);
    await older.db.sql`insert into tasks (title) values ('made by the release before')`;
    const dir = await scratchDir();
    expect((await run('backup', older.url, { BACKUP_DIR: dir })).code).toBe(0);
    const manifest = JSON.parse(await readFile(join(dir, (await readdir(dir)).find((f) => f.endsWith('.json'))!), 'utf8'));
    expect(manifest.schemaVersion).toBe(previous);

    const target = await database(false);
    const restored = await run('restore', target.url, { BACKUP_DIR: dir });
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.stdout).toContain('then applied 1 migration(s)');
    expect((await target.db.sql<{ name: string }[]>`select name from schema_migrations order by name`).map((r) => r.name)).toEqual(SHIPPED);
    expect((await target.db.sql<{ title: string }[]>`select title from tasks`).map((r) => r.title)).toEqual(['made by the release before']);
  });

  it('refuses a backup whose schema is newer than the image, before touching the database', async () => {
    const source = await database(true);
    const dir = await scratchDir();
    expect((await run('backup', source.url, { BACKUP_DIR: dir })).code).toBe(0);
    const name = (await readdir(dir)).find((f) => f.endsWith('.json'))!;
    const manifest = JSON.parse(await readFile(join(dir, name), 'utf8'));
    await writeFile(join(dir, name), JSON.stringify({ ...manifest, migrations: [...SHIPPED, '9999_from_the_future'], schemaVersion: '9999_from_the_future' }));

    const target = await database(false);
    const refused = await run('restore', target.url, { BACKUP_DIR: dir }, ['--force']);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim()).toBe(
      `restore failed: backup ${manifest.id} has schema 9999_from_the_future, newer than this image's (it knows migrations up to ${SHIPPED.at(-1)}; unknown: 9999_from_the_future): restore it with the backend image of the release that made it, or a later one`,
    );
    expect(await everyRow(target.db.sql)).toEqual({});
  });

  it('answers an unknown flag or a backup that is not there with usage or its name', async () => {
    const dir = await scratchDir();
    const target = await database(false);
    expect((await run('restore', target.url, { BACKUP_DIR: dir }, ['--sideways'])).code).toBe(2);
    const none = await run('restore', target.url, { BACKUP_DIR: dir });
    expect(none.code).toBe(1);
    expect(none.stderr.trim()).toBe(`restore failed: there is no backup in ${dir}`);
    const missing = await run('restore', target.url, { BACKUP_DIR: dir }, ['backup-2020-01-01T00-00-00-000Z']);
    expect(missing.stderr.trim()).toBe(`restore failed: there is no backup backup-2020-01-01T00-00-00-000Z in ${dir} (restore --list names them)`);
  });
});

describe('backup and restore through an S3-compatible server (versitygw)', () => {
  const access = 'backup-tests';
  const secret = randomBytes(20).toString('hex');
  let server: ChildProcess;
  let root: string;
  let endpoint: string;
  beforeAll(async () => {
    if (!existsSync(VERSITYGW)) throw new Error(`${VERSITYGW} is missing: run tests/tools/install`);
    root = await mkdtemp(join(tmpdir(), 's3-'));
    await mkdir(join(root, 'data', 'backups'), { recursive: true });
    await mkdir(join(root, 'meta'));
    const port = await freePort();
    endpoint = `http://127.0.0.1:${port}`;
    server = spawn(VERSITYGW, ['--access', access, '--secret', secret, '--port', `127.0.0.1:${port}`, '--quiet', 'posix', '--sidecar', join(root, 'meta'), join(root, 'data')], { stdio: 'ignore' });
    for (let i = 0; ; i++) {
      const up = await fetch(endpoint).then(() => true, () => false);
      if (up) break;
      if (i > 100) throw new Error('versitygw did not start');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });
  afterAll(async () => {
    server?.kill();
    await rm(root, { recursive: true, force: true });
  });

  const s3 = (overrides: Record<string, string> = {}) => ({
    BACKUP_TARGET: 's3',
    BACKUP_S3_ENDPOINT: endpoint,
    BACKUP_S3_BUCKET: 'backups',
    BACKUP_S3_PREFIX: 'nightly/task manager',
    AWS_ACCESS_KEY_ID: access,
    AWS_SECRET_ACCESS_KEY: secret,
    ...overrides,
  });

  it('round-trips every row, encrypted, through the bucket under its prefix, and applies retention there', async () => {
    const backend = await startBackend();
    cleanups.push(() => backend.close());
    await teamWork(backend);
    const source = await everyRow(backend.db.sql);
    const key = randomBytes(32).toString('base64');
    for (let i = 0; i < 2; i++) {
      const made = await run('backup', backend.databaseUrl, s3({ BACKUP_ENCRYPTION_KEY: key, BACKUP_KEEP_LAST: '1' }));
      expect(made.code, made.stderr).toBe(0);
    }
    // The objects are files under the bucket's directory on the server: one backup kept, under the prefix.
    const stored = (await readdir(join(root, 'data', 'backups', 'nightly', 'task manager'))).sort();
    expect(stored).toEqual([expect.stringMatching(/^backup-.*\.dump\.enc$/), expect.stringMatching(/^backup-.*\.json$/)]);

    const target = await database(false);
    const restored = await run('restore', target.url, s3({ BACKUP_ENCRYPTION_KEY: key }));
    expect(restored.code, restored.stderr).toBe(0);
    expect(await everyRow(target.db.sql)).toEqual(source);
  });

  it('fails with the server\'s answer on wrong credentials or a missing bucket', async () => {
    const source = await database(true);
    const denied = await run('backup', source.url, s3({ AWS_SECRET_ACCESS_KEY: 'not-the-secret' }));
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(/^backup failed: S3 PUT s3:\/\/backups\/nightly\/task manager\/backup-\S+\.dump failed: HTTP 403 SignatureDoesNotMatch/);
    const nowhere = await run('backup', source.url, s3({ BACKUP_S3_BUCKET: 'no-such-bucket' }));
    expect(nowhere.code).toBe(1);
    expect(nowhere.stderr).toMatch(/^backup failed: S3 PUT s3:\/\/no-such-bucket\/.* failed: HTTP 404 NoSuchBucket/);
  });
});
