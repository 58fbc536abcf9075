#!/usr/bin/env node
// Generates each chart's values.schema.json from its annotated values.yaml, the same source as the
// README values table (values-table.mjs). Per key, the schema is inferred from the default (a
// string, integer, number, boolean; a non-empty map is an object of exactly those keys, an empty one
// any object; a list an array), merged with the JSON of a `# @schema {...}` line in the key's
// comment, which wins. `{"$ref": "<name>"}` there takes the shared shape <name> of
// charts/common/values.definitions.json instead; each schema carries the definitions it uses.
// The `# -- ` description becomes the schema's description. A subchart is validated with the
// umbrella's `global` schema (Helm hands it the umbrella's globals), and a chart that depends on
// the library chart accepts its (empty) `common` key.
//
//   node tests/chart/values-schema.mjs          write every values.schema.json
//   node tests/chart/values-schema.mjs --check  exit 1 when one differs from its values.yaml
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { isMap, isPair, isScalar, isSeq, parseDocument } from "yaml";
import { chartDir, description, keyComment } from "./values-table.mjs";

const LIBRARY = "common";
const definitionsPath = join(chartDir, "charts", LIBRARY, "values.definitions.json");
const DEFS = "#/definitions/";

function annotation(comment, path) {
  const line = comment?.split("\n").map((l) => l.trim()).find((l) => l.startsWith("@schema"));
  if (!line) return {};
  try {
    return JSON.parse(line.slice("@schema".length));
  } catch (e) {
    throw new Error(`${path}: bad @schema JSON: ${e.message}`);
  }
}

function inferred(value, path) {
  if (isMap(value)) {
    if (value.items.length === 0) return { type: "object" };
    return { type: "object", properties: properties(value, path), additionalProperties: false };
  }
  if (isSeq(value)) return { type: "array" };
  const v = isScalar(value) ? value.value : null;
  if (typeof v === "string") return { type: "string" };
  if (typeof v === "boolean") return { type: "boolean" };
  if (typeof v === "number") return { type: Number.isInteger(v) ? "integer" : "number" };
  return {};
}

function properties(node, prefix) {
  const out = {};
  for (const [i, pair] of node.items.entries()) {
    if (!isPair(pair)) continue;
    const key = String(pair.key.value);
    const path = prefix ? `${prefix}.${key}` : key;
    const comment = keyComment(node, pair, i);
    const { $ref, ...extra } = annotation(comment, path);
    const schema = $ref ? { $ref: `${DEFS}${$ref}` } : { ...inferred(pair.value, path), ...extra };
    const desc = description(comment);
    out[key] = desc === undefined ? schema : { ...schema, description: desc };
  }
  return out;
}

/** The definitions `schema` refers to, and those they refer to. */
function usedDefinitions(schema, all) {
  const used = {};
  const walk = (s) => {
    for (const m of JSON.stringify(s).matchAll(/"\$ref":"#\/definitions\/([^"]+)"/g)) {
      const name = m[1];
      if (used[name]) continue;
      if (!all[name]) throw new Error(`unknown definition ${name}`);
      used[name] = all[name];
      walk(all[name]);
    }
  };
  walk(schema);
  return Object.fromEntries(Object.keys(all).filter((k) => used[k]).map((k) => [k, all[k]]));
}

const yamlOf = (file) => parseDocument(readFileSync(file, "utf8"));

function chartSchema(dir, title, globalSchema, all) {
  const doc = yamlOf(join(dir, "values.yaml")).contents;
  const props = properties(doc, "");
  const deps = (yamlOf(join(dir, "Chart.yaml")).toJS().dependencies ?? []).map((d) => d.name);
  for (const dep of deps) {
    const own = props[dep];
    // A subchart's values are checked by its own schema; here only what the umbrella sets itself.
    props[dep] = own ? { ...own, additionalProperties: undefined } : { type: "object" };
    if (dep === LIBRARY) props[dep].description = "The library chart's values (it has none).";
    else props[dep].description ??= `${dep} subchart values (checked by its schema)`;
  }
  if (globalSchema) props.global = globalSchema;
  const schema = { $schema: "http://json-schema.org/draft-07/schema#", title, type: "object", additionalProperties: false, properties: props };
  const definitions = usedDefinitions(schema, all);
  return JSON.parse(JSON.stringify(Object.keys(definitions).length ? { ...schema, definitions } : schema));
}

export function schemas() {
  const all = JSON.parse(readFileSync(definitionsPath, "utf8")).definitions;
  const umbrella = chartSchema(chartDir, "task-manager umbrella values", undefined, all);
  const out = [{ file: join(chartDir, "values.schema.json"), schema: umbrella }];
  const globalSchema = umbrella.properties.global;
  for (const sub of ["frontend", "backend-api", "postgresql"]) {
    const dir = join(chartDir, "charts", sub);
    out.push({ file: join(dir, "values.schema.json"), schema: chartSchema(dir, `${sub} values`, globalSchema, all) });
  }
  return out.map((s) => ({ ...s, text: `${format(s.schema)}\n` }));
}

const oneLine = (value) =>
  typeof value !== "object" || value === null
    ? JSON.stringify(value)
    : Array.isArray(value)
      ? `[${value.map(oneLine).join(", ")}]`
      : `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}: ${oneLine(v)}`).join(", ")}}`;

/** JSON, two-space indented, with each object or array that fits in a short line on one line. */
function format(value, indent = 0) {
  const flat = oneLine(value);
  if (flat.length + indent < 110 || typeof value !== "object" || value === null) return flat;
  const pad = " ".repeat(indent + 2);
  const items = Array.isArray(value)
    ? value.map((v) => pad + format(v, indent + 2))
    : Object.entries(value).map(([k, v]) => `${pad}${JSON.stringify(k)}: ${format(v, indent + 2)}`);
  const [open, close] = Array.isArray(value) ? ["[", "]"] : ["{", "}"];
  return `${open}\n${items.join(",\n")}\n${" ".repeat(indent)}${close}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const stale = [];
  for (const { file, text } of schemas()) {
    if (process.argv.includes("--check")) {
      if (readFileSync(file, "utf8") !== text) stale.push(file);
    } else {
      writeFileSync(file, text);
    }
  }
  if (stale.length) {
    console.error(`stale (run node tests/chart/values-schema.mjs): ${stale.join(", ")}`);
    process.exit(1);
  }
}
