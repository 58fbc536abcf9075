import { Health, HttpProblem, Metrics, createServiceApp, notFoundHandler, problemHandler, type Logger, type ReadinessCheck, type ReadinessReport, type Tracer } from '@task-manager/kit';
import express, { type ErrorRequestHandler, type Express } from 'express';
import { authenticate, authorize, type OperationAccess } from './accounts/access.js';
import type { Credentials } from './accounts/credentials.js';
import { OidcSignIn } from './accounts/oidc.js';
import { accountsRouter } from './accounts/routes.js';
import type { Config } from './config.js';
import type { Database } from './db.js';
import { isTransient, oneRetryBudgetPerRequest } from './db-retry.js';
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

/**
 * Readiness: the database answers, takes writes, and holds every migration this build knows. A
 * server that answers read-only is a standby or a primary being demoted: while no writable primary
 * is reached, this pod is not ready (its writes would only wait and fail). Liveness never asks.
 */
export function databaseReadiness(db: Database): ReadinessCheck {
  return async (): Promise<ReadinessReport> => {
    try {
      const [[state], missing] = await Promise.all([
        db.sql<{ recovery: boolean; readOnly: boolean }[]>`select pg_is_in_recovery() as recovery, current_setting('transaction_read_only') = 'on' as "readOnly"`,
        missingMigrations(db.sql),
      ]);
      if (state!.readOnly) {
        const why = state!.recovery ? 'a standby, in recovery' : 'default_transaction_read_only is on';
        return { ready: false, checks: { database: { ok: false, detail: `read-only (${why}): no writable primary` } } };
      }
      return missing.length === 0
        ? { ready: true, checks: { database: { ok: true }, migrations: { ok: true } } }
        : { ready: false, checks: { database: { ok: true }, migrations: { ok: false, detail: `pending: ${missing.join(', ')}` } } };
    } catch (error) {
      const reason = (error as { code?: string }).code ?? (error as Error).message;
      return { ready: false, checks: { database: { ok: false, detail: `unreachable (${reason})` } } };
    }
  };
}

/**
 * Database trouble is not the client's fault and not a bug either: while PostgreSQL restarts,
 * fails over or the schema is still being migrated, answer 503 with Retry-After instead of a
 * 500. db-retry.ts has already tried again where that was safe.
 */
const databaseErrors: ErrorRequestHandler = (error, req, res, next) => {
  const code = (error as { code?: string }).code ?? '';
  if (isTransient(error)) {
    req.log.warn({ code }, 'database unavailable');
    res.set('Retry-After', '1');
    const detail = code === '25006' ? 'The database accepts no writes right now (a failover is under way); try again shortly.' : 'The database is unavailable; try again shortly.';
    return next(HttpProblem.of(503, detail));
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
  app.use(oneRetryBudgetPerRequest);
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
