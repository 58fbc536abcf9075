// The real UI through the cluster's NodePort in Chromium, signed in: the first admin creates, edits,
// completes and deletes a task, then creates a member and a viewer on the users page; each of them
// signs in and can do exactly what the role allows (member: writes tasks, no users page; viewer:
// no write controls, and a write posted anyway is refused and changes nothing).
//   ADMIN_EMAIL=... ADMIN_PASSWORD=... node tests/e2e/browser.mjs [BASE_URL]   (default http://10.213.0.1:30080)
// Screenshots: test-results/e2e-browser-*.png (repo root). Exit 0 when every step held, 1 otherwise.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from '../chromium.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const URL = (process.argv[2] || process.env.BASE_URL || 'http://10.213.0.1:30080').replace(/\/+$/, '');
const SHOTS = path.join(ROOT, 'test-results');
const RUN = Date.now();
const TITLE = `Browser e2e ${RUN}`;
const EDITED = `${TITLE} (edited)`;
const ADMIN = { email: process.env.ADMIN_EMAIL, password: process.env.ADMIN_PASSWORD };
// Each role's account: made by the admin in the UI, with a password only this run knows.
const PEOPLE = {
  member: { email: `member-${RUN}@e2e.example`, displayName: `E2E member ${RUN}`, password: `member pass ${RUN}` },
  viewer: { email: `viewer-${RUN}@e2e.example`, displayName: `E2E viewer ${RUN}`, password: `viewer pass ${RUN}` },
};

if (!ADMIN.email || !ADMIN.password) {
  console.error('browser: ADMIN_EMAIL and ADMIN_PASSWORD (the first admin, from the release\'s admin Secret) are needed');
  process.exit(2);
}

