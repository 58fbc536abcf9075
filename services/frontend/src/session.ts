import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';

export interface Flash {
  kind: 'success' | 'error';
  text: string;
}

interface SessionData {
  csrf: string;
  flash?: Flash;
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
  ) {}

  get csrfToken(): string {
    return this.data.csrf;
  }

  flash(kind: Flash['kind'], text: string): void {
    this.data = { ...this.data, flash: { kind, text } };
    this.save();
  }

  /** The pending flash message, removed from the session so it shows exactly once. */
  takeFlash(): Flash | undefined {
    const { flash } = this.data;
    if (!flash) return undefined;
    this.data = { csrf: this.data.csrf };
    this.save();
    return flash;
  }

  save(): void {
    const payload = Buffer.from(JSON.stringify(this.data)).toString('base64url');
    // One Set-Cookie per response: a request that both starts a session and sets a flash saves twice.
    const earlier = this.res.getHeader('set-cookie');
    if (Array.isArray(earlier)) this.res.setHeader('set-cookie', earlier.filter((line) => !line.startsWith(`${COOKIE}=`)));
    this.res.cookie(COOKIE, `${payload}.${this.sign(payload)}`, {
      httpOnly: true,
      sameSite: 'lax',
      secure: this.res.req.secure,
      path: '/',
    });
  }
}

export function sessions(secret: string): RequestHandler {
  const sign = (payload: string) => createHmac('sha256', secret).update(payload).digest('base64url');
  return (req, res, next) => {
    const existing = verify(readCookie(req, COOKIE), sign);
    req.session = new Session(existing ?? { csrf: randomBytes(24).toString('base64url') }, res, sign);
    if (!existing) req.session.save();
    next();
  };
}

/**
 * Every unsafe request must carry the session's token, in the X-CSRF-Token header (htmx)
 * or the _csrf form field (plain forms); the answer otherwise is 403, written by `reject`.
 */
export function requireCsrf(reject: (req: Request, res: Response) => void): RequestHandler {
  return (req, res, next) => {
    if (SAFE_METHODS.has(req.method)) return next();
    const body = req.body as Record<string, unknown> | undefined;
    const sent = req.get('x-csrf-token') ?? (typeof body?._csrf === 'string' ? body._csrf : undefined);
    if (sent !== undefined && constantTimeEqual(sent, req.session.csrfToken)) return next();
    reject(req, res);
  };
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

function readCookie(req: Request, name: string): string | undefined {
  for (const part of (req.get('cookie') ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
