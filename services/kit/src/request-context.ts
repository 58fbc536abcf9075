import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Logger } from './logger.js';
import { formatTraceparent, idOnlyTracer, parseTraceparent, runInSpan, type Span, type Tracer } from './tracing.js';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** The request id: the caller's X-Request-Id when it looks sane, a fresh UUID otherwise. */
      id: string;
      /** A child logger that stamps every line with the request id and the trace id. */
      log: Logger;
      /** This service's span of the request: a child of the caller's `traceparent`, or a new trace. */
      span: Span;
    }
  }
}

const ACCEPTABLE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export interface RequestContextOptions {
  quietPaths?: readonly string[];
  tracer?: Tracer;
}

/**
 * Gives each request an id (echoed in X-Request-Id so callers can quote it), a server span
 * continuing the caller's W3C `traceparent` (its ids in `traceresponse`), and a child logger
 * carrying both; the rest of the request runs in that span. Writes one access-log line and
 * ends the span when the response ends.
 */
export function requestContext(logger: Logger, options: RequestContextOptions = {}): RequestHandler {
  const quiet = new Set(options.quietPaths ?? ['/livez', '/readyz']);
  const tracer = options.tracer ?? idOnlyTracer;
  return (req, res, next) => {
    const incoming = req.get('x-request-id');
    req.id = incoming && ACCEPTABLE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    const span = tracer.start(req.method, 'server', parseTraceparent(req.get('traceparent')), { 'http.request.method': req.method, 'url.path': req.path });
    req.span = span;
    req.log = logger.child({ reqId: req.id, traceId: span.context.traceId, spanId: span.context.spanId });
    res.setHeader('X-Request-Id', req.id);
    res.setHeader('traceresponse', formatTraceparent(span.context));
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      const route = routeTemplate(req, res);
      const line = {
        method: req.method,
        route,
        status: res.statusCode,
        durationMs: Math.round(durationMs * 10) / 10,
      };
      if (res.statusCode >= 500) req.log.error(line, 'request failed');
      else if (quiet.has(req.path)) req.log.debug(line, 'request');
      else req.log.info(line, 'request');
      span.updateName(`${req.method} ${route}`);
      span.setAttributes({ 'http.route': route, 'http.response.status_code': res.statusCode });
      if (res.statusCode >= 500) span.fail(`HTTP ${res.statusCode}`);
      span.end();
    });
    runInSpan(span, next);
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
