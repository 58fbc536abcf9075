/**
 * Every SQL statement for tasks. Values always travel as bound parameters (postgres.js
 * tagged templates); the only SQL text chosen at run time comes from the fixed SORTS table.
 *
 * PostgreSQL keeps each task as JSON text (the `document` its writes store, with the display
 * names added at read time: the `task` columns), and the handlers send that text as it is: a
 * page of 50 tasks never becomes 50 JavaScript objects to be serialised again, which is most of
 * what the list endpoint would otherwise spend.
 */
import { PRIORITIES, STATUSES, type Stats } from '@task-manager/contract';
import type { Database, Queryable } from '../db.js';
import type { Repeat } from '../db-retry.js';
import { HttpProblem } from '@task-manager/kit';
import type { ListQuery, SortField, TaskInput, TaskPatch } from './validate.js';

/** A stored task as the API shows it, already serialised, with the version for its ETag. */
export interface TaskRow {
  id: string;
  version: number;
  task: string;
}

/**
 * A task as JSON: the document its writes stored (migration 0005; built now for a task not
 * written since), with the display names, read now so a renamed user shows renamed everywhere,
 * added as its last two fields: by a lookup per row for one task, and, for a page, from users
 * joined once as `creator` and `assignee`.
 */
function taskObject(document: string, creator: string, assignee: string): string {
  return `${withoutLastByte(document)} || ',"createdByName":' || coalesce(to_json(${creator})::text, 'null')
    || ',"assigneeName":' || coalesce(to_json(${assignee})::text, 'null') || '}'`;
}
/**
 * The text without its last byte (a document's closing brace, ASCII in every server encoding),
 * cut as bytes: left(text, -1) counts the characters of the whole document, twice, in a
 * multibyte database, and that was half of the list's time in PostgreSQL. `text` is written
 * twice: callers pass a column, or a coalesce whose function branch runs only for a task stored
 * before its document was (and then, twice, for that task alone).
 */
function withoutLastByte(text: string): string {
  return `convert_from(substr(convert_to(${text}, getdatabaseencoding()), 1, octet_length(${text}) - 1), getdatabaseencoding())`;
}
const STORED_DOCUMENT = 'coalesce(document, task_document(tasks))';
// Fixed text, written once: a fragment per column and request cost the list a few per cent of its CPU.
const TASK_JSON = taskObject(STORED_DOCUMENT, '(select u.display_name from users u where u.id = created_by)', '(select u.display_name from users u where u.id = assignee_id)');
const PAGE_TASK_JSON = taskObject('c.document', 'creator.display_name', 'assignee.display_name');
const taskJson = (sql: Queryable) => sql.unsafe(TASK_JSON);

/**
 * Every write runs in a transaction that names its actor (the history trigger of migration 0004
 * reads it) and checks, in the same statement, that a new assignee is an active user.
 * `repeat`: whether running it twice is harmless (db-retry.ts).
 */
function writeAs<T>(
  db: Database,
  name: string,
  write: Write,
  assigneeId: string | null | undefined,
  repeat: Repeat,
  work: (tx: Queryable) => Promise<T>,
): Promise<T> {
  return db.run(name, (sql) =>
    sql.begin(async (tx) => {
      const [check] = await tx<{ assignable: boolean }[]>`
        select set_config('task_manager.actor', ${write.actor}, true) is not null
               and (${assigneeId ?? null}::uuid is null or exists(select 1 from users where id = ${assigneeId ?? null}::uuid and active)) as assignable`;
      if (!check!.assignable) throw unassignable(write);
      return work(tx);
    }),
    repeat,
  ) as Promise<T>;
}

function unassignable(write: Write): HttpProblem {
  const detail = 'must be the id of an active user';
  return HttpProblem.of(422, `${write.assigneeField} ${detail}`, { errors: [{ field: write.assigneeField, detail }] });
}

/** Who writes, and how the request names the assignee field (`assigneeId`, `patch.assigneeId`). */
export interface Write {
  actor: string;
  assigneeField: string;
}

