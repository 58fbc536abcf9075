import type { Transport } from './client.js';
import type { Stats, Viewer } from './types.js';

/** Counts that arrived this long ago are renewed before they are shown again, unless a refresh is under way: see docs/contracts.md. */
const FRESH_MS = 1000;
/** From this age on (since their call began), a page that finds the counts starts their refresh, so that under steady traffic they are renewed before they expire. */
const REFRESH_AHEAD_MS = 500;
/** How long a page waits for counts when none may be shown: about what a person does not notice. */
const COUNTS_WAIT_MS = 200;

interface Counted {
  stats: Stats;
  /** When the call that read them began: the database state they show is at least this recent. */
  startedAt: number;
  arrivedAt: number;
  /** The number of writes made through this frontend before that call began. */
  writes: number;
}

interface Refresh {
  startedAt: number;
  writes: number;
  done: Promise<void>;
}

/**
 * The header counts. Every page shows them and they are the same for every user, so one
 * call serves all pages, and at most one call runs at a time. A page never waits for a
 * refresh while there are counts it may show: counts read less than FRESH_MS ago, or older
 * ones that arrived less than FRESH_MS before the refresh now running began (a slow count
 * delays the counts shown, never the page). So counts lag changes made elsewhere by at most
 * FRESH_MS plus two counts' durations: the one that read them and the one that renews them.
 * When there are none it may show (the first page, the first after a quiet spell, the first
 * after a write) a page waits up to COUNTS_WAIT_MS for the refresh, then goes without them:
 * `get` answers undefined and the page lets htmx ask `fresh` for them.
 *
 * Every write made through this frontend calls `forget()`: counts read by a call that began
 * before it are never shown again, so a user always sees the counts after their own change.
 * A failed call keeps the counts there were. A refresh goes with the session of the page
 * that started it: the counts are everyone's, but the backend shows them only to a session.
 */
export class SharedStats {
  private counted: Counted | undefined;
  private running: Refresh | undefined;
  /** The refresh to start when the running one ends, which began before the latest write. */
  private following: Promise<void> | undefined;
  private writes = 0;

  constructor(private readonly transport: Transport) {}

  /** Counts for a page: now, or within COUNTS_WAIT_MS, or undefined. */
  async get(viewer: Viewer): Promise<Stats | undefined> {
    const now = Date.now();
    const counted = this.counted?.writes === this.writes ? this.counted : undefined;
    const refreshed = !counted || now - counted.startedAt >= REFRESH_AHEAD_MS ? this.refresh(viewer) : undefined;
    const shown = this.showable(now);
    if (shown || !refreshed) return shown?.stats;
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<void>((resolve) => (timer = setTimeout(resolve, COUNTS_WAIT_MS)));
    await Promise.race([refreshed, waited]);
    clearTimeout(timer);
    return this.showable(Date.now())?.stats;
  }

  /** Counts that show every write made through this frontend before the call: waits for the refresh (bounded by the backend timeout). */
  async fresh(viewer: Viewer): Promise<Stats | undefined> {
    const asked = { at: Date.now(), writes: this.writes };
    const shown = this.showable(asked.at);
    if (shown) return shown.stats;
    await this.refresh(viewer);
    // Not the counts there were if this refresh failed: they may be older than the promise allows.
    const after = this.counted;
    return after && after.writes >= asked.writes && after.arrivedAt >= asked.at ? after.stats : undefined;
  }

  /** A write was made (or may have been, if it failed in flight): the counts there are no longer show it. */
  forget(): void {
    this.writes++;
  }

  private showable(now: number): Counted | undefined {
    const counted = this.counted;
    if (!counted || counted.writes !== this.writes) return undefined;
    if (now - counted.startedAt < FRESH_MS) return counted;
    const running = this.running;
    return running && running.writes === this.writes && running.startedAt - counted.arrivedAt < FRESH_MS ? counted : undefined;
  }

  /** Ends when a call that began after the latest write has ended; starts one only when none runs. */
  private refresh(viewer: Viewer): Promise<void> {
    const running = this.running;
    if (running?.writes === this.writes) return running.done;
    if (running) {
      this.following ??= running.done.then(() => {
        this.following = undefined;
        return this.refresh(viewer);
      });
      return this.following;
    }
    const refresh: Refresh = { startedAt: Date.now(), writes: this.writes, done: Promise.resolve() };
    refresh.done = this.transport.json<Stats>({ method: 'GET', path: '/api/stats', route: '/api/stats', viewer }).then(
      (response) => {
        if (response.status === 200) this.counted = { stats: response.body as Stats, startedAt: refresh.startedAt, arrivedAt: Date.now(), writes: refresh.writes };
        this.running = undefined;
      },
      () => {
        this.running = undefined;
      },
    );
    this.running = refresh;
    return refresh.done;
  }
}
