// CHANGELOG.md and the chart agree: the first entry is Chart.yaml's version and its
// artifacthub.io/changes; every other entry names the commit it was released from, whose chart
// has that version; versions only grow (SemVer), newest first.
import { execFileSync } from "node:child_process";
import { cpSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { chartDir, find, renderScratch, repoRoot, type K8sObject } from "./helm.js";
import { CHART_YAML, chartAnnotation, changesAnnotation, releases } from "./releases.mjs";

/**
 * This tree's chart rendered with the values of the chart released from `commit` in place of its
 * own defaults, as `helm upgrade --reuse-values` from that release renders it: Helm then takes the
 * release's values whole, so no value new since then has a default.
 */
function renderWithValuesOf(commit: string, args: string[] = []): K8sObject[] {
  return renderScratch((scratch) => {
    const copy = join(scratch, "task-manager");
    cpSync(chartDir, copy, { recursive: true });
    const charts = ["", ...readdirSync(join(chartDir, "charts")).map((c) => `charts/${c}/`)];
    for (const dir of charts) {
      const path = `charts/task-manager/${dir}values.yaml`;
      const known = execFileSync("git", ["ls-tree", "--name-only", commit, path], { cwd: repoRoot, encoding: "utf8" }).trim() !== "";
      // A chart without values then (the library chart) has none now either.
      if (!known) rmSync(join(copy, dir, "values.yaml"), { force: true });
      else writeFileSync(join(copy, dir, "values.yaml"), execFileSync("git", ["show", `${commit}:${path}`], { cwd: repoRoot, encoding: "utf8" }));
    }
    return copy;
  }, args);
}

const chart = () => parse(readFileSync(CHART_YAML, "utf8"));
const semver = (v: string) => v.split(".").map(Number);
const newer = (a: string, b: string) => {
  const [x, y] = [semver(a), semver(b)];
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i]! > y[i]!;
  return false;
};

describe("releases (CHANGELOG.md)", () => {
  const all = releases();

  it("an upgrade from the previous release leaves the database's pod template as it was, so PostgreSQL is not restarted", () => {
    const previous = all.find((release) => release.commit)!;
    const args = ["--set", "global.database.password=the-same-in-both-renders"];
    const old = renderScratch((scratch) => {
      execFileSync("bash", ["-c", `git archive ${previous.commit} charts/task-manager | tar -x -C "${scratch}"`], { cwd: repoRoot });
      return join(scratch, "charts/task-manager");
    }, args);
    const podTemplate = (objects: K8sObject[]) => find(objects, "StatefulSet", "task-manager-postgresql").spec.template;
    expect(podTemplate(renderWithValuesOf(previous.commit!, args))).toEqual(podTemplate(old));
  });

  it("the chart renders with the previous release's values alone, as helm upgrade --reuse-values from it renders", () => {
    const previous = all.find((release) => release.commit)!;
    const objects = renderWithValuesOf(previous.commit!, ["--set", "monitoring.prometheusRule.enabled=true"]);
    expect(find(objects, "Deployment", "task-manager-backend-api").spec.replicas).toBe(2);
    expect(find(objects, "ConfigMap", "task-manager-config").data).not.toHaveProperty("OTEL_TRACES_EXPORTER");
    expect(find(objects, "PrometheusRule", "task-manager").spec.groups[0].rules.length).toBeGreaterThan(10);
  });

  it("the first entry is Chart.yaml's version, unreleased, with at least one change", () => {
    expect(all[0]).toMatchObject({ version: chart().version, commit: undefined });
    expect(all[0].changes.length).toBeGreaterThan(0);
  });

  it("Chart.yaml's artifacthub.io/changes are the first entry's, as Artifact Hub reads them", () => {
    expect(chartAnnotation(), "run: node tests/chart/releases.mjs --write").toBe(changesAnnotation());
    expect(parse(chart().annotations["artifacthub.io/changes"])).toEqual(all[0].changes);
  });

  it("every earlier entry names the commit it was released from, whose chart has that version", () => {
    expect(all.length).toBeGreaterThan(1);
    for (const release of all.slice(1)) {
      expect(release.commit, `${release.version} names no commit`).toMatch(/^[0-9a-f]{7,40}$/);
      let yaml: string;
      try {
        yaml = execFileSync("git", ["show", `${release.commit}:charts/task-manager/Chart.yaml`], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
      } catch {
        throw new Error(`commit ${release.commit} (release ${release.version}) is not in this clone: a shallow clone? fetch the history`);
      }
      expect(parse(yaml).version, release.commit).toBe(release.version);
    }
  });

  it("versions grow from each release to the next, newest first", () => {
    for (let i = 0; i + 1 < all.length; i++) expect(newer(all[i]!.version, all[i + 1]!.version), `${all[i]!.version} after ${all[i + 1]!.version}`).toBe(true);
  });

  it("a kind of change Artifact Hub does not know is refused, naming it", () => {
    expect(() => releases("## 9.9.9\n\n### Improved\n- faster\n")).toThrow(/"### Improved" is not one of added, changed/);
  });
});