/*
 * Enum lists are bound as text[] and cast by PostgreSQL. postgres.js reads the array types
 * once per pool; a pool opened before the migration created task_status (MIGRATE_ON_START)
 * would otherwise send an enum array it cannot encode.
 */

/** Each sort key: the indexed expression it orders by, and the type its cursor value is cast back to. */
const SORTS: Record<SortField, { expression: string; type: string }> = {
  createdAt: { expression: 'created_at', type: 'timestamptz' },
  updatedAt: { expression: 'updated_at', type: 'timestamptz' },
  dueDate: { expression: "coalesce(due_date, 'infinity'::date)", type: 'date' },
  priority: { expression: 'priority', type: 'task_priority' },
  title: { expression: 'lower(title)', type: 'text' },
};

const escapeLike = (text: string) => text.replace(/[\\%_]/g, (char) => `\\${char}`);

/**
 * One page, as PostgreSQL aggregated it: the tasks as JSON objects joined by commas, still as
 * the UTF-8 bytes that arrived (never decoded into a string and encoded again), and where
 * the next page starts.
 */
export interface TaskPage {
  items: Buffer;
  next: { value: string; id: string } | undefined;
  /** The database state the page was read from (see DATA_VERSION). */
  dataVersion: string;
}

/**
 * The state of the database a statement reads: the statement's snapshot (which transactions
 * it sees) and the server's start time. Two statements get the same text only when no write
 * transaction committed between them: any commit moves the snapshot's horizon or leaves its
 * in-progress list. So whatever a statement read is still current while this text is unchanged,
 * which makes it a validator for lists. Transaction ids belong to the whole server, so writes to
 * other databases on it change the text too: fewer 304s on a busy shared server, never a stale
 * list. The start time keeps a cluster restored elsewhere, whose transaction ids may repeat,
 * from matching an old snapshot.
 */
const DATA_VERSION = `pg_current_snapshot()::text || ' ' || pg_postmaster_start_time()::text`;

export async function dataVersion(db: Database): Promise<string> {
  const [row] = await db.run('tasks.data_version', (sql) => sql<{ version: string }[]>`select ${sql.unsafe(DATA_VERSION)} as version`, 'repeatable');
  return row!.version;
}

/**
 * One page in keyset order, fetched with one row more than asked (which tells whether another
 * page exists) and folded into a single result row, so that Node receives one string rather
 * than fifty row objects to parse, hold and collect.
 */
export async function listTasks(db: Database, query: ListQuery): Promise<TaskPage> {
  const [page] = await db.run('tasks.list', (sql) => {
    const sort = SORTS[query.sort];
    const by = sql.unsafe(sort.expression);
    const direction = query.order === 'asc' ? sql`asc` : sql`desc`;
    const empty = sql``;
    let after = empty;
    if (query.after) {
      // Bound as text, then cast by PostgreSQL: postgres.js would pass a timestamptz parameter
      // through a JavaScript Date and lose the microseconds that tell neighbouring rows apart.
      const value = sql`${query.after.value}::text::${sql.unsafe(sort.type)}`;
      after =
        query.order === 'asc'
          ? sql`and (${by}, id) > (${value}, ${query.after.id}::uuid)`
          : sql`and (${by}, id) < (${value}, ${query.after.id}::uuid)`;
    }
    return sql<[Buffer | null, Buffer, Buffer | null, Buffer | null, Buffer][]>`
      with candidates as (
        select id, ${sql.unsafe(STORED_DOCUMENT)} as document, assignee_id, created_by, (${by})::text as cursor_value, row_number() over (order by ${by} ${direction}, id ${direction}) as position
        from tasks
        where true
          ${query.statuses ? sql`and status = any(${query.statuses}::text[]::task_status[])` : empty}
          ${query.priorities ? sql`and priority = any(${query.priorities}::text[]::task_priority[])` : empty}
          ${query.tags?.length ? sql`and tags @> ${query.tags}::text[]` : empty}
          ${query.search ? sql`and (title || ' ' || description) ilike ${`%${escapeLike(query.search)}%`}` : empty}
          ${query.dueBefore ? sql`and due_date < ${query.dueBefore}::date` : empty}
          ${query.dueAfter ? sql`and due_date > ${query.dueAfter}::date` : empty}
          ${query.assignee === null ? sql`and assignee_id is null` : query.assignee ? sql`and assignee_id = ${query.assignee}::uuid` : empty}
          ${query.createdBy ? sql`and created_by = ${query.createdBy}::uuid` : empty}
          ${after}
        order by ${by} ${direction}, id ${direction}
        limit ${query.limit + 1}
      )
      select string_agg(${sql.unsafe(PAGE_TASK_JSON)}, ',' order by position)
               filter (where position <= ${query.limit}) as items,
             count(*) > ${query.limit} as has_more,
             min(cursor_value) filter (where position = ${query.limit}) as cursor_value,
             min(c.id::text) filter (where position = ${query.limit}) as last_id,
             ${sql.unsafe(DATA_VERSION)} as data_version
      from candidates c
        left join users creator on creator.id = c.created_by
        left join users assignee on assignee.id = c.assignee_id`.raw();
  }, 'repeatable');
  const [items, hasMore, cursorValue, lastId, version] = page as unknown as [Buffer | null, Buffer, Buffer | null, Buffer | null, Buffer];
  return {
    items: items ?? Buffer.alloc(0),
    next: hasMore.toString() === 't' && cursorValue && lastId ? { value: cursorValue.toString(), id: lastId.toString() } : undefined,
    dataVersion: version.toString(),
  };
}

