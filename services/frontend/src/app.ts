import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServiceApp, type Health, type Logger, type Metrics, type Tracer } from '@task-manager/kit';
import express, { type ErrorRequestHandler, type Express, type RequestHandler, type Response } from 'express';
import { accountRoutes } from './account.js';
import { Assets } from './assets.js';
import { accessErrors, requireSignIn, roleLocals, signInRoutes } from './auth.js';
import type { BackendClient } from './backend/index.js';
import { DEFAULT_TRUST_PROXY, type CookieSecure } from './config.js';
import { requireCsrf, sessions } from './session.js';
import { sendError } from './tasks/answer.js';
import { taskRoutes } from './tasks/routes.js';
import { configureViews } from './views.js';

export interface AppDeps {
  backend: BackendClient;
  sessionSecret: string;
  /** COOKIE_SECURE and TRUST_PROXY (config.ts); their defaults when left out. */
  cookieSecure?: CookieSecure;
  trustProxy?: string;
  logger: Logger;
  metrics: Metrics;
  health: Health;
  tracer?: Tracer;
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Builds the express app. Order matters: metrics and request context see every request;
 * /api/* is passed through before any body parser, session or CSRF check touches it
 * (it is the backend's JSON API, for machines); the UI follows with its own session.
 */
export async function createApp(deps: AppDeps): Promise<Express> {
  const { backend, logger, metrics, health, cookieSecure = 'auto' } = deps;
  const assets = await Assets.load(path.join(root, 'public'));
  const app = createServiceApp({ logger, metrics, tracer: deps.tracer });
  app.set('trust proxy', deps.trustProxy ?? DEFAULT_TRUST_PROXY);
  configureViews(app, path.join(root, 'views'), assets);
  sendStringsAsStrings(app);
  app.use(securityHeaders());
  app.use(health.router());
  app.use(assets.handler());
  app.use('/api', backend.passThrough());

  app.use(express.urlencoded({ extended: false, limit: '64kb', parameterLimit: 1000 }));
  app.use(sessions(deps.sessionSecret, cookieSecure));
  app.use((req, res, next) => {
    res.locals.csrfToken = req.session.csrfToken;
    Object.assign(res.locals, roleLocals(req.session.user));
    next();
  });
  app.use(requireSignIn());
  app.use(requireCsrf((req, res) => sendError(req, res, 403, 'This form has expired or did not come from this site. Reload the page and try again.')));
  app.use(signInRoutes(backend, cookieSecure));
  app.use(accountRoutes(backend));
  app.use(taskRoutes(backend));
  app.use((req, res) => sendError(req, res, 404, `There is no page at ${req.path}.`));
  app.use(accessErrors(backend, cookieSecure));
  app.use(errorPage());
  return app;
}

/**
 * express's res.send copies every string of 1,000 characters or more into a Buffer to count
 * its bytes: for a page of fifty tasks, a 100 KB copy and the garbage it leaves, about a tenth
 * of the page's cost in the benchmark's profile. Node writes strings to the socket itself, so
 * this app's pages (never conditional: it sends no ETags) go out as strings, counted in place.
 */
function sendStringsAsStrings(app: Express): void {
  const send = app.response.send;
  app.response.send = function sendString(this: Response, body?: unknown) {
    if (typeof body !== 'string') return send.call(this, body);
    if (!this.get('Content-Type')) this.type('html');
    this.setHeader('Content-Length', Buffer.byteLength(body));
    this.end(body);
    return this;
  };
}

/**
 * The same headers on every answer, computed once. The CSP allows scripts and styles from
 * this origin only (no inline script: htmx is configured by a meta tag, app.js does the rest).
 */
function securityHeaders(): RequestHandler {
  const headers = {
    'Content-Security-Policy': [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self' data:",
      "connect-src 'self'",
      "form-action 'self'",
      "frame-ancestors 'none'",
      "base-uri 'none'",
      "object-src 'none'",
    ].join('; '),
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'same-origin',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
  };
  return (_req, res, next) => {
    res.set(headers);
    next();
  };
}

/**
 * The last resort: body-parser's client errors keep their 4xx status, anything else is a
 * 500 page that says nothing about internals (the details go to the log).
 */
function errorPage(): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) return next(error);
    const status = (error as { status?: unknown }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return sendError(req, res, status, status === 413 ? 'That was more than a form may send.' : 'The request could not be understood.');
    }
    req.log.error({ err: error }, 'unhandled error');
    // The session or locals may be what failed, so the page is plain text rather than a template.
    res.status(500).type('text/plain').send('Something went wrong on our side; it has been logged. Please try again.\n');
  };
}
