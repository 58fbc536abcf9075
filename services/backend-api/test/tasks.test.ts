import http from 'node:http';
import { PRIORITIES, STATUSES } from '@task-manager/contract';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectConforms } from './conformance.js';
import { TEST_ADMIN, call, scalar, signIn, startBackend, type RunningBackend } from './support.js';

let backend: RunningBackend;
const api = (method: string, path: string, options?: Parameters<typeof call>[3]) => call(backend.baseUrl, method, path, options);

beforeAll(async () => {
  backend = await startBackend();
});
afterAll(() => backend.close());

async function create(fields: Record<string, unknown>) {
  const reply = await api('POST', '/api/tasks', { body: fields });
  expect(reply.status, reply.text).toBe(201);
  return reply.body;
}

describe('POST /api/tasks', () => {
  it('creates a task with defaults, normalised fields, Location and ETag', async () => {
    const reply = await api('POST', '/api/tasks', { body: { title: '  Write the chart  ', tags: ['Helm', 'helm', ' K8s '] } });
    expect(reply.status).toBe(201);
    expectConforms('post', '/api/tasks', reply);
    expect(reply.body).toMatchObject({
      title: 'Write the chart',
      description: '',
      status: 'todo',
      priority: 'medium',
      dueDate: null,
      tags: ['helm', 'k8s'],
      version: 1,
    });
    expect(reply.headers.get('location')).toBe(`/api/tasks/${reply.body.id}`);
    expect(reply.headers.get('etag')).toBe('"1"');
    expect(reply.body.createdAt).toBe(reply.body.updatedAt);
    expect(new Date(reply.body.createdAt).getTime()).toBeGreaterThan(Date.now() - 60_000);
  });

  it('gives a new task one instant for createdAt and updatedAt, however many are created at once', async () => {
    const replies = await Promise.all(Array.from({ length: 300 }, (_, i) => api('POST', '/api/tasks', { body: { title: `same instant ${i}` } })));
    const differing = replies.filter((reply) => reply.status !== 201 || reply.body.createdAt !== reply.body.updatedAt);
    expect(differing.map((reply) => reply.text)).toEqual([]);
  });

  it('accepts every field at its limits', async () => {
    const reply = await api('POST', '/api/tasks', {
      body: {
        title: 'é'.repeat(200),
        description: '😀'.repeat(10_000),
        status: 'in_progress',
        priority: 'high',
        dueDate: '2028-02-29',
        tags: Array.from({ length: 20 }, (_, i) => `t${i}`.padEnd(32, 'x')),
      },
    });
    expect(reply.status, reply.text).toBe(201);
    expect([...reply.body.description]).toHaveLength(10_000);
    expect(reply.body.tags).toHaveLength(20);
  });

  it.each([
    [{}, 'title', 'is required'],
    [{ title: '   ' }, 'title', 'must not be empty'],
    [{ title: 'x'.repeat(201) }, 'title', 'at most 200'],
    [{ title: 42 }, 'title', 'must be a string'],
    [{ title: 'ok', description: 'x'.repeat(10_001) }, 'description', 'at most 10000'],
    [{ title: 'ok', status: 'doing' }, 'status', `one of ${STATUSES.join(', ')}`],
    [{ title: 'ok', priority: 'urgent' }, 'priority', `one of ${PRIORITIES.join(', ')}`],
    [{ title: 'ok', dueDate: '2026-02-30' }, 'dueDate', 'YYYY-MM-DD'],
    [{ title: 'ok', dueDate: '30/01/2026' }, 'dueDate', 'YYYY-MM-DD'],
    [{ title: 'ok', tags: 'a,b' }, 'tags', 'array'],
    [{ title: 'ok', tags: Array.from({ length: 21 }, (_, i) => `t${i}`) }, 'tags', 'at most 20'],
    [{ title: 'ok', tags: ['x'.repeat(33)] }, 'tags[0]', 'at most 32'],
    [{ title: 'ok', tags: [''] }, 'tags[0]', 'must not be empty'],
    [{ title: 'ok', tags: ['a,b'] }, 'tags[0]', 'commas'],
    [{ title: 'nul \u0000 byte' }, 'title', 'NUL'],
    [{ title: 'ok', owner: 'me' }, 'owner', 'not a known field'],
    [{ title: 'ok', id: '7b4c1a6e-0a4e-4b8e-9d7e-6c7b5b0f6f11' }, 'id', 'not a known field'],
  ])('rejects %j with 422 naming %s', async (body, field, message) => {
    const reply = await api('POST', '/api/tasks', { body });
    expect(reply.status).toBe(422);
    expectConforms('post', '/api/tasks', reply);
    expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const error = reply.body.errors.find((e: { field: string }) => e.field === field);
    expect(error, JSON.stringify(reply.body.errors)).toBeDefined();
    expect(error.detail).toContain(message);
  });

  it('reports every invalid field at once', async () => {
    const reply = await api('POST', '/api/tasks', { body: { title: '', status: 'x', priority: 'y' } });
    expect(reply.status).toBe(422);
    expect(reply.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['priority', 'status', 'title']);
  });

  it.each([
    ['[1, 2]', 'body'],
    ['"just a string"', 'body'],
    ['null', 'body'],
  ])('rejects the JSON value %s with 422', async (raw) => {
    const reply = await api('POST', '/api/tasks', { body: raw });
    expect(reply.status).toBe(422);
    expect(reply.body.errors[0].field).toBe('body');
  });

  it('answers malformed JSON with 400', async () => {
    const reply = await api('POST', '/api/tasks', { body: '{"title": "unterminated' });
    expect(reply.status).toBe(400);
    expectConforms('post', '/api/tasks', reply);
    expect(reply.body.detail).toMatch(/not valid JSON/);
    expect(reply.text).not.toMatch(/at .*\.js:\d+/);
  });

  it('answers a body over the limit with 413', async () => {
    const reply = await api('POST', '/api/tasks', { body: JSON.stringify({ title: 'big', description: 'x'.repeat(300_000) }) });
    expect(reply.status).toBe(413);
    expectConforms('post', '/api/tasks', reply);
  });

  it.each(['text/plain', 'application/x-www-form-urlencoded'])('answers Content-Type %s with 415', async (type) => {
    const reply = await api('POST', '/api/tasks', { body: 'title=x', headers: { 'content-type': type } });
    expect(reply.status).toBe(415);
    expectConforms('post', '/api/tasks', reply);
  });

  it('answers a POST with no body at all with 415', async () => {
    const reply = await api('POST', '/api/tasks');
    expect(reply.status).toBe(415);
  });

  it('takes a request id from X-Request-Id and returns it, or makes one', async () => {
    const given = await api('POST', '/api/tasks', { body: {}, headers: { 'x-request-id': 'trace-123' } });
    expect(given.headers.get('x-request-id')).toBe('trace-123');
    expect(given.body.requestId).toBe('trace-123');
    const made = await api('GET', '/api/stats', { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('GET /api/tasks/{id}', () => {
  it('returns the task with its ETag', async () => {
    const created = await create({ title: 'Read me', dueDate: '2030-01-01' });
    const reply = await api('GET', `/api/tasks/${created.id}`);
    expect(reply.status).toBe(200);
    expectConforms('get', '/api/tasks/{id}', reply);
    expect(reply.body).toEqual(created);
    expect(reply.headers.get('etag')).toBe('"1"');
  });

  it.each(['00000000-0000-4000-8000-000000000000', 'not-a-uuid', "1' or '1'='1"])('answers 404 for %s', async (id) => {
    const reply = await api('GET', `/api/tasks/${encodeURIComponent(id)}`);
    expect(reply.status).toBe(404);
    expectConforms('get', '/api/tasks/{id}', reply);
  });
});

describe('PATCH /api/tasks/{id}', () => {
  it('changes only the fields given and bumps version and updatedAt', async () => {
    const created = await create({ title: 'Patch me', description: 'keep', dueDate: '2030-01-01', tags: ['a'] });
    const reply = await api('PATCH', `/api/tasks/${created.id}`, { body: { status: 'done', dueDate: null } });
    expect(reply.status).toBe(200);
    expectConforms('patch', '/api/tasks/{id}', reply);
    expect(reply.body).toMatchObject({ title: 'Patch me', description: 'keep', status: 'done', dueDate: null, tags: ['a'], version: 2 });
    expect(reply.headers.get('etag')).toBe('"2"');
    expect(Date.parse(reply.body.updatedAt)).toBeGreaterThan(Date.parse(created.updatedAt));
  });

  it('with a current If-Match, applies the change', async () => {
    const created = await create({ title: 'Guarded' });
    const reply = await api('PATCH', `/api/tasks/${created.id}`, { body: { title: 'Guarded 2' }, headers: { 'if-match': '"1"' } });
    expect(reply.status).toBe(200);
    expect(reply.body.version).toBe(2);
  });

  it('with a stale If-Match, answers 412 with the current task and changes nothing', async () => {
    const created = await create({ title: 'Contended' });
    await api('PATCH', `/api/tasks/${created.id}`, { body: { title: 'First writer' }, headers: { 'if-match': '"1"' } });
    const reply = await api('PATCH', `/api/tasks/${created.id}`, { body: { title: 'Second writer' }, headers: { 'if-match': '"1"' } });
    expect(reply.status).toBe(412);
    expectConforms('patch', '/api/tasks/{id}', reply);
    expect(reply.body.current).toMatchObject({ title: 'First writer', version: 2 });
    const stored = await api('GET', `/api/tasks/${created.id}`);
    expect(stored.body).toMatchObject({ title: 'First writer', version: 2 });
  });

  it('lets exactly one of many concurrent conditional writers win', async () => {
    const created = await create({ title: 'Race' });
    const replies = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        api('PATCH', `/api/tasks/${created.id}`, { body: { title: `Writer ${i}` }, headers: { 'if-match': '"1"' } }),
      ),
    );
    expect(replies.filter((r) => r.status === 200)).toHaveLength(1);
    expect(replies.filter((r) => r.status === 412)).toHaveLength(9);
    expect((await api('GET', `/api/tasks/${created.id}`)).body.version).toBe(2);
  });

  it.each([
    [{}, 'body', 'at least one'],
    [{ title: '' }, 'title', 'must not be empty'],
    [{ version: 9 }, 'version', 'not a known field'],
    [{ tags: [1] }, 'tags[0]', 'must be a string'],
  ])('rejects %j with 422', async (body, field, message) => {
    const created = await create({ title: 'Invalid patch' });
    const reply = await api('PATCH', `/api/tasks/${created.id}`, { body });
    expect(reply.status).toBe(422);
    expectConforms('patch', '/api/tasks/{id}', reply);
    expect(reply.body.errors).toContainEqual({ field, detail: expect.stringContaining(message) });
    expect((await api('GET', `/api/tasks/${created.id}`)).body.version).toBe(1);
  });

  it('treats an empty If-Match as a list naming no version: 412, and nothing changes', async () => {
    const created = await create({ title: 'Empty condition' });
    const reply = await api('PATCH', `/api/tasks/${created.id}`, { body: { title: 'x' }, headers: { 'if-match': '' } });
    expect(reply.status).toBe(412);
    expectConforms('patch', '/api/tasks/{id}', reply);
    expect((await api('GET', `/api/tasks/${created.id}`)).body.version).toBe(1);
  });

  it('accepts If-Match lists with spaces and tabs around the commas, as RFC 9110 allows', async () => {
    const created = await create({ title: 'Spaced list' });
    const reply = await api('PATCH', `/api/tasks/${created.id}`, { body: { title: 'y' }, headers: { 'if-match': '"7" ,\t"1"' } });
    expect(reply.status, reply.text).toBe(200);
  });

  it('answers a malformed If-Match with 400 and an unknown task with 404', async () => {
    const created = await create({ title: 'Etag syntax' });
    expect((await api('PATCH', `/api/tasks/${created.id}`, { body: { title: 'x' }, headers: { 'if-match': '1' } })).status).toBe(400);
    const missing = await api('PATCH', '/api/tasks/00000000-0000-4000-8000-000000000000', { body: { title: 'x' } });
    expect(missing.status).toBe(404);
    expectConforms('patch', '/api/tasks/{id}', missing);
  });
});

describe('DELETE /api/tasks/{id}', () => {
  it('deletes, then answers 404', async () => {
    const created = await create({ title: 'Delete me' });
    const reply = await api('DELETE', `/api/tasks/${created.id}`);
    expect(reply.status).toBe(204);
    expect(reply.text).toBe('');
    expect((await api('GET', `/api/tasks/${created.id}`)).status).toBe(404);
    const again = await api('DELETE', `/api/tasks/${created.id}`);
    expect(again.status).toBe(404);
    expectConforms('delete', '/api/tasks/{id}', again);
  });

  it('refuses a stale If-Match with 412 and keeps the task', async () => {
    const created = await create({ title: 'Keep me' });
    await api('PATCH', `/api/tasks/${created.id}`, { body: { priority: 'high' } });
    const reply = await api('DELETE', `/api/tasks/${created.id}`, { headers: { 'if-match': '"1"' } });
    expect(reply.status).toBe(412);
    expectConforms('delete', '/api/tasks/{id}', reply);
    expect((await api('GET', `/api/tasks/${created.id}`)).status).toBe(200);
  });
});

describe('Idempotency-Key', () => {
  it('creates one task for retries and replays the first answer', async () => {
    const headers = { 'idempotency-key': 'create-once-1' };
    const first = await api('POST', '/api/tasks', { body: { title: 'Once' }, headers });
    const second = await api('POST', '/api/tasks', { body: { title: 'Once' }, headers });
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.body).toEqual(first.body);
    expect(second.headers.get('location')).toBe(first.headers.get('location'));
    expect(second.headers.get('etag')).toBe(first.headers.get('etag'));
    expect(second.headers.get('idempotent-replayed')).toBe('true');
  });

  it('creates exactly one task when retries race each other', async () => {
    const headers = { 'idempotency-key': 'race-key-1' };
    const replies = await Promise.all(Array.from({ length: 12 }, () => api('POST', '/api/tasks', { body: { title: 'Raced once' }, headers })));
    expect(replies.every((r) => r.status === 201)).toBe(true);
    expect(new Set(replies.map((r) => r.body.id)).size).toBe(1);
    expect(await scalar(backend.db.sql`select count(*)::int from tasks where title = 'Raced once'`)).toBe(1);
  });

  it('refuses the same key with a different body with 422', async () => {
    const headers = { 'idempotency-key': 'reused-key' };
    await api('POST', '/api/tasks', { body: { title: 'A' }, headers });
    const reply = await api('POST', '/api/tasks', { body: { title: 'B' }, headers });
    expect(reply.status).toBe(422);
    expect(reply.body.detail).toMatch(/different request body/);
    expectConforms('post', '/api/tasks', reply);
    expect(reply.body.errors).toEqual([{ field: 'Idempotency-Key', detail: expect.stringMatching(/different request body/) }]);
  });

  it('answers a retry with 409 once the task it created has been deleted, rather than a 201 that leads to a 404', async () => {
    const headers = { 'idempotency-key': 'created-then-deleted' };
    const first = await api('POST', '/api/tasks', { body: { title: 'Short-lived' }, headers });
    expect((await api('DELETE', `/api/tasks/${first.body.id}`)).status).toBe(204);
    const retry = await api('POST', '/api/tasks', { body: { title: 'Short-lived' }, headers });
    expect(retry.status).toBe(409);
    expectConforms('post', '/api/tasks', retry);
    expect(retry.body.detail).toContain(first.body.id);
    expect(await scalar(backend.db.sql`select count(*)::int from tasks where title = 'Short-lived'`)).toBe(0);
  });

  it('refuses a key that is not visible ASCII with 400', async () => {
    const reply = await api('POST', '/api/tasks', { body: { title: 'A' }, headers: { 'idempotency-key': 'x'.repeat(256) } });
    expect(reply.status).toBe(400);
  });
});

describe('GET /api/stats', () => {
  it('counts by status and priority, and overdue open tasks', async () => {
    const before = (await api('GET', '/api/stats')).body;
    await create({ title: 'Late', dueDate: '2000-01-01', priority: 'high' });
    await create({ title: 'Late but done', dueDate: '2000-01-01', status: 'done', priority: 'low' });
    await create({ title: 'Not yet', dueDate: '2999-01-01' });
    const reply = await api('GET', '/api/stats');
    expect(reply.status).toBe(200);
    expectConforms('get', '/api/stats', reply);
    expect(reply.body.total - before.total).toBe(3);
    expect(reply.body.overdue - before.overdue).toBe(1);
    expect(reply.body.byStatus.done - before.byStatus.done).toBe(1);
    expect(reply.body.byPriority.high - before.byPriority.high).toBe(1);
    expect(reply.body.byPriority.low - before.byPriority.low).toBe(1);
  });
});

describe('the rest of the surface', () => {
  it('serves an OpenAPI 3.1 document naming every operation', async () => {
    const reply = await api('GET', '/api/openapi.json');
    expect(reply.status).toBe(200);
    expect(reply.body.openapi).toBe('3.1.0');
    const operations = Object.values(reply.body.paths as Record<string, Record<string, { operationId?: string }>>)
      .flatMap((item) => Object.values(item).map((op) => op.operationId))
      .filter(Boolean);
    expect(operations).toEqual(
      expect.arrayContaining(['listTasks', 'createTask', 'getTask', 'updateTask', 'deleteTask', 'bulkTasks', 'taskStats']),
    );
  });

  it('answers unknown paths with a problem+json 404', async () => {
    const reply = await api('GET', '/api/nothing-here');
    expect(reply.status).toBe(404);
    expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });

  it('/livez and /readyz answer 200 on a migrated, reachable database', async () => {
    expect((await api('GET', '/livez')).status).toBe(200);
    const ready = await api('GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body.checks.migrations.ok).toBe(true);
  });

  it('records request durations by route template, never by raw path', async () => {
    const created = await create({ title: 'Metric me' });
    await api('GET', `/api/tasks/${created.id}`);
    const text = await backend.metrics.registry.metrics();
    expect(text).toMatch(/http_request_duration_seconds_count\{[^}]*route="\/api\/tasks\/:id"[^}]*status_code="200"/);
    expect(text).not.toContain(created.id);
    expect(text).toMatch(/db_query_duration_seconds_count\{[^}]*query="tasks.get"/);
    expect(text).toContain('nodejs_eventloop_lag_seconds');
  });
});

/** node:http rather than fetch, which refuses to send TRACE. */
function raw(method: string, path: string, token = backend.accounts.member.token): Promise<{ status: number; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const request = http.request(`${backend.baseUrl}${path}`, { method, headers: { authorization: `Bearer ${token}` } }, (response) => {
      response.resume();
      response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers }));
    });
    request.on('error', reject);
    request.end();
  });
}

