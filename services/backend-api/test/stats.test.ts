import { PRIORITIES, STATUSES, type Stats } from '@task-manager/contract';
import fc from 'fast-check';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sql } from '../src/db.js';
import { migrateDown, migrateUp } from '../src/migrations/migrator.js';
import { taskStats } from '../src/tasks/queries.js';
import { call, freshDatabase, scalar, testLogger, startBackend, type RunningBackend } from './support.js';

/** The stats as a full scan of tasks computes them, overdue counted as of `today`. */
async function fullCount(sql: Sql, today: string): Promise<Stats> {
  const groups = await sql<{ status: string; priority: string; overdue: boolean; tasks: number }[]>`
    select status::text, priority::text, coalesce(due_date < ${today}::date and status <> 'done', false) as overdue, count(*)::int as tasks
    from tasks group by 1, 2, 3`;
  const stats: Stats = {
    total: 0,
    byStatus: Object.fromEntries(STATUSES.map((status) => [status, 0])) as Stats['byStatus'],
    byPriority: Object.fromEntries(PRIORITIES.map((priority) => [priority, 0])) as Stats['byPriority'],
    overdue: 0,
  };
  for (const group of groups) {
    stats.total += group.tasks;
    stats.byStatus[group.status as keyof Stats['byStatus']] += group.tasks;
    stats.byPriority[group.priority as keyof Stats['byPriority']] += group.tasks;
    if (group.overdue) stats.overdue += group.tasks;
  }
  return stats;
}

/** Due dates on either side of the days the checks take as today, and none. */
const DAYS = ['2030-01-09', '2030-01-10', '2030-01-11', '2030-01-12'] as const;
const dueDate = fc.constantFrom<string | null>(null, ...DAYS);
const fields = fc.record({ status: fc.constantFrom(...STATUSES), priority: fc.constantFrom(...PRIORITIES), dueDate }, { requiredKeys: [] });
/** A task of the burst's pool, by position, so a command can name one before any exists. */
const target = fc.nat({ max: 29 });

const command = fc.oneof(
  fc.record({ kind: fc.constant('create' as const), fields }),
  fc.record({ kind: fc.constant('create once' as const), key: fc.constantFrom('k1', 'k2', 'k3'), fields }),
  fc.record({ kind: fc.constant('patch' as const), target, fields, conditional: fc.boolean() }),
  fc.record({ kind: fc.constant('delete' as const), target }),
  fc.record({ kind: fc.constant('bulk update' as const), targets: fc.uniqueArray(target, { minLength: 1, maxLength: 8 }), fields }),
  fc.record({ kind: fc.constant('bulk delete' as const), targets: fc.uniqueArray(target, { minLength: 1, maxLength: 5 }) }),
  // Written in SQL, not through the API: the counts follow every write to tasks, whoever makes it.
  fc.record({ kind: fc.constant('sql insert' as const), rows: fc.array(fields, { minLength: 1, maxLength: 4 }) }),
);
type Command = typeof command extends fc.Arbitrary<infer C> ? C : never;

describe('GET /api/stats', () => {
  let backend: RunningBackend;
  const api = (method: string, path: string, options?: Parameters<typeof call>[3]) => call(backend.baseUrl, method, path, options);
  beforeAll(async () => {
    backend = await startBackend();
  });
  afterAll(() => backend.close());

  it('equals a full count after every burst of concurrent writes of every kind', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fields, { minLength: 5, maxLength: 30 }), fc.array(command, { minLength: 10, maxLength: 40 }), async (seeds, commands) => {
        run++;
        const pool: { id: string; version: number }[] = [];
        for (const seed of seeds) {
          const made = await api('POST', '/api/tasks', { body: { title: 'seed', ...seed } });
          pool.push({ id: made.body.id, version: made.body.version });
        }
        const idOf = (position: number) => pool[position % pool.length]!.id;
        const perform = async (c: Command): Promise<number> => {
          switch (c.kind) {
            case 'create':
              return (await api('POST', '/api/tasks', { body: { title: 'burst', ...c.fields } })).status;
            case 'create once':
              // Same key, same body within a run: the first creates, the rest replay without creating.
              return (await api('POST', '/api/tasks', { body: { title: `once ${run}` }, headers: { 'idempotency-key': `${c.key}-${run}` } })).status;
            case 'patch': {
              const task = pool[c.target % pool.length]!;
              const headers: Record<string, string> = c.conditional ? { 'if-match': `"${task.version}"` } : {};
              return (await api('PATCH', `/api/tasks/${task.id}`, { body: { title: 'patched', ...c.fields }, headers })).status;
            }
            case 'delete':
              return (await api('DELETE', `/api/tasks/${idOf(c.target)}`)).status;
            case 'bulk update':
              return (await api('POST', '/api/tasks/bulk', { body: { action: 'update', ids: [...new Set(c.targets.map(idOf))], patch: { title: 'bulk', ...c.fields } } })).status;
            case 'bulk delete':
              return (await api('POST', '/api/tasks/bulk', { body: { action: 'delete', ids: [...new Set(c.targets.map(idOf))] } })).status;
            case 'sql insert': {
              const column = <K extends keyof (typeof c.rows)[number]>(key: K, otherwise: string | null) => c.rows.map((row) => row[key] ?? otherwise);
              await backend.db.sql`
                insert into tasks (title, status, priority, due_date)
                select 'sql', status::task_status, priority::task_priority, due::date
                from unnest(${column('status', 'todo')}::text[], ${column('priority', 'medium')}::text[], ${column('dueDate', null)}::text[]) as row(status, priority, due)`;
              return 201;
            }
          }
        };
        const statuses = await Promise.all(commands.map(perform));
        // Misses (404, 412) are expected in a burst; a deadlock or any other failure is not.
        expect(statuses.filter((status) => status >= 500)).toEqual([]);
        const served = await api('GET', '/api/stats');
        expect(served.body).toEqual(await fullCount(backend.db.sql, await scalar<string>(backend.db.sql`select current_date::text`)));
        for (const today of DAYS) expect(await taskStats(backend.db, today)).toEqual(await fullCount(backend.db.sql, today));
      }),
      { numRuns: 15 },
    );
  });

  it('counts a task overdue from the day after its due date until it is done', async () => {
    // A day no other test's task is due on.
    const made = await api('POST', '/api/tasks', { body: { title: 'Due on the fifteenth', dueDate: '2031-06-15' } });
    const overdueOn = (day: string) => taskStats(backend.db, day).then((stats) => stats.overdue);
    const onTheDay = await overdueOn('2031-06-15');
    expect(await overdueOn('2031-06-16')).toBe(onTheDay + 1);
    expect(await overdueOn('2040-01-01')).toBe(onTheDay + 1);
    await api('PATCH', `/api/tasks/${made.body.id}`, { body: { status: 'done' } });
    expect(await overdueOn('2031-06-16')).toBe(onTheDay);
  });

  it('takes today from the database in UTC, as the full count does', async () => {
    const today = await scalar<string>(backend.db.sql`select (now() at time zone 'UTC')::date::text`);
    await api('POST', '/api/tasks', { body: { title: 'Due yesterday', dueDate: new Date(Date.parse(today) - 86_400_000).toISOString().slice(0, 10) } });
    expect((await api('GET', '/api/stats')).body).toEqual(await fullCount(backend.db.sql, today));
  });

  it('empties with the table when tasks are truncated', async () => {
    await api('POST', '/api/tasks', { body: { title: 'To be truncated', dueDate: '2000-01-01' } });
    await backend.db.sql`truncate tasks`;
    expect(await taskStats(backend.db)).toEqual(await fullCount(backend.db.sql, '2030-01-10'));
    expect((await taskStats(backend.db)).total).toBe(0);
  });
});

