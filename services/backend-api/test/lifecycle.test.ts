import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { adminToken, runNode, startServerProcess } from './processes.js';
import { freshDatabase, scalar } from './support.js';

let database: Awaited<ReturnType<typeof freshDatabase>>;
beforeAll(async () => {
  database = await freshDatabase({ migrate: true });
});
afterAll(() => database.drop());

/**
 * Opens a POST whose body arrives in two halves: until the second half is written the
 * request is in flight, which is how a slow client looks to the server.
 */
function slowCreate(baseUrl: string, title: string, token: string) {
  const body = JSON.stringify({ title });
  const half = Math.floor(body.length / 2);
  const url = new URL('/api/tasks', baseUrl);
  let finish!: () => void;
  const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
    const request = http.request(
      { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${token}` } },
      (res) => {
        let text = '';
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, body: text }));
      },
    );
    request.on('error', reject);
    request.write(body.slice(0, half));
    finish = () => request.end(body.slice(half));
  });
  return { response, finish: () => finish() };
}

describe('graceful shutdown', () => {
  it('on SIGTERM turns /readyz 503, finishes requests in flight, refuses new connections, and exits 0', async () => {
    const server = await startServerProcess({ DATABASE_URL: database.url, SHUTDOWN_DELAY_SECONDS: '1', SHUTDOWN_TIMEOUT_SECONDS: '10' });
    const inFlight = slowCreate(server.baseUrl, 'finished during shutdown', await adminToken(server.baseUrl));
    await new Promise((resolve) => setTimeout(resolve, 200));

    server.child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const readiness = await fetch(`${server.baseUrl}/readyz`);
    expect(readiness.status).toBe(503);
    expect(await readiness.json()).toMatchObject({ checks: { shutdown: { detail: 'draining' } } });
    expect((await fetch(`${server.baseUrl}/livez`)).status).toBe(200);

    // Past the drain delay the listener is closed, but the open request still completes.
    await new Promise((resolve) => setTimeout(resolve, 1200));
    await expect(fetch(`${server.baseUrl}/livez`)).rejects.toThrow();
    inFlight.finish();
    const done = await inFlight.response;
    expect(done.status).toBe(201);
    expect(JSON.parse(done.body).title).toBe('finished during shutdown');

    const finished = Date.now();
    expect(await server.exited).toBe(0);
    expect(Date.now() - finished, 'exits as soon as the last request is answered').toBeLessThan(1000);
    expect(server.output()).toContain('shutdown: complete');
    expect(await scalar(database.db.sql`select count(*)::int from tasks where title = 'finished during shutdown'`)).toBe(1);
  });

  it('cuts requests that outlast SHUTDOWN_TIMEOUT_SECONDS and still exits 0', async () => {
    const server = await startServerProcess({ DATABASE_URL: database.url, SHUTDOWN_TIMEOUT_SECONDS: '1' });
    const stuck = slowCreate(server.baseUrl, 'never finished', await adminToken(server.baseUrl));
    stuck.response.catch(() => {});
    await new Promise((resolve) => setTimeout(resolve, 200));
    const started = Date.now();
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(server.output()).toContain('outlasted the timeout');
  });
});

describe('configuration', () => {
  it('reads DATABASE_URL or the PG* variables, with documented defaults', () => {
    expect(loadConfig({ DATABASE_URL: 'postgres://u:p@db:5432/tasks' })).toMatchObject({
      database: { url: 'postgres://u:p@db:5432/tasks' },
      port: 5000,
      metricsPort: 9464,
      logLevel: 'info',
      poolSize: 10,
      migrateOnStart: false,
    });
    expect(loadConfig({ PGHOST: 'db', PGUSER: 'u', PGPASSWORD: 'p', PGDATABASE: 'tasks', PORT: '8000' })).toMatchObject({
      database: { host: 'db', port: 5432, user: 'u', password: 'p', database: 'tasks' },
      port: 8000,
    });
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT must be a whole number, got "eighty"'],
    [{ PORT: '70000' }, 'PORT must be between 1 and 65535, got 70000'],
    [{ DB_POOL_SIZE: '0' }, 'DB_POOL_SIZE must be between 1 and 100, got 0'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL must be one of'],
    [{ METRICS_PORT: '5000' }, 'METRICS_PORT must differ from PORT'],
    [{ MIGRATE_ON_START: 'yes' }, 'MIGRATE_ON_START must be one of true, false'],
  ])('refuses %j naming the variable', (env, message) => {
    expect(() => loadConfig({ DATABASE_URL: 'postgres://u:p@db/tasks', ...env })).toThrow(message);
  });

  it('names every missing PG* variable when DATABASE_URL is unset', () => {
    expect(() => loadConfig({ PGHOST: 'db' })).toThrow(/PGUSER is required[\s\S]*PGPASSWORD is required[\s\S]*PGDATABASE is required/);
  });

  it('never echoes a malformed DATABASE_URL, which carries a password', () => {
    expect(() => loadConfig({ DATABASE_URL: 'not a url with hunter2' })).toThrow('DATABASE_URL is not a valid URL');
    try {
      loadConfig({ DATABASE_URL: 'not a url with hunter2' });
    } catch (error) {
      expect(String(error)).not.toContain('hunter2');
    }
  });

  it('stops the process at start with one line per problem and no stack trace', async () => {
    const run = await runNode('dist/main.js', [], { PORT: 'x', LOG_LEVEL: 'loud', PGHOST: 'db' }, 10_000);
    expect(run.code).toBe(1);
    const lines = run.stderr.trim().split('\n');
    expect(lines).toEqual([
      'backend-api: configuration error: PGUSER is required but not set',
      'backend-api: configuration error: PGPASSWORD is required but not set',
      'backend-api: configuration error: PGDATABASE is required but not set',
      'backend-api: configuration error: PORT must be a whole number, got "x"',
      'backend-api: configuration error: LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "loud"',
    ]);
  });
});
