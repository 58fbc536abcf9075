export * from './lists.js';
export { textProblem, textRuleOf, type TextRule } from './text.js';
export * from './task.js';
export * from './query.js';
export * from './problem.js';
export * from './accounts.js';