export async function getTask(db: Database, id: string): Promise<TaskRow | undefined> {
  const [row] = await db.run('tasks.get', (sql) => sql<TaskRow[]>`select id, version, ${taskJson(sql)} as task from tasks where id = ${id}::uuid`, 'repeatable');
  return row;
}

/**
 * One clock reading for both timestamps: the columns' defaults read the clock once each, and a
 * new task's updatedAt trailed its createdAt by a microsecond in a few inserts in a hundred.
 * The statement names its actor itself (a volatile set_config is evaluated before the row exists,
 * and lasts until the statement's own transaction ends) and inserts nothing when the assignee is
 * not an active user: so a plain create is one round trip, not a transaction of four.
 */
function insertTask(sql: Queryable, input: TaskInput, createdBy: string) {
  return sql<TaskRow[]>`
    insert into tasks (title, description, status, priority, due_date, tags, assignee_id, created_by, created_at, updated_at)
    select ${input.title}, ${input.description}, ${input.status}::task_status, ${input.priority}::task_priority,
           ${input.dueDate}::date, ${input.tags}::text[], ${input.assigneeId}::uuid, ${createdBy}::uuid, created, created
    from (select clock_timestamp() as created, set_config('task_manager.actor', ${createdBy}, true) as actor) as clock
    where ${input.assigneeId}::uuid is null or exists(select 1 from users where id = ${input.assigneeId}::uuid and active)
    returning id, version, ${taskJson(sql)} as task`;
}

export async function createTask(db: Database, write: Write, input: TaskInput): Promise<TaskRow> {
  const [row] = await db.run('tasks.create', (sql) => insertTask(sql, input, write.actor));
  if (!row) throw unassignable(write);
  return row;
}

/** The answer first given to an Idempotency-Key, stored so that a retry gets it again. */
export interface StoredAnswer {
  requestHash: string;
  statusCode: number;
  location: string | null;
  etag: string | null;
  body: string;
}

/**
 * Creates the task and records the answer under the key, in one transaction. Retries that
 * race each other queue on a transaction-scoped advisory lock for the key, so exactly one
 * of them inserts and the others read its answer.
 */
