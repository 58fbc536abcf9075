/**
 * The schemas, written with TypeBox: JSON Schema with its TypeScript type attached. TypeBox runs
 * at build time only: scripts/emit-schemas.mjs replaces this module's compiled JavaScript with
 * its exports as plain JSON (and writes dist/schemas.json), so that no service loads TypeBox.
 * Every export here must therefore be data (a schema, a list, a string); a function is refused.
 */
export * from './task.js';
export * from './query.js';
export * from './problem.js';
export { TEXT_RULES } from './text.js';
