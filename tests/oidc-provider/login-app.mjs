/**
 * The login and consent UI of the test identity provider. Ory Hydra does all of OAuth 2.0 and
 * OpenID Connect; it sends the browser here to learn who the user is (login) and what they grant
 * (consent), and asks again on logout. This app answers through Hydra's admin API, as any
 * provider's own UI would. Its users are a fixed list: the people the tests sign in as.
 *
 *   node tests/oidc-provider/login-app.mjs   (PORT, HYDRA_ADMIN_URL; the cluster runs it like this)
 */
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';

/** Who can sign in at this provider, with the claims its ID tokens carry for them. */
export const USERS = [
  { username: 'alice', password: 'alice password', email: 'alice@example.test', name: 'Alice Admin', groups: ['tm-admins', 'staff'] },
  { username: 'bob', password: 'bob password', email: 'bob@example.test', name: 'Bob Member', groups: ['tm-members'] },
  { username: 'vera', password: 'vera password', email: 'vera@example.test', name: 'Vera Viewer', groups: ['staff'] },
  { username: 'nora', password: 'nora password', email: 'nora@example.test', name: 'Nora Contractor', groups: ['contractors'] },
  { username: 'sam', password: 'sam password', email: 'sam@example.test', name: 'Sam Samename', groups: ['tm-members'] },
  { username: 'otto', password: 'otto password', email: 'otto@elsewhere.test', name: 'Otto Outsider', groups: ['tm-members'] },
];

const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title, body) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title></head>
<body><h1>Test Identity Provider</h1>${body}</body></html>`;
}

function loginForm(challenge, problem = '') {
  return page(
    'Sign in to the Test Identity Provider',
    `${problem ? `<p role="alert">${escape(problem)}</p>` : ''}
<form method="post" action="/login">
  <input type="hidden" name="challenge" value="${escape(challenge)}">
  <label>Username <input id="idp-username" name="username" autocomplete="username" autofocus></label>
  <label>Password <input id="idp-password" name="password" type="password" autocomplete="current-password"></label>
  <button type="submit" id="idp-submit">Sign in</button>
</form>`,
  );
}

async function readForm(req) {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 10_000) throw new Error('form too large');
  }
  return new URLSearchParams(body);
}

export function createLoginApp(hydraAdminUrl) {
  const admin = async (method, path, body) => {
    const response = await fetch(new URL(path, hydraAdminUrl), {
      method,
      headers: body ? { 'content-type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`hydra ${method} ${path}: ${response.status} ${text}`);
    return JSON.parse(text);
  };
  const redirect = (res, to) => res.writeHead(303, { location: to }).end();
  const html = (res, status, text) => res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' }).end(text);

  return createServer(async (req, res) => {
    const url = new URL(req.url, 'http://login-app');
    try {
      if (req.method === 'GET' && url.pathname === '/login') {
        const challenge = url.searchParams.get('login_challenge') ?? '';
        const request = await admin('GET', `/admin/oauth2/auth/requests/login?login_challenge=${encodeURIComponent(challenge)}`);
        // Hydra remembers nobody (every login says remember: false), so `skip` never holds; the check stays as a real UI has it.
        if (request.skip) {
          const accepted = await admin('PUT', `/admin/oauth2/auth/requests/login/accept?login_challenge=${encodeURIComponent(challenge)}`, { subject: request.subject });
          return redirect(res, accepted.redirect_to);
        }
        return html(res, 200, loginForm(challenge));
      }
      if (req.method === 'POST' && url.pathname === '/login') {
        const form = await readForm(req);
        const challenge = form.get('challenge') ?? '';
        const user = USERS.find((candidate) => candidate.username === form.get('username') && candidate.password === form.get('password'));
        if (!user) return html(res, 401, loginForm(challenge, 'Wrong username or password.'));
        const accepted = await admin('PUT', `/admin/oauth2/auth/requests/login/accept?login_challenge=${encodeURIComponent(challenge)}`, {
          subject: user.username,
          remember: false,
        });
        return redirect(res, accepted.redirect_to);
      }
      if (req.method === 'GET' && url.pathname === '/consent') {
        const challenge = url.searchParams.get('consent_challenge') ?? '';
        const request = await admin('GET', `/admin/oauth2/auth/requests/consent?consent_challenge=${encodeURIComponent(challenge)}`);
        const user = USERS.find((candidate) => candidate.username === request.subject);
        if (!user) throw new Error(`consent for an unknown subject ${request.subject}`);
        const scopes = request.requested_scope ?? [];
        // Every client of this provider is first-party, so consent is granted without asking.
        const accepted = await admin('PUT', `/admin/oauth2/auth/requests/consent/accept?consent_challenge=${encodeURIComponent(challenge)}`, {
          grant_scope: scopes,
          grant_access_token_audience: request.requested_access_token_audience ?? [],
          remember: false,
          session: {
            id_token: {
              ...(scopes.includes('email') ? { email: user.email, email_verified: true } : {}),
              ...(scopes.includes('profile') ? { name: user.name } : {}),
              groups: user.groups,
            },
          },
        });
        return redirect(res, accepted.redirect_to);
      }
      if (req.method === 'GET' && url.pathname === '/logout') {
        const challenge = url.searchParams.get('logout_challenge') ?? '';
        const accepted = await admin('PUT', `/admin/oauth2/auth/requests/logout/accept?logout_challenge=${encodeURIComponent(challenge)}`);
        return redirect(res, accepted.redirect_to);
      }
      if (url.pathname === '/healthz') return html(res, 200, 'ok');
      html(res, 404, page('Not found', '<p>No such page.</p>'));
    } catch (error) {
      html(res, 502, page('Provider error', `<p>${escape(error.message)}</p>`));
    }
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const port = Number(process.env.PORT ?? 3000);
  const hydraAdminUrl = process.env.HYDRA_ADMIN_URL ?? 'http://127.0.0.1:4445';
  createLoginApp(hydraAdminUrl).listen(port, () => console.log(`login app on :${port}, hydra admin ${hydraAdminUrl}`));
}
