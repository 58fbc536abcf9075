import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase, freePort } from '@task-manager/kit/testing';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { USERS, startProvider, type Provider } from '../../../tests/oidc-provider/start.mjs';
import { DEFAULT_BACKEND_TIMEOUT_MS } from '../src/config.js';
import { BackendProcess, CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, startFrontend, suiteLogs } from './support.js';

const ROLE_MAPPING = JSON.stringify({ 'tm-admins': 'admin', 'tm-members': 'member', staff: 'viewer' });

interface OidcStack {
  url: string;
  close(): Promise<void>;
}

let provider: Provider;
const stacks: OidcStack[] = [];
const contexts: BrowserContext[] = [];
const profiles: string[] = [];

/** The frontend on a port known in advance (the provider must know its redirect URL), the backend signing in through the provider. */
async function startOidcStack(env: Record<string, string> = {}): Promise<OidcStack> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const client = await provider.createClient({ redirectUris: [`${url}/login/oidc/callback`], postLogoutRedirectUris: [`${url}/login`] });
  const database = await createTestDatabase(inject('pgAdminUrl'));
  const backend = await BackendProcess.start(database.url, {
    OIDC_ENABLED: 'true',
    OIDC_PROVIDER_NAME: 'Test IdP',
    OIDC_ISSUER_URL: provider.issuer,
    OIDC_CLIENT_ID: client.clientId,
    OIDC_CLIENT_SECRET: client.clientSecret,
    OIDC_REDIRECT_URL: `${url}/login/oidc/callback`,
    OIDC_POST_LOGOUT_REDIRECT_URL: `${url}/login`,
    OIDC_ROLE_MAPPING: ROLE_MAPPING,
    ...env,
  });
  // The backend discovers the provider at its first sign-in: done here, before any browser waits on it.
  const begun = await fetch(`${backend.url}/api/sessions/oidc/start`, { method: 'POST' });
  if (begun.status !== 200) throw new Error(`the backend cannot begin a sign-in at the provider: ${begun.status} ${await begun.text()}`);
  // A sign-in's backend calls each wait on the provider too (its token endpoint, its keys), with
  // three servers and a browser on two shared cores: BACKEND_TIMEOUT_MS's default, not the tests' 2 s.
  const frontend = await startFrontend(backend.url, { port, timeoutMs: DEFAULT_BACKEND_TIMEOUT_MS });
  const stack = {
    url,
    async close() {
      await frontend.close();
      await backend.stop();
      await database.drop();
    },
  };
  stacks.push(stack);
  return stack;
}

async function browser(): Promise<Page> {
  const profile = await mkdtemp(path.join(os.tmpdir(), 'task-manager-chromium-'));
  profiles.push(profile);
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true, viewport: { width: 1280, height: 900 } });
  contexts.push(context);
  // Three servers and a browser on two shared cores: a navigation through the provider can take a while.
  context.setDefaultTimeout(30_000);
  return context.pages()[0] ?? (await context.newPage());
}

/** From the task manager's sign-in page through the provider's own login form, as a person does. */
async function signInAtProvider(page: Page, url: string, username: string): Promise<void> {
  const person = USERS.find((candidate) => candidate.username === username)!;
  await page.goto(`${url}/login`);
  await Promise.all([page.waitForURL((address) => address.href.startsWith(provider.loginUrl)), page.click('text=Sign in with Test IdP')]);
  expect(await page.locator('h1').textContent()).toBe('Test Identity Provider');
  await page.fill('#idp-username', person.username);
  await page.fill('#idp-password', person.password);
  await Promise.all([page.waitForURL((address) => address.href.startsWith(url)), page.click('#idp-submit')]);
}

let stack: OidcStack;

beforeAll(async () => {
  for (const person of USERS) suiteLogs.remember('password at the provider', person.password);
  provider = await startProvider();
  stack = await startOidcStack();
  await mkdir(SCREENSHOTS, { recursive: true });
});

afterAll(async () => {
  for (const context of contexts) await context.close();
  for (const profile of profiles) await rm(profile, { recursive: true, force: true });
  for (const running of stacks) await running.close();
  await provider?.stop();
});

describe('signing in with the identity provider, in Chromium', () => {
  it('signs in through the provider\'s login page, lands on the task list as the mapped role, and signs out there too', async () => {
    const page = await browser();
    await signInAtProvider(page, stack.url, 'bob');
    expect(new URL(page.url()).pathname).toBe('/');
    expect(await page.locator('nav.nav').innerText()).toContain('Bob Member (Member)');
    // A member may write: the new-task form is there.
    await page.locator('form[hx-post="/tasks"], form[action="/tasks"]').first().waitFor();
    await page.screenshot({ path: path.join(SCREENSHOTS, 'oidc-signed-in-member.png') });
    const session = (await page.context().cookies()).find((cookie) => cookie.name === 'tm_sid');
    expect(session?.value).toMatch(/^tm_/);

    // Sign-out ends the session here, then at the provider, which sends the browser back to /login.
    await page.click('.sign-out button');
    await page.waitForURL((address) => address.href === `${stack.url}/login`);
    expect(await page.locator('body').innerText()).toContain('You are signed out.');
    const reply = await fetch(`${stack.url}/api/me`, { headers: { cookie: `tm_sid=${session!.value}` } });
    expect(reply.status).toBe(401);
    // The provider forgot the sign-in too: the next sign-in asks for the password again.
    await page.click('text=Sign in with Test IdP');
    await page.waitForURL((address) => address.href.startsWith(provider.loginUrl));
    await page.locator('#idp-password').waitFor();
  });

  it('signs an admin in as admin, from the groups claim', async () => {
    const page = await browser();
    await signInAtProvider(page, stack.url, 'alice');
    expect(await page.locator('nav.nav').innerText()).toContain('Alice Admin (Admin)');
    await page.locator('nav.nav a[href="/users"]').waitFor();
  });

  it('shows a clear page and signs nobody in when the claim maps to no role', async () => {
    const page = await browser();
    await signInAtProvider(page, stack.url, 'nora');
    expect(new URL(page.url()).pathname).toBe('/login/oidc/callback');
    expect(await page.locator('[role=alert]').innerText()).toContain('Your account at Test IdP has no role here');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'oidc-no-role.png') });
    expect((await page.context().cookies()).some((cookie) => cookie.name === 'tm_sid')).toBe(false);
  });
});

describe('the sign-in page and its settings', () => {
  it('offers the provider beside the password form', async () => {
    const page = await (await fetch(`${stack.url}/login`)).text();
    expect(page).toContain('Sign in with Test IdP');
    expect(page).toContain('id="login-password"');
  });

  it('offers only the provider when password sign-in is off', async () => {
    const only = await startOidcStack({ AUTH_PASSWORD_ENABLED: 'false' });
    const page = await (await fetch(`${only.url}/login`)).text();
    expect(page).toContain('Sign in with Test IdP');
    expect(page).not.toContain('id="login-password"');
  });

  it('refuses an answer from the provider for a sign-in this browser never began', async () => {
    const reply = await fetch(`${stack.url}/login/oidc/callback?code=stolen&state=whatever`);
    expect(reply.status).toBe(400);
    expect(await reply.text()).toContain('This sign-in was not begun in this browser');
    expect(reply.headers.getSetCookie().some((line) => line.startsWith('tm_sid='))).toBe(false);
  });
});
