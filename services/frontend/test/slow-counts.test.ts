import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SlowLink, UiClient, startStack, type Stack } from './support.js';

/**
 * The frontend reaches the real backend through a link that holds every /api/stats answer
 * back for STATS_DELAY_MS, as a backend counting a million tasks does, and that counts how
 * many stats calls are in flight at once.
 */
const STATS_DELAY_MS = 1000;
/** Far below the delay, far above a page's own cost on a busy machine. */
const FAST_PAGE_MS = 500;
/** The promise in docs/contracts.md: a second plus two counts' durations; with room for a busy machine. */
const MAX_LAG_MS = 1000 + 2 * STATS_DELAY_MS + 300;

const stats = { inFlight: 0, maxInFlight: 0, calls: 0 };

let slowLink: SlowLink;
let stack: Stack;
beforeAll(async () => {
  slowLink = await SlowLink.start((req, res) => {
    if (req.method !== 'GET' || req.url !== '/api/stats') return 0;
    stats.calls++;
    stats.maxInFlight = Math.max(stats.maxInFlight, ++stats.inFlight);
    res.once('close', () => stats.inFlight--);
    return STATS_DELAY_MS;
  });
  stack = await startStack({ backendUrl: slowLink.url });
  slowLink.target = stack.backend.url;
});
afterAll(async () => {
  await stack?.close();
  await slowLink?.close();
});

const htmx = { 'HX-Request': 'true' };
const PLACEHOLDER = /<nav id="counts"[^>]*hx-get="\/counts" hx-trigger="load"[^>]*>\s*<\/nav>/;
const shownTotal = (html: string) => {
  const match = /All <b>(\d+)<\/b>/.exec(html);
  return match ? Number(match[1]) : undefined;
};

async function timedGet(ui: UiClient, path: string, headers: Record<string, string> = {}) {
  const started = Date.now();
  const page = await ui.get(path, headers);
  return { ...page, started, ms: Date.now() - started };
}

/** Creates a task straight at the backend, as another replica or client would: the frontend cannot know. */
async function createElsewhere(title: string): Promise<void> {
  const response = await stack.fetch(`${stack.backend.url}/api/tasks`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ title }) });
  expect(response.status).toBe(201);
}

it('renders the first page without waiting for slow counts, and htmx fills them in', async () => {
  const ui = new UiClient(stack.url);
  const first = await timedGet(ui, '/');
  expect(first.status).toBe(200);
  expect(first.text).toContain('id="task-list"');
  expect(first.ms).toBeLessThan(FAST_PAGE_MS);
  expect(first.text).toMatch(PLACEHOLDER);
  const filled = await ui.get('/counts', htmx);
  expect(filled.status).toBe(200);
  expect(filled.text.trimStart()).toMatch(/^<nav id="counts"[^>]*>\s*<a href="\/">All <b>0<\/b>/);
  expect(filled.text).not.toContain('hx-get');
  // Without JavaScript there is nothing to fill: the address leads back to the page.
  const plain = await ui.get('/counts');
  expect(plain.status).toBe(303);
  expect(plain.headers.get('location')).toBe('/');
});

it('serves the last counts while one slow refresh runs, and they keep up with changes made elsewhere', async () => {
  const ui = new UiClient(stack.url);
  expect(shownTotal((await ui.get('/counts', htmx)).text)).toBeDefined();
  stats.maxInFlight = stats.inFlight;
  const callsBefore = stats.calls;
  const created: number[] = [];
  const base = shownTotal((await ui.get('/counts', htmx)).text)!;
  const pages: { started: number; ms: number; total: number | undefined }[] = [];
  let loading = true;
  const readers = Array.from({ length: 4 }, async () => {
    while (loading) {
      const page = await timedGet(ui, '/');
      expect(page.status).toBe(200);
      pages.push({ started: page.started, ms: page.ms, total: shownTotal(page.text) });
    }
  });
  for (let i = 0; i < 12; i++) {
    await createElsewhere(`Made elsewhere ${i}`);
    created.push(Date.now());
    await sleep(400);
  }
  loading = false;
  await Promise.all(readers);

  expect(stats.maxInFlight).toBe(1);
  expect(pages.length).toBeGreaterThan(40);
  expect(Math.max(...pages.map((page) => page.ms))).toBeLessThan(FAST_PAGE_MS);
  expect(pages.filter((page) => page.total === undefined)).toEqual([]);
  // Refreshes ran back to back while the pages came, each lasting the delay.
  const elapsed = Date.now() - pages[0]!.started;
  expect(stats.calls - callsBefore).toBeLessThanOrEqual(Math.ceil(elapsed / STATS_DELAY_MS) + 1);
  expect(stats.calls - callsBefore).toBeGreaterThan(2);
  for (const page of pages) {
    const mustShow = created.filter((at) => at < page.started - MAX_LAG_MS).length;
    const mayShow = created.filter((at) => at < page.started + page.ms).length + 1;
    expect(page.total! - base, `page at +${page.started - pages[0]!.started} ms`).toBeGreaterThanOrEqual(mustShow);
    expect(page.total! - base).toBeLessThanOrEqual(mayShow);
  }
  await expect.poll(async () => shownTotal((await ui.get('/')).text), { timeout: MAX_LAG_MS * 2 }).toBe(base + created.length);
});

it('never shows counts from before a change made through the frontend, however slow they are', async () => {
  const ui = new UiClient(stack.url);
  await ui.open();
  const before = shownTotal((await ui.get('/counts', htmx)).text)!;
  const started = Date.now();
  const created = await ui.post('/tasks', { title: 'Counted by me' }, { ...htmx, 'X-CSRF-Token': ui.csrf });
  expect(created.status).toBe(201);
  expect(Date.now() - started).toBeLessThan(FAST_PAGE_MS);
  // The counts there were do not show the new task: an empty place that htmx fills goes out instead.
  expect(created.text).toMatch(/<nav id="counts"[^>]*hx-swap-oob="true"[^>]*hx-get="\/counts"[^>]*>\s*<\/nav>/);
  const page = await timedGet(ui, '/');
  expect(page.ms).toBeLessThan(FAST_PAGE_MS);
  expect(page.text).toMatch(PLACEHOLDER);
  expect(shownTotal((await ui.get('/counts', htmx)).text)).toBe(before + 1);
  expect(shownTotal((await ui.get('/')).text)).toBe(before + 1);
});
