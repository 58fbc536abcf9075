import { STATUSES } from '@task-manager/contract';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, digest, scalar, startBackend, type RunningBackend } from './support.js';

let backend: RunningBackend;
let knownId: string;
let tokenId: string;

beforeAll(async () => {
  backend = await startBackend();
  for (let i = 0; i < 5; i++) {
    const reply = await call(backend.baseUrl, 'POST', '/api/tasks', { body: { title: `seed ${i}`, tags: ['seed'] } });
    knownId = reply.body.id;
  }
  tokenId = (await call(backend.baseUrl, 'POST', '/api/tokens', { body: { name: 'fuzzed' } })).body.id;
});
afterAll(() => backend.close());

/** A digest of every stored row: equal before and after means nothing was changed. */
async function snapshot(): Promise<string> {
  return scalar<string>(backend.db.sql`select coalesce(md5(string_agg(t::text, '|' order by id)), 'empty') from tasks t`);
}

const anyText = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('', ' ', '\u0000', '%', "' or 1=1 --", '..', '😀', '-1', '1e999', 'null', 'true', '[]', '{}'),
);
const jsonish = fc.oneof(fc.jsonValue({ maxDepth: 3 }), anyText.map((text) => ({ title: text })));
// Not /api/logout and /api/me/sessions: they take no input, and would end the run's credentials.
const pathOf = fc.oneof(
  fc.constantFrom('/api/tasks', '/api/tasks/bulk', '/api/stats', '/api/openapi.json', '/readyz', '/livez'),
  fc.constantFrom('/api/login', '/api/sessions', '/api/me', '/api/me/password', '/api/users', '/api/tokens'),
  fc.constantFrom('/api/tasks/KNOWN', '/api/tasks/KNOWN/activity', '/api/users/USER', '/api/tokens/TOKEN'),
  anyText.map((segment) => `/api/users/${encodeURIComponent(segment)}`),
  anyText.map((segment) => `/api/tasks/${encodeURIComponent(segment)}`),
  anyText.map((segment) => `/api/${encodeURIComponent(segment)}`),
);
const queryOf = fc.dictionary(
  fc.oneof(fc.constantFrom('status', 'priority', 'tag', 'q', 'dueBefore', 'dueAfter', 'assignee', 'createdBy', 'sort', 'order', 'limit', 'cursor'), fc.string({ maxLength: 8 })),
  anyText,
  { maxKeys: 4 },
);
const requestOf = fc.record({
  method: fc.constantFrom('GET', 'POST', 'PATCH', 'DELETE', 'PUT', 'OPTIONS', 'HEAD'),
  path: pathOf,
  query: queryOf,
  body: fc.option(fc.oneof(jsonish.map((value) => JSON.stringify(value)), anyText), { nil: undefined }),
  contentType: fc.constantFrom('application/json', 'application/json; charset=utf-16', 'text/plain', 'application/problem+json', ''),
  ifMatch: fc.option(fc.oneof(anyText, fc.nat().map((n) => `"${n}"`)), { nil: undefined }),
  idempotencyKey: fc.option(anyText, { nil: undefined }),
  as: fc.constantFrom('member', 'viewer', 'admin', 'nobody', 'garbage'),
});

