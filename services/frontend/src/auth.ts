import { SESSION_COOKIE, type OidcSessionResult, type OidcStart, type SessionResult, type SignInMethods, type User } from '@task-manager/contract';
import { Router, type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import { BackendUnavailable, NotAllowed, NotSignedIn, type BackendClient, type Viewer } from './backend/index.js';
import type { CookieSecure } from './config.js';
import { cookieOptions, readCookie, type SignedInUser } from './session.js';
import { isHtmx, sendError } from './tasks/answer.js';
import { field, sameSitePath, type Body } from './tasks/forms.js';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** The signed-in viewer's session, for every backend call made on their behalf. */
      viewer: Viewer;
    }
  }
}

/** Where a page that needs the viewer's password changed first sends them. */
export const PASSWORD_PAGE = '/account';
const OPEN_PATHS = new Set(['/login', '/login/oidc', '/login/oidc/callback']);
const UNAVAILABLE = 'The task service is unavailable right now, so you cannot sign in. Try again in a moment.';

/** To `path`, as a redirect or (htmx, which would swap a redirect's page into the fragment's place) as HX-Redirect. */
function sendTo(req: Request, res: Response, path: string): void {
  if (isHtmx(req)) res.status(200).set('HX-Redirect', path).end();
  else res.redirect(303, path);
}

function toSignIn(req: Request, res: Response): void {
  const back = req.method === 'GET' && !isHtmx(req) ? req.originalUrl : (req.get('hx-current-url') ?? '/');
  const here = sameSitePath(back.startsWith('http') ? new URL(back).pathname + new URL(back).search : back);
  sendTo(req, res, here === '/' ? '/login' : `/login?next=${encodeURIComponent(here)}`);
}

/**
 * Every UI route but /login wants a session cookie; without one it goes to sign in at once,
 * before the CSRF check or any backend call, so nothing happens. With one, the backend
 * checks it on the page's own call; whatever it refuses ends in `accessErrors`.
 */
export function requireSignIn(): RequestHandler {
  return (req, res, next) => {
    if (OPEN_PATHS.has(req.path)) return next();
    const sid = readCookie(req, SESSION_COOKIE);
    if (!sid) return toSignIn(req, res);
    req.viewer = { sid, csrf: req.session.csrfToken, requestId: req.id };
    next();
  };
}

/**
 * The backend's refusals as the UI shows them: signed out → sign in; must change password →
 * that page; a role → 403, after taking the role the backend holds now into the session (an
 * admin may have changed it), so the next page shows only what it allows.
 */
export function accessErrors(backend: BackendClient, secure: CookieSecure): ErrorRequestHandler {
  return async (error: unknown, req, res, next) => {
    if (res.headersSent) return next(error);
    if (error instanceof NotSignedIn) {
      res.clearCookie(SESSION_COOKIE, cookieOptions(req, secure));
      return toSignIn(req, res);
    }
    if (error instanceof NotAllowed) {
      if (error.mustChangePassword) return sendTo(req, res, PASSWORD_PAGE);
      await rememberRole(backend, req).catch((failure: unknown) => req.log.warn({ err: failure }, 'could not read the role after a 403'));
      return void sendError(req, res, 403, `You are not allowed to do that: ${error.detail}`);
    }
    next(error);
  };
}

async function rememberRole(backend: BackendClient, req: Request): Promise<void> {
  remember(req, (await backend.me(req.viewer)).body as User);
}

/** Who the backend says the viewer is now, into the session and this answer's nav. */
export function remember(req: Request, me: User): void {
  const { id, displayName, role } = me;
  if (req.session.user?.role !== role || req.session.user.displayName !== displayName) req.session.signIn(req.session.csrfToken, { id, displayName, role }, req.session.endSessionUrl);
  Object.assign(req.res!.locals, roleLocals(req.session.user));
}

/** What the views know of the viewer: who, and what to show them. */
export function roleLocals(user: SignedInUser | undefined): { user?: SignedInUser; canWrite: boolean; isAdmin: boolean } {
  return { user, canWrite: user !== undefined && user.role !== 'viewer', isAdmin: user?.role === 'admin' };
}

