import type { SchemaName } from '@task-manager/contract';
import type { ValidateFunction } from 'ajv';

/**
 * `#validators`: one Ajv validator for every schema the contract exports, compiled to plain
 * JavaScript at build time (scripts/compile-validators.mjs writes dist/tasks/validators.js), so
 * that neither Ajv's compiler nor TypeBox loads at run time.
 */
declare const validators: Readonly<Record<SchemaName, ValidateFunction>>;
export default validators;
