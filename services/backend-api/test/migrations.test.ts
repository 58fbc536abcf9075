import { describe, expect, it } from 'vitest';
import { freePort } from '@task-manager/kit/testing';
import { migrationFiles } from '../src/migrations/files.js';
import { adminToken, runNode, startServerProcess } from './processes.js';
import { migrateDown, migrateUp } from '../src/migrations/migrator.js';
import { perTestResources, scalar, testLogger } from './support.js';

const { cleanups, database } = perTestResources();

/** Every migration this build ships, in order. */
const SHIPPED = migrationFiles().map((file) => file.name);

const migrate = (url: string, command: string, extra: Record<string, string> = {}) =>
  runNode('dist/migrations/migrate.js', [command], { DATABASE_URL: url, LOG_LEVEL: 'info', ...extra });

describe('migrate CLI', () => {
  it('applies each migration exactly once when 6 migrators start at the same moment', async () => {
    const db = await database(false);
    const runs = await Promise.all(Array.from({ length: 6 }, () => migrate(db.url, 'up')));
    for (const run of runs) expect(run.code, run.stderr).toBe(0);
    const applied = await db.db.sql<{ name: string }[]>`select name from schema_migrations order by name`;
    expect(applied.map((row) => row.name)).toEqual(SHIPPED);
    // Exactly one process did the work; the others waited on the lock and found nothing pending.
    const workers = runs.filter((run) => run.stdout.includes('"migrating"') || run.stdout.includes('"migrated"'));
    expect(workers).toHaveLength(1);
    expect(runs.filter((run) => run.stdout.includes('nothing to do'))).toHaveLength(5);
  });

  it('reports status, rolls back the migrations one at a time with down, and reapplies them with up', async () => {
    const db = await database(true);
    const status = await migrate(db.url, 'status');
    expect(JSON.parse(status.stdout)).toEqual({ executed: SHIPPED, pending: [] });
    for (let kept = SHIPPED.length - 1; kept >= 1; kept--) {
      expect((await migrate(db.url, 'down')).code).toBe(0);
      expect(JSON.parse((await migrate(db.url, 'status')).stdout).pending).toEqual(SHIPPED.slice(kept));
    }
    expect(await scalar(db.db.sql`select to_regclass('idempotency_keys') is not null`)).toBe(false);
    expect((await migrate(db.url, 'up')).code).toBe(0);
    expect(JSON.parse((await migrate(db.url, 'status')).stdout).pending).toEqual([]);
  });

  it('waits for the database, then fails with one clear line when it never comes', async () => {
    const port = await freePort();
    const started = Date.now();
    const run = await migrate(`postgres://nobody:secret@127.0.0.1:${port}/none`, 'up', { DB_CONNECT_TIMEOUT_SECONDS: '2' });
    expect(run.code).toBe(1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
    expect(run.stderr.trim()).toMatch(/^migrate up failed: database not reachable after 2s \(last error: ECONNREFUSED\)$/);
    expect(run.stderr + run.stdout).not.toContain('secret');
  });

  it('refuses an unknown command with usage', async () => {
    const run = await migrate('postgres://x@127.0.0.1:1/x', 'sideways');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('usage: migrate up|down|status');
  });
});

describe('readiness and the schema', () => {
  it('is not ready and answers 503 (not 500) while the schema is behind, then ready once migrated', async () => {
    const db = await database(false);
    const server = await startServerProcess({ DATABASE_URL: db.url });
    cleanups.push(async () => {
      server.child.kill('SIGTERM');
      await server.exited;
    });
    const notReady = await fetch(`${server.baseUrl}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toMatchObject({ checks: { migrations: { ok: false, detail: expect.stringContaining('0001_create_tasks') } } });
    // A well-formed token: checking it needs the schema, so the answer is a 503 rather than a 401.
    const early = await fetch(`${server.baseUrl}/api/tasks`, { headers: { authorization: `Bearer tm_${'A'.repeat(43)}` } });
    expect(early.status).toBe(503);
    expect(early.headers.get('retry-after')).toBeTruthy();

    expect((await migrate(db.url, 'up')).code).toBe(0);
    expect((await fetch(`${server.baseUrl}/readyz`)).status).toBe(200);
    const token = await adminToken(server.baseUrl);
    expect((await fetch(`${server.baseUrl}/api/tasks`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
  });

  it('stays ready when the database is ahead of this build (a newer release migrated it)', async () => {
    const db = await database(true);
    await db.db.sql`insert into schema_migrations (name) values ('9999_from_a_newer_release')`;
    const server = await startServerProcess({ DATABASE_URL: db.url });
    cleanups.push(async () => {
      server.child.kill('SIGTERM');
      await server.exited;
    });
    expect((await fetch(`${server.baseUrl}/readyz`)).status).toBe(200);
  });

  it('MIGRATE_ON_START migrates before listening, and every filter works on the fresh schema', async () => {
    const db = await database(false);
    const server = await startServerProcess({ DATABASE_URL: db.url, MIGRATE_ON_START: 'true' });
    cleanups.push(async () => {
      server.child.kill('SIGTERM');
      await server.exited;
    });
    expect((await fetch(`${server.baseUrl}/readyz`)).status).toBe(200);
    // The pool connected before the migration created the enum types: filters on them must still work.
    const token = await adminToken(server.baseUrl);
    const created = await fetch(`${server.baseUrl}/api/tasks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ title: 'fresh', status: 'done', priority: 'high' }),
    });
    expect(created.status).toBe(201);
    for (const query of ['status=done', 'priority=high', 'status=todo,done&priority=low,high', 'sort=priority&limit=1']) {
      const reply = await fetch(`${server.baseUrl}/api/tasks?${query}`, { headers: { authorization: `Bearer ${token}` } });
      expect(reply.status, `${query}: ${await reply.clone().text()}`).toBe(200);
      expect(((await reply.json()) as { items: unknown[] }).items.length, query).toBe(1);
    }
  });
});

