import { Router } from 'express';

export interface ReadinessReport {
  ready: boolean;
  checks: Record<string, { ok: boolean; detail?: string }>;
}

export type ReadinessCheck = () => Promise<ReadinessReport>;

/**
 * /livez says only that the process can answer — it never touches a dependency, so a
 * database outage does not make Kubernetes restart healthy pods. /readyz runs the
 * service's own check and turns 503 as soon as shutdown begins, so the pod leaves its
 * Service before it stops accepting connections.
 */
export class Health {
  private draining = false;

  constructor(
    private readonly readiness: ReadinessCheck,
    private readonly checkTimeoutMs = 2000,
  ) {}

  startDraining(): void {
    this.draining = true;
  }

  get isDraining(): boolean {
    return this.draining;
  }

  async report(): Promise<ReadinessReport> {
    if (this.draining) return { ready: false, checks: { shutdown: { ok: false, detail: 'draining' } } };
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<ReadinessReport>((resolve) => {
      timer = setTimeout(
        () => resolve({ ready: false, checks: { readiness: { ok: false, detail: `check timed out after ${this.checkTimeoutMs} ms` } } }),
        this.checkTimeoutMs,
      );
    });
    try {
      return await Promise.race([
        this.readiness().catch((error: unknown) => ({
          ready: false,
          checks: { readiness: { ok: false, detail: error instanceof Error ? error.message : String(error) } },
        })),
        timeout,
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Besides the two endpoints, the router marks every response during draining with
   * `Connection: close`: clients then open fresh connections (to pods still in the Service)
   * instead of reusing one that this process is about to close, where a request sent at the
   * wrong moment would fail.
   */
  router(): Router {
    const router = Router();
    router.use((_req, res, next) => {
      if (this.draining) res.set('Connection', 'close');
      next();
    });
    router.get('/livez', (_req, res) => {
      res.set('Cache-Control', 'no-store').json({ status: 'ok' });
    });
    router.get('/readyz', async (_req, res) => {
      const report = await this.report();
      res
        .status(report.ready ? 200 : 503)
        .set('Cache-Control', 'no-store')
        .json({ status: report.ready ? 'ready' : 'not ready', checks: report.checks });
    });
    return router;
  }
}
