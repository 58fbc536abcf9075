/**
 * The frontend benchmark: the full page of 50 tasks (what a browser's first visit costs:
 * the list and the header counts fetched from the backend, then rendered), through
 * frontend → backend → PostgreSQL, at the same 32 connections as the backend's own list
 * benchmark so the two compare. Called by `npm run bench` (main.mjs) with a running, seeded
 * backend; alone: `BACKEND_URL=http://127.0.0.1:5000 node scripts/bench/frontend.mjs` (a backend
 * started with BENCH_ADMIN_ENV). Every page is asked as a signed-in browser asks it: with the
 * cookie of a UI session.
 */
import { randomBytes } from 'node:crypto';
import { SERVICES, apiAuth, load, pageAuth, startService, withCpuPerRequest } from './lib.mjs';

const PACKAGE_DIR = new URL('frontend/', SERVICES);

/** Every page of the list, as the frontend's URLs (`/?cursor=…`), found by walking the backend's cursors. */
async function everyPageUrl(backendUrl) {
  const headers = await apiAuth(backendUrl);
  const urls = ['/'];
  let cursor = null;
  do {
    const response = await fetch(`${backendUrl}/api/tasks?limit=50${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { headers });
    cursor = (await response.json()).nextCursor;
    if (cursor) urls.push(`/?cursor=${encodeURIComponent(cursor)}`);
  } while (cursor && urls.length < 1000);
  return urls;
}

/**
 * Two loads of the full page. The first asks for the same page again and again, as the
 * backend's list benchmark asks for the same list: the frontend then reuses what it rendered
 * and the backend answers 304 (the data has not changed). The second goes round every page of
 * the list in turn, more pages than the frontend keeps, so that nothing is reused: every page
 * is read from PostgreSQL, sent whole and rendered afresh.
 * `tiers` lists the processes behind `backendUrl` by tier (see withCpuPerRequest).
 */
export async function benchPage({ backendUrl, tiers = {}, seconds, log }) {
  const frontend = await startService(PACKAGE_DIR, { BACKEND_API_URL: backendUrl, SESSION_SECRET: randomBytes(32).toString('hex') });
  try {
    const headers = await pageAuth(backendUrl);
    const page = await fetch(`${frontend.url}/`, { headers, redirect: 'manual' });
    const rows = ((await page.text()).match(/<li id="task-/g) ?? []).length;
    if (page.status !== 200 || rows !== 50) throw new Error(`the page answered ${page.status} with ${rows} tasks; the bench needs a backend with at least 50`);
    const costed = (name, options) => withCpuPerRequest({ frontend: () => [frontend.pid], ...tiers }, () => load(name, { duration: seconds, ...options }, log));
    await load('warm-up', { url: `${frontend.url}/`, headers, duration: 2 }, () => {});
    const same = await costed('frontend: full page, 50 tasks', { url: `${frontend.url}/`, headers });
    const urls = await everyPageUrl(backendUrl);
    let next = 0;
    const fresh = await costed(`frontend: full page, 50 tasks, ${urls.length} pages in turn (nothing reused)`, {
      url: frontend.url,
      headers,
      requests: [{ setupRequest: (request) => ({ ...request, path: urls[next++ % urls.length] }) }],
    });
    return { same, fresh, peakRssMb: frontend.peakRssMb() };
  } finally {
    await frontend.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const backendUrl = process.env.BACKEND_URL;
  if (!backendUrl) {
    console.error('set BACKEND_URL to a running, seeded backend started with the bench admin (or run `npm run bench` at the root)');
    process.exit(1);
  }
  const result = await benchPage({ backendUrl, seconds: Number(process.env.BENCH_SECONDS ?? 10), log: console.log });
  console.log(result);
}