describe('bad input, generated', () => {
  it('no generated request (2,000 of them) gets a 5xx or a stack trace', async () => {
    await fc.assert(
      fc.asyncProperty(requestOf, async (request) => {
        const search = new URLSearchParams(request.query).toString();
        const headers: Record<string, string> = {};
        if (request.contentType) headers['content-type'] = request.contentType;
        if (request.ifMatch !== undefined) headers['if-match'] = request.ifMatch.replace(/[^\x20-\x7e]/g, '');
        if (request.idempotencyKey !== undefined) headers['idempotency-key'] = request.idempotencyKey.replace(/[^\x20-\x7e]/g, '');
        if (request.as === 'garbage') headers.authorization = `Bearer ${request.idempotencyKey ?? 'x'}`.replace(/[^\x20-\x7e]/g, '');
        const path = request.path.replace('KNOWN', knownId).replace('USER', backend.accounts.viewer.id).replace('TOKEN', tokenId) + (search ? `?${search}` : '');
        const hasBody = request.body !== undefined && !['GET', 'HEAD'].includes(request.method);
        const as = request.as === 'garbage' ? undefined : request.as;
        const reply = await call(backend.baseUrl, request.method, path, { headers, as, body: hasBody ? request.body : undefined });
        expect(reply.status, `${request.method} ${path} -> ${reply.text.slice(0, 300)}`).toBeLessThan(500);
        expect(reply.text).not.toMatch(/\n\s+at [^\n]+:\d+:\d+/);
        if (reply.status >= 400 && request.method !== 'HEAD') {
          expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('invalid creates, patches and bulk requests (600 of them) are refused with 422 and change nothing', async () => {
    const before = await snapshot();
    const invalidField = fc.oneof(
      fc.record({
        title: fc.oneof(
          fc.constantFrom('', '   ', '\t\n'),
          // Too long even once trimmed: 201 or more characters, none of them white space.
          fc.string({ unit: fc.constantFrom('a', 'é', '😀', '-'), minLength: 201, maxLength: 260 }),
          fc.integer(),
          fc.constant(null),
        ),
      }),
      fc.record({ title: fc.constant('ok'), status: anyText.filter((s) => !(STATUSES as readonly string[]).includes(s)) }),
      fc.record({ title: fc.constant('ok'), priority: fc.oneof(fc.integer(), fc.constant('urgent')) }),
      fc.record({ title: fc.constant('ok'), dueDate: anyText.filter((s) => !/^\d{4}-\d{2}-\d{2}$/.test(s)) }),
      fc.record({ title: fc.constant('ok'), tags: fc.oneof(anyText, fc.array(fc.integer(), { minLength: 1 }), fc.array(fc.constant('x'), { minLength: 21, maxLength: 25 })) }),
      fc.record({ title: fc.constant('ok'), [`unknown`]: fc.jsonValue() }),
    );
    await fc.assert(
      fc.asyncProperty(invalidField, fc.constantFrom('create', 'patch', 'bulk'), async (fields, kind) => {
        const reply =
          kind === 'create'
            ? await call(backend.baseUrl, 'POST', '/api/tasks', { body: fields })
            : kind === 'patch'
              ? await call(backend.baseUrl, 'PATCH', `/api/tasks/${knownId}`, { body: fields })
              : await call(backend.baseUrl, 'POST', '/api/tasks/bulk', { body: { action: 'update', ids: [knownId], patch: fields } });
        expect(reply.status, reply.text).toBe(422);
        expect(reply.body.errors.length).toBeGreaterThan(0);
      }),
      { numRuns: 600 },
    );
    expect(await snapshot()).toBe(before);
  });

  it('invalid users, user changes, tokens, sign-ins and password changes (600 of them) are refused with a 4xx and change nothing', async () => {
    const before = await digest(backend.db);
    const shortPassword = fc.string({ maxLength: 11 });
    const badEmail = fc.oneof(fc.constantFrom('', 'no-at-sign', 'two@@signs', 'a@b@c', ' @x', 'nul\u0000@x'), fc.string({ maxLength: 10 }).filter((text) => !text.includes('@')));
    const request = fc.oneof(
      fc.record({ path: fc.constant('/api/users'), method: fc.constant('POST'), body: fc.oneof(
        fc.record({ email: badEmail, displayName: fc.constant('Ok'), role: fc.constant('member'), password: fc.constant('long enough password') }),
        fc.record({ email: fc.constant('ok@example.test'), displayName: fc.oneof(fc.constant(''), fc.constant('  '), fc.string({ minLength: 101, maxLength: 120, unit: fc.constantFrom('a', '😀') })), role: fc.constant('member'), password: fc.constant('long enough password') }),
        fc.record({ email: fc.constant('ok@example.test'), displayName: fc.constant('Ok'), role: anyText.filter((role) => !['viewer', 'member', 'admin'].includes(role)), password: fc.constant('long enough password') }),
        fc.record({ email: fc.constant('ok@example.test'), displayName: fc.constant('Ok'), role: fc.constant('member'), password: shortPassword }),
        fc.record({ email: fc.constant('ok@example.test'), displayName: fc.constant('Ok'), role: fc.constant('member') }),
      ) }),
      fc.record({ path: fc.constant('/api/users/USER'), method: fc.constant('PATCH'), body: fc.oneof(
        fc.constant({}),
        fc.record({ active: fc.oneof(anyText, fc.integer()) }),
        fc.record({ role: anyText.filter((role) => !['viewer', 'member', 'admin'].includes(role)) }),
        fc.record({ password: shortPassword }),
        fc.record({ email: fc.constant('new@example.test') }),
      ) }),
      fc.record({ path: fc.constant('/api/tokens'), method: fc.constant('POST'), body: fc.oneof(
        fc.record({ name: fc.oneof(fc.constant(''), fc.constant('\u0000'), fc.integer()) }),
        fc.record({ name: fc.constant('ok'), expiresAt: fc.oneof(anyText, fc.constant('2000-01-01T00:00:00Z')) }),
        fc.record({ name: fc.constant('ok'), scope: fc.jsonValue() }),
      ) }),
      fc.record({ path: fc.constantFrom('/api/login', '/api/sessions'), method: fc.constant('POST'), body: fc.oneof(
        fc.record({ email: fc.constant('member@example.test') }),
        fc.record({ email: fc.integer(), password: fc.constant('x') }),
        fc.record({ email: fc.constant('member@example.test'), password: fc.constant('') }),
        fc.record({ email: fc.constant('nul\u0000@example.test'), password: fc.constant('whatever') }),
        fc.record({ email: fc.constant('member@example.test'), password: fc.string({ minLength: 1025, maxLength: 1100, unit: fc.constantFrom('a') }) }),
      ) }),
      fc.record({ path: fc.constant('/api/me/password'), method: fc.constant('POST'), body: fc.oneof(
        fc.record({ currentPassword: fc.constant('the member password of the tests'), newPassword: shortPassword }),
        fc.record({ newPassword: fc.constant('long enough password') }),
        fc.record({ currentPassword: fc.constant('not the current one'), newPassword: fc.constant('long enough password') }),
      ) }),
    );
    await fc.assert(
      fc.asyncProperty(request, fc.constantFrom('member' as const, 'admin' as const), async ({ path, method, body }, as) => {
        const reply = await call(backend.baseUrl, method, path.replace('USER', backend.accounts.viewer.id), { as, body });
        expect(reply.status, `${method} ${path} ${JSON.stringify(body).slice(0, 200)} -> ${reply.text.slice(0, 300)}`).toBeGreaterThanOrEqual(400);
        expect(reply.status).toBeLessThan(500);
        expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      }),
      { numRuns: 600 },
    );
    expect(await digest(backend.db)).toBe(before);
  });
});
