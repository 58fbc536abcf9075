import { describe, expect, it } from 'vitest';
import { UiClient, createTasks, useStack } from './support.js';

const stack = useStack();

const htmx = { 'HX-Request': 'true' };

describe('the page', () => {
  it('renders the full page with the security headers the issue asks for', async () => {
    const ui = new UiClient(stack.url);
    const page = await ui.get('/');
    expect(page.status).toBe(200);
    expect(page.text).toContain('<!doctype html>');
    expect(page.text).toContain('id="task-list"');
    expect(page.text).toMatch(/<nav id="counts"[^>]*>\s*<a href="\/">All <b>0<\/b>/);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.headers.get('referrer-policy')).toBe('same-origin');
    expect(page.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
  });

  it('answers htmx with the list fragment alone, and says so in Vary', async () => {
    const ui = new UiClient(stack.url);
    const fragment = await ui.get('/?q=nothing-matches', htmx);
    expect(fragment.status).toBe(200);
    expect(fragment.text.trimStart()).toMatch(/^<section id="task-list"/);
    expect(fragment.text).not.toContain('<html');
    expect(fragment.headers.get('vary')).toMatch(/HX-Request/i);
  });

  it('serves assets under content-hashed names with long-lived caching and strong ETags', async () => {
    const page = await new UiClient(stack.url).get('/');
    const htmxUrl = /src="(\/static\/vendor\/htmx\.min\.[0-9a-f]{12}\.js)"/.exec(page.text)?.[1];
    expect(htmxUrl).toBeDefined();
    const asset = await fetch(`${stack.url}${htmxUrl}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toContain('immutable');
    const etag = asset.headers.get('etag')!;
    expect(etag).toMatch(/^"[0-9a-f]{12}"$/);
    expect((await asset.text()).length).toBeGreaterThan(10_000);
    expect((await fetch(`${stack.url}${htmxUrl}`, { headers: { 'if-none-match': etag } })).status).toBe(304);
  });
});

describe('creating a task', () => {
  it('refuses a post without the CSRF token, and one with a forged session', async () => {
    const ui = new UiClient(stack.url);
    await ui.open();
    expect((await ui.post('/tasks', { title: 'no token' })).status).toBe(403);
    expect((await ui.post('/tasks', { title: 'wrong token', _csrf: 'x'.repeat(32) })).status).toBe(403);
    const stranger = new UiClient(stack.url);
    const refused = await stranger.post('/tasks', { title: 'stolen token', _csrf: ui.csrf });
    expect(refused.status).toBe(403);
    expect(refused.text).toContain('Reload the page');
  });

  it('creates with a plain form post, redirects, and shows a flash once', async () => {
    const ui = new UiClient(stack.url);
    await ui.open();
    const created = await ui.post('/tasks', { _csrf: ui.csrf, title: 'Plain form task', priority: 'high', tags: 'Home, errands', dueDate: '', description: '' });
    expect(created.status).toBe(303);
    expect(created.headers.get('location')).toBe('/');
    const page = await ui.get('/');
    expect(page.text).toContain('Created “Plain form task”.');
    expect(page.text).toContain('#home');
    expect(page.text).toContain('#errands');
    expect((await ui.get('/')).text).not.toContain('Created “Plain form task”.');
  });

  it('creates with htmx: the fresh form, the new row out-of-band, and the counts', async () => {
    const ui = new UiClient(stack.url);
    await ui.open();
    const created = await ui.post('/tasks', { title: 'Htmx task', priority: 'low' }, { ...htmx, 'X-CSRF-Token': ui.csrf });
    expect(created.status).toBe(201);
    expect(created.text.trimStart()).toMatch(/^<form id="new-task"/);
    expect(created.text).toContain('hx-swap-oob="afterbegin:#task-rows"');
    expect(created.text).toContain('Htmx task');
    expect(created.text).toMatch(/<nav id="counts"[^>]*hx-swap-oob="true"/);
  });

  it('shows the backend’s 422 details next to the fields and keeps what was typed', async () => {
    const ui = new UiClient(stack.url);
    await ui.open();
    const refused = await ui.post('/tasks', { _csrf: ui.csrf, title: '   ', description: 'typed words', dueDate: '2024-02-30', tags: 'ok' });
    expect(refused.status).toBe(422);
    expect(refused.text).toContain('<!doctype html>');
    expect(refused.text).toMatch(/id="new-title-error">must not be empty/);
    expect(refused.text).toMatch(/id="new-dueDate-error">must be a date/);
    expect(refused.text).toContain('>typed words</textarea>');
    expect(refused.text).toContain('value="2024-02-30"');
    const fragment = await ui.post('/tasks', { title: '', description: 'kept' }, { ...htmx, 'X-CSRF-Token': ui.csrf });
    expect(fragment.status).toBe(422);
    expect(fragment.text.trimStart()).toMatch(/^<form id="new-task"/);
    expect(fragment.text).toContain('>kept</textarea>');
  });

  it('creates one task when the same form is submitted twice (its idempotency key)', async () => {
    const ui = new UiClient(stack.url);
    const page = await ui.open();
    const key = /name="_key" value="([^"]+)"/.exec(page)?.[1];
    expect(key).toMatch(/^[0-9a-f-]{36}$/);
    for (let i = 0; i < 2; i++) expect((await ui.post('/tasks', { _csrf: ui.csrf, _key: key!, title: 'Submitted twice' })).status).toBe(303);
    const list = (await (await stack.fetch(`${stack.url}/api/tasks?q=${encodeURIComponent('Submitted twice')}`)).json()) as { items: unknown[] };
    expect(list.items).toHaveLength(1);
  });

  it('escapes user text: a script title is shown as text', async () => {
    const ui = new UiClient(stack.url);
    await createTasks(stack, [{ title: '<script>alert(1)</script>', tags: ['<b>x</b>'] }]);
    const page = await ui.get('/?q=alert');
    expect(page.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page.text).not.toContain('<script>alert(1)</script>');
    expect(page.text).not.toContain('<b>x</b>');
  });
});

async function apiTask(id: string): Promise<{ title: string; status: string; version: number } | undefined> {
  const response = await stack.fetch(`${stack.url}/api/tasks/${id}`);
  return response.status === 200 ? ((await response.json()) as { title: string; status: string; version: number }) : undefined;
}

describe('editing a task', () => {
  it('opens the edit form as a fragment for htmx and as a full page otherwise', async () => {
    const [task] = await createTasks(stack, [{ title: 'Editable', tags: ['a', 'b'] }]);
    const ui = new UiClient(stack.url);
    const fragment = await ui.get(`/tasks/${task!.id}/edit`, htmx);
    expect(fragment.text.trimStart()).toMatch(new RegExp(`^<li id="task-${task!.id}" class="task editing">`));
    expect(fragment.text).toContain('value="a, b"');
    const page = await ui.get(`/tasks/${task!.id}/edit`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('<!doctype html>');
    expect(page.text).toContain('value="Editable"');
  });

  it('lists each row as its current version, with the viewer’s own CSRF token', async () => {
    const [task] = await createTasks(stack, [{ title: 'Rowcache first title' }]);
    const rowOf = (page: string) => new RegExp(`<li id="task-${task!.id}"[\\s\\S]*?</li>`).exec(page)?.[0] ?? '';
    const alice = new UiClient(stack.url);
    const bob = new UiClient(stack.url);
    const aliceRow = rowOf(await alice.open('/?q=rowcache'));
    const bobRow = rowOf(await bob.open('/?q=rowcache'));
    expect(alice.csrf).not.toBe(bob.csrf);
    expect(aliceRow).toContain(`name="_csrf" value="${alice.csrf}"`);
    expect(bobRow).toContain(`name="_csrf" value="${bob.csrf}"`);
    expect(bobRow).not.toContain(alice.csrf);
    expect(bobRow.replace(bob.csrf, alice.csrf)).toBe(aliceRow);

    // changed straight at the backend, so nothing in the frontend hears of it but the new version
    const changed = await stack.fetch(`${stack.backend.url}/api/tasks/${task!.id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: '{"title":"Rowcache second title","status":"done"}',
    });
    expect(changed.status).toBe(200);
    const row = rowOf((await alice.get('/?q=rowcache')).text);
    expect(row).toContain('>Rowcache second title</a>');
    expect(row).toContain('class="task status-done');
    expect(row).toContain(`name="version" value="${task!.version + 1}"`);
    expect(row).not.toContain('first title');
  });

  it('asks the backend whether a list it holds is still current, and shows every change made anywhere', async () => {
    const notModified = async () => {
      const metrics = await stack.metrics.registry.metrics();
      return Number(/backend_request_duration_seconds_count\{[^}]*route="\/api\/tasks"[^}]*status_code="304"[^}]*\} (\d+)/.exec(metrics)?.[1] ?? 0);
    };
    const [task] = await createTasks(stack, [{ title: 'Keptlist original' }]);
    const ui = new UiClient(stack.url);
    const first = (await ui.get('/?q=keptlist')).text;
    // The backend's ETag names the whole server's state, which the browser tests change
    // meanwhile: the page is asked for again until a repeat fell between two of their writes.
    let repeatWasNotModified = false;
    for (let attempt = 0; attempt < 50 && !repeatWasNotModified; attempt++) {
      await ui.get('/?q=keptlist');
      const before = await notModified();
      expect((await ui.get('/?q=keptlist')).text).toContain('>Keptlist original</a>');
      repeatWasNotModified = (await notModified()) === before + 1;
    }
    expect(repeatWasNotModified).toBe(true);

    const direct = (method: string, body?: string) =>
      stack.fetch(`${stack.backend.url}/api/tasks/${task!.id}`, { method, headers: { 'content-type': 'application/json' }, body });
    expect((await direct('PATCH', '{"title":"Keptlist renamed"}')).status).toBe(200);
    const renamed = (await ui.get('/?q=keptlist')).text;
    expect(renamed).toContain('>Keptlist renamed</a>');
    expect(renamed).not.toContain('>Keptlist original</a>');
    expect((await direct('DELETE')).status).toBe(204);
    const emptied = (await ui.get('/?q=keptlist')).text;
    expect(emptied).not.toContain(`id="task-${task!.id}"`);
    expect(first).toContain(`id="task-${task!.id}"`);
  });

  it('saves with htmx and answers the row plus the counts', async () => {
    const [task] = await createTasks(stack, [{ title: 'Before' }]);
    const ui = new UiClient(stack.url);
    await ui.open();
    const saved = await ui.post(`/tasks/${task!.id}`, { _form: 'edit', version: String(task!.version), title: 'After', tags: 'x, y', dueDate: '' }, { ...htmx, 'X-CSRF-Token': ui.csrf });
    expect(saved.status).toBe(200);
    expect(saved.text.trimStart()).toMatch(new RegExp(`^<li id="task-${task!.id}" class="task status-todo`));
    expect(saved.text).toContain('>After</a>');
    expect(saved.text).toMatch(/<nav id="counts"[^>]*hx-swap-oob="true"/);
    expect(await apiTask(task!.id)).toMatchObject({ title: 'After', tags: ['x', 'y'], dueDate: null, version: task!.version + 1 });
  });

  it('answers a stale version with the current task and a clear message, changing nothing (htmx)', async () => {
    const [task] = await createTasks(stack, [{ title: 'Original' }]);
    const ui = new UiClient(stack.url);
    await ui.open();
    expect((await ui.post(`/tasks/${task!.id}`, { _csrf: ui.csrf, version: String(task!.version), title: 'First writer' })).status).toBe(303);
    const stale = await ui.post(`/tasks/${task!.id}`, { version: String(task!.version), status: 'done' }, { ...htmx, 'X-CSRF-Token': ui.csrf });
    expect(stale.status).toBe(412);
    expect(stale.text).toContain('Someone else changed this task');
    expect(stale.text).toContain('>First writer</a>');
    expect(stale.text).toContain(`name="version" value="${task!.version + 1}"`);
    expect((await apiTask(task!.id))!.status).toBe('todo');
  });

  it('without JavaScript, a stale save goes back to the edit page with the fresh values and the message', async () => {
    const [task] = await createTasks(stack, [{ title: 'Plain original' }]);
    await stack.fetch(`${stack.url}/api/tasks/${task!.id}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ title: 'Changed elsewhere' }) });
    const ui = new UiClient(stack.url);
    await ui.open();
    const stale = await ui.post(`/tasks/${task!.id}`, { _csrf: ui.csrf, _form: 'edit', version: String(task!.version), title: 'Mine' });
    expect(stale.status).toBe(303);
    expect(stale.headers.get('location')).toBe(`/tasks/${task!.id}/edit`);
    const page = await ui.get(stale.headers.get('location')!);
    expect(page.text).toContain('Someone else changed this task');
    expect(page.text).toContain('value="Changed elsewhere"');
  });

  it('shows 422 details in the edit form, for htmx and for plain posts', async () => {
    const [task] = await createTasks(stack, [{ title: 'Valid' }]);
    const ui = new UiClient(stack.url);
    await ui.open();
    const fragment = await ui.post(`/tasks/${task!.id}`, { _form: 'edit', version: String(task!.version), title: '', description: 'still here' }, { ...htmx, 'X-CSRF-Token': ui.csrf });
    expect(fragment.status).toBe(422);
    expect(fragment.text).toMatch(new RegExp(`id="edit-${task!.id}-title-error">must not be empty`));
    expect(fragment.text).toContain('>still here</textarea>');
    const page = await ui.post(`/tasks/${task!.id}`, { _csrf: ui.csrf, _form: 'edit', version: String(task!.version), title: 'ok', dueDate: 'tomorrow' });
    expect(page.status).toBe(422);
    expect(page.text).toContain('<!doctype html>');
    expect(page.text).toMatch(/-dueDate-error">must be a date/);
    expect(page.text).toContain('value="tomorrow"');
  });

  it('shows a change the row sent and the backend refused (422) in the edit form with its field errors, not as a 502', async () => {
    const [task] = await createTasks(stack, [{ title: 'Changed from its row', tags: ['kept'] }]);
    const ui = new UiClient(stack.url);
    await ui.open();
    const fromRow = { version: String(task!.version), status: 'someday', priority: 'high' };
    const fragment = await ui.post(`/tasks/${task!.id}`, fromRow, { ...htmx, 'X-CSRF-Token': ui.csrf });
    expect(fragment.status).toBe(422);
    expect(fragment.text.trimStart()).toMatch(new RegExp(`^<li id="task-${task!.id}" class="task editing">`));
    expect(fragment.text).toMatch(new RegExp(`id="edit-${task!.id}-status-error">`));
    expect(fragment.text).toContain('value="Changed from its row"');
    expect(fragment.text).toContain('value="kept"');
    expect(fragment.text).toMatch(/<option value="high" selected>/);
    const page = await ui.post(`/tasks/${task!.id}`, { _csrf: ui.csrf, ...fromRow });
    expect(page.status).toBe(422);
    expect(page.text).toContain('<!doctype html>');
    expect(page.text).toMatch(new RegExp(`id="edit-${task!.id}-status-error">`));
    expect(page.text).toContain('value="Changed from its row"');
    expect((await apiTask(task!.id))!.status).toBe('todo');
  });

  it('answers 404 for an unknown or malformed task id', async () => {
    const ui = new UiClient(stack.url);
    expect((await ui.get('/tasks/00000000-0000-4000-8000-000000000000/edit')).status).toBe(404);
    const malformed = await ui.get('/tasks/not-an-id/edit');
    expect(malformed.status).toBe(404);
    expect(malformed.text).toContain('There is no such task');
  });
});

describe('deleting and bulk actions', () => {
  it('deletes with htmx (an empty row and fresh counts) and without JavaScript (redirect with a flash)', async () => {
    const [one, two] = await createTasks(stack, [{ title: 'Delete me (htmx)' }, { title: 'Delete me (plain)' }]);
    const ui = new UiClient(stack.url);
    await ui.open();
    const viaHtmx = await ui.post(`/tasks/${one!.id}/delete`, {}, { ...htmx, 'X-CSRF-Token': ui.csrf });
    expect(viaHtmx.status).toBe(200);
    expect(viaHtmx.text.trimStart()).toMatch(/^<nav id="counts"[^>]*hx-swap-oob="true"/);
    const confirm = await ui.get(`/tasks/${two!.id}/delete`);
    expect(confirm.text).toContain('Delete “Delete me (plain)”?');
    const plain = await ui.post(`/tasks/${two!.id}/delete`, { _csrf: ui.csrf });
    expect(plain.status).toBe(303);
    expect((await ui.get('/')).text).toContain('Task deleted.');
    expect(await apiTask(one!.id)).toBeUndefined();
    expect(await apiTask(two!.id)).toBeUndefined();
  });

  it('deletes a task only as the page showed it: changed elsewhere since, it stays, with a message (the version goes as If-Match)', async () => {
    const [task] = await createTasks(stack, [{ title: 'Delete me as I was' }]);
    const ui = new UiClient(stack.url);
    await ui.open();
    const confirm = await ui.get(`/tasks/${task!.id}/delete`);
    const version = /name="version" value="(\d+)"/.exec(confirm.text)?.[1];
    expect(version).toBe(String(task!.version));
    await stack.fetch(`${stack.url}/api/tasks/${task!.id}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ title: 'Changed elsewhere' }) });
    const refused = await ui.post(`/tasks/${task!.id}/delete`, { _csrf: ui.csrf, version: version! });
    expect(refused.status).toBe(412);
    expect(refused.text).toContain('so it was not deleted');
    expect((await apiTask(task!.id))?.title).toBe('Changed elsewhere');
    // The row's Delete sends its form's version too (htmx includes the enclosing form's fields).
    const fresh = await apiTask(task!.id);
    expect((await ui.post(`/tasks/${task!.id}/delete`, { version: String(fresh!.version) }, { ...htmx, 'X-CSRF-Token': ui.csrf })).status).toBe(200);
    expect(await apiTask(task!.id)).toBeUndefined();
  });

  it('marks several done without JavaScript and returns to the list it came from', async () => {
    const tasks = await createTasks(stack, [{ title: 'Bulk one' }, { title: 'Bulk two' }, { title: 'Bulk untouched' }]);
    const ui = new UiClient(stack.url);
    await ui.open();
    const done = await ui.post('/tasks/bulk', { _csrf: ui.csrf, _return: '/?q=bulk', action: 'done', ids: [tasks[0]!.id, tasks[1]!.id] });
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe('/?q=bulk');
    expect((await ui.get('/?q=bulk')).text).toContain('Marked 2 tasks done.');
    expect((await apiTask(tasks[0]!.id))!.status).toBe('done');
    expect((await apiTask(tasks[2]!.id))!.status).toBe('todo');
  });

  it('deletes several with htmx, answering the list with a message', async () => {
    const tasks = await createTasks(stack, [{ title: 'Gone one' }, { title: 'Gone two' }]);
    const ui = new UiClient(stack.url);
    await ui.open();
    const deleted = await ui.post('/tasks/bulk', { _return: '/?q=gone', action: 'delete', ids: tasks.map((t) => t.id) }, { ...htmx, 'X-CSRF-Token': ui.csrf });
    expect(deleted.status).toBe(200);
    expect(deleted.text.trimStart()).toMatch(/^<section id="task-list"/);
    expect(deleted.text).toContain('Deleted 2 tasks.');
    expect(deleted.text).not.toContain('Gone one');
    expect(await apiTask(tasks[0]!.id)).toBeUndefined();
  });

  it('changes nothing when one of the ids is unknown, and says so', async () => {
    const [task] = await createTasks(stack, [{ title: 'Bulk survivor' }]);
    const ui = new UiClient(stack.url);
    await ui.open();
    await ui.post('/tasks/bulk', { _csrf: ui.csrf, action: 'delete', ids: [task!.id, '00000000-0000-4000-8000-000000000000'] });
    expect((await ui.get('/')).text).toContain('Some of the selected tasks no longer exist, so nothing was changed.');
    expect(await apiTask(task!.id)).toBeDefined();
  });

  it('refuses odd bulk requests without a 500, and never redirects off-site', async () => {
    const ui = new UiClient(stack.url);
    await ui.open();
    expect((await ui.post('/tasks/bulk', { _csrf: ui.csrf, action: 'explode', ids: 'x' })).status).toBe(400);
    const none = await ui.post('/tasks/bulk', { _csrf: ui.csrf, action: 'done', _return: '//evil.example/' });
    expect(none.status).toBe(303);
    expect(none.headers.get('location')).toBe('/');
    expect((await ui.get('/')).text).toContain('Select at least one task first.');
  });
});

