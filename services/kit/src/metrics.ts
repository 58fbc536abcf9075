import http from 'node:http';
import type { RequestHandler } from 'express';
import { Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { routeTemplate } from './request-context.js';

/** Seconds, from 1 ms to 5 s: the bounds of every duration histogram in both services. */
export const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/**
 * One Prometheus registry per service instance (not prom-client's global one), so tests
 * can build several apps in one process. Served on its own port so that the API's port
 * never exposes internals and scraping never competes with user traffic routing.
 */
export class Metrics {
  readonly registry = new Registry();
  readonly httpDuration: Histogram<'method' | 'route' | 'status_code'>;

  constructor(service: string) {
    this.registry.setDefaultLabels({ service });
    collectDefaultMetrics({ register: this.registry });
    this.httpDuration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Duration of HTTP requests, by method, route template and status code.',
      labelNames: ['method', 'route', 'status_code'],
      buckets: DURATION_BUCKETS,
      registers: [this.registry],
    });
  }

  /**
   * `readiness_ready`: 1 while the service's readiness check passes, 0 while it fails or the
   * process drains. Checked at scrape time, because Prometheus still scrapes a pod that its
   * Service has dropped as not ready: a pod stuck not ready is seen, not just missing.
   */
  trackReadiness(report: () => Promise<{ ready: boolean }>): void {
    new Gauge({
      name: 'readiness_ready',
      help: 'Whether the readiness check (/readyz) passes: 1 ready, 0 not ready.',
      registers: [this.registry],
      async collect() {
        this.set((await report()).ready ? 1 : 0);
      },
    });
  }

  /** Times every request; mount it first so that it also sees requests that fail early. */
  httpMiddleware(): RequestHandler {
    return (req, res, next) => {
      const stop = this.httpDuration.startTimer();
      res.on('finish', () => {
        stop({ method: req.method, route: routeTemplate(req, res), status_code: String(res.statusCode) });
      });
      next();
    };
  }

  /** Starts the /metrics endpoint; resolves once it listens. */
  async listen(port: number, host = '0.0.0.0'): Promise<http.Server> {
    const server = http.createServer((req, res) => {
      if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: metrics are at /metrics\n');
        return;
      }
      this.registry.metrics().then(
        (body) => res.writeHead(200, { 'content-type': this.registry.contentType }).end(body),
        () => res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics collection failed\n'),
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    return server;
  }
}
