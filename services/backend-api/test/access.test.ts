import { createHash } from 'node:crypto';
import { CSRF_HEADER, ROLES, SESSION_COOKIE, TOKEN_PATTERN, type Role } from '@task-manager/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiDocument } from '../src/tasks/openapi.js';
import { call, digest, scalar, signIn, startBackend, suiteLogs, type RunningBackend } from './support.js';

let backend: RunningBackend;
let taskId: string;
let tokenId: string;

const api = (method: string, path: string, options?: Parameters<typeof call>[3]) => call(backend.baseUrl, method, path, options);
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const sha256 = (token: string) => createHash('sha256').update(token).digest('hex');

const login = (email: string, password: string) => signIn(backend.baseUrl, email, password);

async function newUser(role: Role): Promise<{ id: string; email: string; password: string }> {
  const email = `${role}-${Math.random().toString(36).slice(2)}@example.test`;
  const password = `password of ${email}`;
  const made = await api('POST', '/api/users', { as: 'admin', body: { email, displayName: `User ${email}`, role, password } });
  expect(made.status, made.text).toBe(201);
  return { id: made.body.id, email, password };
}

beforeAll(async () => {
  // Throttling has tests of its own (throttling.test.ts): here the many sign-ins must not trip it.
  backend = await startBackend({ env: { SIGN_IN_MAX_FAILURES_PER_ACCOUNT: '10000', SIGN_IN_MAX_FAILURES_PER_ADDRESS: '10000' } });
  taskId = (await api('POST', '/api/tasks', { body: { title: 'guarded' } })).body.id;
  const token = await api('POST', '/api/tokens', { body: { name: 'script' } });
  tokenId = token.body.id;
});
afterAll(() => backend.close());

interface Operation {
  method: string;
  template: string;
  role: Role | undefined;
  operationId: string;
}

/** Every operation of the document, as the matrix is read from it. */
const operations: Operation[] = Object.entries(openApiDocument.paths as unknown as Record<string, Record<string, { operationId: string; 'x-required-role'?: Role; security?: unknown[] }>>).flatMap(
  ([template, item]) =>
    Object.entries(item)
      .filter(([method]) => method !== 'parameters')
      .map(([method, operation]) => ({ method: method.toUpperCase(), template, role: operation['x-required-role'], operationId: operation.operationId })),
);
const guarded = operations.filter((operation) => operation.role !== undefined);
/** These end the credentials they are sent with (and, signing out everywhere, all of the user's). */
const REVOKING = new Set(['logout', 'signOutEverywhere']);

function concrete(operation: Operation): string {
  return operation.template
    .replace('/api/tasks/{id}', `/api/tasks/${taskId}`)
    .replace('/api/users/{id}', `/api/users/${backend.accounts.viewer.id}`)
    .replace('/api/tokens/{id}', `/api/tokens/${tokenId}`);
}

/** A body the operation would accept from someone allowed, so that only the credentials decide. */
function bodyFor(operation: Operation): unknown {
  switch (operation.operationId) {
    case 'createTask':
      return { title: 'should not exist' };
    case 'updateTask':
      return { title: 'should not change' };
    case 'bulkTasks':
      return { action: 'delete', ids: [taskId] };
    case 'createUser':
      return { email: 'intruder@example.test', displayName: 'Intruder', role: 'admin', password: 'intruder password' };
    case 'updateUser':
      return { role: 'admin' };
    case 'createToken':
      return { name: 'stolen' };
    case 'changePassword':
      return { currentPassword: 'x', newPassword: 'a new password of mine' };
    default:
      return operation.method === 'GET' || operation.method === 'DELETE' ? undefined : {};
  }
}

it('the document declares a role for every operation but the open ones, and the open ones are exactly sign-in and health', () => {
  const open = operations.filter((operation) => operation.role === undefined).map((operation) => operation.operationId).sort();
  expect(open).toEqual(['createSession', 'finishOidcSignIn', 'livez', 'login', 'readyz', 'signInMethods', 'startOidcSignIn']);
  expect(guarded.length).toBeGreaterThanOrEqual(17);
});

