/**
 * A bounded map of what was used lately, in two generations: a key is looked up in both and
 * moved to `recent` when found; when `recent` holds half the capacity it becomes `older`, and
 * the old `older` is dropped whole. Near enough to least-recently-used, at a constant cost per
 * use (a Map that evicts one entry at a time from its front slows down as deleted entries pile
 * up there: 5% of a page's time in the row cache's profile).
 */
export class RecentlyUsed<V> {
  private recent = new Map<string, V>();
  private older = new Map<string, V>();

  constructor(private readonly capacity: number) {}

  get(key: string): V | undefined {
    const value = this.recent.get(key) ?? this.older.get(key);
    if (value !== undefined && !this.recent.has(key)) this.set(key, value);
    return value;
  }

  set(key: string, value: V): void {
    this.recent.set(key, value);
    if (this.recent.size >= this.capacity / 2) {
      this.older = this.recent;
      this.recent = new Map();
    }
  }

  /** Every value held, each once. */
  *values(): IterableIterator<V> {
    yield* this.recent.values();
    for (const [key, value] of this.older) if (!this.recent.has(key)) yield value;
  }

  delete(key: string): void {
    this.recent.delete(key);
    this.older.delete(key);
  }
}
