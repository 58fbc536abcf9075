import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import axe from 'axe-core';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, CHROMIUM, CHROMIUM_ARGS as ARGS, SCREENSHOTS, SlowLink, createTasks, startStack, suiteLogs, type Account, type Stack } from './support.js';


let stack: Stack;
const profiles: string[] = [];
const contexts: BrowserContext[] = [];

/** Signs `target` in through the login form, as a person does (with or without JavaScript). */
async function signIn(target: Page, url: string, account: Account): Promise<void> {
  await target.goto(`${url}/login`);
  await target.fill('#login-email', account.email);
  suiteLogs.remember('password', account.password);
  await target.fill('#login-password', account.password);
  await Promise.all([target.waitForURL((address) => address.pathname !== '/login'), target.click('.sign-in button[type=submit]')]);
}

/**
 * A Chromium of its own with a fresh profile, so no test inherits another's cookies or cache,
 * signed in at `signIn.url` (the stack's) as `signIn.account` (the admin) unless `signIn` is false.
 */
async function browser(
  options: { javaScriptEnabled?: boolean; width?: number; pageScripts?: boolean; signIn?: { url?: string; account?: Account } | false } = {},
): Promise<Page> {
  const profile = await mkdtemp(path.join(os.tmpdir(), 'task-manager-chromium-'));
  profiles.push(profile);
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: ARGS,
    headless: true,
    javaScriptEnabled: options.javaScriptEnabled ?? true,
    viewport: { width: options.width ?? 1280, height: 900 },
  });
  contexts.push(context);
  context.setDefaultTimeout(10_000);
  // The page as without JavaScript, yet with the engine on for a test's own scripts (axe-core).
  if (options.pageScripts === false) await context.route('**/*.js', (route) => route.abort());
  const page = context.pages()[0] ?? (await context.newPage());
  if (options.signIn !== false) await signIn(page, options.signIn?.url ?? stack.url, options.signIn?.account ?? ADMIN);
  return page;
}

let page: Page;
const dialogs: string[] = [];
const cspViolations: string[] = [];

beforeAll(async () => {
  stack = await startStack();
  page = await browser();
  page.on('console', (message) => {
    if (/content security policy/i.test(message.text())) cspViolations.push(message.text());
  });
  page.on('dialog', (dialog) => {
    dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    void dialog.accept();
  });
});
afterAll(async () => {
  for (const context of contexts) await context.close();
  for (const profile of profiles) await rm(profile, { recursive: true, force: true });
  await stack?.close();
});

/** Marks the window; a full reload loses the mark, an htmx swap keeps it. */
async function markWindow(): Promise<void> {
  await page.evaluate(() => Object.assign(window, { swapMarker: 'still here' }));
}
async function windowKeptMark(): Promise<boolean> {
  return page.evaluate(() => (window as unknown as { swapMarker?: string }).swapMarker === 'still here');
}

const WCAG_21_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

/**
 * Runs axe-core's WCAG 2.1 A and AA rules over the page as it is now. The script goes in
 * through the DevTools protocol, which the page's CSP does not govern (a script tag would be
 * refused); a failure prints each violation with the elements it names, so it says what to fix.
 */
async function expectAccessible(target: Page, state: string): Promise<void> {
  if (!(await target.evaluate(() => 'axe' in window))) await target.evaluate(axe.source);
  const violations = await target.evaluate(async (tags) => {
    const { axe: inPage } = window as unknown as { axe: typeof axe };
    const results = await inPage.run(document, { runOnly: { type: 'tag', values: tags } });
    return results.violations.map(({ id, impact, help, nodes }) => ({
      id,
      impact,
      help,
      nodes: nodes.map((node) => `${node.target.join(' ')}: ${node.failureSummary ?? ''}`),
    }));
  }, WCAG_21_AA);
  expect(violations, `axe-core on ${state}:\n${JSON.stringify(violations, null, 2)}`).toEqual([]);
}

function row(title: string) {
  return page.locator('#task-rows > li.task', { has: page.locator('a.title', { hasText: title }) });
}

describe('accessibility before any task exists', () => {
  it('finds no WCAG 2.1 AA violation on the empty task list', async () => {
    await page.goto(`${stack.url}/`);
    expect(await page.locator('#task-rows > li.empty').isVisible()).toBe(true);
    await expectAccessible(page, 'the empty task list');
  });
});

