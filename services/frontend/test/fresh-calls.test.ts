import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { FreshCalls } from '../src/backend/fresh-calls.js';

/** A stand-in for the backend: a value that writes bump, read by calls that take `readMs`. */
class Source {
  value = 0;
  calls = 0;
  constructor(private readonly readMs = 20) {}

  read = async (): Promise<number> => {
    this.calls++;
    const seen = this.value;
    await sleep(this.readMs);
    return seen;
  };
}

const timedOut = () => new Error('timed out');

describe('FreshCalls', () => {
  it('serves a burst of requests for one key with two calls', async () => {
    const source = new Source();
    const calls = new FreshCalls<number>(1000, timedOut);
    const answers = await Promise.all(Array.from({ length: 50 }, () => calls.run('list', source.read)));
    expect(answers).toHaveLength(50);
    expect(source.calls).toBe(2);
  });

  it('answers every request from a call that began after it arrived', async () => {
    const source = new Source(5);
    const calls = new FreshCalls<number>(1000, timedOut);
    const checks: Promise<void>[] = [];
    // Requests and writes interleave for a while; each request must see every write before it.
    for (let step = 0; step < 200; step++) {
      const before = source.value;
      checks.push(calls.run('list', source.read).then((seen) => expect(seen, `request ${step}`).toBeGreaterThanOrEqual(before)));
      if (step % 3 === 0) source.value++;
      await sleep(step % 7 === 0 ? 2 : 0);
    }
    await Promise.all(checks);
    expect(source.calls).toBeLessThan(200);
  });

  it('keeps keys apart', async () => {
    const calls = new FreshCalls<string>(1000, timedOut);
    const answers = await Promise.all(['a', 'b', 'a', 'b'].map((key) => calls.run(key, async () => key)));
    expect(answers).toEqual(['a', 'b', 'a', 'b']);
  });

  it('gives waiters a call of their own when the one in flight fails', async () => {
    const calls = new FreshCalls<string>(1000, timedOut);
    const failing = calls.run('list', async () => {
      await sleep(10);
      throw new Error('connection reset');
    });
    const waiting = calls.run('list', async () => 'fresh');
    await expect(failing).rejects.toThrow('connection reset');
    await expect(waiting).resolves.toBe('fresh');
  });

  it('stops a waiter after maxWaitMs while the call in flight hangs', async () => {
    const calls = new FreshCalls<string>(50, timedOut);
    void calls.run('list', () => sleep(500).then(() => 'late'));
    const started = Date.now();
    await expect(calls.run('list', async () => 'never')).rejects.toThrow('timed out');
    expect(Date.now() - started).toBeLessThan(400);
  });
});
