import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Health, requestContext, type Logger, type Metrics } from '@task-manager/kit';
import express, { type ErrorRequestHandler, type Express, type RequestHandler, type Response } from 'express';
import nunjucks from 'nunjucks';
import { Assets } from './assets.js';
import { BackendUnavailable, type BackendClient, type Task } from './backend.js';
import { requireCsrf, sessions } from './session.js';
import { RowCache } from './tasks/row-cache.js';
import { sendError, taskRoutes } from './tasks/routes.js';

export interface AppDeps {
  backend: BackendClient;
  sessionSecret: string;
  logger: Logger;
  metrics: Metrics;
  health: Health;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "2026-03-07" → "7 Mar 2026". By hand: Intl.DateTimeFormat showed up in the page's profile. */
function formatDay(day: string): string {
  const [year, month, date] = day.split('-');
  return `${Number(date)} ${MONTHS[Number(month) - 1] ?? month} ${year}`;
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Builds the express app. Order matters: metrics and request context see every request;
 * /api/* is passed through before any body parser, session or CSRF check touches it
 * (it is the backend's JSON API, for machines); the UI follows with its own session.
 */
export async function createApp(deps: AppDeps): Promise<Express> {
  const { backend, logger, metrics, health } = deps;
  const assets = await Assets.load(path.join(root, 'public'));
  const app = express();
  app.disable('x-powered-by');
  // Pages carry a per-session CSRF token, so an ETag would never match: hashing each
  // page body for one is pure cost. Static assets set their own strong ETags.
  app.set('etag', false);
  app.set('trust proxy', 'loopback, linklocal, uniquelocal');
  app.set('view engine', 'njk');
  // Resolve each view's file once, whatever NODE_ENV says: views never change while running.
  app.enable('view cache');
  app.set('views', path.join(root, 'views'));
  const views = nunjucks.configure(path.join(root, 'views'), { autoescape: true, express: app, throwOnUndefined: false, trimBlocks: true, lstripBlocks: true });
  // 5,000 rows of about 2 KB: a hundred pages of the list, 10 MB at most.
  const rowCache = new RowCache(views, 5000);
  views
    .addGlobal('taskRows', (tasks: Task[], csrfToken: string, today: string, focusFirst: boolean) => rowCache.html(tasks, csrfToken, today, focusFirst))
    .addGlobal('asset', (name: string) => assets.url(name))
    .addGlobal('newKey', () => randomUUID())
    .addGlobal('STATUS_LABELS', { todo: 'To do', in_progress: 'In progress', done: 'Done' })
    .addGlobal('PRIORITY_LABELS', { high: 'High', medium: 'Medium', low: 'Low' })
    .addGlobal('SORT_LABELS', { updatedAt: 'Updated', dueDate: 'Due date', priority: 'Priority', title: 'Title' })
    .addFilter('day', formatDay);

  sendStringsAsStrings(app);
  app.use(metrics.httpMiddleware());
  app.use(requestContext(logger));
  app.use(securityHeaders());
  app.use(health.router());
  app.use(assets.handler());
  app.use('/api', passThrough(backend));

  app.use(express.urlencoded({ extended: false, limit: '64kb', parameterLimit: 1000 }));
  app.use(sessions(deps.sessionSecret));
  app.use((req, res, next) => {
    res.locals.csrfToken = req.session.csrfToken;
    next();
  });
  app.use(requireCsrf((req, res) => sendError(req, res, 403, 'This form has expired or did not come from this site. Reload the page and try again.')));
  app.use(taskRoutes(backend));
  app.use((req, res) => sendError(req, res, 404, `There is no page at ${req.path}.`));
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

/** /api/* goes to the backend as it came, and its answer comes back as it went. */
function passThrough(backend: BackendClient): RequestHandler {
  return async (req, res, next) => {
    res.locals.route = '/api/*';
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
    const headers = { ...req.headers, 'x-request-id': req.id };
    try {
      const answer = await backend.forward(req.method, req.originalUrl, headers, hasBody ? req : undefined);
      // setHeader, not res.set: express would append a charset to the backend's Content-Type.
      res.status(answer.status);
      for (const [name, value] of Object.entries(answer.headers)) res.setHeader(name, value);
      answer.body.on('error', (error) => {
        req.log.warn({ err: error }, 'backend response broke off');
        res.destroy();
      });
      answer.body.pipe(res);
    } catch (error) {
      if (!(error instanceof BackendUnavailable)) return next(error);
      req.log.warn({ err: error.reason }, 'backend unavailable');
      res.status(503).type('application/problem+json').json({
        type: 'about:blank',
        title: 'Service Unavailable',
        status: 503,
        detail: 'The task service is unavailable.',
        instance: req.originalUrl,
      });
    }
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
