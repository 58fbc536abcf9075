import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { freePort } from '@task-manager/kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { USERS, signInAtProvider, startProvider, type Provider, type ProviderUser } from '../../../tests/oidc-provider/start.mjs';
import { loadConfig } from '../src/config.js';
import { call, digest, scalar, startBackend, suiteLogs, type RunningBackend } from './support.js';

/** Where the provider sends the browser back; these tests stop there and hand the answer on themselves. */
const REDIRECT = 'http://127.0.0.1:9/login/oidc/callback';
const ROLE_MAPPING = JSON.stringify({ 'tm-admins': 'admin', 'tm-members': 'member', staff: 'viewer' });
const user = (username: string): ProviderUser => USERS.find((candidate) => candidate.username === username)!;

type Fault = 'none' | 'hang-token' | 'delay-token' | 'tamper-id-token' | 'swap-id-token';

/**
 * Hydra's public side as the backend sees it, through a proxy that can break the token
 * endpoint's answers on purpose: hang, arrive late, or carry an ID token altered or meant for
 * another client. Everything else passes through unchanged (Hydra names the proxy its issuer).
 */
class FaultyFront {
  fault: Fault = 'none';
  swapIn = '';
  private server!: Server;
  url = '';
  target = '';

  async listen(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const isToken = req.url?.startsWith('/oauth2/token') ?? false;
        if (isToken && this.fault === 'hang-token') return;
        const upstream = request(new URL(req.url!, this.target), { method: req.method, headers: { ...req.headers, host: new URL(this.target).host } }, (answer: IncomingMessage) => {
          const body: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => body.push(chunk));
          answer.on('end', () => {
            let text = Buffer.concat(body).toString('utf8');
            if (isToken && answer.statusCode === 200) text = this.alter(text);
            const headers = { ...answer.headers, 'content-length': String(Buffer.byteLength(text)) };
            const send = () => res.writeHead(answer.statusCode ?? 502, headers).end(text);
            if (isToken && this.fault === 'delay-token') setTimeout(send, 2500);
            else send();
          });
        });
        upstream.end(Buffer.concat(chunks));
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  private alter(text: string): string {
    const tokens = JSON.parse(text) as { id_token: string };
    if (this.fault === 'swap-id-token') tokens.id_token = this.swapIn;
    if (this.fault === 'tamper-id-token') {
      // The payload changed, the signature kept: a promotion to admin that only the signature check can catch.
      const [header, payload, signature] = tokens.id_token.split('.');
      const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8')) as Record<string, unknown>;
      claims.groups = ['tm-admins'];
      tokens.id_token = [header, Buffer.from(JSON.stringify(claims)).toString('base64url'), signature].join('.');
    }
    return JSON.stringify(tokens);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

let provider: Provider;
let front: FaultyFront;
let client: { clientId: string; clientSecret: string };
let backend: RunningBackend;

const oidcEnv = (overrides: Record<string, string> = {}) => ({
  OIDC_ENABLED: 'true',
  OIDC_PROVIDER_NAME: 'Test IdP',
  OIDC_ISSUER_URL: front.url,
  OIDC_CLIENT_ID: client.clientId,
  OIDC_CLIENT_SECRET: client.clientSecret,
  OIDC_REDIRECT_URL: REDIRECT,
  OIDC_ROLE_MAPPING: ROLE_MAPPING,
  OIDC_ALLOWED_DOMAINS: 'example.test',
  ...overrides,
});

interface Started {
  authorizationUrl: string;
  state: string;
  nonce: string;
  codeVerifier: string;
}

async function start(baseUrl = backend.baseUrl): Promise<Started> {
  const reply = await call(baseUrl, 'POST', '/api/sessions/oidc/start', { as: 'nobody' });
  expect(reply.status, reply.text).toBe(200);
  return reply.body as unknown as Started;
}

/** The whole dance up to the provider's answer: what the frontend would hand the backend. */
async function answerFor(who: ProviderUser, baseUrl = backend.baseUrl) {
  const begun = await start(baseUrl);
  const callback = await signInAtProvider(begun.authorizationUrl, who, REDIRECT);
  const { state, nonce, codeVerifier } = begun;
  return { callbackQuery: new URL(callback).search, state, nonce, codeVerifier };
}

const finish = (body: object, baseUrl = backend.baseUrl) => call(baseUrl, 'POST', '/api/sessions/oidc', { body, as: 'nobody' });
const userCount = () => scalar<number>(backend.db.sql`select count(*)::int from users`);

/** A refused sign-in: the status, the reason, a detail a person can act on, and no row written anywhere. */
async function expectRefused(body: object, status: number, reason: string, detail: RegExp, target: RunningBackend = backend) {
  const before = await digest(target.db);
  const reply = await finish(body, target.baseUrl);
  expect(reply.status, reply.text).toBe(status);
  expect(reply.body.reason).toBe(reason);
  expect(String(reply.body.detail)).toMatch(detail);
  expect(await digest(target.db)).toBe(before);
}

/** The provider's answers pass the front with FAULT until the refusal is checked. */
async function withFault(fault: Fault, check: () => Promise<void>): Promise<void> {
  front.fault = fault;
  try {
    await check();
  } finally {
    front.fault = 'none';
  }
}

beforeAll(async () => {
  for (const person of USERS) suiteLogs.remember('password at the provider', person.password);
  front = new FaultyFront();
  await front.listen();
  provider = await startProvider({ issuer: front.url });
  front.target = provider.publicUrl;
  client = await provider.createClient({ redirectUris: [REDIRECT], postLogoutRedirectUris: ['http://127.0.0.1:9/login'] });
  backend = await startBackend({ env: { ...oidcEnv(), OIDC_POST_LOGOUT_REDIRECT_URL: 'http://127.0.0.1:9/login' } });
}, 60_000);

afterAll(async () => {
  await backend?.close();
  await provider?.stop();
  await front?.close();
});

describe('sign-in through the identity provider', () => {
  it('says which ways to sign in there are', async () => {
    const reply = await call(backend.baseUrl, 'GET', '/api/sign-in-methods', { as: 'nobody' });
    expect(reply.body).toEqual({ password: true, oidc: { providerName: 'Test IdP' } });
  });

  it('sends the browser to the discovered authorization endpoint with PKCE (S256), state and nonce', async () => {
    const begun = await start();
    const url = new URL(begun.authorizationUrl);
    expect(url.origin + url.pathname).toBe(`${front.url}/oauth2/auth`);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      client_id: client.clientId,
      redirect_uri: REDIRECT,
      response_type: 'code',
      scope: 'openid email profile',
      code_challenge_method: 'S256',
      state: begun.state,
      nonce: begun.nonce,
    });
    expect(url.searchParams.get('code_challenge')).not.toBe(begun.codeVerifier);
    const second = await start();
    expect(new Set([second.state, second.nonce, second.codeVerifier]).has(begun.state)).toBe(false);
  });

  it('creates the user at the first sign-in, keyed on issuer and subject, with the role its groups map to', async () => {
    const before = await userCount();
    const reply = await finish(await answerFor(user('alice')));
    expect(reply.status, reply.text).toBe(201);
    expect(reply.body.user).toMatchObject({ email: 'alice@example.test', displayName: 'Alice Admin', role: 'admin', active: true, mustChangePassword: false });
    expect(String(reply.body.endSessionUrl)).toMatch(new RegExp(`^${front.url}/oauth2/sessions/logout\\?`));
    expect(new URL(String(reply.body.endSessionUrl)).searchParams.get('post_logout_redirect_uri')).toBe('http://127.0.0.1:9/login');
    expect(await userCount()).toBe(before + 1);
    const [identity] = await backend.db.sql<{ issuer: string; subject: string }[]>`
      select issuer, subject from user_identities where user_id = ${String((reply.body.user as { id: string }).id)}::uuid`;
    expect(identity).toEqual({ issuer: front.url, subject: 'alice' });
    // The session works as one made with a password: cookie and CSRF header.
    const me = await call(backend.baseUrl, 'GET', '/api/me', { as: 'nobody', headers: { cookie: `tm_sid=${String(reply.body.token)}` } });
    expect(me.body.email).toBe('alice@example.test');
    // The second sign-in finds the same user.
    const again = await finish(await answerFor(user('alice')));
    expect((again.body.user as { id: string }).id).toBe((reply.body.user as { id: string }).id);
    expect(await userCount()).toBe(before + 1);
  });

  it('sets the role again at every sign-in from the claim, and a user with no password cannot sign in with one', async () => {
    const vera = user('vera');
    const first = await finish(await answerFor(vera));
    expect((first.body.user as { role: string }).role).toBe('viewer');
    vera.groups = ['tm-members'];
    try {
      const second = await finish(await answerFor(vera));
      expect((second.body.user as { role: string }).role).toBe('member');
      // The earlier session now acts with the new role too.
      const me = await call(backend.baseUrl, 'GET', '/api/me', { as: 'nobody', headers: { cookie: `tm_sid=${String(first.body.token)}` } });
      expect(me.body.role).toBe('member');
    } finally {
      vera.groups = ['staff'];
    }
    const password = await call(backend.baseUrl, 'POST', '/api/sessions', { as: 'nobody', body: { email: vera.email, password: 'any password at all' } });
    expect(password.status).toBe(401);
  });

  it('refuses an answer that belongs to another sign-in (wrong state)', async () => {
    const answer = await answerFor(user('bob'));
    await expectRefused({ ...answer, state: (await start()).state }, 400, 'state_mismatch', /does not belong to the sign-in this browser began/);
  });

  it('refuses a code used once already', async () => {
    const answer = await answerFor(user('bob'));
    expect((await finish(answer)).status).toBe(201);
    await expectRefused(answer, 401, 'code_rejected', /refused the sign-in code: it was used already or has expired/);
  });

  it('says what the provider said when it did not sign the person in', async () => {
    const begun = await start();
    const callbackQuery = `?error=access_denied&error_description=${encodeURIComponent('The resource owner denied the request')}&state=${begun.state}`;
    await expectRefused({ callbackQuery, state: begun.state, nonce: begun.nonce, codeVerifier: begun.codeVerifier }, 401, 'provider_refused', /Test IdP did not sign you in: The resource owner denied the request/);
  });

  it('blames its own client settings, not the person, when the provider refuses the client secret', async () => {
    const misconfigured = await startBackend({ env: oidcEnv({ OIDC_CLIENT_SECRET: 'not the secret' }) });
    try {
      await expectRefused(await answerFor(user('bob'), misconfigured.baseUrl), 502, 'client_rejected', /refused this application \(invalid_client/, misconfigured);
    } finally {
      await misconfigured.close();
    }
  });

  it('refuses a code exchanged without its PKCE verifier', async () => {
    const answer = await answerFor(user('bob'));
    await expectRefused({ ...answer, codeVerifier: (await start()).codeVerifier }, 401, 'code_rejected', /refused the sign-in code/);
  });

  it('refuses an ID token whose claims were altered after signing', async () => {
    await withFault('tamper-id-token', async () => expectRefused(await answerFor(user('bob')), 401, 'token_invalid', /failed verification/));
  });

  it('refuses a genuine ID token meant for another client (wrong audience)', async () => {
    const other = await provider.createClient({ redirectUris: [REDIRECT] });
    const otherBackend = await startBackend({ env: oidcEnv({ OIDC_CLIENT_ID: other.clientId, OIDC_CLIENT_SECRET: other.clientSecret }) });
    try {
      const signedIn = await finish(await answerFor(user('bob'), otherBackend.baseUrl), otherBackend.baseUrl);
      expect(signedIn.status).toBe(201);
      // Its ID token is captured from a second exchange, then handed to this backend in place of its own.
      const theirs = await answerFor(user('bob'), otherBackend.baseUrl);
      const exchanged = await fetch(`${provider.publicUrl}/oauth2/token`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`${other.clientId}:${other.clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'authorization_code', code: new URLSearchParams(theirs.callbackQuery).get('code')!, redirect_uri: REDIRECT, code_verifier: theirs.codeVerifier }),
      });
      front.swapIn = ((await exchanged.json()) as { id_token: string }).id_token;
      await withFault('swap-id-token', async () => expectRefused(await answerFor(user('bob')), 401, 'token_invalid', /failed verification \(.*aud/));
    } finally {
      await otherBackend.close();
    }
  });

  it('refuses an ID token that expired before it arrived, with no clock tolerance', async () => {
    const short = await provider.createClient({ redirectUris: [REDIRECT], idTokenLifespan: '1s' });
    const strict = await startBackend({ env: oidcEnv({ OIDC_CLIENT_ID: short.clientId, OIDC_CLIENT_SECRET: short.clientSecret, OIDC_CLOCK_TOLERANCE_SECONDS: '0', OIDC_TIMEOUT_SECONDS: '10' }) });
    try {
      const answer = await answerFor(user('bob'), strict.baseUrl);
      await withFault('delay-token', () => expectRefused(answer, 401, 'token_invalid', /failed verification \(.*exp/, strict));
    } finally {
      await strict.close();
    }
  });

  it('answers 503 when the provider does not answer in time, and creates nothing', async () => {
    const impatient = await startBackend({ env: oidcEnv({ OIDC_TIMEOUT_SECONDS: '3' }) });
    try {
      // Discovery and the browser's part answer in time; then the token endpoint goes silent.
      const answer = await answerFor(user('bob'), impatient.baseUrl);
      const started = Date.now();
      await withFault('hang-token', () => expectRefused(answer, 503, 'provider_unavailable', /Test IdP did not answer within 3 seconds/, impatient));
      expect(Date.now() - started).toBeLessThan(8000);
    } finally {
      await impatient.close();
    }
  });

  it('answers 503 when the provider cannot be reached at all', async () => {
    const down = await startBackend({ env: oidcEnv({ OIDC_ISSUER_URL: `http://127.0.0.1:${await freePort()}` }) });
    try {
      const reply = await call(down.baseUrl, 'POST', '/api/sessions/oidc/start', { as: 'nobody' });
      expect(reply.status).toBe(503);
      expect(reply.body).toMatchObject({ reason: 'provider_unavailable', detail: 'Test IdP cannot be reached right now. Try again in a moment.' });
    } finally {
      await down.close();
    }
  });

  it('keeps a user deactivated here locked out, though the provider signs them in', async () => {
    const first = await finish(await answerFor(user('bob')));
    const id = String((first.body.user as { id: string }).id);
    const off = await call(backend.baseUrl, 'PATCH', `/api/users/${id}`, { as: 'admin', body: { active: false } });
    expect(off.status).toBe(200);
    try {
      await expectRefused(await answerFor(user('bob')), 403, 'deactivated', /deactivated/);
    } finally {
      await call(backend.baseUrl, 'PATCH', `/api/users/${id}`, { as: 'admin', body: { active: true } });
    }
  });

  it('refuses a user whose claim maps to no role when there is no default role, and creates nothing', async () => {
    await expectRefused(await answerFor(user('nora')), 403, 'no_role', /"groups" claim \("contractors"\) maps to none of viewer, member, admin/);
  });

  it('gives the default role to a user whose claim maps to none, when there is one', async () => {
    const lenient = await startBackend({ env: oidcEnv({ OIDC_DEFAULT_ROLE: 'viewer' }) });
    try {
      const reply = await finish(await answerFor(user('nora'), lenient.baseUrl), lenient.baseUrl);
      expect(reply.status, reply.text).toBe(201);
      expect((reply.body.user as { role: string }).role).toBe('viewer');
    } finally {
      await lenient.close();
    }
  });

  it('refuses an email outside the allowed domains', async () => {
    await expectRefused(await answerFor(user('otto')), 403, 'not_allowed', /@example\.test addresses only/);
  });

  it('refuses a user without the required group', async () => {
    const strict = await startBackend({ env: oidcEnv({ OIDC_REQUIRED_GROUP: 'tm-admins' }) });
    try {
      await expectRefused(await answerFor(user('bob'), strict.baseUrl), 403, 'not_allowed', /membership of "tm-admins"/, strict);
    } finally {
      await strict.close();
    }
  });

  it('never takes over an existing account that merely has the same email', async () => {
    const made = await call(backend.baseUrl, 'POST', '/api/users', {
      as: 'admin',
      body: { email: 'sam@example.test', displayName: 'Sam (password)', role: 'viewer', password: 'sam has a password here' },
    });
    expect(made.status).toBe(201);
    await expectRefused(await answerFor(user('sam')), 409, 'email_taken', /exists here already and is not linked to Test IdP/);
  });

  it('answers 404 for the provider routes where none is configured, and 422 for a malformed answer', async () => {
    const plain = await startBackend();
    try {
      expect((await call(plain.baseUrl, 'POST', '/api/sessions/oidc/start', { as: 'nobody' })).status).toBe(404);
      expect((await call(plain.baseUrl, 'GET', '/api/sign-in-methods', { as: 'nobody' })).body).toEqual({ password: true, oidc: null });
    } finally {
      await plain.close();
    }
    const bad = await finish({ callbackQuery: 'code=x', state: 'not a state!', nonce: 'n', codeVerifier: 'v' });
    expect(bad.status).toBe(422);
  });
});

describe('sign-in settings', () => {
  const base = { DATABASE_URL: 'postgres://u:p@localhost/db' };
  const oidc = { OIDC_ENABLED: 'true', OIDC_ISSUER_URL: 'https://idp.example', OIDC_CLIENT_ID: 'tm', OIDC_CLIENT_SECRET: 's', OIDC_REDIRECT_URL: 'https://tm.example/login/oidc/callback' };

  it('names every missing provider setting when OIDC is half set', () => {
    expect(() => loadConfig({ ...base, OIDC_ENABLED: 'true', OIDC_ISSUER_URL: 'https://idp.example' })).toThrow(
      /OIDC_CLIENT_ID is required but not set[\s\S]*OIDC_CLIENT_SECRET is required but not set[\s\S]*OIDC_REDIRECT_URL is required but not set/,
    );
  });

  it('refuses to turn off both ways of signing in', () => {
    expect(() => loadConfig({ ...base, AUTH_PASSWORD_ENABLED: 'false' })).toThrow(/AUTH_PASSWORD_ENABLED=false needs OIDC_ENABLED=true/);
    expect(loadConfig({ ...base, ...oidc, AUTH_PASSWORD_ENABLED: 'false' }).auth.passwordEnabled).toBe(false);
  });

  it('refuses a role mapping to no role, and one that is not JSON', () => {
    expect(() => loadConfig({ ...base, ...oidc, OIDC_ROLE_MAPPING: '{"g":"owner"}' })).toThrow(/OIDC_ROLE_MAPPING maps "g" to no role/);
    expect(() => loadConfig({ ...base, ...oidc, OIDC_ROLE_MAPPING: 'g=admin' })).toThrow(/must be a JSON object/);
    expect(() => loadConfig({ ...base, ...oidc, OIDC_DEFAULT_ROLE: 'owner' })).toThrow(/OIDC_DEFAULT_ROLE must be one of/);
  });
});