describe('with JavaScript (htmx)', () => {
  it('creates a task without a full reload and updates the counts', async () => {
    await page.goto(`${stack.url}/`);
    await markWindow();
    await page.fill('#new-title', 'Write the report');
    await page.fill('#new-description', 'Quarterly numbers');
    await page.selectOption('#new-priority', 'high');
    await page.fill('#new-dueDate', '2020-01-01');
    await page.fill('#new-tags', 'work, urgent');
    await page.click('#new-task button[type=submit]');
    await expect.poll(() => row('Write the report').count()).toBe(1);
    await expect.poll(() => page.locator('#counts').innerText()).toContain('All 1');
    expect(await row('Write the report').getAttribute('class')).toContain('is-overdue');
    expect(await row('Write the report').innerText()).toContain('#urgent');
    expect(await page.inputValue('#new-title')).toBe('');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('new-title');
    expect(await windowKeptMark()).toBe(true);
  });

  it('shows the backend’s validation message next to the field, keeping the input', async () => {
    await page.fill('#new-title', '');
    await page.fill('#new-description', 'typed but not saved');
    await page.click('#new-task button[type=submit]');
    await expect.poll(() => page.locator('#new-title-error').innerText()).toContain('must not be empty');
    expect(await page.inputValue('#new-description')).toBe('typed but not saved');
    await page.fill('#new-description', '');
  });

  it('edits a title inline', async () => {
    await markWindow();
    await row('Write the report').locator('a.title').click();
    const title = page.locator('.task.editing input[name=title]');
    await expect.poll(() => title.count()).toBe(1);
    expect(await page.evaluate(() => (document.activeElement as HTMLInputElement | null)?.name)).toBe('title');
    await title.fill('Write the final report');
    await page.click('.task.editing button[type=submit]');
    await expect.poll(() => row('Write the final report').count()).toBe(1);
    await expect.poll(() => page.locator('.task.editing').count()).toBe(0);
    expect(await windowKeptMark()).toBe(true);
  });

  it('works from the keyboard: Enter opens the edit, Escape cancels, focus returns to the title', async () => {
    const title = row('Write the final report').locator('a.title');
    await title.focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.evaluate(() => (document.activeElement as HTMLInputElement | null)?.name)).toBe('title');
    await page.keyboard.press('Escape');
    await expect.poll(() => page.locator('.task.editing').count()).toBe(0);
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent)).toBe('Write the final report');
  });

  it('completes a task', async () => {
    await row('Write the final report').locator('button.complete').click();
    await expect.poll(() => row('Write the final report').getAttribute('class')).toContain('status-done');
    await expect.poll(() => page.locator('#counts').innerText()).toContain('Done 1');
  });

  it('searches as the user types, with the URL following and back working', async () => {
    await createTasks(stack, [{ title: 'Buy apples' }, { title: 'Buy pears', priority: 'high', tags: ['fruit'] }, { title: 'Call the plumber' }]);
    await page.goto(`${stack.url}/`);
    await markWindow();
    await page.locator('#q').pressSequentially('buy', { delay: 30 });
    await expect.poll(() => page.locator('#task-rows > li.task').count()).toBe(2);
    expect(page.url()).toBe(`${stack.url}/?q=buy`);
    await page.fill('#filters input[name=tag]', 'fruit');
    await page.press('#filters input[name=tag]', 'Enter');
    await expect.poll(() => page.locator('#task-rows > li.task').count()).toBe(1);
    expect(await row('Buy pears').count()).toBe(1);
    expect(page.url()).toBe(`${stack.url}/?q=buy&tag=fruit`);
    expect(await windowKeptMark()).toBe(true);
    await page.goBack();
    await expect.poll(() => page.url()).toBe(`${stack.url}/?q=buy`);
    await expect.poll(() => page.locator('#task-rows > li.task').count()).toBe(2);
  });

  it('filters by status and priority, and a pushed URL opened directly renders the full page', async () => {
    await page.goto(`${stack.url}/`);
    await page.locator('#filters select[name=status]').selectOption('done');
    await expect.poll(() => page.locator('#task-rows > li.task').count()).toBe(1);
    expect(page.url()).toBe(`${stack.url}/?status=done`);
    await page.locator('#filters select[name=priority]').selectOption('low');
    await expect.poll(() => page.locator('#task-rows > li.task').count()).toBe(0);
    expect(page.url()).toBe(`${stack.url}/?status=done&priority=low`);
    await page.goto(`${stack.url}/?status=done&priority=high`);
    expect(await page.locator('h1').innerText()).toBe('Task Manager');
    expect(await page.locator('#task-rows > li.task').count()).toBe(1);
    expect(await page.inputValue('#filters select[name=status]')).toBe('done');
  });

  it('pages past the first page with "Load more"', async () => {
    await createTasks(stack, Array.from({ length: 55 }, (_, i) => ({ title: `Paged task ${String(i + 1).padStart(2, '0')}`, tags: ['paged'] })));
    await page.goto(`${stack.url}/?tag=paged`);
    expect(await page.locator('#task-rows > li.task').count()).toBe(50);
    await markWindow();
    await page.click('#load-more a');
    await expect.poll(() => page.locator('#task-rows > li.task').count()).toBe(55);
    expect(await page.locator('#load-more').count()).toBe(0);
    expect(await row('Paged task 01').count()).toBe(1);
    expect(await windowKeptMark()).toBe(true);
  });

  it('marks several tasks done at once', async () => {
    await page.goto(`${stack.url}/?q=buy`);
    for (const title of ['Buy apples', 'Buy pears']) await row(title).locator('input.select').check();
    await page.click('#bulk button[value=done]');
    await expect.poll(() => page.locator('#messages').innerText()).toContain('Marked 2 tasks done.');
    // htmx keeps a swapped row's old attributes until it settles (20 ms), so its class is polled.
    await expect.poll(() => row('Buy apples').getAttribute('class')).toContain('status-done');
    await expect.poll(() => row('Buy pears').getAttribute('class')).toContain('status-done');
  });

  it('deletes a task after confirming', async () => {
    await page.goto(`${stack.url}/?q=plumber`);
    dialogs.length = 0;
    await row('Call the plumber').locator('a.delete').click();
    await expect.poll(() => row('Call the plumber').count()).toBe(0);
    expect(dialogs).toEqual(['confirm: Delete “Call the plumber”?']);
    await page.goto(`${stack.url}/?q=plumber`);
    expect(await page.locator('#task-rows > li.task').count()).toBe(0);
  });

  it('shows the current version when someone else changed the task (412)', async () => {
    const [task] = await createTasks(stack, [{ title: 'Contested task' }]);
    await page.goto(`${stack.url}/?q=contested`);
    const changed = await stack.fetch(`${stack.url}/api/tasks/${task!.id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'Contested task, renamed elsewhere', priority: 'high' }),
    });
    expect(changed.status).toBe(200);
    await row('Contested task').locator('select[name=status]').selectOption('in_progress');
    await expect.poll(() => page.locator('.task .notice').innerText()).toContain('Someone else changed this task');
    expect(await row('Contested task, renamed elsewhere').count()).toBe(1);
    const current = (await (await stack.fetch(`${stack.url}/api/tasks/${task!.id}`)).json()) as { status: string };
    expect(current.status).toBe('todo');
  });

  it('shows a script title as text and runs nothing', async () => {
    dialogs.length = 0;
    await page.goto(`${stack.url}/`);
    await page.fill('#new-title', '<script>alert(1)</script><img src=x onerror=alert(2)>');
    await page.click('#new-task button[type=submit]');
    await expect.poll(() => row('<script>alert(1)</script>').count()).toBe(1);
    await page.reload();
    expect(await row('<script>alert(1)</script>').locator('a.title').innerText()).toBe('<script>alert(1)</script><img src=x onerror=alert(2)>');
    expect(dialogs).toEqual([]);
  });

  it('says the task service is unavailable while the backend is stopped, and recovers by itself', async () => {
    await stack.backend.stop();
    await page.goto(`${stack.url}/`);
    expect(await page.locator('.unavailable').innerText()).toContain('The task service is unavailable');
    await page.fill('#new-title', 'Typed during the outage');
    await page.click('#new-task button[type=submit]');
    await expect.poll(() => page.locator('#new-task .form-messages').innerText()).toContain('unavailable');
    expect(await page.inputValue('#new-title')).toBe('Typed during the outage');
    await stack.backend.resume();
    await expect.poll(() => page.locator('#task-rows > li.task').count(), { timeout: 15_000 }).toBeGreaterThan(0);
    expect(await page.locator('.unavailable').count()).toBe(0);
    await expect.poll(() => page.locator('#counts').innerText()).toContain('All');
  });

  it('looks right on a desktop and on a 360 px phone (screenshots in test-results/)', async () => {
    await page.goto(`${stack.url}/?limit=8&sort=dueDate&order=asc`);
    await mkdir(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SCREENSHOTS, 'frontend-main-page.png'), fullPage: true });
    const phone = await browser({ width: 360 });
    await phone.goto(`${stack.url}/?limit=5`);
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await phone.screenshot({ path: path.join(SCREENSHOTS, 'frontend-main-page-phone.png'), fullPage: true });
  });

  it('broke no Content-Security-Policy rule on the way', () => {
    expect(cspViolations).toEqual([]);
  });
});

describe('with counts slower than a page (a backend counting many tasks)', () => {
  let slow: Stack;
  let link: SlowLink;
  beforeAll(async () => {
    link = await SlowLink.start((req) => (req.url === '/api/stats' ? 1500 : 0));
    slow = await startStack({ backendUrl: link.url });
    link.target = slow.backend.url;
  });
  afterAll(async () => {
    await slow?.close();
    await link?.close();
  });

  it('shows the page without them, then fills them in, and again after a change', async () => {
    const tab = await browser({ signIn: { url: slow.url } });
    const started = Date.now();
    await tab.goto(`${slow.url}/`);
    expect(Date.now() - started).toBeLessThan(1500);
    expect(await tab.locator('#task-list').count()).toBe(1);
    await expect.poll(() => tab.locator('#counts').innerText()).toContain('All 0');
    await tab.fill('#new-title', 'Counted later');
    await tab.click('#new-task button[type=submit]');
    await expect.poll(() => tab.locator('#task-rows > li.task').count()).toBe(1);
    await expect.poll(() => tab.locator('#counts').innerText()).toContain('All 1');
  });
});

describe('without JavaScript', () => {
  it('creates and deletes with plain forms and links (POST-redirect-GET)', async () => {
    const plain = await browser({ javaScriptEnabled: false });
    await plain.goto(`${stack.url}/`);
    await plain.fill('#new-title', 'No-JS task');
    await plain.click('#new-task button[type=submit]');
    await plain.waitForURL(`${stack.url}/`);
    expect(await plain.locator('#messages').innerText()).toContain('Created “No-JS task”.');
    const created = plain.locator('#task-rows > li.task', { has: plain.locator('a.title', { hasText: 'No-JS task' }) });
    expect(await created.count()).toBe(1);
    await created.locator('a.delete').click();
    await plain.waitForURL(/\/tasks\/[0-9a-f-]+\/delete$/);
    expect(await plain.locator('h2').innerText()).toBe('Delete “No-JS task”?');
    await plain.click('button.danger');
    await plain.waitForURL(`${stack.url}/`);
    expect(await plain.locator('#messages').innerText()).toContain('Task deleted.');
    expect(await plain.locator('#task-rows a.title', { hasText: 'No-JS task' }).count()).toBe(0);
  });
});

describe('accessibility (axe-core, WCAG 2.1 A and AA)', () => {
  it('finds no violation on the list, nor in any state htmx swaps in: form errors, inline edits, conflicts, messages', async () => {
    const [conflicted, refused] = await createTasks(stack, [
      { title: 'Axe conflict', description: 'changed elsewhere', priority: 'high', dueDate: '2020-01-01', tags: ['axe'] },
      { title: 'Axe refused', tags: ['axe'] },
    ]);
    await page.goto(`${stack.url}/`);
    await expectAccessible(page, 'the task list with tasks');

    await page.fill('#new-title', '');
    await page.click('#new-task button[type=submit]');
    await expect.poll(() => page.locator('#new-title-error').count()).toBe(1);
    await expectAccessible(page, 'the new-task form with a field error (htmx 422)');

    await page.goto(`${stack.url}/?tag=axe`);
    await row('Axe refused').locator('a.title').click();
    await expect.poll(() => page.locator('.task.editing').count()).toBe(1);
    await expectAccessible(page, 'a task edited inline');
    await page.fill('.task.editing input[name=title]', '');
    await page.click('.task.editing button[type=submit]');
    await expect.poll(() => page.locator('.task.editing .field-error').count()).toBe(1);
    await expectAccessible(page, 'the inline edit form with a field error (htmx 422)');

    // A status the backend refuses, sent from the row as a tampered select would: the edit form answers it.
    await page.goto(`${stack.url}/?tag=axe`);
    await row('Axe refused').locator('select[name=status] option[value=in_progress]').evaluate((option) => ((option as HTMLOptionElement).value = 'someday'));
    await row('Axe refused').locator('select[name=status]').selectOption({ label: 'In progress' });
    await expect.poll(() => page.locator(`#edit-${refused!.id}-status-error`).count()).toBe(1);
    await expectAccessible(page, 'the edit form answering a refused change from a row (htmx 422)');

    await page.goto(`${stack.url}/?tag=axe`);
    const changed = await stack.fetch(`${stack.url}/api/tasks/${conflicted!.id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'Axe conflict, renamed elsewhere' }),
    });
    expect(changed.status).toBe(200);
    await row('Axe conflict').locator('select[name=status]').selectOption('done');
    await expect.poll(() => page.locator('.task .notice').count()).toBe(1);
    await expectAccessible(page, 'a row showing a conflict (htmx 412)');

    await page.click('#bulk button[value=done]');
    await expect.poll(() => page.locator('#messages').innerText()).toContain('Select at least one task first.');
    await expectAccessible(page, 'the list with an error message (bulk action with nothing selected)');

    await page.goto(`${stack.url}/?sort=nonsense`);
    await expect.poll(() => page.locator('#task-list .form-messages').count()).toBe(1);
    await expectAccessible(page, 'the list refusing its filters (422)');
  });

  it('finds no violation on the pages served without JavaScript: edit, delete, errors, forms with errors', async () => {
    const [task] = await createTasks(stack, [{ title: 'Axe plain', description: 'for the plain pages', tags: ['axe'] }]);
    const plain = await browser({ pageScripts: false });
    await plain.goto(`${stack.url}/tasks/${task!.id}/edit`);
    await expectAccessible(plain, 'the edit page');
    await plain.fill(`#edit-${task!.id}-title`, '');
    await plain.click('.task.editing button[type=submit]');
    await plain.waitForSelector(`#edit-${task!.id}-title-error`);
    await expectAccessible(plain, 'the edit page with a field error (422)');

    await plain.goto(`${stack.url}/tasks/${task!.id}/edit`);
    const renamed = await stack.fetch(`${stack.url}/api/tasks/${task!.id}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: '{"title":"Axe plain, renamed"}' });
    expect(renamed.status).toBe(200);
    await plain.click('.task.editing button[type=submit]');
    await expect.poll(() => plain.locator('#messages').innerText()).toContain('Someone else changed this task');
    await expectAccessible(plain, 'the edit page after a conflicting save, with its message (412)');

    await plain.goto(`${stack.url}/tasks/${task!.id}/delete`);
    await expectAccessible(plain, 'the delete confirmation page');
    await plain.locator('main input[name=_csrf]').evaluate((input) => ((input as HTMLInputElement).value = 'forged'));
    await plain.click('button.danger');
    await expect.poll(() => plain.locator('h2').innerText()).toBe('Not allowed');
    await expectAccessible(plain, 'the error page (403)');

    await plain.goto(`${stack.url}/`);
    await plain.fill('#new-title', ' ');
    await plain.click('#new-task button[type=submit]');
    await plain.waitForSelector('#new-title-error');
    await expectAccessible(plain, 'the task list page with a new-task field error (422)');

    await plain.goto(`${stack.url}/no/such/page`);
    expect(await plain.locator('h2').innerText()).toBe('Not found');
    await expectAccessible(plain, 'the error page (404)');
  });

  it('finds no violation while the task service is unavailable (list, form message, error page and message)', async () => {
    const [task] = await createTasks(stack, [{ title: 'Axe outage' }]);
    await page.goto(`${stack.url}/?q=outage`);
    await stack.backend.stop();
    try {
      await row('Axe outage').locator('select[name=priority]').selectOption('low');
      await expect.poll(() => page.locator('#messages').innerText()).toContain('unavailable');
      await expectAccessible(page, 'the message that a change could not be saved (htmx 503)');
      await page.goto(`${stack.url}/`);
      expect(await page.locator('.unavailable').count()).toBe(1);
      await page.fill('#new-title', 'Typed during the outage');
      await page.click('#new-task button[type=submit]');
      await expect.poll(() => page.locator('#new-task .form-messages').count()).toBe(1);
      await expectAccessible(page, 'the unavailable list and the new-task form keeping its input (503)');
      await page.goto(`${stack.url}/tasks/${task!.id}/edit`);
      expect(await page.locator('h2').innerText()).toBe('The task service is unavailable');
      await expectAccessible(page, 'the error page (503)');
    } finally {
      await stack.backend.resume();
    }
  });
});

describe('accounts: the admin makes a member and a viewer, and each sees what their role may do', () => {
  const member = { email: 'browser.member@example.test', password: 'the browser member password' };
  const viewer = { email: 'browser.viewer@example.test', password: 'the browser viewer password' };

  it('finds no violation on the sign-in page, with or without an error', async () => {
    const anonymous = await browser({ signIn: false });
    await anonymous.goto(`${stack.url}/`);
    expect(new URL(anonymous.url()).pathname).toBe('/login');
    await expectAccessible(anonymous, 'the sign-in page');
    await anonymous.fill('#login-email', ADMIN.email);
    await anonymous.fill('#login-password', 'not the password');
    await anonymous.click('.sign-in button[type=submit]');
    await expect.poll(() => anonymous.locator('.form-messages').innerText()).toContain('Wrong email or password.');
    await expectAccessible(anonymous, 'the sign-in page with an error');
  });

  it('lets the admin create both on the users page', async () => {
    await page.goto(`${stack.url}/users`);
    await expectAccessible(page, 'the users page');
    for (const [account, name, role] of [[member, 'Browser Member', 'member'], [viewer, 'Browser Viewer', 'viewer']] as const) {
      await page.fill('#new-user-email', account.email);
      await page.fill('#new-user-name', name);
      await page.selectOption('#new-user-role', role);
      suiteLogs.remember('password', account.password);
      await page.fill('#new-user-password', account.password);
      await page.click('#new-user-email >> xpath=ancestor::form//button[@type="submit"]');
      await expect.poll(() => page.locator('#messages').innerText()).toContain(`Created ${name}`);
    }
    await expectAccessible(page, 'the users page after a change');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'users-admin.png'), fullPage: true });
    await page.goto(`${stack.url}/account`);
    await expectAccessible(page, 'the account page');
  });

  it('gives the member the write controls but no users page, and keeps a history of their change', async () => {
    const tab = await browser({ signIn: { account: member } });
    await tab.goto(`${stack.url}/`);
    expect(await tab.locator('a[href="/users"]').count()).toBe(0);
    await tab.fill('#new-title', 'Assigned in the browser');
    await tab.selectOption('#new-assigneeId', { label: 'Browser Member' });
    await tab.click('#new-task button[type=submit]');
    const mine = tab.locator('#task-rows > li.task', { hasText: 'Assigned in the browser' });
    await expect.poll(() => mine.count()).toBe(1);
    expect(await mine.innerText()).toContain('Assigned to Browser Member');
    await tab.click('a[href="/?assignee=me"]');
    await expect.poll(() => tab.locator('#task-rows > li.task').count()).toBe(1);
    await mine.locator('a.history-link').click();
    await expect.poll(() => mine.locator('.history').innerText()).toContain('Browser Member created it');
    await expectAccessible(tab, 'the list with a history panel open');
    expect((await tab.goto(`${stack.url}/users`))?.status()).toBe(403);
  });

  it('gives the viewer the list without a single write control, and signs them out', async () => {
    const tab = await browser({ signIn: { account: viewer } });
    await tab.goto(`${stack.url}/`);
    await expect.poll(() => tab.locator('#task-rows > li.task').count()).toBeGreaterThan(0);
    for (const control of ['#new-task', '#bulk', '.row-actions', 'input[name=ids]', 'a[href="/users"]']) expect([control, await tab.locator(control).count()]).toEqual([control, 0]);
    expect(await tab.locator('nav.nav').innerText()).toContain('Browser Viewer');
    await expectAccessible(tab, 'the list as a viewer');
    await tab.screenshot({ path: path.join(SCREENSHOTS, 'list-viewer.png'), fullPage: true });
    await Promise.all([tab.waitForURL((address) => address.pathname === '/login'), tab.click('.sign-out button')]);
    await tab.goto(`${stack.url}/`);
    expect(new URL(tab.url()).pathname).toBe('/login');
  });
});
