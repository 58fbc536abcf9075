// After tsc: the schemas' module becomes its exports as plain JSON, so that no service loads
// TypeBox at run time (it costs the backend about 15 MB of memory and its start-up time). Its
// declarations stay as tsc wrote them: the TypeScript types keep TypeBox's static types.
// dist/schemas.json holds every export that is a schema, by name, for whatever compiles or
// serves them (the backend's validators, its OpenAPI document).
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { Kind } from '@sinclair/typebox';

const dist = new URL('../dist/', import.meta.url);
const built = new URL('schemas/', dist);
const exports = await import(new URL('index.js', built).href);

/** Throws unless `value` survives JSON unchanged (symbol keys aside: they are TypeBox's own marks). */
function assertData(value, where) {
  if (value === null || ['string', 'boolean'].includes(typeof value)) return;
  if (typeof value === 'number' && Number.isFinite(value)) return;
  if (Array.isArray(value)) return value.forEach((item, index) => assertData(item, `${where}[${index}]`));
  if (typeof value === 'object' && [Object.prototype, null].includes(Object.getPrototypeOf(value))) {
    for (const [key, item] of Object.entries(value)) assertData(item, `${where}.${key}`);
    return;
  }
  throw new Error(`${where} is not plain data (${typeof value}): the schemas' module may export only what JSON can hold`);
}

const lines = ['// Written by scripts/emit-schemas.mjs from the TypeBox sources in src/schemas/: plain data only.'];
const schemas = {};
for (const [name, value] of Object.entries(exports)) {
  assertData(value, name);
  lines.push(`export const ${name} = ${JSON.stringify(value)};`);
  if (typeof value === 'object' && value !== null && Kind in value) schemas[name] = value;
}

// The other compiled modules of src/schemas/ are TypeBox code that nothing may import any more.
for (const file of readdirSync(built)) if (file.endsWith('.js') || file.endsWith('.js.map')) rmSync(new URL(file, built));
writeFileSync(new URL('index.js', built), `${lines.join('\n')}\n`);
writeFileSync(new URL('schemas.json', dist), `${JSON.stringify(schemas, null, 2)}\n`);
