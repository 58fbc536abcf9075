import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LIMITS, PRIORITIES, PRIORITY_LABELS, STATUSES, STATUS_LABELS, Tag, Title, isCalendarDay, textProblem, textRuleOf, type TextRule } from '../src/index.js';

/** What the server makes of a value under a rule: its trimmed text, or why it refuses it. */
function serverReading(rule: TextRule, value: string): boolean {
  if (value.includes('\u0000')) return false;
  const text = rule.trim ? value.trim() : value;
  if (!rule.commas && text.includes(',')) return false;
  const length = [...text].length;
  return length >= rule.min && length <= rule.max;
}

// Every character String.prototype.trim removes, and some it keeps that other dialects call space.
const tricky = fc.constantFrom(' ', '\t', '\n', '\r', '\u000b', '\u000c', '\u00a0', '\u1680', '\u2003', '\u2028', '\u202f', '\u3000', '\ufeff', '\u001c', '\u0085', '\u200b', ',', '\u0000', 'a', 'é', '😀');
const valueOf = (max: number) => fc.oneof(fc.string({ unit: tricky, maxLength: max + 4 }), fc.string({ unit: fc.constantFrom('x', '😀'), minLength: max - 2, maxLength: max + 2 }).map((s) => ` ${s} `));

describe('text rules', () => {
  it.each([
    ['title', Title],
    ['tag', Tag],
  ])('the %s pattern accepts exactly what the server reads as valid, and a refusal says why', (_name, schema) => {
    const rule = textRuleOf(schema.pattern!)!;
    const pattern = new RegExp(schema.pattern!, 'u');
    fc.assert(
      fc.property(valueOf(rule.max), (value) => {
        expect(pattern.test(value), JSON.stringify(value)).toBe(serverReading(rule, value));
        if (!pattern.test(value)) expect(textProblem(rule, value)).toMatch(/^must /);
      }),
      { numRuns: 3000 },
    );
  });

  it('counts characters, not UTF-16 units, as PostgreSQL does', () => {
    expect(new RegExp(Title.pattern!, 'u').test('😀'.repeat(LIMITS.title))).toBe(true);
    expect(textProblem(textRuleOf(Title.pattern!)!, '😀'.repeat(LIMITS.title + 1))).toBe(`must be at most ${LIMITS.title} characters (got ${LIMITS.title + 1})`);
  });
});

describe('calendar days', () => {
  it.each([
    ['2028-02-29', true],
    ['2026-02-29', false],
    ['2026-02-30', false],
    ['0001-01-01', true],
    ['0050-03-01', true],
    ['0000-01-01', false],
    ['2026-13-01', false],
    ['2026-1-01', false],
  ])('%s is a day: %s', (value, expected) => {
    expect(isCalendarDay(value)).toBe(expected);
  });
});

describe('lists', () => {
  it('label every status and priority, in the order of the lists', () => {
    expect(Object.keys(STATUS_LABELS)).toEqual([...STATUSES]);
    expect(Object.keys(PRIORITY_LABELS)).toEqual([...PRIORITIES]);
  });
});
