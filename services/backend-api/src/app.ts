import { Health, HttpProblem, Metrics, createServiceApp, notFoundHandler, problemHandler, type Logger, type ReadinessCheck, type ReadinessReport, type Tracer } from '@task-manager/kit';
import express, { type ErrorRequestHandler, type Express } from 'express';
import { authenticate, authorize, type OperationAccess } from './accounts/access.js';
import type { Credentials } from './accounts/credentials.js';
import { OidcSignIn } from './accounts/oidc.js';
import { accountsRouter } from './accounts/routes.js';
import type { Config } from './config.js';
import type { Database } from './db.js';
import { missingMigrations } from './migrations/files.js';
import { openApiDocument } from './tasks/openapi.js';
import { tasksRouter } from './tasks/routes.js';

export interface AppParts {
  db: Database;
  logger: Logger;
  metrics: Metrics;
  health: Health;
  credentials: Credentials;
  config: Pick<Config, 'auth' | 'trustProxy'> & Partial<Pick<Config, 'oidc'>>;
  tracer?: Tracer;
}

/** Room for a 10,000-character description even when every character arrives \u-escaped. */
export const BODY_LIMIT = '256kb';

/** Readiness: the database answers and holds every migration this build knows. */
export function databaseReadiness(db: Database): ReadinessCheck {
  return async (): Promise<ReadinessReport> => {
    try {
      const missing = await missingMigrations(db.sql);
      return missing.length === 0
        ? { ready: true, checks: { database: { ok: true }, migrations: { ok: true } } }
        : { ready: false, checks: { database: { ok: true }, migrations: { ok: false, detail: `pending: ${missing.join(', ')}` } } };
    } catch (error) {
      const reason = (error as { code?: string }).code ?? (error as Error).message;
      return { ready: false, checks: { database: { ok: false, detail: `unreachable (${reason})` } } };
    }
  };
}

const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH',
  'CONNECT_TIMEOUT', 'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED',
  '57P01', '57P02', '57P03', '53300', '40001', '40P01',
]);

/**
 * Database trouble is not the client's fault and not a bug either: while PostgreSQL restarts
 * or the schema is still being migrated, answer 503 with Retry-After instead of a 500.
 */
const databaseErrors: ErrorRequestHandler = (error, req, res, next) => {
  const code = (error as { code?: string }).code ?? '';
  if (UNAVAILABLE_CODES.has(code) || code.startsWith('08')) {
    req.log.warn({ code }, 'database unavailable');
    res.set('Retry-After', '1');
    return next(HttpProblem.of(503, 'The database is unavailable; try again shortly.'));
  }
  if (code === '42P01' || code === '42704') {
    res.set('Retry-After', '5');
    return next(HttpProblem.of(503, 'The database schema is not migrated yet.'));
  }
  if (code.startsWith('22')) {
    // A data exception means validation let something through; still the client's input, so a 4xx.
    req.log.warn({ code }, 'database rejected a value that passed validation');
    return next(HttpProblem.of(422, 'A value could not be stored.'));
  }
  next(error);
};

/** The documented paths, most specific first (`/api/tasks/bulk` before `/api/tasks/{id}`), with the methods each answers. */
const documented = Object.entries(openApiDocument.paths).map(([path, item]): [string, string[]] => [
  path.replace(/\{(\w+)\}/g, ':$1'),
  Object.keys(item).filter((key) => key !== 'parameters'),
]);
const KNOWN_PATHS = [...documented, ['/api/openapi.json', ['get']] as [string, string[]]].sort(
  (a, b) => Number(a[0].includes(':')) - Number(b[0].includes(':')),
);

/** TRUST_PROXY as express reads it: a hop count, true/false, or a comma-separated list of addresses and names. */
function trustProxyValue(setting: string): boolean | number | string[] {
  if (/^\d+$/.test(setting)) return Number(setting);
  if (setting === 'true' || setting === 'false') return setting === 'true';
  return setting.split(',').map((part) => part.trim()).filter(Boolean);
}

/** A known path asked with another method: 405 naming the methods it has (RFC 9110), rather than a 404. */
function methodNotAllowed(app: Express): void {
  for (const [path, methods] of KNOWN_PATHS) {
    const allow = methods.flatMap((method) => (method === 'get' ? ['GET', 'HEAD'] : [method.toUpperCase()])).join(', ');
    app.all(path, (req, res) => {
      res.set('Allow', allow);
      // As express answers OPTIONS on its routes: the methods, in the header and the body.
      if (req.method === 'OPTIONS') return res.type('text/plain').send(allow);
      throw new HttpProblem(405, 'Method Not Allowed', `${req.method} is not allowed on ${req.path}; allowed: ${allow}.`);
    });
  }
}

type Operations = Record<string, Record<string, OperationAccess>>;
const OPEN_OPERATIONS = new Set(
  Object.entries(openApiDocument.paths as unknown as Operations).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method, operation]) => method !== 'parameters' && operation.security?.length === 0)
      .map(([method]) => `${method.toUpperCase()} ${path}`),
  ),
);

/**
 * Authentication on every /api request but the open operations, then the role check of the
 * operation asked for, as the document declares it (`x-required-role`): the one place access is
 * stated. One middleware with one table, not a route per operation: express's walk through
 * twenty more layers cost every request measurably.
 */
function enforceAccess(app: Express, credentials: Credentials): void {
  const verify = authenticate(credentials);
  const checks = Object.entries(openApiDocument.paths as unknown as Operations).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method, operation]) => method !== 'parameters' && operation['x-required-role'] !== undefined)
      .map(([method, operation]) => ({
        method: method.toUpperCase(),
        template: path,
        // As express matches routes: without regard to case, a trailing slash allowed.
        path: new RegExp(`^${path.replace(/\{\w+\}/g, '[^/]+')}/?$`, 'i'),
        check: authorize(operation),
      })),
  );
  // Paths without parameters are found by name; the rest, by their patterns in turn.
  const exact = new Map(checks.filter(({ template }) => !template.includes('{')).map((check) => [`${check.method} ${check.template.toLowerCase()}`, check]));
  app.use('/api', (req, res, next) => {
    const path = `${req.baseUrl}${req.path}`;
    if (OPEN_OPERATIONS.has(`${req.method} ${path}`)) return next();
    const method = req.method === 'HEAD' ? 'GET' : req.method;
    const operation =
      exact.get(`${method} ${path.toLowerCase().replace(/\/$/, '')}`) ?? checks.find((candidate) => candidate.method === method && candidate.path.test(path));
    return verify(req, res, (error?: unknown) => (error !== undefined || !operation ? next(error) : operation.check(req, res, next)));
  });
}

export function createApp({ db, logger, metrics, health, credentials, config, tracer }: AppParts): Express {
  const app = createServiceApp({ logger, metrics, tracer });
  app.set('trust proxy', trustProxyValue(config.trustProxy));
  app.use(health.router());
  app.get('/api/openapi.json', (_req, res) => {
    res.json(openApiDocument);
  });
  enforceAccess(app, credentials);
  // Tasks first: most requests are for tasks, and express tries each router's routes in turn.
  app.use('/api', express.json({ limit: BODY_LIMIT, strict: false }), tasksRouter(db), accountsRouter(db, credentials, config.auth, metrics, config.oidc && new OidcSignIn(config.oidc, credentials)));
  methodNotAllowed(app);
  app.use(notFoundHandler());
  app.use(databaseErrors);
  app.use(problemHandler(logger));
  return app;
}
