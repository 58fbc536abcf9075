import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Health, requestContext, type Logger, type Metrics } from '@task-manager/kit';
import express, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express';
import helmet from 'helmet';
import nunjucks from 'nunjucks';
import { Assets } from './assets.js';
import { BackendUnavailable, type BackendClient } from './backend.js';
import { requireCsrf, sessions } from './session.js';
import { sendError, taskRoutes } from './tasks/routes.js';

export interface AppDeps {
  backend: BackendClient;
  sessionSecret: string;
  logger: Logger;
  metrics: Metrics;
  health: Health;
}

const DAY_FORMAT = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
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
  app.set('trust proxy', 'loopback, linklocal, uniquelocal');
  app.set('view engine', 'njk');
  // Resolve each view's file once, whatever NODE_ENV says: views never change while running.
  app.enable('view cache');
  app.set('views', path.join(root, 'views'));
  nunjucks
    .configure(path.join(root, 'views'), { autoescape: true, express: app, throwOnUndefined: false, trimBlocks: true, lstripBlocks: true })
    .addGlobal('asset', (name: string) => assets.url(name))
    .addGlobal('newKey', () => randomUUID())
    .addGlobal('STATUS_LABELS', { todo: 'To do', in_progress: 'In progress', done: 'Done' })
    .addGlobal('PRIORITY_LABELS', { high: 'High', medium: 'Medium', low: 'Low' })
    .addGlobal('SORT_LABELS', { updatedAt: 'Updated', dueDate: 'Due date', priority: 'Priority', title: 'Title' })
    .addFilter('day', (value: string) => DAY_FORMAT.format(new Date(`${value}T00:00:00Z`)));

  app.use(metrics.httpMiddleware());
  app.use(requestContext(logger));
  app.use(
    helmet({
      contentSecurityPolicy: {
        useDefaults: false,
        directives: {
          defaultSrc: ["'self'"],
          scriptSrc: ["'self'"],
          styleSrc: ["'self'"],
          imgSrc: ["'self'", 'data:'],
          connectSrc: ["'self'"],
          formAction: ["'self'"],
          frameAncestors: ["'none'"],
          baseUri: ["'none'"],
          objectSrc: ["'none'"],
        },
      },
      referrerPolicy: { policy: 'same-origin' },
      strictTransportSecurity: false,
    }),
  );
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
