import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Role } from '@task-manager/contract';
import type { CookieOptions, Request, RequestHandler, Response } from 'express';
import type { CookieSecure } from './config.js';

export interface Flash {
  kind: 'success' | 'error';
  text: string;
}

/** Who signed in, as the backend said then: for the nav and for hiding what the role cannot do, never for allowing it. */
export interface SignedInUser {
  id: string;
  displayName: string;
  role: Role;
}

/** A sign-in at the identity provider under way: what the backend gave to keep until the provider answers. */
export interface OidcFlow {
  state: string;
  nonce: string;
  codeVerifier: string;
  next: string;
}

interface SessionData {
  csrf: string;
  flash?: Flash;
  user?: SignedInUser;
  oidc?: OidcFlow;
  /** Where sign-out sends the browser afterwards: the provider's end_session_endpoint, for a session from it. */
  endSessionUrl?: string;
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      session: Session;
    }
  }
}

const COOKIE = 'tm_session';
/** A same-site form's request says so; a browser never lets another site claim it. */
const CROSS_SITE = new Set(['cross-site', 'same-site']);
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The whole session lives in one HMAC-signed cookie, so any replica can serve any request
 * and nothing is stored server-side. It holds only the CSRF token and a one-shot flash
 * message; a cookie that fails verification is treated as absent.
 */
export class Session {
  constructor(
    private data: SessionData,
    private readonly res: Response,
    private readonly sign: (payload: string) => string,
    private readonly cookieOptions: CookieOptions,
  ) {}

  get csrfToken(): string {
    return this.data.csrf;
  }

  get user(): SignedInUser | undefined {
    return this.data.user;
  }

  get endSessionUrl(): string | undefined {
    return this.data.endSessionUrl;
  }

  /** A sign-in: the backend session's CSRF token replaces the one the form was sent with (no fixation). */
  signIn(csrf: string, user: SignedInUser, endSessionUrl?: string): void {
    this.data = { csrf, user, ...(endSessionUrl ? { endSessionUrl } : {}) };
    this.save();
  }

  /** Kept until the provider sends the browser back; a second start replaces the first. */
  beginOidc(flow: OidcFlow): void {
    this.data = { ...this.data, oidc: flow };
    this.save();
  }

  /** The flow under way, removed so that its values serve one answer only. */
  takeOidc(): OidcFlow | undefined {
    const { oidc, ...rest } = this.data;
    if (!oidc) return undefined;
    this.data = rest;
    this.save();
    return oidc;
  }

  /** A fresh pre-login session: nothing of the signed-out one is kept. */
  signOut(): void {
    this.data = { csrf: newToken() };
    this.save();
  }

  flash(kind: Flash['kind'], text: string): void {
    this.data = { ...this.data, flash: { kind, text } };
    this.save();
  }

  /** The pending flash message, removed from the session so it shows exactly once. */
  takeFlash(): Flash | undefined {
    const { flash } = this.data;
    if (!flash) return undefined;
    const { flash: _shown, ...rest } = this.data;
    this.data = rest;
    this.save();
    return flash;
  }

  save(): void {
    const payload = Buffer.from(JSON.stringify(this.data)).toString('base64url');
    // One Set-Cookie per response: a request that both starts a session and sets a flash saves twice.
    const earlier = this.res.getHeader('set-cookie');
    if (Array.isArray(earlier)) this.res.setHeader('set-cookie', earlier.filter((line) => !line.startsWith(`${COOKIE}=`)));
    this.res.cookie(COOKIE, `${payload}.${this.sign(payload)}`, this.cookieOptions);
  }
}

const newToken = () => randomBytes(24).toString('base64url');

/** The attributes of every cookie this app sets: script cannot read it, other sites' requests do not carry it (but links do). */
export function cookieOptions(req: Request, secure: CookieSecure): CookieOptions {
  return { httpOnly: true, sameSite: 'lax', secure: secure === 'always' || (secure === 'auto' && req.secure), path: '/' };
}

export function sessions(secret: string, secure: CookieSecure): RequestHandler {
  const sign = (payload: string) => createHmac('sha256', secret).update(payload).digest('base64url');
  return (req, res, next) => {
    const existing = verify(readCookie(req, COOKIE), sign);
    req.session = new Session(existing ?? { csrf: newToken() }, res, sign, cookieOptions(req, secure));
    if (!existing) req.session.save();
    next();
  };
}

/**
 * Every unsafe request must come from this site and carry the session's token, in the
 * X-CSRF-Token header (htmx) or the _csrf form field (plain forms); the answer otherwise is
 * 403, written by `reject`. The origin check is the second lock: a browser names the site a
 * form came from (Origin, Sec-Fetch-Site), and a token that leaked still opens nothing from there.
 */
export function requireCsrf(reject: (req: Request, res: Response) => void): RequestHandler {
  return (req, res, next) => {
    if (SAFE_METHODS.has(req.method)) return next();
    if (!fromThisSite(req)) return reject(req, res);
    const body = req.body as Record<string, unknown> | undefined;
    const sent = req.get('x-csrf-token') ?? (typeof body?._csrf === 'string' ? body._csrf : undefined);
    if (sent !== undefined && constantTimeEqual(sent, req.session.csrfToken)) return next();
    reject(req, res);
  };
}

function fromThisSite(req: Request): boolean {
  if (CROSS_SITE.has(req.get('sec-fetch-site') ?? '')) return false;
  const origin = req.get('origin');
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === req.host;
  } catch {
    return false;
  }
}

function verify(cookie: string | undefined, sign: (payload: string) => string): SessionData | undefined {
  if (!cookie) return undefined;
  const dot = cookie.lastIndexOf('.');
  if (dot <= 0) return undefined;
  const payload = cookie.slice(0, dot);
  if (!constantTimeEqual(cookie.slice(dot + 1), sign(payload))) return undefined;
  try {
    const data = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as SessionData;
    return typeof data.csrf === 'string' ? data : undefined;
  } catch {
    return undefined;
  }
}

function constantTimeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export function readCookie(req: Request, name: string): string | undefined {
  for (const part of (req.get('cookie') ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
