// tsc compiles the TypeScript; the SQL migrations travel beside it unchanged.
import { cpSync } from 'node:fs';

cpSync(new URL('../src/migrations/', import.meta.url), new URL('../dist/migrations/', import.meta.url), {
  recursive: true,
  filter: (source) => !source.endsWith('.ts'),
});
