import { startEmbeddedPostgres, type PostgresServer } from '@task-manager/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectConforms } from './conformance.js';
import { call, scalar, startBackend, type RunningBackend } from './support.js';

let backend: RunningBackend;
const api = (method: string, path: string, options?: Parameters<typeof call>[3]) => call(backend.baseUrl, method, path, options);

interface Task {
  id: string;
  title: string;
  status: string;
  priority: string;
  dueDate: string | null;
  tags: string[];
  createdAt: string;
  updatedAt: string;
}

/** Follows nextCursor to the end, asserting each page against the OpenAPI document. */
async function allPages(query: string): Promise<{ tasks: Task[]; pages: number }> {
  const tasks: Task[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const reply = await api('GET', `/api/tasks?${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    expect(reply.status, reply.text).toBe(200);
    expectConforms('get', '/api/tasks', reply);
    tasks.push(...reply.body.items);
    cursor = reply.body.nextCursor;
    pages++;
    expect(pages).toBeLessThan(500);
  } while (cursor);
  return { tasks, pages };
}

const TITLES = ['alpha', 'Bravo', 'charlie', 'delta', 'Echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet'];

beforeAll(async () => {
  backend = await startBackend();
  // 60 tasks spread over every status, priority, tag and due date (a third without one).
  for (let i = 0; i < 60; i++) {
    const reply = await api('POST', '/api/tasks', {
      body: {
        title: `${TITLES[i % 10]} ${String(i).padStart(2, '0')}`,
        description: i % 7 === 0 ? 'mentions the needle somewhere' : 'plain',
        status: ['todo', 'in_progress', 'done'][i % 3],
        priority: ['low', 'medium', 'high'][i % 3 === 0 ? 2 : i % 2],
        dueDate: i % 3 === 2 ? null : `2026-${String((i % 12) + 1).padStart(2, '0')}-${String((i % 27) + 1).padStart(2, '0')}`,
        tags: i % 4 === 0 ? ['ops', 'urgent'] : i % 4 === 1 ? ['ops'] : [],
      },
    });
    expect(reply.status).toBe(201);
  }
});
afterAll(() => backend.close());

describe('GET /api/tasks', () => {
  it('pages through everything newest first by default, 50 per page', async () => {
    const first = await api('GET', '/api/tasks');
    expect(first.body.items).toHaveLength(50);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const { tasks, pages } = await allPages('limit=7');
    expect(pages).toBe(9);
    expect(tasks).toHaveLength(60);
    expect(new Set(tasks.map((t) => t.id)).size).toBe(60);
    const created = tasks.map((t) => Date.parse(t.createdAt));
    expect(created).toEqual([...created].sort((a, b) => b - a));
  });

  it.each([
    ['title', 'asc', (a: Task, b: Task) => a.title.toLowerCase().localeCompare(b.title.toLowerCase())],
    ['title', 'desc', (a: Task, b: Task) => b.title.toLowerCase().localeCompare(a.title.toLowerCase())],
    ['priority', 'desc', (a: Task, b: Task) => rank(b.priority) - rank(a.priority)],
    ['dueDate', 'asc', (a: Task, b: Task) => (a.dueDate ?? '9999').localeCompare(b.dueDate ?? '9999')],
    ['updatedAt', 'asc', (a: Task, b: Task) => Date.parse(a.updatedAt) - Date.parse(b.updatedAt)],
  ])('sorts by %s %s across pages without losing or repeating a task', async (sort, order, compare) => {
    const { tasks } = await allPages(`sort=${sort}&order=${order}&limit=8`);
    expect(tasks).toHaveLength(60);
    expect(new Set(tasks.map((t) => t.id)).size).toBe(60);
    for (let i = 1; i < tasks.length; i++) expect(compare(tasks[i - 1]!, tasks[i]!)).toBeLessThanOrEqual(0);
  });

  it('filters by status, priority, tags, text and due dates, together with paging', async () => {
    const { tasks: open } = await allPages('status=todo,in_progress&limit=9');
    expect(open).toHaveLength(40);
    expect(open.every((t) => t.status !== 'done')).toBe(true);

    const { tasks: urgentHigh } = await allPages('tag=ops,urgent&priority=high&limit=2');
    expect(urgentHigh.length).toBeGreaterThan(0);
    expect(urgentHigh.every((t) => t.priority === 'high' && t.tags.includes('urgent') && t.tags.includes('ops'))).toBe(true);

    const { tasks: needle } = await allPages('q=NEEDLE');
    expect(needle).toHaveLength(9);

    const { tasks: byTitle } = await allPages('q=bravo');
    expect(byTitle.map((t) => t.title).every((title) => title.startsWith('Bravo'))).toBe(true);
    expect(byTitle).toHaveLength(6);

    const { tasks: window } = await allPages('dueAfter=2026-03-01&dueBefore=2026-06-01&sort=dueDate');
    expect(window.length).toBeGreaterThan(0);
    expect(window.every((t) => t.dueDate! > '2026-03-01' && t.dueDate! < '2026-06-01')).toBe(true);
  });

  it('treats LIKE wildcards in q as plain text', async () => {
    const { tasks } = await allPages('q=%25');
    expect(tasks).toHaveLength(0);
  });

  it.each([
    ['limit=0', 'limit'],
    ['limit=201', 'limit'],
    ['limit=ten', 'limit'],
    ['sort=owner', 'sort'],
    ['order=sideways', 'order'],
    ['status=doing', 'status[0]'],
    ['dueBefore=tomorrow', 'dueBefore'],
    ['dueBefore=', 'dueBefore'],
    ['dueAfter=2026-02-30', 'dueAfter'],
    ['sort=', 'sort'],
    ['limit=', 'limit'],
    ['status=todo,', 'status[1]'],
    ['tag=a%00b', 'tag[0]'],
    [`tag=${Array.from({ length: 21 }, (_, i) => `t${i}`).join(',')}`, 'tag'],
    ['q=%00', 'q'],
    ['cursor=garbage', 'cursor'],
    ['q=a&q=b', 'q'],
    ['colour=red', 'colour'],
  ])('rejects %s with 422 naming %s', async (query, field) => {
    const reply = await api('GET', `/api/tasks?${query}`);
    expect(reply.status).toBe(422);
    expectConforms('get', '/api/tasks', reply);
    expect(reply.body.errors.map((e: { field: string }) => e.field)).toContain(field);
  });

  it('refuses a cursor made for another sort order, and a forged cursor value', async () => {
    const first = await api('GET', '/api/tasks?sort=title&limit=5');
    const reply = await api('GET', `/api/tasks?sort=dueDate&limit=5&cursor=${first.body.nextCursor}`);
    expect(reply.status).toBe(422);
    const forged = Buffer.from(JSON.stringify(['createdAt', 'desc', "2026-01-01'; drop table tasks; --", '00000000-0000-4000-8000-000000000000'])).toString('base64url');
    expect((await api('GET', `/api/tasks?cursor=${forged}`)).status).toBe(422);
  });

  it('neither skips nor repeats a task while others are being inserted between pages', async () => {
    const existing = new Set((await allPages('limit=200')).tasks.map((t) => t.id));
    for (const [sort, order] of [['createdAt', 'desc'], ['createdAt', 'asc'], ['title', 'asc']] as const) {
      const seen: string[] = [];
      let cursor: string | null = null;
      let page = 0;
      do {
        const reply = await api('GET', `/api/tasks?sort=${sort}&order=${order}&limit=6${cursor ? `&cursor=${cursor}` : ''}`);
        seen.push(...reply.body.items.map((t: Task) => t.id));
        cursor = reply.body.nextCursor;
        // Concurrent writers add tasks that sort before, among and after the page boundary.
        await Promise.all(
          ['aaa', 'hotel 99', 'zzz'].map((title) => api('POST', '/api/tasks', { body: { title: `${title} inserted ${sort} ${page}` } })),
        );
        page++;
      } while (cursor && page < 100);
      expect(new Set(seen).size, 'no task repeated').toBe(seen.length);
      for (const id of existing) expect(seen, `task ${id} was skipped`).toContain(id);
    }
  });
});

function rank(priority: string): number {
  return ['low', 'medium', 'high'].indexOf(priority);
}

describe('GET /api/tasks with If-None-Match', () => {
  // A list's ETag names the state of the whole PostgreSQL server, so a write to any database on
  // it ends a 304. These tests get a server of their own: on the shared one, the other test files'
  // writes fall between any two requests, and `*` (always 304, with the current ETag) raced them.
  let server: PostgresServer;
  let own: RunningBackend;
  beforeAll(async () => {
    server = await startEmbeddedPostgres({ fast: true });
    own = await startBackend({ adminUrl: server.adminUrl });
  });
  afterAll(async () => {
    await own.close();
    await server.stop();
  });
  const write = (method: string, path: string, options?: Parameters<typeof call>[3]) => call(own.baseUrl, method, path, options);
  const list = (etag?: string) => write('GET', '/api/tasks?q=etag&sort=title', { headers: etag ? { 'if-none-match': etag } : {} });

  it('answers 304 while nothing has been written, in every form of the header', async () => {
    // PostgreSQL's own background work (autovacuum, analyze) may still commit now and then: an
    // attempt counts only when the ETag read after it equals the one read before it, so that no
    // write fell between the two and the 304 must carry exactly that ETag.
    const forms: [string, (etag: string) => string][] = [
      ['the ETag', (etag) => etag],
      ['weak', (etag) => `W/${etag}`],
      ['in a list', (etag) => `"something-else", ${etag}`],
      ['*', () => '*'],
    ];
    for (const [form, header] of forms) {
      let status = 0;
      for (let attempt = 0; attempt < 50 && status !== 304; attempt++) {
        const etag = (await list()).headers.get('etag')!;
        expect(etag).toMatch(/^"[\w-]+"$/);
        const again = await list(header(etag));
        const after = (await list()).headers.get('etag')!;
        if (after !== etag) {
          if (again.status !== 304) expect(again.headers.get('etag'), 'a fresh list comes with a new ETag').not.toBe(etag);
          continue;
        }
        status = again.status;
        expect(status, form).toBe(304);
        expect(again.text).toBe('');
        expect(again.headers.get('etag'), form).toBe(etag);
        expectConforms('get', '/api/tasks', again);
      }
      expect(status, form).toBe(304);
    }
    expect((await list('"something-else"')).status).toBe(200);
  });

  it('answers the fresh list after every kind of write', async () => {
    const titles = async (etag: string) => {
      const reply = await list(etag);
      expect(reply.status).toBe(200);
      expect(reply.headers.get('etag')).not.toBe(etag);
      return { etag: reply.headers.get('etag')!, titles: (reply.body.items as Task[]).map((t) => t.title) };
    };
    let current = (await list()).headers.get('etag')!;
    const created = await write('POST', '/api/tasks', { body: { title: 'etag probe' } });
    let seen = await titles(current);
    expect(seen.titles).toContain('etag probe');
    current = seen.etag;
    await write('PATCH', `/api/tasks/${created.body.id}`, { body: { title: 'etag probe renamed' } });
    seen = await titles(current);
    expect(seen.titles).toContain('etag probe renamed');
    current = seen.etag;
    await write('POST', '/api/tasks/bulk', { body: { action: 'update', ids: [created.body.id], patch: { title: 'etag probe bulk' } } });
    seen = await titles(current);
    expect(seen.titles).toContain('etag probe bulk');
    current = seen.etag;
    await write('DELETE', `/api/tasks/${created.body.id}`);
    seen = await titles(current);
    expect(seen.titles.filter((title) => title.startsWith('etag probe'))).toEqual([]);
  });

  it('is not fooled by a write that began before the list was read and committed after', async () => {
    let commit!: () => void;
    const held = new Promise<void>((resolve) => (commit = resolve));
    let inserted!: () => void;
    const written = new Promise<void>((resolve) => (inserted = resolve));
    const writer = own.db.sql.begin(async (sql) => {
      await sql`insert into tasks (title) values ('etag slow writer')`;
      inserted();
      await held;
    });
    await written;
    const before = await list();
    expect((before.body.items as Task[]).map((t) => t.title)).not.toContain('etag slow writer');
    commit();
    await writer;
    const after = await list(before.headers.get('etag')!);
    expect(after.status).toBe(200);
    expect((after.body.items as Task[]).map((t) => t.title)).toContain('etag slow writer');
  });

  it('still checks the query first', async () => {
    const etag = (await list()).headers.get('etag')!;
    const refused = await write('GET', '/api/tasks?limit=0', { headers: { 'if-none-match': etag } });
    expect(refused.status).toBe(422);
  });
});

describe('POST /api/tasks/bulk', () => {
  it('updates every listed task in one go', async () => {
    const ids = (await api('GET', '/api/tasks?status=todo&limit=5')).body.items.map((t: Task) => t.id);
    const reply = await api('POST', '/api/tasks/bulk', { body: { action: 'update', ids, patch: { status: 'done' } } });
    expect(reply.status).toBe(200);
    expectConforms('post', '/api/tasks/bulk', reply);
    expect(reply.body).toEqual({ action: 'update', count: 5 });
    for (const id of ids) expect((await api('GET', `/api/tasks/${id}`)).body.status).toBe('done');
  });

  it('changes nothing when one id does not exist, and names it', async () => {
    const tasks = (await api('GET', '/api/tasks?status=todo&limit=3')).body.items as Task[];
    const ghost = '00000000-0000-4000-8000-00000000beef';
    const reply = await api('POST', '/api/tasks/bulk', { body: { action: 'delete', ids: [...tasks.map((t) => t.id), ghost] } });
    expect(reply.status).toBe(404);
    expectConforms('post', '/api/tasks/bulk', reply);
    expect(reply.body.missing).toEqual([ghost]);
    for (const task of tasks) expect((await api('GET', `/api/tasks/${task.id}`)).status).toBe(200);
    const update = await api('POST', '/api/tasks/bulk', { body: { action: 'update', ids: [tasks[0]!.id, ghost], patch: { title: 'never' } } });
    expect(update.status).toBe(404);
    expect((await api('GET', `/api/tasks/${tasks[0]!.id}`)).body.title).toBe(tasks[0]!.title);
  });

  it('rolls back entirely when the database refuses part of the batch', async () => {
    const tasks = (await api('GET', '/api/tasks?limit=4')).body.items as Task[];
    // A trigger stands in for any failure mid-transaction (a constraint, a lost connection).
    await backend.db.sql.unsafe(`
      create function refuse_marked() returns trigger language plpgsql as $$
      begin if new.id = '${tasks[3]!.id}' then raise exception 'refused'; end if; return new; end $$;
      create trigger refuse_marked before update on tasks for each row execute function refuse_marked();`);
    try {
      const reply = await api('POST', '/api/tasks/bulk', { body: { action: 'update', ids: tasks.map((t) => t.id), patch: { title: 'partial?' } } });
      expect(reply.status).toBe(500);
      expect(reply.text).not.toMatch(/refused|trigger|\.js:\d+/);
      for (const task of tasks) expect((await api('GET', `/api/tasks/${task.id}`)).body.title).toBe(task.title);
    } finally {
      await backend.db.sql.unsafe('drop trigger refuse_marked on tasks; drop function refuse_marked();');
    }
  });

  it('deletes every listed task, counting duplicates once', async () => {
    const ids = (await api('GET', '/api/tasks?limit=4')).body.items.map((t: Task) => t.id);
    const reply = await api('POST', '/api/tasks/bulk', { body: { action: 'delete', ids: [...ids, ids[0]] } });
    expect(reply.body).toEqual({ action: 'delete', count: 4 });
    for (const id of ids) expect((await api('GET', `/api/tasks/${id}`)).status).toBe(404);
  });

  it.each([
    [{ action: 'archive', ids: ['00000000-0000-4000-8000-000000000000'] }, 'action'],
    [{ action: 'delete', ids: [] }, 'ids'],
    [{ action: 'delete', ids: ['nope'] }, 'ids[0]'],
    [{ action: 'delete', ids: Array.from({ length: 501 }, () => '00000000-0000-4000-8000-000000000000') }, 'ids'],
    [{ action: 'update', ids: ['00000000-0000-4000-8000-000000000000'] }, 'patch'],
    [{ action: 'update', ids: ['00000000-0000-4000-8000-000000000000'], patch: { status: 'x' } }, 'patch.status'],
    [{ action: 'delete', ids: ['00000000-0000-4000-8000-000000000000'], patch: {} }, 'patch'],
  ])('rejects a bad bulk request with 422 naming $1', async (body, field) => {
    const reply = await api('POST', '/api/tasks/bulk', { body });
    expect(reply.status).toBe(422);
    expectConforms('post', '/api/tasks/bulk', reply);
    expect(reply.body.errors.map((e: { field: string }) => e.field)).toContain(field);
  });

  it('handles the full 500 ids in one transaction', async () => {
    const ids: string[] = [];
    const count = await scalar<number>(backend.db.sql`select count(*)::int from tasks`);
    const rows = await backend.db.sql<{ id: string }[]>`
      insert into tasks (title) select 'bulk ' || n from generate_series(1, 500) n returning id`;
    ids.push(...rows.map((r) => r.id));
    const reply = await api('POST', '/api/tasks/bulk', { body: { action: 'delete', ids } });
    expect(reply.body).toEqual({ action: 'delete', count: 500 });
    expect(await scalar(backend.db.sql`select count(*)::int from tasks`)).toBe(count);
  });
});
