/**
 * A real OpenID provider for the tests: Ory Hydra (built by tests/tools/install, in-memory store)
 * with the login app of this folder as its UI, on free loopback ports. Tests start it as they
 * start their own PostgreSQL, register the clients they need and stop it at the end.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { createLoginApp } from './login-app.mjs';

export { USERS } from './login-app.mjs';

export const HYDRA_BIN = process.env.HYDRA_BIN ?? `${process.env.TASK_MANAGER_CACHE ?? '/var/cache/task-manager'}/bin/hydra`;

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function waitFor(url, child, output, deadline) {
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`hydra exited with ${child.exitCode}:\n${output.join('')}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`hydra was not ready at ${url} within the deadline:\n${output.join('')}`);
}

/**
 * Starts Hydra and the login app. `host` is how browsers and the relying party reach both
 * (the issuer URL is built on it).
 */
export async function startProvider({ host = '127.0.0.1', issuer: publicIssuer } = {}) {
  if (!existsSync(HYDRA_BIN)) throw new Error(`no hydra at ${HYDRA_BIN}: run bash tests/tools/install`);
  const [publicPort, adminPort] = [await freePort(), await freePort()];
  const adminUrl = `http://127.0.0.1:${adminPort}`;
  const login = createLoginApp(adminUrl);
  await new Promise((resolve) => login.listen(0, '127.0.0.1', resolve));
  const loginUrl = `http://${host}:${login.address().port}`;
  const publicUrl = `http://${host}:${publicPort}`;
  // A test that puts a proxy in front of Hydra (to break its answers) names the proxy as issuer.
  const issuer = publicIssuer ?? publicUrl;
  const output = [];
  const child = spawn(HYDRA_BIN, ['serve', 'all', '--dev', '--sqa-opt-out'], {
    env: {
      PATH: process.env.PATH,
      DSN: 'memory',
      SECRETS_SYSTEM: randomBytes(24).toString('base64url'),
      URLS_SELF_ISSUER: issuer,
      URLS_LOGIN: `${loginUrl}/login`,
      URLS_CONSENT: `${loginUrl}/consent`,
      URLS_LOGOUT: `${loginUrl}/logout`,
      SERVE_PUBLIC_HOST: '127.0.0.1',
      SERVE_PUBLIC_PORT: String(publicPort),
      SERVE_ADMIN_HOST: '127.0.0.1',
      SERVE_ADMIN_PORT: String(adminPort),
      // PKCE on every authorization request: a client that skipped it would fail here.
      OAUTH2_PKCE_ENFORCED: 'true',
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (chunk) => output.push(String(chunk)));
  child.stderr.on('data', (chunk) => output.push(String(chunk)));
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    await new Promise((resolve) => login.close(resolve));
    login.closeAllConnections();
  };
  try {
    await waitFor(`${adminUrl}/health/ready`, child, output, Date.now() + 30_000);
  } catch (error) {
    await stop();
    throw error;
  }

  const admin = async (method, path, body) => {
    const response = await fetch(`${adminUrl}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`hydra ${method} ${path}: ${response.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  };

  return {
    issuer,
    publicUrl,
    adminUrl,
    loginUrl,
    output,
    /** Registers a confidential client; `idTokenLifespan` (e.g. '1s') shortens its ID tokens. */
    async createClient({ redirectUris, postLogoutRedirectUris = [], idTokenLifespan }) {
      const clientId = `tm-${randomBytes(6).toString('hex')}`;
      const clientSecret = randomBytes(24).toString('base64url');
      await admin('POST', '/admin/clients', {
        client_id: clientId,
        client_secret: clientSecret,
        grant_types: ['authorization_code'],
        response_types: ['code'],
        scope: 'openid email profile',
        redirect_uris: redirectUris,
        post_logout_redirect_uris: postLogoutRedirectUris,
        token_endpoint_auth_method: 'client_secret_basic',
      });
      if (idTokenLifespan) await admin('PUT', `/admin/clients/${clientId}/lifespans`, { authorization_code_grant_id_token_lifespan: idTokenLifespan });
      return { clientId, clientSecret };
    },
    stop,
  };
}

/**
 * A browser without a browser, for HTTP-level tests: follows the provider's redirects with a
 * cookie jar, fills its login form as `user`, and stops at the relying party's redirect URL
 * (`redirectPrefix`), whose full URL it returns. The Chromium tests go the same way for real.
 */
export async function signInAtProvider(authorizationUrl, user, redirectPrefix) {
  const jar = new Map();
  const send = async (url, init = {}) => {
    const cookie = [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await fetch(url, { ...init, redirect: 'manual', headers: { ...init.headers, ...(cookie ? { cookie } : {}) } });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair.indexOf('=');
      jar.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
    return response;
  };
  let url = authorizationUrl;
  for (let hop = 0; hop < 20; hop++) {
    if (url.startsWith(redirectPrefix)) return url;
    const response = await send(url);
    if (response.status >= 300 && response.status < 400) {
      url = new URL(response.headers.get('location'), url).href;
      continue;
    }
    const body = await response.text();
    const challenge = /name="challenge" value="([^"]*)"/.exec(body);
    if (response.status !== 200 || !challenge) throw new Error(`the provider answered ${response.status} at ${url}: ${body.slice(0, 500)}`);
    const form = new URLSearchParams({ challenge: challenge[1].replace(/&#(\d+);/g, (_m, code) => String.fromCharCode(Number(code))), username: user.username, password: user.password });
    const posted = await send(new URL('/login', url).href, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() });
    if (posted.status !== 303) throw new Error(`the provider's login form answered ${posted.status}: ${(await posted.text()).slice(0, 500)}`);
    url = new URL(posted.headers.get('location'), url).href;
  }
  throw new Error('the provider redirected more than 20 times');
}
