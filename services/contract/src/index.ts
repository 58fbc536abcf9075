import type { TSchema } from '@sinclair/typebox';
import type * as schemas from './schemas/index.js';

export * from './lists.js';
export { isCalendarDay } from './day.js';
export { textProblem, type TextRule } from './text.js';
export { textRuleOf } from './text-rule-of.js';
export * from './schemas/index.js';

/** The name of every schema this package exports: the keys of `@task-manager/contract/schemas.json`. */
export type SchemaName = { [K in keyof typeof schemas]: (typeof schemas)[K] extends TSchema ? K : never }[keyof typeof schemas];