describe('the migration that adds accounts', () => {
  it('upgrades a database of the release before: its tasks keep every value, with createdBy null, and old idempotency keys replay for nobody', async () => {
    const db = await database(false);
    await migrateUp(db.db.sql, testLogger, '0003_count_tasks');
    await db.db.sql`
      insert into tasks (title, status, priority, due_date, tags)
      select 'old ' || g, (array['todo', 'in_progress', 'done'])[1 + g % 3]::task_status, 'high', date '2030-01-01' + g, array['legacy']
      from generate_series(1, 50) as g`;
    await db.db.sql`insert into idempotency_keys (key, request_hash, status_code, body) values ('old-key', 'h', 201, '{}')`;
    const before = await db.db.sql`select id, title, status, priority, due_date, tags, created_at, updated_at, version from tasks order by id`;
    expect(await migrateUp(db.db.sql, testLogger)).toEqual(['0004_create_accounts', '0005_store_task_documents', '0006_create_user_identities']);
    const after = await db.db.sql`select id, title, status, priority, due_date, tags, created_at, updated_at, version from tasks order by id`;
    expect(after).toEqual(before);
    expect(await scalar(db.db.sql`select count(*)::int from tasks where created_by is null and assignee_id is null`)).toBe(50);
    expect(await scalar(db.db.sql`select count(*)::int from task_activity`)).toBe(0);

    const server = await startServerProcess({ DATABASE_URL: db.url });
    cleanups.push(async () => {
      server.child.kill('SIGTERM');
      await server.exited;
    });
    const token = await adminToken(server.baseUrl);
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const list = (await (await fetch(`${server.baseUrl}/api/tasks?tag=legacy&limit=200`, { headers })).json()) as { items: Record<string, unknown>[] };
    expect(list.items).toHaveLength(50);
    for (const task of list.items) expect(task).toMatchObject({ createdBy: null, createdByName: null, assigneeId: null, assigneeName: null });
    const reused = await fetch(`${server.baseUrl}/api/tasks`, { method: 'POST', headers: { ...headers, 'idempotency-key': 'old-key' }, body: JSON.stringify({ title: 'new' }) });
    expect(reused.status).toBe(201);
    expect(reused.headers.get('idempotent-replayed')).toBeNull();
    const stats = (await (await fetch(`${server.baseUrl}/api/stats`, { headers })).json()) as { total: number };
    expect(stats.total).toBe(51);

    server.child.kill('SIGTERM');
    await server.exited;
    expect(await migrateDown(db.db.sql, testLogger)).toEqual(['0006_create_user_identities']);
    expect(await migrateDown(db.db.sql, testLogger)).toEqual(['0005_store_task_documents']);
    expect(await migrateDown(db.db.sql, testLogger)).toEqual(['0004_create_accounts']);
    expect(await scalar(db.db.sql`select count(*)::int from tasks where title like 'old %'`)).toBe(50);
    expect(await scalar(db.db.sql`select to_regclass('users') is null`)).toBe(true);
  });
});

