/**
 * Who may call each operation, declared once, in the OpenAPI document (`x-required-role`,
 * `security`): the app enforces what the document states (app.ts, `enforceAccess`), so the
 * document, the server and the tests that read the matrix from it cannot disagree.
 */
import { CSRF_HEADER, ROLES, SESSION_COOKIE, type Role } from '@task-manager/contract';
import { HttpProblem } from '@task-manager/kit';
import type { RequestHandler, Response } from 'express';
import type { Credentials, Principal } from './credentials.js';
import { csrfTokenOf, isTokenShaped, sameSecret } from './secrets.js';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** Who sent the request; set for every operation that is not open. */
      principal?: Principal;
      /** The token or session id presented, so that POST /api/logout can revoke it. */
      credentialToken?: string;
    }
  }
}

export const SECURITY_SCHEMES = {
  bearer: { type: 'http', scheme: 'bearer', description: 'A login token (POST /api/login) or a personal access token (POST /api/tokens).' },
  session: {
    type: 'apiKey',
    in: 'cookie',
    name: SESSION_COOKIE,
    description: `A UI session (POST /api/sessions); unsafe methods also need the ${CSRF_HEADER} header holding its csrfToken.`,
  },
} as const;

const authProblems = {
  401: { description: 'No valid credentials', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } },
  403: {
    description: 'The role may not do this, or the password must be changed first',
    content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
  },
} as const;

/** An operation any signed-in user of `role` or above may call; `temporaryPassword`: also while a password change is due. */
export function requires<O extends { responses: object }>(role: Role, operation: O, options: { temporaryPassword?: boolean } = {}) {
  return {
    ...operation,
    security: [{ bearer: [] }, { session: [] }],
    'x-required-role': role,
    ...(options.temporaryPassword ? { 'x-allowed-with-temporary-password': true } : {}),
    responses: { ...operation.responses, ...authProblems },
  };
}

/** An operation without credentials (signing in). */
export function open<O extends object>(operation: O) {
  return { ...operation, security: [] as never[] };
}

export interface OperationAccess {
  'x-required-role'?: Role;
  'x-allowed-with-temporary-password'?: boolean;
  security?: readonly unknown[];
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** A 401, with the challenge RFC 9110 asks of it. */
function unauthorized(res: Response, detail: string): HttpProblem {
  res.set('WWW-Authenticate', 'Bearer');
  return HttpProblem.of(401, detail);
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * Verifies the Bearer token or the session cookie (with its CSRF header on unsafe methods)
 * itself, on every request it sees: no identity header from anyone is trusted.
 */
export function authenticate(credentials: Credentials): RequestHandler {
  return (req, res, next) => {
    const authorization = req.get('authorization');
    let token: string | undefined;
    let viaCookie = false;
    if (authorization !== undefined) {
      const match = /^Bearer[ ]+(\S+)[ ]*$/i.exec(authorization);
      if (!match) return next(unauthorized(res, 'Send Authorization: Bearer <token>.'));
      token = match[1]!;
    } else {
      token = cookieValue(req.get('cookie'), SESSION_COOKIE);
      viaCookie = token !== undefined;
    }
    if (token === undefined) return next(unauthorized(res, 'Sign in first: send Authorization: Bearer <token> or the session cookie.'));
    if (!isTokenShaped(token)) return next(unauthorized(res, 'The token is not valid.'));
    const admit = (principal: Principal | undefined) => {
      if (!principal) return next(unauthorized(res, 'The token is not valid, has expired or was revoked.'));
      if (viaCookie && UNSAFE.has(req.method)) {
        const csrf = req.get(CSRF_HEADER);
        if (csrf === undefined || !sameSecret(csrf, csrfTokenOf(token))) {
          return next(HttpProblem.of(403, `A write with the session cookie needs the ${CSRF_HEADER} header of the session.`));
        }
      }
      req.principal = principal;
      req.credentialToken = token;
      next();
    };
    // Most requests present a token verified within the last half second: answered in this tick.
    const cached = credentials.cached(token);
    if (cached) return admit(cached);
    credentials.verify(token).then(admit, next);
  };
}

/** The role check of one operation, as the document declares it. */
export function authorize(access: OperationAccess): RequestHandler {
  const required = access['x-required-role'];
  const rank = required === undefined ? 0 : ROLES.indexOf(required);
  const duringChange = access['x-allowed-with-temporary-password'] === true;
  return (req, _res, next) => {
    const principal = req.principal;
    if (!principal) return next();
    if (principal.mustChangePassword && !duringChange) return next(HttpProblem.of(403, 'change your password first'));
    if (ROLES.indexOf(principal.role) < rank) return next(HttpProblem.of(403, `This needs the ${required} role; you are ${principal.role}.`));
    next();
  };
}
