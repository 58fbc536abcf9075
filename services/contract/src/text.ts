/**
 * What JavaScript's String.prototype.trim removes, spelled out as code points: `\s` means
 * another set in each regex dialect (Python's, which the contract fuzzer uses, differs), and a
 * pattern must mean the same to every reader of the document.
 */
const SPACE = '\\t\\n\\u000b\\u000c\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff';

/** A rule for one text value: how long it may be (once trimmed, when `trim`), and what it may not hold. */
export interface TextRule {
  max: number;
  min: 0 | 1;
  trim: boolean;
  /** Tags cannot hold commas: the list filter `tag=a,b` separates them with commas. */
  commas: boolean;
}

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

/** Why a value breaks its rule, in the words the API's 422 details (and so the frontend's form) use. */
export function textProblem(rule: TextRule, value: string): string {
  if (value.includes('\u0000')) return 'must not contain NUL characters';
  const trimmed = rule.trim ? value.trim() : value;
  if (!rule.commas && trimmed.includes(',')) return 'must not contain commas';
  const length = [...trimmed].length;
  if (length < rule.min) return 'must not be empty';
  return `must be at most ${rule.max} characters (got ${length})`;
}