describe('the migration that stores each task as the JSON the API answers', () => {
  /** Each task as the release before built it at every read: from its columns, with the names joined. */
  const fromColumns = (db: Awaited<ReturnType<typeof database>>) => db.db.sql<{ task: Record<string, unknown> }[]>`
    select json_build_object(
      'id', t.id, 'title', t.title, 'description', t.description, 'status', t.status, 'priority', t.priority,
      'dueDate', t.due_date, 'tags', t.tags, 'assigneeId', t.assignee_id, 'createdBy', t.created_by,
      'createdByName', creator.display_name, 'assigneeName', assignee.display_name,
      'createdAt', t.created_at, 'updatedAt', t.updated_at, 'version', t.version) as task
    from tasks t left join users creator on creator.id = t.created_by left join users assignee on assignee.id = t.assignee_id
    order by t.id`.then((rows) => rows.map((row) => row.task));

  it('upgrades a database of the release before: every task, with its people, reads as its columns say, stored or not, and after writes and renames', async () => {
    const db = await database(false);
    await migrateUp(db.db.sql, testLogger, '0004_create_accounts');
    const [owner] = await db.db.sql<{ id: string }[]>`
      insert into users (email, display_name, role, password_hash) values ('owner@example.test', 'Owner "O" \\ Ünïcode', 'member', 'not a hash') returning id`;
    await db.db.sql`
      insert into tasks (title, description, status, priority, due_date, tags, created_by, assignee_id)
      select 'old ' || g || ' "quoted" \\ ünïcode', repeat('words ', g % 4), (array['todo', 'in_progress', 'done'])[1 + g % 3]::task_status, 'high',
             case when g % 2 = 0 then date '2030-01-01' + g end, case when g % 3 = 0 then '{}' else array['legacy', 'tag ' || g] end,
             case when g % 2 = 0 then ${owner!.id}::uuid end, case when g % 5 = 0 then ${owner!.id}::uuid end
      from generate_series(1, 40) as g`;
    const before = await fromColumns(db);
    expect(before).toHaveLength(40);

    expect(await migrateUp(db.db.sql, testLogger)).toEqual(['0005_store_task_documents', '0006_create_user_identities']);
    const server = await startServerProcess({ DATABASE_URL: db.url });
    cleanups.push(async () => {
      server.child.kill('SIGTERM');
      await server.exited;
    });
    const headers = { authorization: `Bearer ${await adminToken(server.baseUrl)}`, 'content-type': 'application/json' };
    const api = async () => {
      const list = (await (await fetch(`${server.baseUrl}/api/tasks?limit=200`, { headers })).json()) as { items: { id: string }[] };
      const one = await Promise.all(list.items.map(async ({ id }) => (await fetch(`${server.baseUrl}/api/tasks/${id}`, { headers })).json()));
      const byId = (a: unknown, b: unknown) => ((a as { id: string }).id < (b as { id: string }).id ? -1 : 1);
      return { list: list.items.sort(byId), one: one.sort(byId) };
    };
    // Not one is stored yet: each is built at read time until its next write.
    expect(await scalar(db.db.sql`select count(*)::int from tasks where document is null`)).toBe(40);
    expect(await api()).toEqual({ list: before, one: before });

    // 'old 2 …' is not among the 11 'old 1…' tasks the hand-written update changes next: 12 written in all.
    const target = before.find((task) => String(task.title).startsWith('old 2 '))!;
    const patched = await fetch(`${server.baseUrl}/api/tasks/${target.id}`, { method: 'PATCH', headers, body: JSON.stringify({ title: 'changed "again"', tags: [], assigneeId: owner!.id }) });
    expect(patched.status).toBe(200);
    await db.db.sql`update tasks set description = 'written by hand' where title like 'old 1%'`;
    await db.db.sql`update users set display_name = 'Renamed Owner' where id = ${owner!.id}::uuid`;
    const now = await fromColumns(db);
    expect(await scalar(db.db.sql`select count(*)::int from tasks where document is null`)).toBe(40 - 12);
    expect(now).not.toEqual(before);
    expect(JSON.stringify(now)).toContain('Renamed Owner');
    expect(await api()).toEqual({ list: now, one: now });

    server.child.kill('SIGTERM');
    await server.exited;
    expect(await migrateDown(db.db.sql, testLogger)).toEqual(['0006_create_user_identities']);
    expect(await migrateDown(db.db.sql, testLogger)).toEqual(['0005_store_task_documents']);
    expect(await scalar(db.db.sql`select count(*)::int from information_schema.columns where table_name = 'tasks' and column_name = 'document'`)).toBe(0);
    expect(await fromColumns(db)).toEqual(now);
  });
});

describe('the migration that adds identities at a provider', () => {
  it('keeps every user and password; rolled back, a user who had only the provider is deactivated, the others untouched', async () => {
    const db = await database(false);
    await migrateUp(db.db.sql, testLogger, '0005_store_task_documents');
    await db.db.sql`insert into users (email, display_name, role, password_hash) values ('pat@example.test', 'Pat', 'member', 'argon2-hash-of-pat')`;
    expect(await migrateUp(db.db.sql, testLogger)).toEqual(['0006_create_user_identities']);
    expect(await scalar(db.db.sql`select password_hash from users where email = 'pat@example.test'`)).toBe('argon2-hash-of-pat');
    const [sso] = await db.db.sql<{ id: string }[]>`
      insert into users (email, display_name, role, password_hash) values ('sso@example.test', 'Sso', 'viewer', null) returning id`;
    await db.db.sql`insert into user_identities (issuer, subject, user_id) values ('https://idp.example', 'sso', ${sso!.id}::uuid)`;
    // One identity is one user: the same (issuer, subject) cannot be linked twice.
    await expect(db.db.sql`insert into user_identities (issuer, subject, user_id) values ('https://idp.example', 'sso', ${sso!.id}::uuid)`).rejects.toThrow(/duplicate key/);

    expect(await migrateDown(db.db.sql, testLogger)).toEqual(['0006_create_user_identities']);
    const users = await db.db.sql`select email, active, password_hash as hash from users order by email`;
    expect(users).toEqual([
      { email: 'pat@example.test', active: true, hash: 'argon2-hash-of-pat' },
      { email: 'sso@example.test', active: false, hash: '' },
    ]);
    expect(await scalar(db.db.sql`select to_regclass('user_identities') is null`)).toBe(true);
  });
});
