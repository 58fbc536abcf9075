// Chromium signs in to the installed chart through the test identity provider on the cluster
// (tests/e2e/drills/oidc-sign-in.sh): the provider's own login page, the task list as the role
// the groups claim maps to, sign-out there too; and a person whose claim maps to no role is told
// so and not signed in.
//   node tests/e2e/oidc-browser.mjs FRONTEND_URL PROVIDER_LOGIN_URL
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from '../chromium.mjs';
import { USERS } from '../oidc-provider/login-app.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const [APP, PROVIDER] = process.argv.slice(2).map((url) => url.replace(/\/+$/, ''));
if (!APP || !PROVIDER) {
  console.error('usage: node tests/e2e/oidc-browser.mjs FRONTEND_URL PROVIDER_LOGIN_URL');
  process.exit(2);
}
const SHOTS = path.join(ROOT, 'test-results');

function expect(what, ok) {
  if (!ok) throw new Error(`expected ${what}`);
  console.log(`ok   ${what}`);
}

/**
 * The sign-in page, once it offers the provider. Just after the upgrade that turned OIDC on, the
 * frontend may not reach a new backend pod yet, and a sign-in page that cannot ask which methods
 * there are shows the password form alone (as it should): loaded again, at most ten times.
 */
async function openSignIn(page) {
  for (let load = 1; ; load++) {
    await page.goto(`${APP}/login`);
    if (await page.locator('#sign-in-oidc').count()) return;
    if (load === 10) throw new Error('the sign-in page never offered the provider: 10 loads, 2 s apart');
    console.log(`    the sign-in page does not offer the provider yet (load ${load}); again in 2 s`);
    await page.waitForTimeout(2000);
  }
}

async function signIn(page, username) {
  const person = USERS.find((user) => user.username === username);
  await openSignIn(page);
  await Promise.all([page.waitForURL((url) => url.href.startsWith(PROVIDER)), page.click('#sign-in-oidc')]);
  await page.fill('#idp-username', person.username);
  await page.fill('#idp-password', person.password);
  await Promise.all([page.waitForURL((url) => url.href.startsWith(APP)), page.click('#idp-submit')]);
}

await mkdir(SHOTS, { recursive: true });
const profiles = [];
async function browser() {
  const profile = await mkdtemp(path.join(os.tmpdir(), 'tm-e2e-oidc-'));
  profiles.push(profile);
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  context.setDefaultTimeout(30_000);
  return context.pages()[0] ?? (await context.newPage());
}

try {
  const page = await browser();
  await signIn(page, 'bob');
  expect('the member lands on the task list', new URL(page.url()).pathname === '/');
  expect('as Bob Member, role Member', (await page.locator('nav.nav').innerText()).includes('Bob Member (Member)'));
  await page.screenshot({ path: path.join(SHOTS, 'e2e-oidc-member.png') });
  await page.click('.sign-out button');
  await page.waitForURL((url) => url.href === `${APP}/login`);
  expect('sign-out goes through the provider and back to /login', (await page.locator('body').innerText()).includes('You are signed out.'));
  await page.goto(`${APP}/`);
  expect('the session is gone', new URL(page.url()).pathname === '/login');
  await page.context().close();

  const refused = await browser();
  await signIn(refused, 'nora');
  expect('a person whose claim maps to no role is told so', (await refused.locator('[role=alert]').innerText()).includes('has no role here'));
  expect('and is not signed in', !(await refused.context().cookies()).some((cookie) => cookie.name === 'tm_sid'));
  await refused.screenshot({ path: path.join(SHOTS, 'e2e-oidc-no-role.png') });
  await refused.context().close();
} finally {
  for (const profile of profiles) await rm(profile, { recursive: true, force: true });
}