describe('without valid credentials, every guarded operation answers 401 and changes nothing', () => {
  const cases: [string, () => Promise<Record<string, string>>][] = [
    ['no credentials', async () => ({})],
    ['a malformed Authorization header', async () => ({ authorization: 'Basic YWRtaW46YWRtaW4=' })],
    ['a malformed token', async () => bearer('tm_short')],
    ['a well-formed token nobody was given', async () => bearer(`tm_${'x'.repeat(43)}`)],
    ['a malformed session cookie', async () => ({ cookie: `${SESSION_COOKIE}=nonsense` })],
    [
      'an expired personal access token',
      async () => {
        const made = await api('POST', '/api/tokens', { body: { name: 'short-lived', expiresAt: new Date(Date.now() + 60_000).toISOString() } });
        await backend.db.sql`update credentials set expires_at = now() - interval '1 second' where id = ${made.body.id}::uuid`;
        return bearer(made.body.token);
      },
    ],
    [
      'a session past its idle timeout',
      async () => {
        const session = await api('POST', '/api/sessions', { as: 'nobody', body: { email: backend.accounts.member.email, password: backend.accounts.member.password } });
        await backend.db.sql`update credentials set created_at = now() - interval '1 day', last_used_at = now() - interval '1 day', idle_timeout = interval '1 hour' where token_hash = ${createHash('sha256').update(session.body.token).digest()}`;
        return { cookie: `${SESSION_COOKIE}=${session.body.token}`, [CSRF_HEADER]: session.body.csrfToken };
      },
    ],
    [
      'a revoked login token (signed out), used just before',
      async () => {
        const token = await login(backend.accounts.member.email, backend.accounts.member.password);
        expect((await api('GET', '/api/me', { headers: bearer(token) })).status).toBe(200);
        expect((await api('POST', '/api/logout', { headers: bearer(token) })).status).toBe(204);
        return bearer(token);
      },
    ],
    [
      "a deactivated user's login token and personal access token",
      async () => {
        const user = await newUser('member');
        const token = await login(user.email, user.password);
        const pat = await api('POST', '/api/tokens', { headers: bearer(token), body: { name: 'mine' } });
        expect((await api('GET', '/api/tasks', { headers: bearer(pat.body.token) })).status).toBe(200);
        expect((await api('PATCH', `/api/users/${user.id}`, { as: 'admin', body: { active: false } })).status).toBe(200);
        expect((await api('GET', '/api/tasks', { headers: bearer(pat.body.token) })).status).toBe(401);
        return bearer(token);
      },
    ],
  ];
  it.each(cases)('%s', async (_name, credentials) => {
    const headers = await credentials();
    const before = await digest(backend.db);
    for (const operation of guarded) {
      const reply = await api(operation.method, concrete(operation), { as: 'nobody', headers: { ...headers }, body: bodyFor(operation) });
      expect(reply.status, `${operation.method} ${operation.template}: ${reply.text}`).toBe(401);
      expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(reply.headers.get('www-authenticate')).toBe('Bearer');
    }
    expect(await digest(backend.db)).toBe(before);
  });
});

