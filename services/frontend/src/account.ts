import { Router, type Request, type Response } from 'express';
import type { BackendClient, BackendResponse, ProblemBody, TokenCreated, TokenList, User, UserList } from './backend/index.js';
import { NotAllowed } from './backend/index.js';
import { field, type Body } from './tasks/forms.js';

/** A refusal as one sentence: the backend's detail, or each field's complaint. */
export function problemText(response: BackendResponse<unknown>): string {
  const problem = response.body as ProblemBody | undefined;
  const fields = (problem?.errors ?? []).map((error) => `${error.field.replace(/^\/+/, '')}: ${error.detail}`);
  if (fields.length) return fields.join('; ');
  return problem?.detail ?? problem?.title ?? `The task service answered ${response.status}.`;
}

/** A date input's day as the end of that day in UTC, the moment a token given that day stops working. */
const endOfDay = (day: string) => `${day}T23:59:59.000Z`;

/** /account (your password, your tokens, sign out everywhere) and, for admins, /users. */
export function accountRoutes(backend: BackendClient): Router {
  const router = Router();

  async function accountPage(req: Request, res: Response, status: number, extra: Record<string, unknown> = {}) {
    const me = (await backend.me(req.viewer)).body as User;
    // Until a temporary password is replaced the backend refuses the tokens, so the page shows the password form alone.
    const tokens = me.mustChangePassword ? undefined : ((await backend.tokens(req.viewer)).body as TokenList).items;
    const { id, displayName, role } = me;
    if (req.session.user?.role !== role || req.session.user.displayName !== displayName) req.session.signIn(req.session.csrfToken, { id, displayName, role });
    res.locals.user = req.session.user;
    res.locals.canWrite = role !== 'viewer';
    res.locals.isAdmin = role === 'admin';
    res.status(status).render('account/page.njk', { me, tokens, flash: req.session.takeFlash(), ...extra });
  }

  router.get('/account', (req, res) => accountPage(req, res, 200));

  router.post('/account/password', async (req, res) => {
    const body = req.body as Body;
    const change = { currentPassword: field(body, 'currentPassword') ?? '', newPassword: field(body, 'newPassword') ?? '' };
    let response: BackendResponse<undefined>;
    try {
      response = await backend.changePassword(change, req.viewer);
    } catch (error) {
      // A wrong current password is the backend's 403 for this call, which is the form's business.
      if (!(error instanceof NotAllowed) || error.mustChangePassword) throw error;
      return accountPage(req, res, 403, { passwordProblem: 'Your current password is not right.' });
    }
    if (response.status === 204) {
      req.session.flash('success', 'Your password is changed. Your other sessions are signed out.');
      return res.redirect(303, '/account');
    }
    const wrong = response.status === 401 || (response.status === 422 && /current/i.test(problemText(response)));
    return accountPage(req, res, 422, { passwordProblem: wrong ? 'Your current password is not right.' : problemText(response) });
  });

  router.post('/account/tokens', async (req, res) => {
    const body = req.body as Body;
    const expiresOn = field(body, 'expiresOn')?.trim();
    const response = await backend.createToken({ name: field(body, 'name') ?? '', ...(expiresOn ? { expiresAt: endOfDay(expiresOn) } : {}) }, req.viewer);
    if (response.status === 201) return accountPage(req, res, 201, { created: response.body as TokenCreated });
    return accountPage(req, res, 422, { tokenProblem: problemText(response) });
  });

  router.post('/account/tokens/:id/revoke', async (req, res) => {
    const response = await backend.revokeToken(req.params.id, req.viewer);
    req.session.flash(response.status === 204 ? 'success' : 'error', response.status === 204 ? 'The token is revoked.' : 'There is no such token of yours.');
    res.redirect(303, '/account');
  });

  async function usersPage(req: Request, res: Response, status: number, extra: Record<string, unknown> = {}) {
    const people = ((await backend.users(req.viewer)).body as UserList).items;
    // The directory is open to every role (the call above checks the session); only admins manage it.
    if (req.session.user?.role !== 'admin') throw new NotAllowed('only admins manage users.');
    res.status(status).render('account/users.njk', { people, values: {}, flash: req.session.takeFlash(), ...extra });
  }

  router.get('/users', (req, res) => usersPage(req, res, 200));

  router.post('/users', async (req, res) => {
    const body = req.body as Body;
    const values = { email: field(body, 'email')?.trim() ?? '', displayName: field(body, 'displayName') ?? '', role: field(body, 'role') ?? '' };
    const response = await backend.createUser({ ...values, password: field(body, 'password') ?? '' }, req.viewer);
    if (response.status === 201) {
      backend.forgetDirectory();
      req.session.flash('success', `Created ${values.displayName} (${values.email}).`);
      return res.redirect(303, '/users');
    }
    const problem = response.status === 409 ? `There is already a user with the email ${values.email}.` : problemText(response);
    return usersPage(req, res, response.status === 409 ? 409 : 422, { problem, values });
  });

  router.post('/users/:id', async (req, res) => {
    const body = req.body as Body;
    const patch: Record<string, unknown> = {};
    for (const name of ['role', 'displayName', 'password']) {
      const value = field(body, name);
      if (value !== undefined) patch[name] = value;
    }
    const active = field(body, 'active');
    if (active === 'true' || active === 'false') patch.active = active === 'true';
    const response = await backend.updateUser(req.params.id, patch, req.viewer);
    if (response.status === 200) {
      backend.forgetDirectory();
      const user = response.body as User;
      const what = 'password' in patch ? 'has a temporary password now' : 'active' in patch ? (user.active ? 'is reactivated' : 'is deactivated') : `is ${user.role} now`;
      req.session.flash('success', `${user.displayName} ${what}.`);
    } else {
      req.session.flash('error', response.status === 409 ? 'The last active admin must stay an active admin.' : problemText(response));
    }
    res.redirect(303, '/users');
  });

  return router;
}