describe('the migration that adds the counts', () => {
  it('counts the tasks a database of the release before holds, keeps counting, and goes down cleanly', async () => {
    const db = await freshDatabase({ migrate: false });
    try {
      await migrateUp(db.db.sql, testLogger, '0002_create_idempotency_keys');
      await db.db.sql`
        insert into tasks (title, status, priority, due_date)
        select 'old ' || g, (array['todo', 'in_progress', 'done'])[1 + g % 3]::task_status,
               (array['low', 'medium', 'high'])[1 + g / 3 % 3]::task_priority, date '2030-01-01' + g % 20
        from generate_series(1, 500) as g`;
      expect(await migrateUp(db.db.sql, testLogger, '0003_count_tasks')).toContain('0003_count_tasks');
      expect(await taskStats(db.db, '2030-01-11')).toEqual(await fullCount(db.db.sql, '2030-01-11'));
      await db.db.sql`update tasks set status = 'done' where due_date = '2030-01-05'`;
      await db.db.sql`delete from tasks where priority = 'high' and status = 'todo'`;
      expect(await taskStats(db.db, '2030-01-11')).toEqual(await fullCount(db.db.sql, '2030-01-11'));

      expect(await migrateDown(db.db.sql, testLogger)).toEqual(['0003_count_tasks']);
      expect(await scalar(db.db.sql`select to_regclass('task_counts') is null and to_regclass('task_open_due_counts') is null`)).toBe(true);
      expect(await scalar(db.db.sql`select count(*)::int from pg_trigger where tgrelid = 'tasks'::regclass and not tgisinternal`)).toBe(0);
      await db.db.sql`insert into tasks (title) values ('written while down')`;
      await migrateUp(db.db.sql, testLogger, '0003_count_tasks');
      expect(await taskStats(db.db, '2030-01-11')).toEqual(await fullCount(db.db.sql, '2030-01-11'));
    } finally {
      await db.drop();
    }
  });

  it('counts writes that commit while it runs, as old pods keep writing during a rolling upgrade', async () => {
    const db = await freshDatabase({ migrate: false });
    // Four connections of an old pod, writing straight through the migration.
    const writer = postgres(db.url, { max: 4, onnotice: () => {} });
    try {
      await migrateUp(db.db.sql, testLogger, '0002_create_idempotency_keys');
      await db.db.sql`insert into tasks (title, due_date) select 'old', date '2030-01-01' + g % 20 from generate_series(1, 2000) as g`;
      let writing = true;
      const writes = Promise.all(
        Array.from({ length: 4 }, async (_, connection) => {
          let count = 0;
          while (writing) {
            await writer`insert into tasks (title, status, due_date) values ('during', ${count % 2 ? 'done' : 'todo'}::task_status, '2030-01-05')`;
            await writer`update tasks set status = 'in_progress', due_date = date '2030-01-01' + ${connection}::int
                         where id = (select id from tasks where title = 'old' and status = 'todo' limit 1 for update skip locked)`;
            await writer`delete from tasks where id = (select id from tasks where title = 'old' limit 1 for update skip locked)`;
            count++;
          }
          return count;
        }),
      );
      await new Promise((resolve) => setTimeout(resolve, 50));
      await migrateUp(db.db.sql, testLogger);
      await new Promise((resolve) => setTimeout(resolve, 50));
      writing = false;
      expect(Math.min(...(await writes))).toBeGreaterThan(0);
      expect(await taskStats(db.db, '2030-01-11')).toEqual(await fullCount(db.db.sql, '2030-01-11'));
    } finally {
      await writer.end();
      await db.drop();
    }
  });
});
