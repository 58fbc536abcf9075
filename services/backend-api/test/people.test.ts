import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectConforms } from './conformance.js';
import { call, scalar, signIn, startBackend, type RunningBackend } from './support.js';

let backend: RunningBackend;
const api = (method: string, path: string, options?: Parameters<typeof call>[3]) => call(backend.baseUrl, method, path, options);

beforeAll(async () => {
  backend = await startBackend();
});
afterAll(() => backend.close());

async function create(fields: Record<string, unknown>, as: 'member' | 'admin' = 'member') {
  const reply = await api('POST', '/api/tasks', { as, body: fields });
  expect(reply.status, reply.text).toBe(201);
  return reply.body;
}

describe('people on tasks', () => {
  it('a new task names its creator and assignee, with their display names', async () => {
    const task = await create({ title: 'assigned', assigneeId: backend.accounts.viewer.id });
    expect(task).toMatchObject({ createdBy: backend.accounts.member.id, createdByName: 'The member', assigneeId: backend.accounts.viewer.id, assigneeName: 'The viewer' });
    const unassigned = await create({ title: 'nobody' });
    expect(unassigned).toMatchObject({ assigneeId: null, assigneeName: null });
  });

  it('a page and a single read give the same task, byte for byte, whatever characters it and its people hold', async () => {
    // The names are spliced into each stored document by its bytes: a character cut in half would show here.
    const person = await api('POST', '/api/users', { as: 'admin', body: { email: 'multibyte@example.test', displayName: 'Zoë 日本 😀', role: 'member', password: 'a long enough password' } });
    expect(person.status, person.text).toBe(201);
    const task = await create({ title: 'Zürich ✓ 日本 😀', description: 'ends in a brace} and "quotes" \\ é', assigneeId: person.body.id });
    const single = await api('GET', `/api/tasks/${task.id}`);
    const page = await api('GET', `/api/tasks?q=${encodeURIComponent('Zürich ✓')}`);
    expect(page.body.items).toEqual([single.body]);
    expect(single.body).toMatchObject({ title: 'Zürich ✓ 日本 😀', description: 'ends in a brace} and "quotes" \\ é', assigneeName: 'Zoë 日本 😀', createdByName: 'The member' });
    expect(page.text).toContain(JSON.stringify(single.body.title));
  });

  it('an assignee must be an active user: an unknown or deactivated one is a 422 on assigneeId', async () => {
    const unknown = await api('POST', '/api/tasks', { body: { title: 'x', assigneeId: '00000000-0000-4000-8000-000000000000' } });
    expect(unknown.status).toBe(422);
    expect(unknown.body.errors).toEqual([{ field: 'assigneeId', detail: 'must be the id of an active user' }]);
    const gone = await api('POST', '/api/users', { as: 'admin', body: { email: 'gone@example.test', displayName: 'Gone', role: 'member', password: 'a long enough password' } });
    await api('PATCH', `/api/users/${gone.body.id}`, { as: 'admin', body: { active: false } });
    const task = await create({ title: 'patch me' });
    const patched = await api('PATCH', `/api/tasks/${task.id}`, { body: { assigneeId: gone.body.id } });
    expect(patched.status).toBe(422);
    const bulk = await api('POST', '/api/tasks/bulk', { body: { action: 'update', ids: [task.id], patch: { assigneeId: gone.body.id } } });
    expect(bulk.status).toBe(422);
    expect(bulk.body.errors[0].field).toBe('patch.assigneeId');
  });

  it('filters by assignee=me|none|<id> and createdBy=me|<id>', async () => {
    const tag = `f${Date.now()}`;
    const mine = await create({ title: 'for the member', tags: [tag], assigneeId: backend.accounts.member.id });
    const theirs = await create({ title: 'for the viewer', tags: [tag], assigneeId: backend.accounts.viewer.id }, 'admin');
    const none = await create({ title: 'for nobody', tags: [tag] }, 'admin');
    const ids = async (query: string, as: 'member' | 'viewer' = 'member') => {
      const reply = await api('GET', `/api/tasks?tag=${tag}&sort=title&${query}`, { as });
      expect(reply.status, reply.text).toBe(200);
      return reply.body.items.map((task: { id: string }) => task.id);
    };
    expect(await ids('assignee=me')).toEqual([mine.id]);
    expect(await ids('assignee=me', 'viewer')).toEqual([theirs.id]);
    expect(await ids('assignee=none')).toEqual([none.id]);
    expect(await ids(`assignee=${backend.accounts.viewer.id}`)).toEqual([theirs.id]);
    expect(await ids('createdBy=me')).toEqual([mine.id]);
    expect(await ids(`createdBy=${backend.accounts.admin.id}`)).toEqual([none.id, theirs.id]);
    expect((await api('GET', '/api/tasks?assignee=someone')).status).toBe(422);
  });

  it("a list's ETag differs between callers (assignee=me names the caller), and a changed display name changes it", async () => {
    const etag = async (as: 'member' | 'viewer') => (await api('GET', '/api/tasks?assignee=me', { as })).headers.get('etag');
    const before = await etag('member');
    expect(before).not.toBe(await etag('viewer'));
    const stale = await api('GET', '/api/tasks?assignee=me', { headers: { 'if-none-match': before! } });
    expect([200, 304]).toContain(stale.status);
    await api('PATCH', `/api/users/${backend.accounts.member.id}`, { as: 'admin', body: { displayName: 'The member, renamed' } });
    const after = await api('GET', '/api/tasks?assignee=me', { headers: { 'if-none-match': before! } });
    expect(after.status).toBe(200);
    expect(after.headers.get('etag')).not.toBe(before);
    expect(after.body.items.every((task: { assigneeName: string }) => task.assigneeName === 'The member, renamed')).toBe(true);
    await api('PATCH', `/api/users/${backend.accounts.member.id}`, { as: 'admin', body: { displayName: 'The member' } });
  });
});

