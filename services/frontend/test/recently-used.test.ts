import { describe, expect, it } from 'vitest';
import { RecentlyUsed } from '../src/recently-used.js';

describe('RecentlyUsed', () => {
  it('keeps at most its capacity, dropping what was not used lately', () => {
    const kept = new RecentlyUsed<number>(10);
    for (let i = 0; i < 30; i++) kept.set(`key ${i}`, i);
    const left = Array.from({ length: 30 }, (_, i) => kept.get(`key ${i}`)).filter((value) => value !== undefined);
    expect(left.length).toBeLessThanOrEqual(10);
    expect(left).toContain(29);
    expect(kept.get('key 0')).toBeUndefined();
  });

  it('keeps a key that goes on being used, however much else passes through', () => {
    const kept = new RecentlyUsed<string>(10);
    kept.set('hot', 'value');
    for (let i = 0; i < 1000; i++) {
      kept.set(`cold ${i}`, 'x');
      expect(kept.get('hot'), `after ${i} others`).toBe('value');
    }
  });

  it('forgets a deleted key in both generations', () => {
    const kept = new RecentlyUsed<number>(4);
    kept.set('a', 1);
    kept.set('b', 2); // fills the recent half: 'a' and 'b' move to the older generation
    kept.delete('a');
    expect(kept.get('a')).toBeUndefined();
    expect(kept.get('b')).toBe(2);
  });
});
