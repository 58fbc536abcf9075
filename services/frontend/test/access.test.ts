import { describe, expect, it } from 'vitest';
import { ADMIN, SlowLink, UiClient, createTasks, createUser, startFrontend, suiteLogs, useStack, type Account } from './support.js';

const stack = useStack();

const htmx = { 'HX-Request': 'true' };

/** Everything a refused request could have changed: the tasks and the users, as the admin's API sees them. */
async function digest(): Promise<string> {
  const tasks = await (await stack.fetch(`${stack.backend.url}/api/tasks?limit=100`)).json();
  const users = await (await stack.fetch(`${stack.backend.url}/api/users`)).json();
  const tokens = await (await stack.fetch(`${stack.backend.url}/api/tokens`)).json();
  return JSON.stringify({ tasks, users, tokens });
}

/** A signed-in client of `account`. */
async function signedIn(account: Account, url = stack.url): Promise<UiClient> {
  const ui = new UiClient(url, account);
  const answer = await ui.signIn();
  expect(answer.status).toBe(303);
  return ui;
}

describe('without a session', () => {
  it('sends every UI route to /login, plain and htmx, and changes nothing', async () => {
    const [task] = await createTasks(stack, [{ title: 'Untouchable' }]);
    const member = await createUser(stack, 'member');
    const id = task!.id;
    const gets = ['/', '/counts', `/tasks/${id}`, `/tasks/${id}/edit`, `/tasks/${id}/delete`, `/tasks/${id}/history`, '/account', '/users'];
    const posts: [string, Record<string, string>][] = [
      ['/tasks', { title: 'sneaked in' }],
      ['/tasks/bulk', { action: 'delete', ids: id }],
      [`/tasks/${id}`, { title: 'renamed', version: String(task!.version) }],
      [`/tasks/${id}/delete`, {}],
      ['/account/password', { currentPassword: ADMIN.password, newPassword: 'a new password, long enough' }],
      ['/account/tokens', { name: 'sneaked' }],
      [`/account/tokens/${id}/revoke`, {}],
      ['/users', { email: 'sneak@example.test', displayName: 'Sneak', role: 'admin', password: 'a password, long enough' }],
      [`/users/${member.id}`, { role: 'admin' }],
      ['/logout', {}],
      ['/logout/everywhere', {}],
    ];
    const before = await digest();
    // No cookie at all, and a session id the backend never issued (with a valid CSRF token of the frontend's own).
    for (const forged of [undefined, 'tm_' + 'A'.repeat(43)]) {
      const anonymous = new UiClient(stack.url, null);
      const login = await anonymous.get('/login');
      const csrf = /name="_csrf" value="([^"]+)"/.exec(login.text)![1]!;
      const cookie: Record<string, string> = forged ? { cookie: `${anonymous.cookieHeader}; tm_sid=${forged}` } : {};
      for (const path of gets) {
        // A page that only redirects within the site (to the page it belongs to) may do so before the backend has been asked.
        let [page, at] = [await anonymous.get(path, cookie), path];
        for (let hop = 0; forged && hop < 2 && !page.headers.get('location')?.startsWith('/login'); hop++) {
          at = page.headers.get('location') ?? at;
          page = await anonymous.get(at, cookie);
        }
        expect([path, page.status, page.headers.get('location')]).toEqual([path, 303, at === '/' ? '/login' : `/login?next=${encodeURIComponent(at)}`]);
        const fragment = await anonymous.get(path, { ...htmx, ...cookie });
        expect([path, fragment.headers.get('hx-redirect')]).toEqual([path, expect.stringMatching(/^\/login/)]);
      }
      for (const [path, form] of posts) {
        const answer = await anonymous.post(path, { ...form, _csrf: csrf }, cookie);
        expect([path, answer.status, answer.headers.get('location')]).toEqual([path, 303, '/login']);
      }
    }
    expect(await digest()).toBe(before);
  });
});

