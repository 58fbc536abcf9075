// Each port is one value: with every port moved off its default, every field that names a port
// follows the value (nothing still says the default), and the probes use the named ports.
import { describe, expect, it } from "vitest";
import { envOf, find, helmTemplateRaw, render, type K8sObject } from "./helm";

const PORTS = {
  "frontend.service.port": 8181,
  "frontend.metrics.port": 9101,
  "backend-api.service.port": 5151,
  "backend-api.metrics.port": 9202,
  "global.database.port": 6543,
};
const DEFAULTS = [8080, 9464, 5000, 5432];

const set = (values: Record<string, string | number | boolean>) => Object.entries(values).flatMap(([k, v]) => ["--set", `${k}=${v}`]);
const ON = set({
  "global.networkPolicy.enabled": true,
  "frontend.metrics.serviceMonitor.enabled": true, "backend-api.metrics.serviceMonitor.enabled": true,
  "frontend.networkPolicy.metricsFrom[0].podSelector.matchLabels.app": "prometheus",
  "backend-api.networkPolicy.metricsFrom[0].podSelector.matchLabels.app": "prometheus",
  "monitoring.prometheusRule.enabled": true,
  // a setting that is not a port but whose default (5000) is one of the ports' defaults
  "global.config.backendTimeoutMs": 4000,
});
const args = [...set(PORTS), ...ON];

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const container = (o: K8sObject, name: string): any => o.spec.template.spec.containers.find((c: { name: string }) => c.name === name);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const portsOf = (rules: any[]) => rules.map((r) => r.ports.map((p: { port: number }) => p.port));

describe("non-default ports: everything that depends on a port follows it", () => {
  const objs = render(args);

  it("nothing rendered still names a default port", () => {
    const out = helmTemplateRaw(args).stdout;
    for (const p of DEFAULTS) expect(out, String(p)).not.toMatch(new RegExp(`\\b${p}\\b`));
  });

  const apps = [
    { name: "frontend", http: 8181, metrics: 9101, probes: ["livenessProbe", "readinessProbe"] },
    { name: "backend-api", http: 5151, metrics: 9202, probes: ["startupProbe", "livenessProbe", "readinessProbe"] },
  ];
  for (const app of apps) {
    it(`${app.name}: container ports, PORT, METRICS_PORT, Services, probes on named ports`, () => {
      const c = container(find(objs, "Deployment", `task-manager-${app.name}`), app.name);
      expect(c.ports).toEqual([
        { name: "http", containerPort: app.http, protocol: "TCP" },
        { name: "metrics", containerPort: app.metrics, protocol: "TCP" },
      ]);
      expect(envOf(c).PORT.value).toBe(String(app.http));
      expect(envOf(c).METRICS_PORT.value).toBe(String(app.metrics));
      for (const probe of app.probes) expect(c[probe].httpGet.port, probe).toBe("http");
      expect(find(objs, "Service", `task-manager-${app.name}`).spec.ports).toMatchObject([{ name: "http", port: app.http, targetPort: "http" }]);
      expect(find(objs, "Service", `task-manager-${app.name}-metrics`).spec.ports).toEqual([{ name: "metrics", port: app.metrics, targetPort: "metrics", protocol: "TCP" }]);
    });
  }

  it("the frontend's node port is its own setting and stays", () => {
    expect(find(objs, "Service", "task-manager-frontend").spec.ports[0].nodePort).toBe(30080);
  });

  it("the ConfigMap's BACKEND_API_URL and PGPORT follow backend-api.service.port and global.database.port", () => {
    expect(find(objs, "ConfigMap", "task-manager-config").data).toMatchObject({ BACKEND_API_URL: "http://task-manager-backend-api:5151", PGPORT: "6543" });
  });

  it("postgresql: both Services, the container port, PGPORT and the probes follow global.database.port", () => {
    for (const name of ["task-manager-postgresql", "task-manager-postgresql-hl"]) {
      expect(find(objs, "Service", name).spec.ports, name).toEqual([{ name: "postgresql", port: 6543, targetPort: "postgresql", protocol: "TCP" }]);
    }
    const c = container(find(objs, "StatefulSet", "task-manager-postgresql"), "postgresql");
    expect(c.ports).toEqual([{ name: "postgresql", containerPort: 6543, protocol: "TCP" }]);
    expect(envOf(c).PGPORT.value).toBe("6543");
    expect(c.livenessProbe.exec.command).toEqual(["pg_isready", "-h", "127.0.0.1", "-p", "6543"]);
    expect(c.readinessProbe.exec.command[2]).toContain("-p 6543 ");
  });

  it("NetworkPolicies: both sides of every connection name the new ports", () => {
    const fe = find(objs, "NetworkPolicy", "task-manager-frontend").spec;
    const be = find(objs, "NetworkPolicy", "task-manager-backend-api").spec;
    const pg = find(objs, "NetworkPolicy", "task-manager-postgresql").spec;
    expect(portsOf(fe.ingress)).toEqual([[8181], [9101]]);
    expect(portsOf(fe.egress)).toEqual([[5151], [53, 53]]);
    expect(portsOf(be.ingress)).toEqual([[5151], [5151], [9202]]);
    expect(portsOf(be.egress)).toEqual([[6543], [53, 53]]);
    expect(portsOf(pg.ingress)).toEqual([[6543]]);
  });

  it("helm test pods call the Services on their ports", () => {
    const url = (check: string) => envOf(find(objs, "Pod", `task-manager-test-${check}`).spec.containers[0]).TARGET_URL.value;
    expect(url("frontend-page")).toBe("http://task-manager-frontend:8181");
    expect(url("api-roundtrip")).toBe("http://task-manager-frontend:8181");
    expect(url("backend-ready")).toBe("http://task-manager-backend-api:5151");
  });

  it("an external database's port is the backend's egress port", () => {
    const ext = render([...args, ...set({ "global.database.mode": "external", "postgresql.enabled": false, "global.database.host": "db.example", "global.database.password": "x" })]);
    expect(find(ext, "NetworkPolicy", "task-manager-backend-api").spec.egress[0]).toEqual({ ports: [{ port: 6543, protocol: "TCP" }] });
    expect(find(ext, "ConfigMap", "task-manager-config").data.PGPORT).toBe("6543");
  });
});
