import type http from 'node:http';
import express, { type Express } from 'express';
import type { Health } from './health.js';
import type { Logger } from './logger.js';
import type { Metrics } from './metrics.js';
import { requestContext } from './request-context.js';
import { installGracefulShutdown } from './shutdown.js';
import type { Tracer } from './tracing.js';

/** The part of a service's configuration that serving needs; both services' configs have it. */
export interface ServeSettings {
  port: number;
  metricsPort: number;
  shutdownDelayMs: number;
  shutdownTimeoutMs: number;
}

export interface ServeOptions {
  app: Express;
  settings: ServeSettings;
  metrics: Metrics;
  logger: Logger;
  health: Health;
  tracer: Tracer;
  /** Releases what the app holds (database pool, keep-alive agents) once the servers have closed. */
  close: () => Promise<void>;
}

/**
 * An express app with what every service sets first: the settings, then the metrics and the
 * request context, so that both see every request, including those no route matches.
 */
export function createServiceApp({ logger, metrics, tracer }: { logger: Logger; metrics: Metrics; tracer?: Tracer }): Express {
  const app = express();
  app.disable('x-powered-by');
  // Each service sets the ETags it means (the backend's are task versions, the frontend's
  // pages carry a per-session token): hashing every body for one would be pure cost.
  app.set('etag', false);
  // Repeated parameters as arrays, never nested objects: handlers check one shape.
  app.set('query parser', 'simple');
  app.use(metrics.httpMiddleware());
  app.use(requestContext(logger, { tracer }));
  return app;
}

/**
 * A service's last step of main: listen on the API port and the metrics port, and stop
 * gracefully on SIGTERM. A port that cannot be bound stops the process with one log line.
 */
export async function serve(options: ServeOptions): Promise<{ server: http.Server; metricsServer: http.Server }> {
  const { app, metrics, logger, health } = options;
  const { port, metricsPort } = options.settings;
  const server = app.listen(port);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
  } catch (error) {
    logger.fatal({ err: error, port }, 'cannot listen');
    process.exit(1);
  }
  // Longer than the usual load balancer idle timeout, so the proxy, not us, closes idle keep-alive sockets.
  server.keepAliveTimeout = 65_000;
  metrics.trackReadiness(() => health.report());
  const metricsServer = await metrics.listen(metricsPort);
  logger.info({ port, metricsPort }, 'listening');
  installGracefulShutdown({
    logger,
    health,
    servers: [server, metricsServer],
    drainDelayMs: options.settings.shutdownDelayMs,
    timeoutMs: options.settings.shutdownTimeoutMs,
    // The spans of the last requests are sent after those requests have been answered.
    close: () => options.close().finally(() => options.tracer.shutdown()),
  });
  return { server, metricsServer };
}