describe('paging', () => {
  it('pages with keyset cursors: a plain link and an htmx "load more" fragment', async () => {
    await createTasks(stack, Array.from({ length: 53 }, (_, i) => ({ title: `Page item ${i}`, tags: ['pageme'] })));
    const ui = new UiClient(stack.url);
    const first = await ui.get('/?tag=pageme');
    expect(first.text.match(/<li id="task-/g)).toHaveLength(50);
    const next = /<li id="load-more" class="more">\s*<a class="button secondary" href="([^"]+)"/.exec(first.text)?.[1]?.replaceAll('&amp;', '&');
    expect(next).toMatch(/^\/\?tag=pageme&cursor=/);
    const second = await ui.get(next!);
    expect(second.text.match(/<li id="task-/g)).toHaveLength(3);
    expect(second.text).toContain('Back to the first page');
    expect(second.text).not.toContain('id="load-more"');
    const fragment = await ui.get(next!, { ...htmx, 'HX-Target': 'load-more' });
    expect(fragment.text.trimStart()).toMatch(/^<li id="task-/);
    expect(fragment.text.match(/<li id="task-/g)).toHaveLength(3);
    expect(fragment.text).toContain('autofocus');
  });
});

describe('sorting', () => {
  it('passes sort and order to the backend and keeps them selected in the form', async () => {
    await createTasks(stack, [{ title: 'Sort bravo', tags: ['sorting'] }, { title: 'Sort alpha', tags: ['sorting'] }, { title: 'Sort charlie', tags: ['sorting'] }]);
    const ui = new UiClient(stack.url);
    const titles = async (query: string) => [...(await ui.get(`/?tag=sorting&${query}`)).text.matchAll(/>(Sort \w+)<\/a>/g)].map((m) => m[1]);
    expect(await titles('sort=title&order=asc')).toEqual(['Sort alpha', 'Sort bravo', 'Sort charlie']);
    expect(await titles('sort=title&order=desc')).toEqual(['Sort charlie', 'Sort bravo', 'Sort alpha']);
    expect(await titles('')).toEqual(['Sort charlie', 'Sort alpha', 'Sort bravo']);
    expect((await ui.get('/?sort=title&order=asc')).text).toMatch(/<option value="title" selected>Title<\/option>[\s\S]*<option value="asc" selected>Ascending/);
  });
});

describe('bad input never gets a 500', () => {
  it('shows the backend’s complaint about a bad filter or cursor as a page', async () => {
    const ui = new UiClient(stack.url);
    for (const query of ['limit=abc', 'limit=100000', 'cursor=garbage', 'sort=nonsense', `q=${'x'.repeat(500)}`]) {
      const page = await ui.get(`/?${query}`);
      expect(page.status, query).toBeGreaterThanOrEqual(400);
      expect(page.status, query).toBeLessThan(500);
      expect(page.text, query).toContain('These filters cannot be applied');
    }
  });

  it('answers a too-large form with 413, an unknown page with 404, a tampered session with a fresh one', async () => {
    const ui = new UiClient(stack.url);
    await ui.open();
    expect((await ui.post('/tasks', { _csrf: ui.csrf, title: 'x'.repeat(100_000) })).status).toBe(413);
    const missing = await ui.get('/no/such/page');
    expect(missing.status).toBe(404);
    expect(missing.text).toContain('There is no page at /no/such/page.');
    const tampered = await fetch(`${stack.url}/tasks`, {
      method: 'POST',
      headers: { cookie: `tm_session=eyJjc3JmIjoiYWJjIn0.forged; tm_sid=${ui.sessionToken}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: '_csrf=abc&title=forged',
      redirect: 'manual',
    });
    expect(tampered.status).toBe(403);
  });
});

describe('/api pass-through', () => {
  it('passes requests and answers through unchanged, with no CSRF check', async () => {
    const created = await stack.fetch(`${stack.url}/api/tasks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'passthrough-test-1' },
      body: JSON.stringify({ title: 'Through the frontend' }),
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toMatch(/^\/api\/tasks\/[0-9a-f-]{36}$/);
    expect(created.headers.get('etag')).toBe('"1"');
    expect(created.headers.get('x-request-id')).toBe('passthrough-test-1');
    const task = (await created.json()) as { id: string };
    const stale = await stack.fetch(`${stack.url}/api/tasks/${task.id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', 'if-match': '"7"' },
      body: JSON.stringify({ title: 'x' }),
    });
    expect(stale.status).toBe(412);
    expect(stale.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
    expect(((await stale.json()) as { current: { id: string } }).current.id).toBe(task.id);
    const invalid = await stack.fetch(`${stack.url}/api/tasks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"title":' });
    expect(invalid.status).toBe(400);
    expect((await stack.fetch(`${stack.url}/api/tasks/${task.id}`, { method: 'DELETE' })).status).toBe(204);
  });

  it('records backend calls and page requests by route template in the metrics', async () => {
    await new UiClient(stack.url).get('/');
    const metrics = await stack.metrics.registry.metrics();
    expect(metrics).toMatch(/backend_request_duration_seconds_count\{[^}]*method="GET"[^}]*route="\/api\/tasks"[^}]*status_code="200"/);
    expect(metrics).toMatch(/backend_request_duration_seconds_count\{[^}]*route="passthrough"/);
    expect(metrics).toMatch(/http_request_duration_seconds_count\{[^}]*route="\/"[^}]*status_code="200"/);
    expect(metrics).toMatch(/http_request_duration_seconds_count\{[^}]*route="\/api\/\*"/);
  });
});

describe('the header counts', () => {
  const statsCalls = async () =>
    Number(/backend_request_duration_seconds_count\{[^}]*route="\/api\/stats"[^}]*status_code="200"[^}]*\} (\d+)/.exec(await stack.metrics.registry.metrics())?.[1] ?? 0);
  const allCount = async (ui: UiClient) => Number(/All <b>(\d+)<\/b>/.exec((await ui.get('/')).text)?.[1]);

  it('are shared by concurrent pages, yet never hide a change made through the frontend', async () => {
    const ui = new UiClient(stack.url);
    const before = await allCount(ui);
    await createTasks(stack, [{ title: 'Counted at once' }]);
    expect(await allCount(ui)).toBe(before + 1);
    const calls = await statsCalls();
    const pages = await Promise.all(Array.from({ length: 10 }, () => ui.get('/')));
    expect(pages.every((page) => page.status === 200)).toBe(true);
    expect((await statsCalls()) - calls).toBeLessThan(10);
  });

  it('show a change made elsewhere (straight at the backend) within a second', async () => {
    const ui = new UiClient(stack.url);
    const before = await allCount(ui);
    const direct = await stack.fetch(`${stack.backend.url}/api/tasks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"title":"Made elsewhere"}' });
    expect(direct.status).toBe(201);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await allCount(ui)).toBe(before + 1);
  });
});

describe('when the backend is down', () => {
  it('answers 503 "unavailable" pages, keeps typed input, stays ready, and recovers', async () => {
    // Signed in before the outage: a sign-in needs the backend.
    const ui = new UiClient(stack.url);
    await ui.open();
    await stack.backend.stop();
    try {
      const page = await ui.get('/');
      expect(page.status).toBe(503);
      expect(page.text).toContain('The task service is unavailable');
      const fragment = await ui.get('/?q=x', htmx);
      expect(fragment.status).toBe(503);
      expect(fragment.text).toContain('hx-trigger="load delay:3s"');
      await ui.open();
      const plain = await ui.post('/tasks', { _csrf: ui.csrf, title: 'Typed while down', description: 'keep me' });
      expect(plain.status).toBe(503);
      expect(plain.text).toContain('value="Typed while down"');
      expect(plain.text).toContain('>keep me</textarea>');
      const viaHtmx = await ui.post('/tasks', { title: 'Typed while down' }, { ...htmx, 'X-CSRF-Token': ui.csrf });
      expect(viaHtmx.status).toBe(503);
      expect(viaHtmx.text).toContain('value="Typed while down"');
      expect(viaHtmx.text).toContain('unavailable');
      const api = await stack.fetch(`${stack.url}/api/tasks`);
      expect(api.status).toBe(503);
      expect(api.headers.get('content-type')).toContain('application/problem+json');
      expect((await fetch(`${stack.url}/readyz`)).status).toBe(200);
      expect((await fetch(`${stack.url}/livez`)).status).toBe(200);
    } finally {
      await stack.backend.resume();
    }
    expect((await new UiClient(stack.url).get('/')).status).toBe(200);
  });
});
