import type { Transport } from './client.js';
import type { BackendResponse, Stats } from './types.js';

const STATS_MAX_AGE_MS = 1000;

/**
 * The header counts. Every page shows them and they are the same for every user, so one
 * answer serves all pages for up to STATS_MAX_AGE_MS, and concurrent pages share one call.
 * Every write made through this frontend calls `forget()`, so a user always sees the counts
 * after their own change; changes made elsewhere show within STATS_MAX_AGE_MS. A failed
 * call is never shared.
 */
export class SharedStats {
  private shared: { at: number; answer: Promise<BackendResponse<Stats>> } | undefined;

  constructor(private readonly transport: Transport) {}

  get(requestId?: string): Promise<BackendResponse<Stats>> {
    const now = Date.now();
    if (this.shared && now - this.shared.at < STATS_MAX_AGE_MS) return this.shared.answer;
    const answer = this.transport.json<Stats>({ method: 'GET', path: '/api/stats', route: '/api/stats', requestId });
    const entry = { at: now, answer };
    this.shared = entry;
    const forget = () => {
      if (this.shared === entry) this.shared = undefined;
    };
    answer.then((response) => response.status !== 200 && forget(), forget);
    return answer;
  }

  /** Drops the shared answer: a write was made (or may have been, if it failed in flight). */
  forget(): void {
    this.shared = undefined;
  }
}
