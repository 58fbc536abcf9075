/**
 * The backend benchmark: 10,000 seeded tasks, one backend process (as one pod runs it), and
 * autocannon at 32 connections for list, get-by-id and create; then the ceiling: the very
 * statement the list endpoint sends, run by pgbench straight against PostgreSQL (prepared,
 * 8 clients, no HTTP). Used by `npm run bench` (main.mjs).
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { PRIORITIES, STATUSES } from '@task-manager/contract';
import { createTestDatabase } from '@task-manager/kit/testing';
import { listTasks } from '@task-manager/backend-api/dist/tasks/queries.js';
import { parseListQuery } from '@task-manager/backend-api/dist/tasks/validate.js';
import { BENCH_ADMIN_ENV, SERVICES, apiAuth, load, migrateUp, postgresPids, startService, withCpuPerRequest } from './lib.mjs';

const PACKAGE_DIR = new URL('backend-api/', SERVICES);

/**
 * `count` tasks, alike in every build's schema (npm run bench:ab seeds older builds with it too);
 * where the schema has accounts, made as a team makes them: each by one of ten people, a third
 * assigned to one. Answers the ids of a thousand of them, at random.
 */
export async function seed(url, count, log) {
  const sql = postgres(url, { onnotice: () => {} });
  try {
    const [{ accounts }] = await sql`select exists(select 1 from information_schema.columns where table_name = 'tasks' and column_name = 'created_by') as accounts`;
    const people = accounts
      ? (await sql`insert into users (email, display_name, role, password_hash)
                   select 'person' || n || '@bench.test', 'Person ' || n, 'member', 'no sign-in' from generate_series(1, 10) n
                   returning id`).map((person) => person.id)
      : [];
    await sql`
      insert into tasks (title, description, status, priority, due_date, tags, created_at, updated_at ${accounts ? sql`, created_by, assignee_id` : sql``})
      select 'Task ' || n || ' ' || md5(n::text),
             repeat('Some words about task ' || n || '. ', 1 + n % 6),
             (${STATUSES}::task_status[])[1 + n % ${STATUSES.length}],
             (${PRIORITIES}::task_priority[])[1 + n % ${PRIORITIES.length}],
             case when n % 4 = 0 then null else current_date + (n % 90 - 30) end,
             case n % 5 when 0 then '{}' when 1 then '{ops}' when 2 then '{ops,urgent}' when 3 then '{design}' else '{home,errand}' end::text[],
             now() - make_interval(secs => n), now() - make_interval(secs => n)
             ${accounts ? sql`, (${people}::uuid[])[1 + n % 10], case when n % 3 = 0 then (${people}::uuid[])[1 + n / 3 % 10] end` : sql``}
      from generate_series(1, ${count}) n`;
    await sql`analyze`;
    const ids = (await sql`select id from tasks order by random() limit 1000`).map((row) => row.id);
    log(`seeded ${count} tasks${accounts ? ', made by ten people' : ''}`);
    return ids;
  } finally {
    await sql.end();
  }
}

/**
 * The statement the list endpoint sends for `?limit=50`, exactly as postgres.js prepares it,
 * and its parameter values: captured from a real call through postgres.js's debug hook.
 */
async function listStatement(url) {
  let captured;
  const debug = (_connection, text, parameters) => {
    // The hook also sees the type lookup a new connection makes; keep the list statement.
    if (text.includes('from tasks')) captured = { text, parameters };
  };
  const sql = postgres(url, { onnotice: () => {}, debug });
  try {
    // The caller's id enters the statement only with assignee=me or createdBy=me.
    await listTasks({ run: (_name, run) => run(sql) }, parseListQuery({ limit: '50' }, '00000000-0000-4000-8000-000000000000'));
  } finally {
    await sql.end();
  }
  if (!captured?.parameters.every((value) => /^\d+$/.test(String(value)))) {
    throw new Error(`the list statement's parameters are no longer plain numbers (${JSON.stringify(captured?.parameters)}); update the bench`);
  }
  return {
    variables: captured.parameters.map((value, index) => `\\set p${index + 1} ${value}`).join('\n'),
    text: captured.text.replace(/\$(\d+)/g, (_match, n) => `:p${n}`),
  };
}