describe('the OpenAPI document states the rules the server applies', () => {
  const document = async () => (await api('GET', '/api/openapi.json')).body;
  /** The served document's own schema, compiled as any client would. */
  async function documented(pointer: (doc: any) => object) { // eslint-disable-line @typescript-eslint/no-explicit-any -- walks the served JSON
    const ajv = new Ajv2020({ strict: false });
    (addFormats as unknown as (ajv: Ajv2020) => void)(ajv);
    return ajv.compile(pointer(await document()));
  }
  const tags = (doc: any) => doc.components.schemas.TaskCreate.properties.tags; // eslint-disable-line @typescript-eslint/no-explicit-any -- the served JSON
  const header = (method: string, path: string, name: string) => (doc: any) => doc.paths[path][method].parameters.find((p: { name: string }) => p.name === name).schema; // eslint-disable-line @typescript-eslint/no-explicit-any -- the served JSON

  it.each([
    ['a comma', ['a,b']],
    ['a NUL', ['a\u0000b']],
    ['only white space', ['  ']],
  ])('a tag with %s: the document refuses it, and so does the server', async (_what, value) => {
    expect((await documented(tags))(value)).toBe(false);
    const reply = await api('POST', '/api/tasks', { body: { title: 'ok', tags: value } });
    expect(reply.status).toBe(422);
    expect(reply.body.errors[0].field).toBe('tags[0]');
  });

  it('a tag padded with white space, 32 characters once trimmed: the document allows it, and so does the server', async () => {
    const value = [`  ${'x'.repeat(32)}\t`];
    expect((await documented(tags))(value)).toBe(true);
    expect((await api('POST', '/api/tasks', { body: { title: 'ok', tags: value } })).status).toBe(201);
  });

  it.each(['has space', '', 'x'.repeat(256), 'ünïcode'])('Idempotency-Key %j: the document refuses it, and the server answers 400', async (key) => {
    expect((await documented(header('post', '/api/tasks', 'Idempotency-Key')))(key)).toBe(false);
    const reply = await fetch(`${backend.baseUrl}/api/tasks`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'idempotency-key': Buffer.from(key, 'utf8').toString('latin1'),
        authorization: `Bearer ${backend.accounts.member.token}`,
      },
      body: JSON.stringify({ title: 'keyed' }),
    });
    expect(reply.status).toBe(400);
  });

  it.each(['1', '"abc"', 'W/"1"', '"1",', '*, "1"'])('If-Match %j: the document refuses it, and the server answers 400', async (value) => {
    expect((await documented(header('patch', '/api/tasks/{id}', 'If-Match')))(value)).toBe(false);
    const created = await create({ title: 'Malformed condition' });
    const reply = await api('PATCH', `/api/tasks/${created.id}`, { body: { title: 'x' }, headers: { 'if-match': value } });
    expect(reply.status).toBe(400);
    expectConforms('patch', '/api/tasks/{id}', reply);
  });

  it('documents the 400 and 415 answers of bulk, and answers them', async () => {
    const malformed = await api('POST', '/api/tasks/bulk', { body: '{"action": ' });
    expect(malformed.status).toBe(400);
    expectConforms('post', '/api/tasks/bulk', malformed);
    const notJson = await api('POST', '/api/tasks/bulk', { body: 'action=delete', headers: { 'content-type': 'text/plain' } });
    expect(notJson.status).toBe(415);
    expectConforms('post', '/api/tasks/bulk', notJson);
  });

  it('answers every method a known path does not have with 405 and the Allow header, and the methods it has as before', async () => {
    const doc = await document();
    const none = '00000000-0000-4000-8000-000000000000';
    const paths: Record<string, string> = {
      '/api/tasks': '/api/tasks',
      '/api/tasks/{id}': `/api/tasks/${none}`,
      '/api/tasks/{id}/activity': `/api/tasks/${none}/activity`,
      '/api/tasks/bulk': '/api/tasks/bulk',
      '/api/stats': '/api/stats',
      '/api/login': '/api/login',
      '/api/sessions': '/api/sessions',
      '/api/sessions/oidc/start': '/api/sessions/oidc/start',
      '/api/sessions/oidc': '/api/sessions/oidc',
      '/api/sign-in-methods': '/api/sign-in-methods',
      '/api/logout': '/api/logout',
      '/api/me': '/api/me',
      '/api/me/password': '/api/me/password',
      '/api/me/sessions': '/api/me/sessions',
      '/api/users': '/api/users',
      '/api/users/{id}': `/api/users/${none}`,
      '/api/tokens': '/api/tokens',
      '/api/tokens/{id}': `/api/tokens/${none}`,
      '/livez': '/livez',
      '/readyz': '/readyz',
    };
    // These two revoke the token they are sent with: each of their requests gets a fresh one.
    const revoking = new Set(['/api/logout', '/api/me/sessions']);
    expect(Object.keys(doc.paths).sort()).toEqual(Object.keys(paths).sort());
    for (const [template, path] of [...Object.entries(paths), ['/api/openapi.json', '/api/openapi.json'] as const]) {
      const has = template === '/api/openapi.json' ? ['get'] : Object.keys(doc.paths[template]).filter((key) => key !== 'parameters');
      for (const method of ['get', 'post', 'put', 'patch', 'delete', 'options', 'trace']) {
        const token = revoking.has(template) ? await signIn(backend.baseUrl, TEST_ADMIN.email, TEST_ADMIN.password) : undefined;
        const reply = await raw(method.toUpperCase(), path, token);
        const allow = (reply.headers.allow ?? '').split(', ');
        if (method === 'options') {
          // OPTIONS is how a client asks for Allow (RFC 9110, 9.3.7): answered, never refused.
          expect(reply.status, `${method} ${path}`).toBe(200);
          expect(allow.filter((m) => m !== 'HEAD').map((m) => m.toLowerCase()).sort(), `Allow of ${path}`).toEqual([...has].sort());
          continue;
        }
        if (has.includes(method)) {
          expect(reply.status, `${method} ${path}`).not.toBe(405);
          continue;
        }
        expect(reply.status, `${method} ${path}`).toBe(405);
        expect(reply.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(allow.filter((m) => m !== 'HEAD').map((m) => m.toLowerCase()).sort(), `Allow of ${path}`).toEqual([...has].sort());
        if (has.includes('get')) expect(allow).toContain('HEAD');
      }
    }
    expect((await api('GET', '/api/nothing-here')).status).toBe(404);
  });
});

describe('the conformance check itself', () => {
  it('fails on a body that breaks the documented schema, and on an undocumented status', () => {
    const headers = new Headers({ 'content-type': 'application/json' });
    expect(() => expectConforms('get', '/api/tasks/{id}', { status: 200, headers, body: { id: 'x' }, text: '' })).toThrow();
    expect(() => expectConforms('get', '/api/stats', { status: 418, headers, body: {}, text: '' })).toThrow();
  });
});