export async function createTaskOnce(
  db: Database,
  write: Write,
  key: string,
  requestHash: string,
  input: TaskInput,
  answer: (row: TaskRow) => Omit<StoredAnswer, 'requestHash'>,
): Promise<{ replayed: boolean; answer: StoredAnswer; gone: boolean }> {
  // A second run finds the first one's answer under the key, if that one committed.
  return writeAs(db, 'tasks.create_idempotent', write, input.assigneeId, 'repeatable', async (tx) => {
      await tx`select pg_advisory_xact_lock(hashtextextended(${`${write.actor} ${key}`}, 0))`;
      // The task's id is the last segment of the stored Location.
      const [stored] = await tx<(StoredAnswer & { present: boolean })[]>`
        select request_hash as "requestHash", status_code as "statusCode", location, etag, body,
               exists(select 1 from tasks where id = substring(location from '[0-9a-f-]{36}$')::uuid) as present
        from idempotency_keys where owner_id = ${write.actor}::uuid and key = ${key}`;
      if (stored) {
        const { present, ...answer } = stored;
        return { replayed: true, answer, gone: !present };
      }
      const [row] = await insertTask(tx, input, write.actor);
      const fresh = { requestHash, ...answer(row!) };
      await tx`
        insert into idempotency_keys (owner_id, key, request_hash, status_code, location, etag, body)
        values (${write.actor}::uuid, ${key}, ${fresh.requestHash}, ${fresh.statusCode}, ${fresh.location}, ${fresh.etag}, ${fresh.body})`;
      // Keys are honoured for a day; clearing old ones here keeps the table small without a cron job.
      await tx`delete from idempotency_keys where created_at < now() - interval '24 hours'`;
      return { replayed: false, answer: fresh, gone: false };
  });
}

/** SET for a partial update: a column changes only when the patch names it (so dueDate can be set to null). */
function setPatch(sql: Queryable, patch: TaskPatch) {
  const has = (key: keyof TaskPatch) => Object.prototype.hasOwnProperty.call(patch, key);
  return sql`
    title = case when ${has('title')} then ${patch.title ?? null} else title end,
    description = case when ${has('description')} then ${patch.description ?? null} else description end,
    status = case when ${has('status')} then ${patch.status ?? null}::task_status else status end,
    priority = case when ${has('priority')} then ${patch.priority ?? null}::task_priority else priority end,
    due_date = case when ${has('dueDate')} then ${patch.dueDate ?? null}::date else due_date end,
    tags = case when ${has('tags')} then ${patch.tags ?? null}::text[] else tags end,
    assignee_id = case when ${has('assigneeId')} then ${patch.assigneeId ?? null}::uuid else assignee_id end,
    version = version + 1,
    updated_at = clock_timestamp()`;
}

export type WriteResult = { outcome: 'done'; row: TaskRow } | { outcome: 'not_found' } | { outcome: 'stale'; current: TaskRow };

/** Why a conditional write matched no row: the task is gone, or its version moved on. */
async function explainMiss(sql: Queryable, id: string): Promise<WriteResult> {
  const [current] = await sql<TaskRow[]>`select id, version, ${taskJson(sql)} as task from tasks where id = ${id}::uuid`;
  return current ? { outcome: 'stale', current } : { outcome: 'not_found' };
}

/**
 * `expectedVersions` comes from If-Match; undefined means unconditional. A conditional write is
 * repeatable: once it has committed, the version it expects is gone and a second run answers
 * stale (or not found), never writing twice.
 */
const repeatWhen = (expectedVersions: number[] | undefined): Repeat => (expectedVersions ? 'repeatable' : 'once');

export function updateTask(db: Database, write: Write, id: string, patch: TaskPatch, expectedVersions: number[] | undefined): Promise<WriteResult> {
  return writeAs(db, 'tasks.update', write, patch.assigneeId, repeatWhen(expectedVersions), async (sql) => {
    const [row] = await sql<TaskRow[]>`
      update tasks set ${setPatch(sql, patch)}
      where id = ${id}::uuid ${expectedVersions ? sql`and version = any(${expectedVersions}::int[])` : sql``}
      returning id, version, ${taskJson(sql)} as task`;
    return row ? { outcome: 'done', row } : explainMiss(sql, id);
  });
}