describe('signing in', () => {
  it('sets an HttpOnly, SameSite=Lax session cookie, a new one on every sign-in, and rotates the CSRF token', async () => {
    const ui = new UiClient(stack.url, null);
    await ui.get('/login');
    const before = ui.cookieHeader;
    const first = await signedIn(ADMIN);
    const line = first.setCookies.get('tm_sid')!;
    expect(line).toMatch(/^tm_sid=tm_[A-Za-z0-9_-]{43};/);
    expect(line).toMatch(/; HttpOnly/i);
    expect(line).toMatch(/; SameSite=Lax/i);
    expect(line).toMatch(/; Path=\//);
    expect(line).not.toMatch(/; Secure/i);
    const second = await signedIn(ADMIN);
    expect(second.sessionToken).not.toBe(first.sessionToken);
    expect(second.csrf).not.toBe(first.csrf);
    expect(before).not.toContain(first.csrf);
  });

  it('marks the cookies Secure when the request came over TLS through a trusted proxy', async () => {
    const ui = new UiClient(stack.url, null);
    const form = await ui.get('/login', { 'x-forwarded-proto': 'https' });
    expect(ui.setCookies.get('tm_session')).toMatch(/; Secure/i);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(form.text)![1]!;
    const answer = await ui.post('/login', { _csrf: csrf, email: ADMIN.email, password: ADMIN.password }, { 'x-forwarded-proto': 'https' });
    expect(answer.status).toBe(303);
    expect(ui.setCookies.get('tm_sid')).toMatch(/; Secure/i);
  });

  it('says "Wrong email or password." alike for an unknown email and a wrong password', async () => {
    for (const account of [{ email: 'nobody@example.test', password: 'whatever it is' }, { email: ADMIN.email, password: 'not the password' }]) {
      const ui = new UiClient(stack.url, account);
      const answer = await ui.signIn();
      expect(answer.status).toBe(401);
      expect(answer.text).toContain('Wrong email or password.');
      expect(answer.text).toContain(`value="${account.email}"`);
      expect(ui.sessionToken).toBeUndefined();
    }
  });

  it('says how long to wait once sign-ins are throttled', async () => {
    const victim = await createUser(stack, 'member');
    let answer;
    for (let attempt = 0; attempt < 10; attempt++) {
      answer = await new UiClient(stack.url, { email: victim.email, password: 'wrong, wrong, wrong' }).signIn();
      if (answer.status === 429) break;
      expect(answer.status).toBe(401);
    }
    expect(answer!.status).toBe(429);
    expect(answer!.text).toMatch(/Too many failed sign-ins\. Wait \d+ (seconds?|minutes), then try again\./);
    expect(Number(answer!.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('goes back to the page asked for, but never to another site', async () => {
    const back = await new UiClient(stack.url).signIn(ADMIN, '/?q=asked');
    expect(back.headers.get('location')).toBe('/?q=asked');
    for (const next of ['//evil.example/', 'https://evil.example/', '/\\evil.example', 'javascript:alert(1)']) {
      const answer = await new UiClient(stack.url).signIn(ADMIN, next);
      expect([next, answer.headers.get('location')]).toEqual([next, '/']);
    }
  });

  it('sends a user with a temporary password to change it before anything else', async () => {
    const member = await createUser(stack, 'member');
    const temporary = 'a temporary password from the admin';
    const admin = await signedIn(ADMIN);
    expect((await admin.post(`/users/${member.id}`, { _csrf: admin.csrf, password: temporary })).status).toBe(303);
    const ui = new UiClient(stack.url, { email: member.email, password: temporary });
    const answer = await ui.signIn();
    expect(answer.headers.get('location')).toBe('/account');
    const list = await ui.get('/');
    expect([list.status, list.headers.get('location')]).toEqual([303, '/account']);
    const changed = await ui.post('/account/password', { _csrf: ui.csrf, currentPassword: temporary, newPassword: member.password });
    expect(changed.status).toBe(303);
    expect((await ui.get('/')).status).toBe(200);
  });
});

describe('signing out', () => {
  it('is refused by a second frontend process on the very next request', async () => {
    const second = await startFrontend(stack.backend.url);
    try {
      const here = await signedIn(ADMIN);
      const there = here.on(second.url);
      expect((await there.get('/')).status).toBe(200);
      const out = await here.post('/logout', { _csrf: here.csrf });
      expect([out.status, out.headers.get('location')]).toEqual([303, '/login']);
      expect(here.sessionToken).toBeUndefined();
      const next = await there.get('/');
      expect([next.status, next.headers.get('location')]).toEqual([303, '/login']);
    } finally {
      await second.close();
    }
  });

  it('everywhere ends every session of the user, and no one else’s', async () => {
    const member = await createUser(stack, 'member');
    const [phone, laptop, colleague] = [await signedIn(member), await signedIn(member), await signedIn(ADMIN)];
    expect((await laptop.post('/logout/everywhere', { _csrf: laptop.csrf })).headers.get('location')).toBe('/login');
    expect((await phone.get('/')).headers.get('location')).toBe('/login');
    expect((await colleague.get('/')).status).toBe(200);
  });
});

describe('what each role is shown', () => {
  const writeControls = ['id="new-task"', 'id="bulk"', 'class="row-actions"', 'name="ids"'];

  it('a viewer sees the tasks but no write control and no users page, and a write is refused', async () => {
    await createTasks(stack, [{ title: 'Seen by a viewer' }]);
    const viewer = await signedIn(await createUser(stack, 'viewer'));
    const page = await viewer.get('/?q=viewer');
    expect(page.status).toBe(200);
    expect(page.text).toContain('Seen by a viewer');
    for (const control of writeControls) expect(page.text).not.toContain(control);
    expect(page.text).not.toContain('href="/users"');
    expect((await viewer.get('/users')).status).toBe(403);
    const id = /id="task-([0-9a-f-]{36})"/.exec(page.text)![1]!;
    for (const form of [`/tasks/${id}/edit`, `/tasks/${id}/delete`]) {
      const refused = await viewer.get(form);
      expect([form, refused.status]).toEqual([form, 403]);
      expect(refused.text).toContain('can read tasks but not change them');
    }
    const before = await digest();
    const refused = await viewer.post('/tasks', { _csrf: viewer.csrf, title: 'by a viewer' });
    expect(refused.status).toBe(403);
    expect(refused.text).toContain('You are not allowed to do that');
    expect(await digest()).toBe(before);
  });

  it('a member sees the write controls but no users page', async () => {
    await createTasks(stack, [{ title: 'Seen by a member' }]);
    const member = await signedIn(await createUser(stack, 'member'));
    const page = await member.get('/?q=member');
    for (const control of writeControls) expect(page.text).toContain(control);
    expect(page.text).not.toContain('href="/users"');
    expect((await member.get('/users')).status).toBe(403);
  });

  it('a member made a viewer keeps no write control once the backend has refused one write', async () => {
    const account = await createUser(stack, 'member');
    const ui = await signedIn(account);
    expect((await ui.get('/')).text).toContain('id="new-task"');
    const demoted = await stack.fetch(`${stack.backend.url}/api/users/${account.id}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: '{"role":"viewer"}' });
    expect(demoted.status).toBe(200);
    expect((await ui.post('/tasks', { _csrf: ui.csrf, title: 'after the demotion' })).status).toBe(403);
    const page = await ui.get('/');
    for (const control of writeControls) expect(page.text).not.toContain(control);
    expect(page.text).toContain('(Viewer)');
  });

  it('an admin sees everything, and manages users from the users page', async () => {
    const admin = await signedIn(ADMIN);
    const page = await admin.get('/');
    for (const control of ['id="new-task"', 'href="/users"']) expect(page.text).toContain(control);
    const created = await admin.post('/users', { _csrf: admin.csrf, email: 'made.by.admin@example.test', displayName: 'Made By Admin', role: 'viewer', password: 'a long enough password' });
    expect(created.status).toBe(303);
    const users = await admin.get('/users');
    expect(users.text).toContain('Created Made By Admin (made.by.admin@example.test).');
    const id = /id="user-([0-9a-f-]{36})"[^>]*>\s*<p><strong>Made By Admin/.exec(users.text)?.[1];
    expect(id).toBeDefined();
    expect((await admin.post(`/users/${id}`, { _csrf: admin.csrf, role: 'member' })).status).toBe(303);
    expect((await admin.get('/users')).text).toContain('Made By Admin is member now.');
    expect((await admin.post(`/users/${id}`, { _csrf: admin.csrf, active: 'false' })).status).toBe(303);
    expect((await admin.get('/users')).text).toContain('Made By Admin is deactivated.');
    const duplicate = await admin.post('/users', { _csrf: admin.csrf, email: 'MADE.BY.ADMIN@example.test', displayName: 'Again', role: 'viewer', password: 'a long enough password' });
    expect(duplicate.status).toBe(409);
    expect(duplicate.text).toContain('There is already a user with the email');
  });
});

describe('cross-site', () => {
  it('refuses a form posted from another origin even with the right token, and takes it from this one', async () => {
    const ui = await signedIn(ADMIN);
    const before = await digest();
    const elsewhere: Record<string, string>[] = [{ origin: 'http://evil.example' }, { origin: 'null' }, { 'sec-fetch-site': 'cross-site' }];
    for (const headers of elsewhere) {
      const refused = await ui.post('/tasks', { _csrf: ui.csrf, title: 'From elsewhere' }, headers);
      expect([headers, refused.status]).toEqual([headers, 403]);
    }
    expect(await digest()).toBe(before);
    const accepted = await ui.post('/tasks', { _csrf: ui.csrf, title: 'From here' }, { origin: stack.url, 'sec-fetch-site': 'same-origin' });
    expect(accepted.status).toBe(303);
  });

  it('passes the session cookie and CSRF header through /api, where a cookie write without the header is refused', async () => {
    const ui = await signedIn(ADMIN);
    const cookie = `tm_sid=${ui.sessionToken}`;
    const write = (headers: Record<string, string>) =>
      fetch(`${stack.url}/api/tasks`, { method: 'POST', headers: { 'content-type': 'application/json', cookie, ...headers }, body: '{"title":"Through /api with a cookie"}' });
    expect((await write({})).status).toBe(403);
    expect((await write({ 'x-csrf-token': ui.csrf })).status).toBe(201);
    expect((await fetch(`${stack.url}/api/tasks`)).status).toBe(401);
    expect((await fetch(`${stack.url}/api/tasks`, { headers: { cookie } })).status).toBe(200);
  });
});

describe('the client address', () => {
  it('is the one the frontend trusts, never the one a client claims, on sign-in and through /api', async () => {
    const seen: string[] = [];
    const link = await SlowLink.start((req) => {
      if (req.url?.startsWith('/api/')) seen.push(String(req.headers['x-forwarded-for']));
      return 0;
    });
    link.target = stack.backend.url;
    // A frontend that trusts no proxy on this machine, so the test's claims are a client's own.
    const front = await startFrontend(link.url, { trustProxy: '192.0.2.1' });
    try {
      const claim = { 'x-forwarded-for': '203.0.113.9' };
      expect((await fetch(`${front.url}/api/tasks`, { headers: { authorization: `Bearer ${stack.token}`, ...claim } })).status).toBe(200);
      const ui = new UiClient(front.url, null);
      const form = await ui.get('/login');
      const csrf = /name="_csrf" value="([^"]+)"/.exec(form.text)![1]!;
      expect((await ui.post('/login', { _csrf: csrf, ...ADMIN }, claim)).status).toBe(303);
      expect(seen.length).toBeGreaterThanOrEqual(2);
      expect(new Set(seen)).toEqual(new Set(['127.0.0.1']));
    } finally {
      await front.close();
      await link.close();
    }
  });
});

describe('your account', () => {
  it('creates a personal access token, shows it once, lists it and revokes it', async () => {
    const ui = await signedIn(await createUser(stack, 'member'));
    const created = await ui.post('/account/tokens', { _csrf: ui.csrf, name: 'backup script' });
    expect(created.status).toBe(201);
    const token = /<code class="token">(tm_[A-Za-z0-9_-]{43})<\/code>/.exec(created.text)?.[1];
    expect(token).toBeDefined();
    expect((await fetch(`${stack.url}/api/tasks`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    const page = await ui.get('/account');
    expect(page.text).toContain('backup script');
    expect(page.text).not.toContain(token);
    const revoke = /action="(\/account\/tokens\/[0-9a-f-]{36}\/revoke)"/.exec(page.text)![1]!;
    expect((await ui.post(revoke, { _csrf: ui.csrf })).status).toBe(303);
    expect((await ui.get('/account')).text).toContain('The token is revoked.');
    expect((await fetch(`${stack.url}/api/tasks`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
  });

  it('changes the password only with the current one', async () => {
    const member = await createUser(stack, 'member');
    const ui = await signedIn(member);
    const wrong = await ui.post('/account/password', { _csrf: ui.csrf, currentPassword: 'not my password', newPassword: 'my brand new password' });
    expect(wrong.status).toBeGreaterThanOrEqual(400);
    expect(wrong.text).toContain('Your current password is not right.');
    const changed = await ui.post('/account/password', { _csrf: ui.csrf, currentPassword: member.password, newPassword: 'my brand new password' });
    expect(changed.status).toBe(303);
    expect((await new UiClient(stack.url, { ...member, password: 'my brand new password' }).signIn()).status).toBe(303);
  });
});

describe('people on tasks', () => {
  it('assigns a task from the form, shows the assignee, filters "My tasks" and shows the history', async () => {
    // Made on the users page, which the pickers hear of at once (an API-made user shows within seconds).
    const admin = await signedIn(ADMIN);
    const account = { email: 'assigned.member@example.test', password: 'the assigned member password' };
    expect((await admin.post('/users', { _csrf: admin.csrf, ...account, displayName: 'Assigned Member', role: 'member' })).status).toBe(303);
    const users = (await (await stack.fetch(`${stack.backend.url}/api/users`)).json()) as { items: { id: string; email: string }[] };
    const member = { ...account, id: users.items.find((user) => user.email === account.email)!.id };
    const ui = await signedIn(member);
    const page = await ui.get('/');
    expect(page.text).toContain(`<option value="${member.id}">Assigned Member</option>`);
    expect((await ui.post('/tasks', { _csrf: ui.csrf, title: 'Mine to do', assigneeId: member.id })).status).toBe(303);
    await createTasks(stack, [{ title: 'Not mine to do' }]);
    const mine = await ui.get('/?assignee=me');
    expect(mine.text).toContain('Mine to do');
    expect(mine.text).toContain('Assigned to Assigned Member');
    expect(mine.text).not.toContain('Not mine to do');
    const id = /id="task-([0-9a-f-]{36})"/.exec(mine.text)![1]!;
    const history = await ui.get(`/tasks/${id}/history`, htmx);
    expect(history.text).toContain('Assigned Member created it');
  });
});

it('no log line written while this file ran holds a password, token or cookie it used', () => {
  // test/log-scan.ts runs this check after every file; here it is shown not to be vacuous.
  expect(suiteLogs.lines()).toBeGreaterThan(100);
  expect(suiteLogs.someLineIncludes('"msg":"signed in"')).toBe(true);
  expect(suiteLogs.someLineIncludes('sign-in failed')).toBe(true);
  expect(suiteLogs.secretCount).toBeGreaterThan(20);
  expect(suiteLogs.findings()).toEqual([]);
});
