import { TEXT_RULES } from './text.js';

/** A rule for one text value: how long it may be (once trimmed, when `trim`), and what it may not hold. */
export interface TextRule {
  max: number;
  min: 0 | 1;
  trim: boolean;
  /** Tags cannot hold commas: the list filter `tag=a,b` separates them with commas. */
  commas: boolean;
}

/** The rule whose pattern this is, so that a validator can say which part of it a value broke. */
export function textRuleOf(pattern: string): TextRule | undefined {
  return Object.hasOwn(TEXT_RULES, pattern) ? TEXT_RULES[pattern] : undefined;
}

/** Why a value breaks its rule, in the words the API's 422 details (and so the frontend's form) use. */
export function textProblem(rule: TextRule, value: string): string {
  if (value.includes('\u0000')) return 'must not contain NUL characters';
  const trimmed = rule.trim ? value.trim() : value;
  if (!rule.commas && trimmed.includes(',')) return 'must not contain commas';
  const length = [...trimmed].length;
  if (length < rule.min) return 'must not be empty';
  return `must be at most ${rule.max} characters (got ${length})`;
}
