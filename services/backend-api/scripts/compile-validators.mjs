// After tsc: every schema the contract exports (its schemas.json), compiled by Ajv into the
// standalone validators of dist/tasks/validators.js (`#validators`, typed by
// src/tasks/validators.d.ts). At run time they need only Ajv's small runtime helpers and the
// formats of dist/tasks/formats.js, not Ajv's compiler (which costs the backend about 10 MB).
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv2020, _ } from 'ajv/dist/2020.js';
import standaloneCode from 'ajv/dist/standalone/index.js';
import { FORMATS } from '../dist/tasks/formats.js';

const schemas = createRequire(import.meta.url)('@task-manager/contract/schemas.json');
const ajv = new Ajv2020({
  allErrors: true,
  // Each error carries the schema it broke and the value, which its 422 detail is worded from.
  verbose: true,
  strictTypes: false,
  formats: FORMATS,
  // The generated code reads each format from the module's import of FORMATS, below.
  code: { source: true, esm: true, formats: _`FORMATS` },
});
const names = Object.keys(schemas);
for (const name of names) ajv.addSchema(schemas[name], name);
const code = standaloneCode(ajv, Object.fromEntries(names.map((name) => [name, name])));
writeFileSync(
  new URL('../dist/tasks/validators.js', import.meta.url),
  [
    '// Written by scripts/compile-validators.mjs from @task-manager/contract/schemas.json.',
    "import { createRequire } from 'node:module';",
    "import { FORMATS } from './formats.js';",
    // Ajv's standalone code loads its runtime helpers (ucs2length, equal) with require, even as ESM.
    'const require = createRequire(import.meta.url);',
    code,
    `export default { ${names.join(', ')} };`,
    '',
  ].join('\n'),
);
