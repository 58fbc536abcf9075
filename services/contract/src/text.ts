import { Type } from '@sinclair/typebox';
import type { TextRule } from './text-rule.js';

/**
 * What JavaScript's String.prototype.trim removes, spelled out as code points: `\s` means
 * another set in each regex dialect (Python's, which the contract fuzzer uses, differs), and a
 * pattern must mean the same to every reader of the document.
 */
const SPACE = '\\t\\n\\u000b\\u000c\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff';

/** PostgreSQL text cannot hold NUL, so no text value may. */
function forbidden(rule: TextRule): string {
  return rule.commas ? '\\u0000' : '\\u0000,';
}

/**
 * The rule as one pattern. Trimmed values: optional white space, then 1 to `max` characters
 * that start and end with something else, then optional white space; so the document states
 * exactly the length the server checks after trimming.
 */
export function textPattern(rule: TextRule): string {
  const any = `[^${forbidden(rule)}]`;
  if (!rule.trim) return `^${any}*$`;
  const edge = `[^${forbidden(rule)}${SPACE}]`;
  const body = `${edge}(?:${any}{0,${rule.max - 2}}${edge})?`;
  return `^[${SPACE}]*${rule.min === 1 ? body : `(?:${body})?`}[${SPACE}]*$`;
}

/** Every text rule a schema states, by its pattern: a validator reads it back (textRuleOf) to say which part a value broke. */
export const TEXT_RULES: Record<string, TextRule> = {};

export function text(rule: TextRule, description: string) {
  const pattern = textPattern(rule);
  TEXT_RULES[pattern] = rule;
  return Type.String({ pattern, ...(rule.trim ? {} : { maxLength: rule.max }), description });
}
