import { TEXT_RULES } from './schemas/index.js';
import type { TextRule } from './text.js';

/** The rule whose pattern this is, so that a validator can say which part of it a value broke. */
export function textRuleOf(pattern: string): TextRule | undefined {
  return Object.hasOwn(TEXT_RULES, pattern) ? TEXT_RULES[pattern] : undefined;
}