export function deleteTask(db: Database, write: Write, id: string, expectedVersions: number[] | undefined): Promise<WriteResult> {
  return writeAs(db, 'tasks.delete', write, undefined, repeatWhen(expectedVersions), async (sql) => {
    const [row] = await sql<TaskRow[]>`
      delete from tasks
      where id = ${id}::uuid ${expectedVersions ? sql`and version = any(${expectedVersions}::int[])` : sql``}
      returning id, version, ''::text as task`;
    return row ? { outcome: 'done', row } : explainMiss(sql, id);
  });
}

export type BulkResult = { outcome: 'done'; count: number } | { outcome: 'missing'; missing: string[] };

/** All or nothing: the rows are locked and counted first, and an unknown id ends the transaction unchanged. */
export function bulkWrite(db: Database, write: Write, ids: string[], patch: TaskPatch | undefined): Promise<BulkResult> {
  return writeAs(db, patch ? 'tasks.bulk_update' : 'tasks.bulk_delete', write, patch?.assigneeId, 'once', async (tx) => {
      const found = await tx<{ id: string }[]>`select id from tasks where id = any(${ids}::uuid[]) order by id for update`;
      if (found.length !== ids.length) {
        const present = new Set(found.map((row) => row.id));
        return { outcome: 'missing', missing: ids.filter((id) => !present.has(id)) };
      }
      const result = patch
        ? await tx`update tasks set ${setPatch(tx, patch)} where id = any(${ids}::uuid[])`
        : await tx`delete from tasks where id = any(${ids}::uuid[])`;
      return { outcome: 'done', count: result.count };
  });
}

/**
 * A task's history, oldest first, with each actor's display name now; undefined when the task does
 * not exist (any more: its history, delete included, stays in task_activity for audit).
 */
export async function taskActivity(db: Database, id: string): Promise<string | undefined> {
  const [row] = await db.run('tasks.activity', (sql) => sql<{ list: string; known: boolean }[]>`
    select coalesce(string_agg(json_build_object(
             'id', a.id, 'taskId', a.task_id, 'action', a.action, 'at', a.at, 'changes', a.changes,
             'actor', case when u.id is null then null else json_build_object('id', u.id, 'displayName', u.display_name) end
           )::text, ',' order by a.id), '') as list,
           exists(select 1 from tasks where id = ${id}::uuid) as known
    from task_activity a left join users u on u.id = a.actor_id
    where a.task_id = ${id}::uuid`, 'repeatable');
  return row!.known ? `{"items":[${row!.list}]}` : undefined;
}

/**
 * One count per status and per priority, in the contract's order, summed from the counts the
 * triggers of migration 0003 keep (a few rows per status and priority, and per open due date)
 * rather than from the tasks: one statement, so every count reads the same committed state.
 * Overdue means not done and due before today, today being the session's current_date (UTC,
 * see db.ts); `today` replaces it, so that a test can move the day.
 */
export async function taskStats(db: Database, today?: string): Promise<Stats> {
  const [row] = await db.run('tasks.stats', (sql) => {
    const counts = [
      ...STATUSES.map((status) => sql`coalesce(sum(tasks) filter (where status = ${status}::task_status), 0)::int`),
      ...PRIORITIES.map((priority) => sql`coalesce(sum(tasks) filter (where priority = ${priority}::task_priority), 0)::int`),
    ].reduce((list, count) => sql`${list}, ${count}`);
    return sql`
      select coalesce(sum(tasks), 0)::int,
             (select coalesce(sum(tasks), 0)::int from task_open_due_counts
              where due_date < coalesce(${today ?? null}::date, current_date)),
             ${counts}
      from task_counts`.values();
  }, 'repeatable');
  const [total, overdue, ...counts] = row as unknown as number[];
  const byStatus = Object.fromEntries(STATUSES.map((status, i) => [status, counts[i]!])) as Stats['byStatus'];
  const byPriority = Object.fromEntries(PRIORITIES.map((priority, i) => [priority, counts[STATUSES.length + i]!])) as Stats['byPriority'];
  return { total: total!, byStatus, byPriority, overdue: overdue! };
}
