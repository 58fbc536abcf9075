#!/usr/bin/env node
// The chart's releases, as CHANGELOG.md lists them (newest first): each `## <version>` entry, the
// commit it was released from (` — released from commit <sha>`; none for the first, which is this
// tree), and its changes (`### Added`, `### Changed`, ... then `- ` items). Chart.yaml's
// `artifacthub.io/changes` is derived from the first entry.
//
//   node tests/chart/releases.mjs previous   print `<version> <commit>` of the newest released entry
//   node tests/chart/releases.mjs --write    write the first entry's changes into Chart.yaml
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(import.meta.dirname, "../..");
export const CHANGELOG = join(ROOT, "CHANGELOG.md");
export const CHART_YAML = join(ROOT, "charts/task-manager/Chart.yaml");
const KINDS = ["added", "changed", "deprecated", "removed", "fixed", "security"];

export function releases(text = readFileSync(CHANGELOG, "utf8")) {
  const out = [];
  let kind;
  for (const line of text.split("\n")) {
    const entry = /^## (\S+)(?: — released from commit ([0-9a-f]{7,40}))?\s*$/.exec(line);
    const section = /^### (\S+)\s*$/.exec(line);
    if (entry) {
      out.push({ version: entry[1], commit: entry[2], changes: [] });
      kind = undefined;
    } else if (section) {
      kind = section[1].toLowerCase();
      if (!KINDS.includes(kind)) throw new Error(`CHANGELOG.md: "### ${section[1]}" is not one of ${KINDS.join(", ")}`);
    } else if (line.startsWith("- ") && out.length && kind) {
      out.at(-1).changes.push({ kind, description: line.slice(2) });
    } else if (/^ {2}\S/.test(line) && out.at(-1)?.changes.length) {
      out.at(-1).changes.at(-1).description += ` ${line.trim()}`;
    }
  }
  return out;
}

/** Chart.yaml's annotation block for the first entry: the lines under `annotations:`. */
export function changesAnnotation(release = releases()[0]) {
  const items = release.changes.map((c) => `    - kind: ${c.kind}\n      description: ${JSON.stringify(c.description)}\n`).join("");
  return `  # Made from the first entry of CHANGELOG.md by tests/chart/releases.mjs --write.\n  artifacthub.io/changes: |\n${items}`;
}

const ANNOTATION = /( {2}# Made from the first entry[^\n]*\n {2}artifacthub\.io\/changes: \|\n(?: {4}.*\n)*)/;

export function chartAnnotation(text = readFileSync(CHART_YAML, "utf8")) {
  return ANNOTATION.exec(text)?.[1];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [command] = process.argv.slice(2);
  if (command === "previous") {
    const previous = releases().find((r) => r.commit);
    if (!previous) throw new Error("CHANGELOG.md names no released commit");
    console.log(`${previous.version} ${previous.commit}`);
  } else if (command === "--write") {
    const text = readFileSync(CHART_YAML, "utf8");
    if (!chartAnnotation(text)) throw new Error("Chart.yaml has no artifacthub.io/changes annotation made by this script to replace");
    writeFileSync(CHART_YAML, text.replace(ANNOTATION, changesAnnotation()));
  } else {
    console.error("usage: node tests/chart/releases.mjs previous | --write");
    process.exit(2);
  }
}
