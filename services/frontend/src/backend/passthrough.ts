import { HttpProblem, sendProblem } from '@task-manager/kit';
import type { RequestHandler } from 'express';
import type { Dispatcher } from 'undici';
import { BackendUnavailable, isRead, type Transport } from './client.js';
import type { SharedStats } from './stats.js';

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'host']);

function endToEnd(headers: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const kept: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) kept[name] = value;
  }
  return kept;
}

/**
 * /api/* goes to the backend as it came (Authorization, Cookie, X-CSRF-Token and all), and its
 * answer comes back as it went: the body streams both ways and only hop-by-hop headers are
 * dropped; X-Forwarded-For is replaced by the client address this frontend trusts. A write here changes the counts
 * as much as one made through the UI, so it drops the shared counts too.
 */
export function passThrough(transport: Transport, stats: SharedStats): RequestHandler {
  return async (req, res, next) => {
    res.locals.route = '/api/*';
    const method = req.method as Dispatcher.HttpMethod;
    // The client address as this app's `trust proxy` reads it, never as the client claims it: the
    // backend trusts this frontend's X-Forwarded-For, and throttles sign-ins by that address.
    const headers = endToEnd({ ...req.headers, 'x-request-id': req.id, 'x-forwarded-for': req.ip });
    try {
      const answer = await transport
        .send({ method, path: req.originalUrl, route: 'passthrough' }, headers, isRead(method) ? undefined : req)
        .finally(() => {
          // Also when it failed: a write that broke off in flight may still have happened.
          if (!isRead(method)) stats.forget();
        });
      // setHeader, not res.set: express would append a charset to the backend's Content-Type.
      res.status(answer.statusCode);
      for (const [name, value] of Object.entries(endToEnd(answer.headers))) res.setHeader(name, value);
      answer.body.on('error', (error) => {
        req.log.warn({ err: error }, 'backend response broke off');
        res.destroy();
      });
      answer.body.pipe(res);
    } catch (error) {
      if (!(error instanceof BackendUnavailable)) return next(error);
      req.log.warn({ err: error.reason }, 'backend unavailable');
      sendProblem(req, res, HttpProblem.of(503, 'The task service is unavailable.'));
    }
  };
}