describe('the role × operation matrix, read from the document', () => {
  const rank = (role: Role) => ROLES.indexOf(role);
  const refused = guarded.flatMap((operation) => ROLES.filter((role) => rank(role) < rank(operation.role!)).map((role) => [role, operation] as const));
  const allowed = guarded.flatMap((operation) => ROLES.filter((role) => rank(role) >= rank(operation.role!)).map((role) => [role, operation] as const));

  it('has rows to refuse and rows to allow', () => {
    expect(refused.length).toBeGreaterThanOrEqual(8);
    expect(allowed.length).toBeGreaterThan(refused.length);
  });

  it.each(refused.map(([role, operation]) => [role, operation.method, operation.template, operation] as const))(
    '%s: %s %s is 403 problem+json and every row stays as it was',
    async (role, _method, _template, operation) => {
      const before = await digest(backend.db);
      const reply = await api(operation.method, concrete(operation), { as: role, body: bodyFor(operation) });
      expect(reply.status, reply.text).toBe(403);
      expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(await digest(backend.db)).toBe(before);
    },
  );

  it.each(allowed.map(([role, operation]) => [role, operation.method, operation.template, operation] as const))('%s: %s %s is let through (neither 401 nor 403)', async (role, _method, _template, operation) => {
    // Signing out everywhere would end the shared accounts' tokens too: these rows sign in as a new user of the role.
    const stranger = REVOKING.has(operation.operationId) ? await newUser(role) : undefined;
    const options = stranger ? { headers: bearer(await login(stranger.email, stranger.password)) } : { as: role };
    // A delete or bulk delete of the shared task would leave the next rows a 404; they get a task of their own.
    const own = ['deleteTask', 'bulkTasks'].includes(operation.operationId) ? (await api('POST', '/api/tasks', { body: { title: 'to go' } })).body.id : undefined;
    const path = own ? concrete(operation).replace(taskId, own) : concrete(operation);
    const body = operation.operationId === 'bulkTasks' ? { action: 'delete', ids: [own] } : bodyFor(operation);
    const reply = await api(operation.method, path, { ...options, body: operation.operationId === 'updateUser' ? { displayName: 'The viewer' } : body });
    expect([401, 403], `${reply.status} ${reply.text}`).not.toContain(reply.status);
    expect(reply.status).toBeLessThan(500);
  });
});

it('a path spelt in other case or with a trailing slash, which express routes alike, gets the same role check', async () => {
  const before = await digest(backend.db);
  for (const [as, method, path, body] of [
    ['viewer', 'POST', '/API/TASKS', { title: 'x' }],
    ['viewer', 'POST', '/api/tasks/', { title: 'x' }],
    ['viewer', 'DELETE', `/api/Tasks/${taskId}`, undefined],
    ['member', 'POST', '/api/USERS', { email: 'sneaky@example.test', displayName: 'S', role: 'admin', password: 'a sneaky password' }],
    ['member', 'PATCH', `/api/users/${backend.accounts.viewer.id}/`, { role: 'admin' }],
  ] as const) {
    const reply = await api(method, path, { as, body });
    expect(reply.status, `${as} ${method} ${path}: ${reply.text}`).toBe(403);
  }
  expect(await digest(backend.db)).toBe(before);
});

