import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UiClient, createTasks, startStack, type Stack } from './support.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.close();
});

const htmx = { 'HX-Request': 'true' };

describe('the page', () => {
  it('renders the full page with the security headers the issue asks for', async () => {
    const ui = new UiClient(stack.url);
    const page = await ui.get('/');
    expect(page.status).toBe(200);
    expect(page.text).toContain('<!doctype html>');
    expect(page.text).toContain('id="task-list"');
    expect(page.text).toMatch(/<nav id="counts"[^>]*>\s*<a href="\/">All <b>0<\/b>/);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.headers.get('referrer-policy')).toBe('same-origin');
    expect(page.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
  });

  it('answers htmx with the list fragment alone, and says so in Vary', async () => {
    const ui = new UiClient(stack.url);
    const fragment = await ui.get('/?q=nothing-matches', htmx);
    expect(fragment.status).toBe(200);
    expect(fragment.text.trimStart()).toMatch(/^<section id="task-list"/);
    expect(fragment.text).not.toContain('<html');
    expect(fragment.headers.get('vary')).toMatch(/HX-Request/i);
  });

  it('serves assets under content-hashed names with long-lived caching and strong ETags', async () => {
    const page = await new UiClient(stack.url).get('/');
    const htmxUrl = /src="(\/static\/vendor\/htmx\.min\.[0-9a-f]{12}\.js)"/.exec(page.text)?.[1];
    expect(htmxUrl).toBeDefined();
    const asset = await fetch(`${stack.url}${htmxUrl}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toContain('immutable');
    const etag = asset.headers.get('etag')!;
    expect(etag).toMatch(/^"[0-9a-f]{12}"$/);
    expect((await asset.text()).length).toBeGreaterThan(10_000);
    expect((await fetch(`${stack.url}${htmxUrl}`, { headers: { 'if-none-match': etag } })).status).toBe(304);
  });
});

describe('creating a task', () => {
  it('refuses a post without the CSRF token, and one with a forged session', async () => {
    const ui = new UiClient(stack.url);
    await ui.open();
    expect((await ui.post('/tasks', { title: 'no token' })).status).toBe(403);
    expect((await ui.post('/tasks', { title: 'wrong token', _csrf: 'x'.repeat(32) })).status).toBe(403);
    const stranger = new UiClient(stack.url);
    const refused = await stranger.post('/tasks', { title: 'stolen token', _csrf: ui.csrf });
    expect(refused.status).toBe(403);
    expect(refused.text).toContain('Reload the page');
  });

  it('creates with a plain form post, redirects, and shows a flash once', async () => {
    const ui = new UiClient(stack.url);
    await ui.open();
    const created = await ui.post('/tasks', { _csrf: ui.csrf, title: 'Plain form task', priority: 'high', tags: 'Home, errands', dueDate: '', description: '' });
    expect(created.status).toBe(303);
    expect(created.headers.get('location')).toBe('/');
    const page = await ui.get('/');
    expect(page.text).toContain('Created “Plain form task”.');
    expect(page.text).toContain('#home');
    expect(page.text).toContain('#errands');
    expect((await ui.get('/')).text).not.toContain('Created “Plain form task”.');
  });

  it('creates with htmx: the fresh form, the new row out-of-band, and the counts', async () => {
    const ui = new UiClient(stack.url);
    await ui.open();
    const created = await ui.post('/tasks', { title: 'Htmx task', priority: 'low' }, { ...htmx, 'X-CSRF-Token': ui.csrf });
    expect(created.status).toBe(201);
    expect(created.text.trimStart()).toMatch(/^<form id="new-task"/);
    expect(created.text).toContain('hx-swap-oob="afterbegin:#task-rows"');
    expect(created.text).toContain('Htmx task');
    expect(created.text).toMatch(/<nav id="counts"[^>]*hx-swap-oob="true"/);
  });

  it('shows the backend’s 422 details next to the fields and keeps what was typed', async () => {
    const ui = new UiClient(stack.url);
    await ui.open();
    const refused = await ui.post('/tasks', { _csrf: ui.csrf, title: '   ', description: 'typed words', dueDate: '2024-02-30', tags: 'ok' });
    expect(refused.status).toBe(422);
    expect(refused.text).toContain('<!doctype html>');
    expect(refused.text).toMatch(/id="new-title-error">must not be empty/);
    expect(refused.text).toMatch(/id="new-dueDate-error">must be a date/);
    expect(refused.text).toContain('>typed words</textarea>');
    expect(refused.text).toContain('value="2024-02-30"');
    const fragment = await ui.post('/tasks', { title: '', description: 'kept' }, { ...htmx, 'X-CSRF-Token': ui.csrf });
    expect(fragment.status).toBe(422);
    expect(fragment.text.trimStart()).toMatch(/^<form id="new-task"/);
    expect(fragment.text).toContain('>kept</textarea>');
  });

  it('escapes user text: a script title is shown as text', async () => {
    const ui = new UiClient(stack.url);
    await createTasks(stack.url, [{ title: '<script>alert(1)</script>', tags: ['<b>x</b>'] }]);
    const page = await ui.get('/?q=alert');
    expect(page.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page.text).not.toContain('<script>alert(1)</script>');
    expect(page.text).not.toContain('<b>x</b>');
  });
});
