import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminToken, startServerProcess, type ServerProcess } from './processes.js';
import { TEST_ADMIN, call, freshDatabase, suiteLogs } from './support.js';

/** Two backend processes on one database, as two replicas behind a Service. */
let database: Awaited<ReturnType<typeof freshDatabase>>;
let a: ServerProcess;
let b: ServerProcess;
const LIMITS = { SIGN_IN_MAX_FAILURES_PER_ACCOUNT: '3', SIGN_IN_MAX_FAILURES_PER_ADDRESS: '8', SIGN_IN_FAILURE_WINDOW_MINUTES: '15' };

beforeAll(async () => {
  database = await freshDatabase({ migrate: true });
  // Started together: both try to create the admin, and exactly one does.
  [a, b] = await Promise.all([startServerProcess({ DATABASE_URL: database.url, ...LIMITS }), startServerProcess({ DATABASE_URL: database.url, ...LIMITS })]);
});
afterAll(async () => {
  for (const server of [a, b]) {
    server.child.kill('SIGTERM');
    await server.exited;
  }
  await database.drop();
});

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const attempt = (server: ServerProcess, email: string, password: string) => call(server.baseUrl, 'POST', '/api/login', { body: { email, password } });

it('two replicas starting together create the bootstrap admin exactly once', async () => {
  const [row] = await database.db.sql<{ count: number }[]>`select count(*)::int as count from users where lower(email) = ${TEST_ADMIN.email}`;
  expect(row!.count).toBe(1);
  expect([a.output(), b.output()].filter((output) => output.includes('"admin created"'))).toHaveLength(1);
});

describe('throttling, counted in PostgreSQL across replicas', () => {
  it('refuses an account after its failures on either replica with 429 and Retry-After, even the right password', async () => {
    const admin = await adminToken(a.baseUrl);
    const email = 'throttled@example.test';
    const password = 'the right password, really';
    expect((await call(a.baseUrl, 'POST', '/api/users', { headers: bearer(admin), body: { email, displayName: 'T', role: 'viewer', password } })).status).toBe(201);
    for (const server of [a, b, a]) expect((await attempt(server, email, 'a wrong password')).status).toBe(401);
    for (const server of [b, a]) {
      const refused = await attempt(server, email, password);
      expect(refused.status, refused.text).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(Number(refused.headers.get('retry-after'))).toBeLessThanOrEqual(15 * 60);
      expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    }
    // Another account is not affected, until the address itself reaches its limit.
    expect((await attempt(b, TEST_ADMIN.email, TEST_ADMIN.password)).status).toBe(200);
  });

  it('refuses a client address after its failures across accounts on both replicas', async () => {
    // 3 failures so far from this address (the test above); 5 more reach the limit of 8.
    for (let i = 0; i < 5; i++) expect((await attempt(i % 2 ? a : b, `unknown-${i}@example.test`, 'whatever it is')).status).toBe(401);
    const refused = await attempt(a, TEST_ADMIN.email, TEST_ADMIN.password);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await attempt(b, TEST_ADMIN.email, TEST_ADMIN.password)).status).toBe(429);
    await database.db.sql`delete from sign_in_failures`;
    expect((await attempt(b, TEST_ADMIN.email, TEST_ADMIN.password)).status).toBe(200);
  });
});

describe('revocation, heard by every replica', () => {
  it('a token signed out on one replica is refused by the other on the very next request, though the other had it cached', async () => {
    for (let round = 0; round < 20; round++) {
      const token = await adminToken(a.baseUrl);
      // Used on b twice, so b answers from its cache.
      for (let i = 0; i < 2; i++) expect((await call(b.baseUrl, 'GET', '/api/tasks', { headers: bearer(token) })).status).toBe(200);
      expect((await call(a.baseUrl, 'POST', '/api/logout', { headers: bearer(token) })).status).toBe(204);
      const next = await call(b.baseUrl, 'GET', '/api/tasks', { headers: bearer(token) });
      expect(next.status, `round ${round}`).toBe(401);
    }
  });

  it("a user deactivated on one replica is refused by the other on the very next request, and a demoted admin's role holds at once", async () => {
    const admin = await adminToken(a.baseUrl);
    const made = await call(a.baseUrl, 'POST', '/api/users', {
      headers: bearer(admin),
      body: { email: 'leaving@example.test', displayName: 'Leaving', role: 'admin', password: 'a password for leaving' },
    });
    const token = (await attempt(b, 'leaving@example.test', 'a password for leaving')).body.token as string;
    expect((await call(b.baseUrl, 'GET', '/api/users', { headers: bearer(token) })).status).toBe(200);
    expect((await call(a.baseUrl, 'PATCH', `/api/users/${made.body.id}`, { headers: bearer(admin), body: { role: 'viewer' } })).status).toBe(200);
    const demoted = await call(b.baseUrl, 'POST', '/api/users', {
      headers: bearer(token),
      body: { email: 'x@example.test', displayName: 'X', role: 'admin', password: 'another long password' },
    });
    expect(demoted.status).toBe(403);
    expect((await call(a.baseUrl, 'PATCH', `/api/users/${made.body.id}`, { headers: bearer(admin), body: { active: false } })).status).toBe(200);
    expect((await call(b.baseUrl, 'GET', '/api/tasks', { headers: bearer(token) })).status).toBe(401);
  });
});

it('neither process logged a password or token used here, though both logged every request and sign-in', () => {
  for (const server of [a, b]) {
    const output = server.output();
    expect(output).toContain('"msg":"sign-in succeeded"');
    expect(output).toContain('"msg":"request"');
  }
  expect(suiteLogs.secretCount).toBeGreaterThan(20);
  expect(suiteLogs.findings()).toEqual([]);
});
