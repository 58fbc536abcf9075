import type { TSchema } from '@sinclair/typebox';

export * from './lists.js';
export { isCalendarDay } from './day.js';
export { textProblem, textRuleOf, type TextRule } from './text-rule.js';
export { TEXT_RULES } from './text.js';
export * from './task.js';
export * from './query.js';
export * from './problem.js';
export * from './accounts.js';

type Exports = typeof import('./index.js');
/** The name of every schema this package exports: the keys of `@task-manager/contract/schemas.json`. */
export type SchemaName = { [K in keyof Exports]: Exports[K] extends TSchema ? K : never }[keyof Exports];