export function ensurePgbench(log) {
  try {
    execFileSync('pgbench', ['--version'], { stdio: 'ignore' });
  } catch {
    if (process.getuid?.() !== 0) throw new Error('pgbench is missing: install Debian\'s postgresql-client package');
    log('installing pgbench (Debian postgresql-client)');
    execFileSync('sh', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-client >/dev/null'], { stdio: 'inherit' });
  }
}

export async function pgbenchCeiling(url, seconds, log) {
  const { text, variables } = await listStatement(url);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'task-manager-pgbench-'));
  try {
    const script = path.join(dir, 'list.sql');
    writeFileSync(script, `${variables}\n${text.replace(/\s+/g, ' ').trim()};\n`);
    log(`ceiling: pgbench, the list statement, prepared, 8 clients, ${seconds}s`);
    const parsed = new URL(url);
    const output = execFileSync(
      'pgbench',
      ['-n', '-M', 'prepared', '-c', '8', '-j', '2', '-T', String(seconds), '-f', script, '-h', parsed.hostname, '-p', parsed.port, '-U', decodeURIComponent(parsed.username), parsed.pathname.slice(1)],
      { env: { ...process.env, PGPASSWORD: decodeURIComponent(parsed.password) }, encoding: 'utf8' },
    );
    const tps = Number(/tps = ([\d.]+)/.exec(output)?.[1]);
    const failed = Number(/number of failed transactions: (\d+)/.exec(output)?.[1] ?? 0);
    if (!tps || failed) throw new Error(`pgbench failed:\n${output}`);
    return { name: 'ceiling: pgbench list statement', requestsPerSecond: Math.round(tps) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Runs the whole backend benchmark on a fresh database of the given server. The backend it
 * started is returned still running, for the page benchmark; the caller stops it.
 */
export async function benchBackend({ adminUrl, seconds, log }) {
  const database = await createTestDatabase(adminUrl);
  migrateUp(database.url);
  const ids = await seed(database.url, 10_000, log);
  const backend = await startService(PACKAGE_DIR, { DATABASE_URL: database.url, ...BENCH_ADMIN_ENV });
  try {
    // Every request is authenticated as a script's would be: a token from POST /api/login, as a Bearer header.
    const auth = await apiAuth(backend.url);
    // Each Argon2id hash holds its 19 MiB only while it runs (the admin's at start, this sign-in's):
    // the peak under load is measured from here, the sign-in's apart.
    const signInPeakRssMb = backend.peakRssMb();
    backend.resetPeakRss();
    let next = 0;
    const results = [];
    results.push(await load('warm-up', { url: `${backend.url}/api/tasks?limit=50`, headers: auth, duration: 2 }, () => {}));
    results.pop();
    const tiers = { backend: () => [backend.pid], postgresql: await postgresPids(database.url) };
    results.push(await withCpuPerRequest(tiers, () => load('backend: list limit=50', { url: `${backend.url}/api/tasks?limit=50`, headers: auth, duration: seconds }, log)));
    results.push(
      await load(
        'backend: get by id',
        { url: backend.url, headers: auth, duration: seconds, requests: [{ setupRequest: (request) => ({ ...request, path: `/api/tasks/${ids[next++ % ids.length]}` }) }] },
        log,
      ),
    );
    results.push(
      await load(
        'backend: create',
        {
          url: `${backend.url}/api/tasks`,
          duration: seconds,
          method: 'POST',
          headers: { ...auth, 'content-type': 'application/json' },
          body: JSON.stringify({ title: 'Benchmark task', description: 'Created under load', priority: 'high', tags: ['bench'] }),
        },
        log,
      ),
    );
    const peakRssMb = backend.peakRssMb();
    const ceiling = await pgbenchCeiling(database.url, seconds, log);
    return { results, ceiling, peakRssMb, signInPeakRssMb, backend, tiers };
  } catch (error) {
    await backend.stop();
    throw error;
  }
}
