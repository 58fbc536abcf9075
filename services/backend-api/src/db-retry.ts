/**
 * When a database call is tried again: the one place that decides it. A failover (CloudNativePG
 * promoting a replica, the bundled pod restarting) ends every connection, refuses new ones for a
 * few seconds, and may leave the old primary answering read-only for a moment; a request that
 * arrives then is worth holding for a short while rather than failing at once.
 *
 * What may be repeated depends on what a second run would do, so every call says which it is:
 * - `repeatable`: running it twice does nothing twice. Reads; a create carrying an Idempotency-Key
 *   (the second run finds the answer the first stored, in the same transaction as the task); an
 *   update or delete whose If-Match names versions (if the first run committed, the version moved
 *   on and the second answers 412 with the task as it now is, or 404 for a delete: the client sees
 *   what happened, nothing happens twice); and writes whose effect is a fixed state (last use now).
 * - `once` (the default): everything else, such as a create without a key, which a second run
 *   would make twice. It is tried again only after errors that prove it never ran.
 *
 * Errors fall in two groups. After NOT_RUN the statement surely did not take effect: no connection
 * was made, the server refused the session, or it refused or rolled back the transaction. After
 * MAY_HAVE_RUN the connection or server went away under the statement: a COMMIT may have been
 * applied just before (with synchronous replication, PostgreSQL even says so when it terminates a
 * session waiting for its standby), so only a `repeatable` call is run again.
 * CONNECTION_ENDED is in neither: this process closed its pool (shutdown), so nothing is tried
 * again, though the answer is still a 503.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RequestHandler } from 'express';

export type Repeat = 'repeatable' | 'once';

const NOT_RUN = new Set([
  'ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'CONNECT_TIMEOUT',
  // cannot_connect_now (starting, shutting down, in recovery without hot standby), too_many_connections.
  '57P03', '53300',
  // read_only_sql_transaction: a demoted primary or a standby refused the write.
  '25006',
  // serialization_failure, deadlock_detected: PostgreSQL rolled the transaction back.
  '40001', '40P01',
]);
const MAY_HAVE_RUN = new Set([
  'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'CONNECTION_CLOSED', 'CONNECTION_DESTROYED',
  // admin_shutdown (pg_terminate_backend, a fast shutdown or switchover), crash_shutdown.
  '57P01', '57P02',
]);

/** The error's code, or its cause's (a migration's error arrives wrapped by Umzug). */
function codeOf(error: unknown): string {
  const { code, cause } = (error ?? {}) as { code?: unknown; cause?: unknown };
  if (typeof code === 'string') return code;
  return cause === undefined ? '' : codeOf(cause);
}
// Class 08 is PostgreSQL's "connection exception".
const mayHaveRun = (code: string) => MAY_HAVE_RUN.has(code) || code.startsWith('08');

/** Whether the error ended the connection it came on (postgres.js reconnects it; a reserved one must not be given back). */
export const endsConnection = (error: unknown): boolean => mayHaveRun(codeOf(error));

/** Whether the error is the database being away or refusing for now (a 503), rather than the request's fault or a bug. */
export function isTransient(error: unknown): boolean {
  const code = codeOf(error);
  return NOT_RUN.has(code) || mayHaveRun(code) || code === 'CONNECTION_ENDED';
}

/** Whether a call that failed with `error` may be run again. */
export function mayRetry(error: unknown, repeat: Repeat): boolean {
  const code = codeOf(error);
  return NOT_RUN.has(code) || (repeat === 'repeatable' && mayHaveRun(code));
}

export interface RetryPolicy {
  /** No attempt starts later than this after the first: below the callers' timeout (the frontend's is 5 s), so they get an answer. */
  budgetMs: number;
  /** The first pause; each next one doubles, up to `maxDelayMs`, with jitter so that pods do not retry in step. */
  firstDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { budgetMs: 4000, firstDelayMs: 50, maxDelayMs: 1000 };

const requestBudget = new AsyncLocalStorage<{ deadline?: number }>();

/**
 * One budget for a whole request, not one per call: a request makes several calls in turn (its
 * credentials, then its tasks), and each retrying for the full budget would answer past the
 * caller's timeout. The budget starts at the request's first call.
 */
export const oneRetryBudgetPerRequest: RequestHandler = (_req, _res, next) => requestBudget.run({}, next);

/**
 * Runs `call`, and again after each error `mayRetry` allows, pausing between attempts, until it
 * succeeds, fails otherwise, or the next attempt would start past the budget (the request's, inside
 * one): then the last error is thrown (app.ts answers it with a 503 and Retry-After). `onRetry`
 * hears each repeat.
 */
export async function withRetries<T>(call: () => Promise<T>, repeat: Repeat, policy: RetryPolicy, onRetry: (error: unknown) => void): Promise<T> {
  const scope = requestBudget.getStore();
  const deadline = scope ? (scope.deadline ??= Date.now() + policy.budgetMs) : Date.now() + policy.budgetMs;
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      const pause = Math.min(policy.maxDelayMs, policy.firstDelayMs * 2 ** attempt) * (0.5 + Math.random() / 2);
      if (!mayRetry(error, repeat) || Date.now() + pause > deadline) throw error;
      onRetry(error);
      await sleep(pause);
    }
  }
}