/** Polls fn until it returns true, for up to 10 s; throws naming what it waited for. */
async function until(what, fn) {
  const end = Date.now() + 10_000;
  let last;
  while (Date.now() < end) {
    try {
      if (await fn()) return;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${last ? ` (${last.message})` : ''}`);
}

const profile = await mkdtemp(path.join(os.tmpdir(), 'tm-e2e-chromium-'));
await mkdir(SHOTS, { recursive: true });
const context = await chromium.launchPersistentContext(profile, {
  executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true, viewport: { width: 1280, height: 900 },
});
context.setDefaultTimeout(15_000);
const page = context.pages()[0] ?? (await context.newPage());
const errors = [];
page.on('pageerror', (e) => errors.push(e.message));
page.on('dialog', (d) => void d.accept());
// a writer's title is a link to its edit form, a viewer's plain text
const row = (title) => page.locator('#task-rows > li.task', { has: page.locator('.title', { hasText: title }) });
const shot = (name) => page.screenshot({ path: path.join(SHOTS, `e2e-browser-${name}.png`), fullPage: true });
const steps = [];
async function step(name, fn) {
  const t = Date.now();
  await fn();
  steps.push(name);
  console.log(`    browser: ${name} (${Date.now() - t} ms)`);
}
const count = (selector) => page.locator(selector).count();

/** Signs in on /login; lands on the task list (a temporary password is changed first, on /account). */
async function signIn(who) {
  await page.goto(`${URL}/login`);
  await page.fill('input[name=email]', who.email);
  await page.fill('input[name=password]', who.password);
  await page.click('form:has(input[name=password]) [type=submit]');
  await until('the page after sign-in', async () => !new globalThis.URL(page.url()).pathname.startsWith('/login'));
  if (new globalThis.URL(page.url()).pathname.startsWith('/account')) {
    const changed = `${who.password} changed`;
    await page.fill('input[name=currentPassword]', who.password);
    await page.fill('input[name=newPassword]', changed);
    await page.click('form:has(input[name=newPassword]) [type=submit]');
    who.password = changed;
    await page.goto(`${URL}/`);
  }
  if ((await page.locator('h1').first().innerText()) !== 'Task Manager') throw new Error(`signed in as ${who.email}, but no task list at ${page.url()}`);
}

async function signOut() {
  await page.click('form[action="/logout"] [type=submit]');
  await until('the sign-in page', async () => new globalThis.URL(page.url()).pathname.startsWith('/login'));
  const res = await page.goto(`${URL}/`);
  if (!new globalThis.URL(page.url()).pathname.startsWith('/login')) throw new Error(`after signing out, GET / -> ${res?.status()} ${page.url()}`);
}

/** The CSRF token the page sends with htmx requests (the body's hx-headers). */
async function pageCsrf() {
  return JSON.parse((await page.locator('body').getAttribute('hx-headers')) ?? '{}')['X-CSRF-Token'];
}

/** POSTs a form to `action` with the page's cookies and CSRF token, as a crafted request would. */
async function postForm(action, fields) {
  const res = await page.request.post(`${URL}${action}`, { form: { _csrf: await pageCsrf(), ...fields }, maxRedirects: 0 });
  return res.status();
}

async function createTask(title) {
  await page.fill('#new-title', title);
  await page.selectOption('#new-priority', 'high');
  await page.fill('#new-tags', 'e2e, browser');
  await page.click('#new-task button[type=submit]');
  await until(`the new row ${title}`, async () => (await row(title).count()) === 1);
}

let ok = false;
try {
  await step('without a session, / sends the visitor to /login', async () => {
    await page.goto(`${URL}/`);
    if (!new globalThis.URL(page.url()).pathname.startsWith('/login')) throw new Error(`GET / ended at ${page.url()}`);
    if ((await count('input[type=password]')) !== 1) throw new Error('no password field on /login');
  });
  await shot('login');
  await step(`sign in as the first admin (${ADMIN.email})`, () => signIn(ADMIN));
  await step('create a task', () => createTask(TITLE));
  await shot('created');
  await step('edit its title inline', async () => {
    await row(TITLE).locator('a.title').click();
    const input = page.locator('.task.editing input[name=title]');
    await until('the edit form', async () => (await input.count()) === 1);
    await input.fill(EDITED);
    await page.click('.task.editing button[type=submit]');
    await until('the edited row', async () => (await row(EDITED).count()) === 1 && (await page.locator('.task.editing').count()) === 0);
  });
  await step('complete it', async () => {
    await row(EDITED).locator('button.complete').click();
    await until('status-done on the row', async () => (await row(EDITED).getAttribute('class'))?.includes('status-done'));
  });
  await step('the change is stored (reload shows it done)', async () => {
    await page.goto(`${URL}/?q=${encodeURIComponent('Browser e2e')}`);
    await until('the done row after reload', async () => (await row(EDITED).getAttribute('class'))?.includes('status-done'));
  });
  await shot('admin');
  await step('delete it (confirming)', async () => {
    await row(EDITED).locator('a.delete').click();
    await until('the row gone', async () => (await row(EDITED).count()) === 0);
    await page.goto(`${URL}/?q=${encodeURIComponent(EDITED)}`);
    if ((await row(EDITED).count()) !== 0) throw new Error('still listed after a reload');
  });
  await step('create a member and a viewer on the users page', async () => {
    await page.click('a[href="/users"]');
    await until('the users page', async () => new globalThis.URL(page.url()).pathname === '/users');
    for (const [role, who] of Object.entries(PEOPLE)) {
      const form = page.locator('form:has(input[name=displayName])').first();
      await form.locator('input[name=email]').fill(who.email);
      await form.locator('input[name=displayName]').fill(who.displayName);
      await form.locator('select[name=role]').selectOption(role);
      await form.locator('input[name=password]').fill(who.password);
      await form.locator('[type=submit]').click();
      await until(`${who.email} listed`, async () => (await page.getByText(who.email).count()) > 0);
    }
  });
  await shot('users');
  await step('sign out', signOut);

  const MEMBER_TITLE = `${TITLE} by the member`;
  await step('sign in as the member', () => signIn(PEOPLE.member));
  await step('member: creates a task', () => createTask(MEMBER_TITLE));
  await step('member: no users page (no link; /users refused)', async () => {
    if ((await count('a[href="/users"]')) !== 0) throw new Error('a link to /users');
    const res = await page.goto(`${URL}/users`);
    if (res?.status() !== 403) throw new Error(`GET /users -> ${res?.status()}, expected 403`);
    await page.goto(`${URL}/?q=${encodeURIComponent(MEMBER_TITLE)}`);
  });
  await shot('member');
  await step('sign out', signOut);

  const REFUSED_TITLE = `${TITLE} by the viewer`;
  await step('sign in as the viewer', () => signIn(PEOPLE.viewer));
  await step('viewer: sees the member\'s task, and no write controls', async () => {
    await page.goto(`${URL}/?q=${encodeURIComponent(MEMBER_TITLE)}`);
    await until('the member\'s task listed', async () => (await row(MEMBER_TITLE).count()) === 1);
    const controls = { '#new-task': 0, '#bulk': 0, '#task-rows button.complete': 0, '#task-rows a.delete': 0, '#task-rows select[name=status]': 0, 'a[href="/users"]': 0 };
    for (const selector of Object.keys(controls)) controls[selector] = await count(selector);
    const shown = Object.entries(controls).filter(([, n]) => n > 0);
    if (shown.length) throw new Error(`write controls shown to a viewer: ${shown.map(([s, n]) => `${s} x${n}`).join(', ')}`);
  });
  await shot('viewer');
  await step('viewer: a create posted anyway is refused (403) and nothing is stored', async () => {
    const status = await postForm('/tasks', { title: REFUSED_TITLE, priority: 'high' });
    if (status !== 403) throw new Error(`POST /tasks as a viewer -> ${status}, expected 403`);
    await page.goto(`${URL}/?q=${encodeURIComponent(REFUSED_TITLE)}`);
    if ((await row(REFUSED_TITLE).count()) !== 0) throw new Error('the refused task is listed');
  });
  await step('sign out', signOut);
  if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
  ok = true;
} catch (error) {
  console.log(`    browser: FAILED after [${steps.join(', ')}]: ${error.message}`);
  await shot('failure').catch(() => {});
} finally {
  await context.close();
  await rm(profile, { recursive: true, force: true });
}
console.log(`    browser: screenshots in ${path.relative(ROOT, SHOTS)}/e2e-browser-*.png`);
process.exit(ok ? 0 : 1);