describe('history', () => {
  it('records create, each changed field with old and new value, and delete, with who did it, in the transaction of the change', async () => {
    const task = await create({ title: 'tracked', priority: 'low' });
    await api('PATCH', `/api/tasks/${task.id}`, { as: 'admin', body: { priority: 'high', assigneeId: backend.accounts.viewer.id } });
    const history = await api('GET', `/api/tasks/${task.id}/activity`, { as: 'viewer' });
    expect(history.status).toBe(200);
    expectConforms('get', '/api/tasks/{id}/activity', history);
    const [created, changed] = history.body.items;
    expect(created).toMatchObject({ action: 'create', actor: { id: backend.accounts.member.id, displayName: 'The member' }, taskId: task.id });
    expect(created.changes.title).toEqual({ old: null, new: 'tracked' });
    expect(changed).toMatchObject({ action: 'update', actor: { id: backend.accounts.admin.id } });
    expect(changed.changes).toEqual({ priority: { old: 'low', new: 'high' }, assigneeId: { old: null, new: backend.accounts.viewer.id } });
    expect((await api('DELETE', `/api/tasks/${task.id}`)).status).toBe(204);
    const stored = await backend.db.sql<{ action: string; changes: Record<string, { old: unknown }> }[]>`select action, changes from task_activity where task_id = ${task.id}::uuid order by id`;
    expect(stored.map((row) => row.action)).toEqual(['create', 'update', 'delete']);
    expect(stored[2]!.changes.title!.old).toBe('tracked');
    expect((await api('GET', `/api/tasks/${task.id}/activity`)).status).toBe(404);
  });

  it('a write refused halfway records nothing, and a bulk change records one entry per task', async () => {
    const tasks = [await create({ title: 'b1' }), await create({ title: 'b2' }), await create({ title: 'b3' })];
    const ids = tasks.map((task) => task.id);
    const count = () => scalar<number>(backend.db.sql`select count(*)::int from task_activity where task_id = any(${ids}::uuid[])`);
    expect(await count()).toBe(3);
    const refused = await api('POST', '/api/tasks/bulk', { body: { action: 'update', ids: [...ids, '00000000-0000-4000-8000-000000000000'], patch: { status: 'done' } } });
    expect(refused.status).toBe(404);
    expect(await count()).toBe(3);
    expect((await api('POST', '/api/tasks/bulk', { body: { action: 'update', ids, patch: { status: 'done' } } })).status).toBe(200);
    expect(await count()).toBe(6);
    expect((await api('POST', '/api/tasks/bulk', { body: { action: 'delete', ids } })).status).toBe(200);
    expect(await count()).toBe(9);
  });
});

