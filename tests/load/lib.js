// Shared pieces of the k6 scripts: the target, the requests a user makes, and a one-line summary.
import http from 'k6/http';
import { check } from 'k6';

/**
 * Every failed request leaves one line on stderr (k6's console.warn): what failed, and how.
 * @param {import('k6/http').Response} res
 */
function logFailure(res) {
  if (res.status >= 200 && res.status < 400) return;
  const body = (res.body || '').toString().slice(0, 160).replace(/\s+/g, ' ');
  console.warn(`failed: ${res.request.method} ${res.url} -> ${res.status} ${res.error || ''} ` +
    `after ${res.timings.duration.toFixed(0)} ms: ${body}`);
}
http.setResponseCallback(http.expectedStatuses({ min: 200, max: 399 }));

/** Target: BASE_URL (no trailing slash), e.g. http://10.213.0.1:30080 or http://127.0.0.1:8080. */
export const BASE_URL = (__ENV.BASE_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');
/**
 * Who the requests act as: TOKEN (a personal access token, e.g. from POST /api/tokens) goes on
 * every request as `Authorization: Bearer`; COOKIE (`tm_sid=...` of a UI sign-in) on the page
 * request too, for a frontend that signs pages in by its session cookie.
 */
/** @type {Record<string, string>} */
const AUTH = __ENV.TOKEN ? { Authorization: `Bearer ${__ENV.TOKEN}` } : {};
/** @type {Record<string, string>} */
const PAGE_HEADERS = __ENV.COOKIE ? { ...AUTH, Cookie: __ENV.COOKIE } : AUTH;
const JSON_HEADERS = { ...AUTH, 'Content-Type': 'application/json' };

/** Trend statistics every script reports (p99 is not in k6's default set). */
export const TREND_STATS = ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)'];

export function page() {
  const res = http.get(`${BASE_URL}/`, { headers: PAGE_HEADERS, tags: { name: 'GET /' } });
  logFailure(res);
  check(res, { 'GET / is 200': (r) => r.status === 200, 'GET / is the task list': (r) => String(r.body || '').includes('id="task-list"') });
  return res;
}

export function list() {
  const res = http.get(`${BASE_URL}/api/tasks?limit=20`, { headers: AUTH, tags: { name: 'GET /api/tasks' } });
  logFailure(res);
  check(res, { 'list is 200': (r) => r.status === 200, 'list has items': (r) => Array.isArray(r.json('items')) });
  return res;
}

/**
 * Create, read, update and delete one task: 4 requests, each checked.
 * @param {string} label the start of the task's title
 */
export function crud(label) {
  const title = `${label} ${__VU}-${__ITER}-${Date.now()}`;
  const created = http.post(`${BASE_URL}/api/tasks`, JSON.stringify({ title, priority: 'medium', tags: ['k6'] }),
    { headers: JSON_HEADERS, tags: { name: 'POST /api/tasks' } });
  logFailure(created);
  if (!check(created, { 'create is 201': (r) => r.status === 201 })) return;
  const id = created.json('id');
  const got = http.get(`${BASE_URL}/api/tasks/${id}`, { headers: AUTH, tags: { name: 'GET /api/tasks/{id}' } });
  logFailure(got);
  check(got, { 'get is 200': (r) => r.status === 200 && r.json('title') === title });
  const patched = http.patch(`${BASE_URL}/api/tasks/${id}`, JSON.stringify({ status: 'done' }),
    { headers: JSON_HEADERS, tags: { name: 'PATCH /api/tasks/{id}' } });
  logFailure(patched);
  check(patched, { 'patch is 200': (r) => r.status === 200 && r.json('status') === 'done' });
  const deleted = http.del(`${BASE_URL}/api/tasks/${id}`, null, { headers: AUTH, tags: { name: 'DELETE /api/tasks/{id}' } });
  logFailure(deleted);
  check(deleted, { 'delete is 204': (r) => r.status === 204 });
}

/**
 * One user step: mostly reads, some writes (the mix of the steady and load scenarios).
 * @param {string} label the start of the titles of the tasks it writes
 */
export function mixed(label) {
  const x = Math.random();
  if (x < 0.4) list();
  else if (x < 0.8) page();
  else crud(label);
}

/**
 * A metric of k6's end-of-test summary, as handleSummary receives it.
 * @typedef {{ values: Record<string, number>, thresholds?: Record<string, { ok: boolean }> }} Metric
 */

/** @param {number | undefined} v */
function ms(v) {
  return v === undefined ? 'n/a' : `${v.toFixed(1)} ms`;
}

/**
 * handleSummary: one line `k6 <name>: requests N, failed F, p95 .., p99 .., thresholds ok|FAILED`
 * on stdout, and the whole summary as JSON in SUMMARY_FILE when set.
 * @param {string} name
 * @returns {(data: { metrics: Record<string, Metric> }) => Record<string, string>}
 */
export function summary(name) {
  return (data) => {
    const m = data.metrics;
    const reqs = m.http_reqs ? m.http_reqs.values.count : 0;
    const failed = m.http_req_failed ? m.http_req_failed.values.passes : 0;
    const d = m.http_req_duration ? m.http_req_duration.values : {};
    const dropped = m.dropped_iterations ? m.dropped_iterations.values.count : 0;
    const checks = m.checks ? m.checks.values : { passes: 0, fails: 0 };
    const crossed = Object.entries(m).filter(([, v]) => v.thresholds && Object.values(v.thresholds).some((t) => !t.ok))
      .map(([k]) => k);
    const line = `k6 ${name}: requests ${reqs}, failed ${failed}, checks ${checks.passes} ok / ${checks.fails} failed, ` +
      `p95 ${ms(d['p(95)'])}, p99 ${ms(d['p(99)'])}, max ${ms(d.max)}, dropped iterations ${dropped}, ` +
      `thresholds ${crossed.length ? `FAILED (${crossed.join(', ')})` : 'ok'}\n`;
    /** @type {Record<string, string>} */
    const out = { stdout: line };
    if (__ENV.SUMMARY_FILE) {
      out[__ENV.SUMMARY_FILE] = JSON.stringify({ name, requests: reqs, failed, checks, dropped,
        p95: d['p(95)'], p99: d['p(99)'], max: d.max, crossed });
    }
    return out;
  };
}
