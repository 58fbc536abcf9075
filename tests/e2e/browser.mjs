// The real UI through the cluster's NodePort in Chromium: create, edit, complete and delete a task.
//   node tests/e2e/browser.mjs [BASE_URL]      (default http://10.213.0.1:30080)
// Screenshots: test-results/e2e-browser-*.png (repo root). Exit 0 when every step held, 1 otherwise.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const URL = (process.argv[2] || process.env.BASE_URL || 'http://10.213.0.1:30080').replace(/\/+$/, '');
const SHOTS = path.join(ROOT, 'test-results');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--disable-quic'];
const TITLE = `Browser e2e ${Date.now()}`;
const EDITED = `${TITLE} (edited)`;

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
  executablePath: CHROMIUM, args: ARGS, headless: true, viewport: { width: 1280, height: 900 },
});
context.setDefaultTimeout(15_000);
const page = context.pages()[0] ?? (await context.newPage());
const errors = [];
page.on('pageerror', (e) => errors.push(e.message));
page.on('dialog', (d) => void d.accept());
const row = (title) => page.locator('#task-rows > li.task', { has: page.locator('a.title', { hasText: title }) });
const steps = [];
async function step(name, fn) {
  const t = Date.now();
  await fn();
  steps.push(name);
  console.log(`    browser: ${name} (${Date.now() - t} ms)`);
}

let ok = false;
try {
  await step('open the task list', async () => {
    const res = await page.goto(`${URL}/`);
    if (res?.status() !== 200) throw new Error(`GET / -> ${res?.status()}`);
    if ((await page.locator('h1').innerText()) !== 'Task Manager') throw new Error('no "Task Manager" heading');
  });
  await step('create a task', async () => {
    await page.fill('#new-title', TITLE);
    await page.selectOption('#new-priority', 'high');
    await page.fill('#new-tags', 'e2e, browser');
    await page.click('#new-task button[type=submit]');
    await until('the new row', async () => (await row(TITLE).count()) === 1);
  });
  await page.screenshot({ path: path.join(SHOTS, 'e2e-browser-created.png'), fullPage: true });
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
  await page.screenshot({ path: path.join(SHOTS, 'e2e-browser.png'), fullPage: true });
  await step('delete it (confirming)', async () => {
    await row(EDITED).locator('a.delete').click();
    await until('the row gone', async () => (await row(EDITED).count()) === 0);
    await page.goto(`${URL}/?q=${encodeURIComponent(EDITED)}`);
    if ((await row(EDITED).count()) !== 0) throw new Error('still listed after a reload');
  });
  if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
  ok = true;
} catch (error) {
  console.log(`    browser: FAILED after [${steps.join(', ')}]: ${error.message}`);
  await page.screenshot({ path: path.join(SHOTS, 'e2e-browser-failure.png'), fullPage: true }).catch(() => {});
} finally {
  await context.close();
  await rm(profile, { recursive: true, force: true });
}
console.log(`    browser: screenshots in ${path.relative(ROOT, SHOTS)}/e2e-browser*.png`);
process.exit(ok ? 0 : 1);
