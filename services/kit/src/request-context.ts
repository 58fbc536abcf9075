import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Logger } from './logger.js';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** The request id: the caller's X-Request-Id when it looks sane, a fresh UUID otherwise. */
      id: string;
      /** A child logger that stamps every line with the request id. */
      log: Logger;
    }
  }
}

const ACCEPTABLE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Gives each request an id (echoed in X-Request-Id so callers can quote it) and a child
 * logger, and writes one access-log line when the response ends.
 */
export function requestContext(logger: Logger, options: { quietPaths?: readonly string[] } = {}): RequestHandler {
  const quiet = new Set(options.quietPaths ?? ['/livez', '/readyz']);
  return (req, res, next) => {
    const incoming = req.get('x-request-id');
    req.id = incoming && ACCEPTABLE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    req.log = logger.child({ reqId: req.id });
    res.setHeader('X-Request-Id', req.id);
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      const line = {
        method: req.method,
        route: routeTemplate(req, res),
        status: res.statusCode,
        durationMs: Math.round(durationMs * 10) / 10,
      };
      if (res.statusCode >= 500) req.log.error(line, 'request failed');
      else if (quiet.has(req.path)) req.log.debug(line, 'request');
      else req.log.info(line, 'request');
    });
    next();
  };
}

/**
 * The route as declared (`/api/tasks/:id`), never the raw path, so that logs and metric
 * labels have bounded cardinality. Handlers outside the router (static files, the
 * pass-through proxy) may name themselves in `res.locals.route`.
 */
export function routeTemplate(req: { baseUrl: string; route?: { path?: unknown } }, res: { locals: Record<string, unknown> }): string {
  if (typeof res.locals.route === 'string') return res.locals.route;
  const path = req.route?.path;
  if (typeof path === 'string') return `${req.baseUrl}${path}` || '/';
  return 'unmatched';
}
