// What Helm 4 does differently and the chart must survive: server-side apply (a list keyed by name,
// such as env, must not repeat a name; a field the HPA owns must not be set by the chart) and
// `helm test --logs` (the test pods say what they checked).
import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { ALL_ON, containersOf, envOf, find, helmTemplateRaw, podSpecOf, render, repoRoot, valuesFile, type K8sObject } from "./helm";

// extraEnv naming variables the chart sets itself, in every component (and a new one)
const REPEATS = valuesFile({
  frontend: { extraEnv: [{ name: "LOG_LEVEL", value: "debug" }, { name: "PORT", value: "8080" }, { name: "EXTRA", value: "1" }] },
  "backend-api": { extraEnv: [{ name: "PGPASSWORD", valueFrom: { secretKeyRef: { name: "vault-db", key: "pw" } } }, { name: "DB_POOL_SIZE", value: "4" }] },
  postgresql: { extraEnv: [{ name: "PGDATA", value: "/var/lib/postgresql/data/other" }] },
});

const SETS: Record<string, string[]> = {
  defaults: [],
  "all on": ALL_ON,
  production: ["-f", join(repoRoot, "helmfile/values/production.yaml")],
  "extraEnv repeating chart-set names": REPEATS,
};

function duplicateEnvNames(objects: K8sObject[]): string[] {
  return containersOf(objects).flatMap(({ where, container }) => {
    const names: string[] = (container.env ?? []).map((e: { name: string }) => e.name);
    return names.filter((n, i) => names.indexOf(n) !== i).map((n) => `${where}: ${n}`);
  });
}

describe("server-side apply: no env name twice in a container", () => {
  for (const [name, args] of Object.entries(SETS)) {
    it(name, () => expect(duplicateEnvNames(render(args))).toEqual([]));
  }

  it("the check finds a duplicate (it can fail)", () => {
    const objs = render();
    const c = podSpecOf(find(objs, "Deployment", "task-manager-frontend")).containers[0];
    c.env.push({ name: "PORT", value: "1" });
    expect(duplicateEnvNames(objs)).toEqual(["Deployment/task-manager-frontend frontend: PORT"]);
  });

  it("the user's extraEnv wins and takes the chart's entry's place; a new name comes last", () => {
    const names = (o: K8sObject[], kind: string, n: string, i = 0) => podSpecOf(find(o, kind, n)).containers[i].env.map((e: { name: string }) => e.name);
    const base = render();
    const objs = render(REPEATS);
    const fe = podSpecOf(find(objs, "Deployment", "task-manager-frontend")).containers[0];
    expect(names(objs, "Deployment", "task-manager-frontend")).toEqual([...names(base, "Deployment", "task-manager-frontend"), "EXTRA"]);
    expect(envOf(fe).LOG_LEVEL).toEqual({ name: "LOG_LEVEL", value: "debug" });
    const be = podSpecOf(find(objs, "Deployment", "task-manager-backend-api"));
    expect(names(objs, "Deployment", "task-manager-backend-api")).toEqual(names(base, "Deployment", "task-manager-backend-api"));
    for (const c of [be.containers[0], be.initContainers[0]]) {
      expect(envOf(c).PGPASSWORD.valueFrom.secretKeyRef, c.name).toEqual({ name: "vault-db", key: "pw" });
    }
    expect(envOf(be.containers[0]).DB_POOL_SIZE).toEqual({ name: "DB_POOL_SIZE", value: "4" });
    // the migrator does not read DB_POOL_SIZE, but extraEnv is set on it like on the app
    expect(envOf(be.initContainers[0]).DB_POOL_SIZE).toEqual({ name: "DB_POOL_SIZE", value: "4" });
    const pg = podSpecOf(find(objs, "StatefulSet", "task-manager-postgresql")).containers[0];
    expect(envOf(pg).PGDATA.value).toBe("/var/lib/postgresql/data/other");
  });

  it("a name given twice in extraEnv itself fails the render, naming it", () => {
    const r = helmTemplateRaw(valuesFile({ frontend: { extraEnv: [{ name: "A", value: "1" }, { name: "A", value: "2" }] } }));
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("frontend.extraEnv names A twice");
  });
});

describe("server-side apply: no spec.replicas on a Deployment its HPA scales", () => {
  const cases: Record<string, string[]> = {
    "all on": ALL_ON,
    production: SETS.production,
    "frontend only": ["--set", "frontend.autoscaling.enabled=true"],
  };
  for (const [name, args] of Object.entries(cases)) {
    it(name, () => {
      const objs = render(args);
      const scaled = objs.filter((o) => o.kind === "HorizontalPodAutoscaler").map((h) => h.spec.scaleTargetRef.name);
      expect(scaled.length).toBeGreaterThan(0);
      for (const d of objs.filter((o) => o.kind === "Deployment")) {
        if (scaled.includes(d.metadata.name)) expect(d.spec, d.metadata.name).not.toHaveProperty("replicas");
        else expect(d.spec.replicas, d.metadata.name).toBe(2);
      }
    });
  }
});

describe("helm test --logs: each test pod says what it checked", () => {
  it("every test pod runs a script that logs its check, ok or FAIL, and exits non-zero on failure", () => {
    const pods = render().filter((o) => o.kind === "Pod" && o.metadata.annotations?.["helm.sh/hook"] === "test");
    expect(pods).toHaveLength(3);
    for (const p of pods) {
      const [node, , eval_, script] = p.spec.containers[0].command;
      expect([node, eval_], p.metadata.name).toEqual(["node", "-e"]);
      expect(script, p.metadata.name).toMatch(/console\.log\(`ok /);
      expect(script, p.metadata.name).toMatch(/console\.error\((`FAIL |"FAIL ")/);
      expect(script, p.metadata.name).toContain("process.exit(1)");
      expect(p.spec.restartPolicy).toBe("Never");
    }
  });
});
