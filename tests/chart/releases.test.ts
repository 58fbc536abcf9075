// CHANGELOG.md and the chart agree: the first entry is Chart.yaml's version and its
// artifacthub.io/changes; every other entry names the commit it was released from, whose chart
// has that version; versions only grow (SemVer), newest first.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { CHART_YAML, chartAnnotation, changesAnnotation, releases } from "./releases.mjs";

const chart = () => parse(readFileSync(CHART_YAML, "utf8"));
const semver = (v: string) => v.split(".").map(Number);
const newer = (a: string, b: string) => {
  const [x, y] = [semver(a), semver(b)];
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i]! > y[i]!;
  return false;
};

describe("releases (CHANGELOG.md)", () => {
  const all = releases();

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