/** Sign-in and sign-out. */
export function signInRoutes(backend: BackendClient, secure: CookieSecure): Router {
  const router = Router();

  /** The sign-in page offers what the backend allows: the password form, the provider's button, or both. */
  const loginPage = async (res: Response, status: number, context: { next: string; email?: string; problem?: string }) => {
    let methods: SignInMethods = { password: true, oidc: null };
    try {
      const answer = await backend.signInMethods(res.req.ip, res.req.id);
      if (answer.status === 200) methods = answer.body as SignInMethods;
    } catch (error) {
      if (!(error instanceof BackendUnavailable)) throw error;
      // The form still shows; signing in will say that the service is unavailable.
    }
    res.status(status).render('login.njk', { ...context, methods, flash: res.req.session.takeFlash() });
  };

  router.get('/login', async (req, res) => {
    await loginPage(res, 200, { next: sameSitePath(field(req.query as Body, 'next')) });
  });

  router.get('/login/oidc', async (req, res) => {
    const next = sameSitePath(field(req.query as Body, 'next'));
    let begun;
    try {
      begun = await backend.startOidcSignIn(req.ip, req.id);
    } catch (error) {
      if (!(error instanceof BackendUnavailable)) throw error;
      return loginPage(res, 503, { next, problem: UNAVAILABLE });
    }
    if (begun.status !== 200) return loginPage(res, begun.status === 404 ? 404 : 503, { next, problem: problemText(begun.body) });
    const { authorizationUrl, state, nonce, codeVerifier } = begun.body as OidcStart;
    req.session.beginOidc({ state, nonce, codeVerifier, next });
    res.redirect(303, authorizationUrl);
  });

  router.get('/login/oidc/callback', async (req, res) => {
    const flow = req.session.takeOidc();
    if (!flow) return loginPage(res, 400, { next: '/', problem: 'This sign-in was not begun in this browser, or was finished already. Start again.' });
    const { next, ...kept } = flow;
    const callbackQuery = req.originalUrl.includes('?') ? req.originalUrl.slice(req.originalUrl.indexOf('?') + 1) : '';
    let response;
    try {
      response = await backend.finishOidcSignIn({ callbackQuery, ...kept }, req.ip, req.id);
    } catch (error) {
      if (!(error instanceof BackendUnavailable)) throw error;
      return loginPage(res, 503, { next, problem: UNAVAILABLE });
    }
    if (response.status !== 201) return loginPage(res, response.status >= 500 ? 503 : response.status, { next, problem: problemText(response.body) });
    const session = response.body as OidcSessionResult;
    res.cookie(SESSION_COOKIE, session.token, { ...cookieOptions(req, secure), expires: new Date(session.expiresAt) });
    const { id, displayName, role } = session.user;
    req.session.signIn(session.csrfToken, { id, displayName, role }, session.endSessionUrl ?? undefined);
    req.log.info({ user: id, method: 'oidc' }, 'signed in');
    res.redirect(303, next);
  });

  router.post('/login', async (req, res) => {
    const body = req.body as Body;
    const next = sameSitePath(field(body, 'next'));
    const email = field(body, 'email')?.trim() ?? '';
    const password = field(body, 'password') ?? '';
    if (email === '' || password === '') return loginPage(res, 422, { next, email, problem: 'Enter your email and your password.' });
    let response;
    try {
      response = await backend.createSession({ email, password }, req.ip, req.id);
    } catch (error) {
      if (!(error instanceof BackendUnavailable)) throw error;
      return loginPage(res, 503, { next, email, problem: UNAVAILABLE });
    }
    if (response.status === 201) {
      const session = response.body as SessionResult;
      res.cookie(SESSION_COOKIE, session.token, { ...cookieOptions(req, secure), expires: new Date(session.expiresAt) });
      const { id, displayName, role } = session.user;
      req.session.signIn(session.csrfToken, { id, displayName, role });
      req.log.info({ user: id }, 'signed in');
      return res.redirect(303, session.user.mustChangePassword ? PASSWORD_PAGE : next);
    }
    if (response.status === 429) {
      const wait = response.retryAfter ?? 60;
      res.set('Retry-After', String(wait));
      return loginPage(res, 429, { next, email, problem: `Too many failed sign-ins. Wait ${describeWait(wait)}, then try again.` });
    }
    if (response.status === 401) return loginPage(res, 401, { next, email, problem: 'Wrong email or password.' });
    if (response.status === 403) return loginPage(res, 403, { next, email, problem: problemText(response.body) });
    if (response.status < 500) return loginPage(res, 422, { next, email, problem: 'Enter a valid email address and your password.' });
    return loginPage(res, 503, { next, email, problem: UNAVAILABLE });
  });

  for (const [path, everywhere] of [['/logout', false], ['/logout/everywhere', true]] as const) {
    router.post(path, async (req, res) => {
      try {
        await backend.signOut(req.viewer, everywhere);
      } catch (error) {
        // Signed out already is what was asked for; an unreachable backend is not, so it says so.
        if (error instanceof BackendUnavailable) return sendError(req, res, 503, 'The task service is unavailable, so you are still signed in. Try again in a moment.');
        if (!(error instanceof NotSignedIn)) throw error;
      }
      res.clearCookie(SESSION_COOKIE, cookieOptions(req, secure));
      const endSessionUrl = req.session.endSessionUrl;
      req.session.signOut();
      req.session.flash('success', everywhere ? 'You are signed out on every device.' : 'You are signed out.');
      if (endSessionUrl === undefined || isHtmx(req)) return sendTo(req, res, endSessionUrl ?? '/login');
      // A session from the identity provider ends there too (RP-initiated logout), which sends the browser back to /login.
      // A page that moves on by itself, not a redirect: the form's page allows forms to post to this site only (CSP form-action).
      res.status(200).render('signed-out.njk', { endSessionUrl, ...roleLocals(undefined) });
    });
  }
  return router;
}

/** The backend's explanation of a refused sign-in, written for the person signing in. */
function problemText(body: unknown): string {
  const detail = (body as { detail?: unknown } | undefined)?.detail;
  return typeof detail === 'string' ? detail : UNAVAILABLE;
}

function describeWait(seconds: number): string {
  if (seconds < 90) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minutes`;
}
