import { describe, expect, it } from 'vitest';
import { runNode } from './processes.js';

/** The module files that importing a built module loads, by path within node_modules. */
async function packagesLoadedBy(module: string): Promise<string[]> {
  const { code, stdout, stderr } = await runNode('test/loaded-modules.mjs', [module], {});
  expect(code, stderr).toBe(0);
  return (JSON.parse(stdout) as string[]).flatMap((url) => /.*\/node_modules\/(.*)$/.exec(url)?.[1] ?? []);
}

describe('what the built server loads', () => {
  // The schemas are JSON and the validators compiled at build time: TypeBox cost the server
  // about 15 MB of memory, Ajv's compiler and ajv-formats' plugin 10 MB each.
  it('loads neither TypeBox nor Ajv’s compiler, only Ajv’s runtime helpers and the formats’ table', async () => {
    const loaded = await packagesLoadedBy('dist/app.js');
    expect(loaded).toContain('express/index.js');
    expect(loaded.filter((file) => /^@sinclair\/typebox\//.test(file))).toEqual([]);
    expect(loaded.filter((file) => /^ajv\//.test(file) && !/^ajv\/dist\/runtime\//.test(file))).toEqual([]);
    expect(loaded.filter((file) => /^ajv-formats\//.test(file))).toEqual(['ajv-formats/dist/formats.js']);
  });

  // The SDK and its exporter are loaded when OTEL_TRACES_EXPORTER=otlp asks for them, never before.
  // (The API package alone is prom-client's, for exemplars: loaded with or without tracing.)
  it('loads no OpenTelemetry SDK or exporter while tracing is off', async () => {
    const loaded = await packagesLoadedBy('dist/app.js');
    expect(loaded).toContain('express/index.js');
    expect(loaded.filter((file) => /^@opentelemetry\//.test(file) && !/^@opentelemetry\/api\//.test(file))).toEqual([]);
  });
});
