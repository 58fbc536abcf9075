/**
 * The growth benchmark's data: what its figures mean depends on it, so its spread is checked
 * here on a real PostgreSQL, with the backend's own migrations.
 */
import postgres from 'postgres';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, startTestPostgres } from '@task-manager/kit/testing';
import { COMMON, RARE, RARE_TAG, seed } from '../growth.mjs';
import { migrateUp } from '../lib.mjs';

const COUNT = 10_000;
let server;
let database;
let sql;
let indexDefinitions;
let ids;
beforeAll(async () => {
  server = await startTestPostgres();
  database = await createTestDatabase(server.adminUrl);
  migrateUp(database.url);
  sql = postgres(database.url, { onnotice: () => {}, max: 1 });
  const indexes = () => sql`select indexdef from pg_indexes where tablename = 'tasks' order by indexname`;
  const before = await indexes();
  ids = await seed(database.url, COUNT);
  indexDefinitions = { before, after: await indexes() };
}, 120_000);
afterAll(async () => {
  await sql?.end();
  await database?.drop();
  await server?.stop();
});

const share = async (where) => Number((await sql.unsafe(`select count(*) filter (where ${where})::float / count(*) as share from tasks`))[0].share);

it('seeds the count asked for, with every index the migrations made built again', async () => {
  expect(Number((await sql`select count(*) from tasks`)[0].count)).toBe(COUNT);
  expect(indexDefinitions.after).toEqual(indexDefinitions.before);
  expect(indexDefinitions.after.length).toBeGreaterThan(5);
  expect(new Set(ids).size).toBe(1000);
});

it('has a word in exactly 1 task in 1,000, one in 1 in 5, and a tag in 1 in 1,000, as substring search finds them', async () => {
  const matching = async (word) => Number((await sql`select count(*) from tasks where (title || ' ' || description) ilike ${`%${word}%`}`)[0].count);
  expect(await matching(RARE)).toBe(COUNT / 1000);
  expect(await matching(COMMON)).toBe(COUNT / 5);
  expect(Number((await sql`select count(*) from tasks where tags @> ${sql.array([RARE_TAG])}`)[0].count)).toBe(COUNT / 1000);
});

it('spreads statuses, priorities, due dates (some overdue) and tags as a team would', async () => {
  expect(await share(`status = 'todo'`)).toBeCloseTo(0.5, 1);
  expect(await share(`status = 'in_progress'`)).toBeCloseTo(0.2, 1);
  expect(await share(`priority = 'high'`)).toBeCloseTo(0.2, 1);
  expect(await share(`priority = 'low'`)).toBeCloseTo(0.3, 1);
  expect(await share('due_date is null')).toBeCloseTo(0.3, 1);
  expect(await share(`due_date < current_date and status <> 'done'`)).toBeGreaterThan(0.1);
  expect(await share('due_date > current_date + 60')).toBeGreaterThan(0.05);
  expect(await share('cardinality(tags) = 0')).toBeGreaterThan(0.1);
  expect(await share('cardinality(tags) >= 2')).toBeGreaterThan(0.2);
  expect(await share(`created_at < now() - interval '1 year'`)).toBeCloseTo(0.5, 1);
  expect(await share('updated_at < created_at')).toBe(0);
  // Descriptions differ: words are drawn per task, not once for all.
  expect(Number((await sql`select count(distinct description) from tasks`)[0].count)).toBeGreaterThan(COUNT * 0.9);
});
