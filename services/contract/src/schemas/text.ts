import { Type } from '@sinclair/typebox';
import { textPattern, type TextRule } from '../text.js';

/** Every text rule a schema states, by its pattern: a validator reads it back (textRuleOf) to say which part a value broke. */
export const TEXT_RULES: Record<string, TextRule> = {};

export function text(rule: TextRule, description: string) {
  const pattern = textPattern(rule);
  TEXT_RULES[pattern] = rule;
  return Type.String({ pattern, ...(rule.trim ? {} : { maxLength: rule.max }), description });
}
