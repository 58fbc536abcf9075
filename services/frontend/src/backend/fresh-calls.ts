/**
 * Concurrent identical reads share one backend call, but only a call that began after they
 * arrived: a request that finds a call in flight waits for it to end, then shares the next
 * one with everyone else who came meanwhile. Every answer therefore still reflects every
 * write committed before its request (a user always sees their own change, whichever
 * replica serves them), while a burst of requests for the same list costs the backend two
 * calls instead of one each.
 *
 * A waiter gives up after `maxWaitMs` with `timedOut()`, so sharing never makes a request
 * wait longer than a call of its own could have taken.
 */
export class FreshCalls<V> {
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly queued = new Map<string, Promise<V>>();

  constructor(
    private readonly maxWaitMs: number,
    private readonly timedOut: () => Error,
  ) {}

  run(key: string, call: () => Promise<V>): Promise<V> {
    const inFlight = this.inFlight.get(key);
    if (!inFlight) return this.start(key, call);
    let next = this.queued.get(key);
    if (!next) {
      next = inFlight.then(() => {
        this.queued.delete(key);
        return this.start(key, call);
      });
      this.queued.set(key, next);
    }
    return this.bounded(next);
  }

  private start(key: string, call: () => Promise<V>): Promise<V> {
    const answer = call();
    const ended = answer.then(
      () => undefined,
      () => undefined,
    );
    this.inFlight.set(key, ended);
    // Registered before any waiter's, so it runs first and the waiters' call takes the slot.
    void ended.then(() => {
      if (this.inFlight.get(key) === ended) this.inFlight.delete(key);
    });
    return answer;
  }

  private bounded(answer: Promise<V>): Promise<V> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(this.timedOut()), this.maxWaitMs);
      answer.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error as Error);
        },
      );
    });
  }
}