describe('sessions', () => {
  async function session(email = backend.accounts.member.email, password = backend.accounts.member.password, headers: Record<string, string> = {}) {
    const reply = await api('POST', '/api/sessions', { as: 'nobody', headers, body: { email, password } });
    expect(reply.status, reply.text).toBe(201);
    return reply.body as { token: string; csrfToken: string; user: { id: string } };
  }

  it('a write with the session cookie but without the CSRF header, or with a wrong one, is refused and changes nothing; with it, it is done', async () => {
    const { token, csrfToken } = await session();
    const cookie = { cookie: `${SESSION_COOKIE}=${token}` };
    const before = await digest(backend.db);
    const wrong: Record<string, string>[] = [{}, { [CSRF_HEADER]: 'forged' }, { [CSRF_HEADER]: csrfToken.slice(0, -1) }];
    for (const extra of wrong) {
      const reply = await api('POST', '/api/tasks', { headers: { ...cookie, ...extra }, body: { title: 'cross-site' } });
      expect(reply.status, reply.text).toBe(403);
      expect(reply.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      const deletion = await api('DELETE', `/api/tasks/${taskId}`, { headers: { ...cookie, ...extra } });
      expect(deletion.status).toBe(403);
    }
    expect(await digest(backend.db)).toBe(before);
    expect((await api('GET', '/api/tasks', { headers: cookie })).status).toBe(200);
    expect((await api('POST', '/api/tasks', { headers: { ...cookie, [CSRF_HEADER]: csrfToken }, body: { title: 'same-site' } })).status).toBe(201);
  });

  it('every sign-in gets a new session id, even when it presents one already (no fixation)', async () => {
    const first = await session();
    const second = await session(undefined, undefined, { cookie: `${SESSION_COOKIE}=${first.token}` });
    expect(second.token).not.toBe(first.token);
    expect(second.csrfToken).not.toBe(first.csrfToken);
    const hashes = [first.token, second.token].map(sha256);
    expect(await scalar(backend.db.sql`select count(distinct id)::int from credentials where encode(token_hash, 'hex') = any(${hashes}::text[])`)).toBe(2);
  });

  it('signing out revokes only the session presented; "sign out everywhere" revokes all sessions and login tokens, not personal access tokens', async () => {
    const user = await newUser('member');
    const [a, b] = [await session(user.email, user.password), await session(user.email, user.password)];
    const login1 = await login(user.email, user.password);
    const pat = (await api('POST', '/api/tokens', { headers: bearer(login1), body: { name: 'kept' } })).body.token as string;
    expect((await api('POST', '/api/logout', { headers: { cookie: `${SESSION_COOKIE}=${a.token}`, [CSRF_HEADER]: a.csrfToken } })).status).toBe(204);
    expect((await api('GET', '/api/me', { headers: { cookie: `${SESSION_COOKIE}=${a.token}` } })).status).toBe(401);
    expect((await api('GET', '/api/me', { headers: { cookie: `${SESSION_COOKIE}=${b.token}` } })).status).toBe(200);
    expect((await api('DELETE', '/api/me/sessions', { headers: bearer(login1) })).status).toBe(204);
    for (const headers of [{ cookie: `${SESSION_COOKIE}=${b.token}` }, bearer(login1)]) expect((await api('GET', '/api/me', { headers })).status).toBe(401);
    expect((await api('GET', '/api/me', { headers: bearer(pat) })).status).toBe(200);
  });
});

describe('tokens', () => {
  it('are tm_ and 256 random bits, all different, with no bit stuck, and only their SHA-256 is stored', async () => {
    const tokens: string[] = [];
    for (let i = 0; i < 100; i++) {
      const made = await api('POST', '/api/tokens', { body: { name: `t${i}` } });
      expect(made.status).toBe(201);
      tokens.push(made.body.token);
    }
    for (const token of tokens) expect(token).toMatch(new RegExp(TOKEN_PATTERN));
    expect(new Set(tokens).size).toBe(tokens.length);
    const bytes = tokens.map((token) => Buffer.from(token.slice(3), 'base64url'));
    for (const raw of bytes) expect(raw.length).toBe(32);
    // Each of the 256 bit positions is set in some tokens and clear in others, and about half of all bits are set.
    let ones = 0;
    for (let bit = 0; bit < 256; bit++) {
      const set = bytes.filter((raw) => (raw[bit >> 3]! >> (bit & 7)) & 1).length;
      expect(set, `bit ${bit}`).toBeGreaterThan(0);
      expect(set, `bit ${bit}`).toBeLessThan(tokens.length);
      ones += set;
    }
    expect(ones / (256 * tokens.length)).toBeGreaterThan(0.47);
    expect(ones / (256 * tokens.length)).toBeLessThan(0.53);
    const stored = await backend.db.sql<{ text: string }[]>`select c::text as text from credentials c`;
    for (const token of tokens) expect(stored.some((row) => row.text.includes(token.slice(3)))).toBe(false);
    const hashes = tokens.map(sha256);
    expect(await scalar(backend.db.sql`select count(*)::int from credentials where encode(token_hash, 'hex') = any(${hashes}::text[])`)).toBe(tokens.length);
  });

  it("are listed and revoked by their owner only: another user's token id is a 404", async () => {
    const mine = await api('POST', '/api/tokens', { as: 'viewer', body: { name: 'viewer script' } });
    const listed = async (role: Role) => (await api('GET', '/api/tokens', { as: role })).body.items.map((token: { id: string }) => token.id);
    expect(await listed('viewer')).toContain(mine.body.id);
    expect(await listed('member')).not.toContain(mine.body.id);
    expect((await api('DELETE', `/api/tokens/${mine.body.id}`, { as: 'member' })).status).toBe(404);
    expect((await api('GET', '/api/me', { headers: bearer(mine.body.token) })).status).toBe(200);
    expect((await api('DELETE', `/api/tokens/${mine.body.id}`, { as: 'viewer' })).status).toBe(204);
    expect((await api('GET', '/api/me', { headers: bearer(mine.body.token) })).status).toBe(401);
  });
});

describe('signing in', () => {
  it('answers an unknown email and a wrong password alike, in about the same time', async () => {
    const details = new Set<unknown>();
    const timed = async (email: string) => {
      const started = process.hrtime.bigint();
      const reply = await api('POST', '/api/login', { as: 'nobody', body: { email, password: 'not the password at all' } });
      expect(reply.status).toBe(401);
      details.add(reply.body.detail);
      return Number(process.hrtime.bigint() - started) / 1e6;
    };
    const unknown: number[] = [];
    const wrong: number[] = [];
    // Other test files load the same two cores: a moment of theirs only ever adds time, so each
    // side of a pair is its fastest of three tries, and the order alternates, so that neither
    // side always runs right after the other.
    for (let i = 0; i < 16; i++) {
      const tries = { unknown: [] as number[], wrong: [] as number[] };
      for (let attempt = 0; attempt < 3; attempt++) {
        const order = (i + attempt) % 2 ? (['wrong', 'unknown'] as const) : (['unknown', 'wrong'] as const);
        for (const side of order) tries[side].push(await timed(side === 'unknown' ? `nobody-${i}-${attempt}@example.test` : backend.accounts.viewer.email));
      }
      unknown.push(Math.min(...tries.unknown));
      wrong.push(Math.min(...tries.wrong));
    }
    expect([...details]).toHaveLength(1);
    const median = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)]!;
    const ratio = median(unknown.map((ms, i) => ms / wrong[i]!));
    const measured = `unknown ${median(unknown).toFixed(1)} ms, wrong ${median(wrong).toFixed(1)} ms, median ratio ${ratio.toFixed(2)}`;
    expect(ratio, measured).toBeGreaterThan(0.7);
    expect(ratio, measured).toBeLessThan(1.4);
  });

  it('records successes and failures in the sign-in counter', async () => {
    const count = async (outcome: string) => {
      const metrics = await backend.metrics.registry.getSingleMetricAsString('auth_sign_ins_total');
      return Number(new RegExp(`outcome="${outcome}"[^}]*} (\\d+)`).exec(metrics)?.[1] ?? 0);
    };
    const [successes, failures] = [await count('success'), await count('failure')];
    await login(backend.accounts.viewer.email, backend.accounts.viewer.password);
    await api('POST', '/api/login', { as: 'nobody', body: { email: backend.accounts.viewer.email, password: 'wrong password here' } });
    expect(await count('success')).toBe(successes + 1);
    expect(await count('failure')).toBe(failures + 1);
  });
});

it('no log line written while this file ran holds a password or token it used', () => {
  // test/log-scan.ts runs this check after every file; here it is shown not to be vacuous.
  expect(suiteLogs.lines()).toBeGreaterThan(100);
  expect(suiteLogs.someLineIncludes('sign-in failed')).toBe(true);
  expect(suiteLogs.secretCount).toBeGreaterThan(100);
  expect(suiteLogs.findings()).toEqual([]);
});