describe('idempotency keys belong to their user', () => {
  it("another user's key does not replay someone else's answer", async () => {
    const key = `shared-${Date.now()}`;
    const first = await api('POST', '/api/tasks', { as: 'member', headers: { 'idempotency-key': key }, body: { title: 'mine' } });
    const again = await api('POST', '/api/tasks', { as: 'member', headers: { 'idempotency-key': key }, body: { title: 'mine' } });
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body.id).toBe(first.body.id);
    const other = await api('POST', '/api/tasks', { as: 'admin', headers: { 'idempotency-key': key }, body: { title: 'mine' } });
    expect(other.status).toBe(201);
    expect(other.headers.get('idempotent-replayed')).toBeNull();
    expect(other.body.id).not.toBe(first.body.id);
    expect(other.body.createdBy).toBe(backend.accounts.admin.id);
  });
});

describe('users', () => {
  it('an email is unique without regard to case: 409', async () => {
    const reply = await api('POST', '/api/users', { as: 'admin', body: { email: 'MEMBER@Example.TEST', displayName: 'Copy', role: 'viewer', password: 'a long enough password' } });
    expect(reply.status).toBe(409);
  });

  it('a password shorter than 12 characters is a 422 and is never echoed', async () => {
    const reply = await api('POST', '/api/users', { as: 'admin', body: { email: 'short@example.test', displayName: 'Short', role: 'viewer', password: 'elevenchars' } });
    expect(reply.status).toBe(422);
    expect(reply.body.errors).toEqual([{ field: 'password', detail: 'must be at least 12 characters' }]);
    expect(reply.text).not.toContain('elevenchars');
  });

  it('the last active admin can be neither demoted nor deactivated; with a second admin, it can', async () => {
    const { id } = backend.accounts.admin;
    expect((await api('PATCH', `/api/users/${id}`, { as: 'admin', body: { role: 'member' } })).status).toBe(409);
    expect((await api('PATCH', `/api/users/${id}`, { as: 'admin', body: { active: false } })).status).toBe(409);
    const second = await api('POST', '/api/users', { as: 'admin', body: { email: 'second@example.test', displayName: 'Second', role: 'admin', password: 'second admin password' } });
    // Two demotions at once: one of them must find the other admin gone.
    const both = await Promise.all([
      api('PATCH', `/api/users/${second.body.id}`, { as: 'admin', body: { role: 'viewer' } }),
      api('PATCH', `/api/users/${id}`, { as: 'admin', body: { active: false } }),
    ]);
    expect(both.map((reply) => reply.status).sort()).toEqual([200, 409].sort());
    expect(await scalar(backend.db.sql`select count(*)::int from users where role = 'admin' and active`)).toBe(1);
  });

  it('a temporary password set by an admin must be changed first; then the user may work again', async () => {
    const made = await api('POST', '/api/users', { as: 'admin', body: { email: 'temp@example.test', displayName: 'Temp', role: 'member', password: 'the first password' } });
    // The admin may have been deactivated by the test above: sign in whichever admin is active.
    const admins = await backend.db.sql<{ email: string }[]>`select email from users where role = 'admin' and active`;
    expect(admins.length).toBe(1);
    const admin = admins[0]!.email === backend.accounts.admin.email ? { as: 'admin' as const } : { headers: { authorization: `Bearer ${await signIn(backend.baseUrl, 'second@example.test', 'second admin password')}` } };
    expect((await api('PATCH', `/api/users/${made.body.id}`, { ...admin, body: { password: 'a temporary password' } })).body.mustChangePassword).toBe(true);
    const token = await signIn(backend.baseUrl, 'temp@example.test', 'a temporary password');
    const bearer = { authorization: `Bearer ${token}` };
    const blocked = await api('GET', '/api/tasks', { headers: bearer });
    expect(blocked.status).toBe(403);
    expect(blocked.body.detail).toBe('change your password first');
    expect((await api('GET', '/api/me', { headers: bearer })).body.mustChangePassword).toBe(true);
    const wrong = await api('POST', '/api/me/password', { headers: bearer, body: { currentPassword: 'not it at all', newPassword: 'my very own password' } });
    expect(wrong.status).toBe(422);
    expect((await api('POST', '/api/me/password', { headers: bearer, body: { currentPassword: 'a temporary password', newPassword: 'my very own password' } })).status).toBe(204);
    expect((await api('GET', '/api/tasks', { headers: bearer })).status).toBe(200);
    await signIn(backend.baseUrl, 'temp@example.test', 'my very own password');
  });
});
