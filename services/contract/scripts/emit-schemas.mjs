// After tsc: every compiled module that imports TypeBox becomes its data exports as JSON, so that
// no service loads TypeBox at run time (it cost the backend about 15 MB of memory). Their
// declarations stay as tsc wrote them: the TypeScript types keep TypeBox's static types. A
// function such a module exports (a schema builder, such as text()) exists at build time only:
// it is left out, and a module that imports one at run time fails to load, loudly.
// dist/schemas.json holds every export that is a schema, by name, for whatever compiles or
// serves them (the backend's validators).
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Kind } from '@sinclair/typebox';

const dist = new URL('../dist/', import.meta.url);
const USES_TYPEBOX = /\bfrom\s*["']@sinclair\/typebox(?:\/[^"']*)?["']/;

/** Throws unless `value` survives JSON unchanged (symbol keys aside: they are TypeBox's own marks). */
function assertData(value, where) {
  if (value === null || ['string', 'boolean'].includes(typeof value)) return;
  if (typeof value === 'number' && Number.isFinite(value)) return;
  if (Array.isArray(value)) return value.forEach((item, index) => assertData(item, `${where}[${index}]`));
  if (typeof value === 'object' && [Object.prototype, null].includes(Object.getPrototypeOf(value))) {
    for (const [key, item] of Object.entries(value)) assertData(item, `${where}.${key}`);
    return;
  }
  throw new Error(`${where} is not plain data (${typeof value}): a module built with TypeBox may export only data and build-time functions`);
}

const modules = readdirSync(dist, { recursive: true })
  .filter((file) => file.endsWith('.js') && USES_TYPEBOX.test(readFileSync(new URL(file, dist), 'utf8')))
  .sort();
// Everything is evaluated before anything is written: a builder may fill a table (TEXT_RULES) as the other modules run.
await import(new URL('index.js', dist).href);
const schemas = {};
const written = [];
for (const file of modules) {
  const exports = await import(new URL(file, dist).href);
  const lines = [`// Written by scripts/emit-schemas.mjs from the TypeBox source of this module: its data, as JSON.`];
  for (const [name, value] of Object.entries(exports)) {
    if (typeof value === 'function') continue;
    assertData(value, `${file}: ${name}`);
    lines.push(`export const ${name} = ${JSON.stringify(value)};`);
    if (typeof value === 'object' && value !== null && Kind in value) {
      if (name in schemas && JSON.stringify(schemas[name]) !== JSON.stringify(value)) throw new Error(`two different schemas are exported as ${name}`);
      schemas[name] = value;
    }
  }
  written.push([file, `${lines.join('\n')}\n`]);
}
for (const [file, text] of written) {
  writeFileSync(new URL(file, dist), text);
  rmSync(new URL(`${file}.map`, dist), { force: true });
}
writeFileSync(new URL('schemas.json', dist), `${JSON.stringify(schemas, null, 2)}\n`);
// The runtime entry must load as it now is: no module may need what was left out.
execFileSync(process.execPath, ['--input-type=module', '-e', `await import(${JSON.stringify(new URL('index.js', dist).href)})`], { stdio: 'inherit' });
