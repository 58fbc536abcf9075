import type http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Health } from './health.js';
import type { Logger } from './logger.js';

export interface ShutdownOptions {
  logger: Logger;
  health: Health;
  /** The API server first, then any side servers (metrics); all stop accepting together. */
  servers: http.Server[];
  /**
   * How long to keep serving after readiness turns 503 before closing the listener: Kubernetes
   * removes the pod from its endpoints asynchronously, and requests routed meanwhile must land.
   */
  drainDelayMs: number;
  /** The bound on waiting for in-flight requests; connections still open then are cut. */
  timeoutMs: number;
  /** Releases what the servers used (the database pool, keep-alive agents). */
  close: () => Promise<void>;
  /** Defaults to process.exit; tests pass their own. */
  exit?: (code: number) => void;
}

/**
 * On SIGTERM or SIGINT: readiness goes 503, the listener closes after the drain delay,
 * in-flight requests finish (bounded), resources close, and the process exits 0.
 * Returns the shutdown function itself so a test can trigger the same path.
 */
export function installGracefulShutdown(options: ShutdownOptions): () => Promise<void> {
  const { logger, health, servers, drainDelayMs, timeoutMs, close } = options;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let shuttingDown: Promise<void> | undefined;

  const shutdown = (): Promise<void> => {
    shuttingDown ??= (async () => {
      health.startDraining();
      logger.info({ drainDelayMs, timeoutMs }, 'shutdown: readiness is now 503, draining');
      if (drainDelayMs > 0) await sleep(drainDelayMs);

      const closed = Promise.all(servers.map((server) => closeServer(server)));
      const deadline = sleep(timeoutMs, 'timeout' as const, { ref: false });
      if ((await Promise.race([closed.then(() => 'closed' as const), deadline])) === 'timeout') {
        logger.warn('shutdown: in-flight requests outlasted the timeout; closing their connections');
        for (const server of servers) server.closeAllConnections();
      }
      await close();
      logger.info('shutdown: complete');
    })();
    return shuttingDown;
  };

  const onSignal = (signal: NodeJS.Signals) => {
    logger.info({ signal }, 'shutdown: signal received');
    shutdown().then(
      () => exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown: failed');
        exit(1);
      },
    );
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  return shutdown;
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    // close() stops accepting and waits for open connections. A keep-alive connection whose
    // request finishes after this point turns idle and would stay open until the client
    // drops it, so idle connections are closed again as they appear.
    const sweeper = setInterval(() => server.closeIdleConnections(), 50);
    server.close(() => {
      clearInterval(sweeper);
      resolve();
    });
    server.closeIdleConnections();
  });
}
