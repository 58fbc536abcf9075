import { isCalendarDay } from '@task-manager/contract';
import { fullFormats } from 'ajv-formats/dist/formats.js';

/**
 * What each `format` of the contract's schemas means: the validators are compiled with these
 * (scripts/compile-validators.mjs) and call them at run time. Only ajv-formats' table of formats
 * loads, not the plugin, which would bring its own copy of Ajv's compiler.
 */
export const FORMATS = { uuid: fullFormats.uuid, 'date-time': fullFormats['date-time'], date: isCalendarDay };
