// Exposing the UI: an Ingress, a Gateway API HTTPRoute, or both (while moving from one to the other).
// kubeconform has no schema for the HTTPRoute CRD (tests/chart/run skips the kind), so its shape is
// checked here against the fields of gateway.networking.k8s.io/v1 the chart writes.
import { describe, expect, it } from "vitest";
import { find, helmTemplateRaw, render, renderNotes, valuesFile, type K8sObject } from "./helm";

const ROUTE = {
  enabled: true,
  parentRefs: [{ name: "public", namespace: "gateway-system", sectionName: "https" }],
  hostnames: ["tasks.example.com"],
  path: { type: "PathPrefix", value: "/" },
  annotations: { "example.com/owner": "platform" },
  labels: { "example.com/exposed": "true" },
};

// The HTTPRoute v1 fields (standard channel) at each level the chart renders; anything else is a typo
// the API server would reject (strict decoding) or silently drop.
const FIELDS = {
  spec: ["parentRefs", "hostnames", "rules"],
  parentRef: ["group", "kind", "namespace", "name", "sectionName", "port"],
  rule: ["name", "matches", "filters", "backendRefs", "timeouts"],
  match: ["path", "headers", "queryParams", "method"],
  path: ["type", "value"],
  backendRef: ["group", "kind", "name", "namespace", "port", "weight", "filters"],
};
const HOSTNAME = /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function expectHttpRouteShape(route: K8sObject) {
  const only = (o: object, allowed: string[], where: string) => expect(Object.keys(o).filter((k) => !allowed.includes(k)), where).toEqual([]);
  expect(route.apiVersion).toBe("gateway.networking.k8s.io/v1");
  expect(route.kind).toBe("HTTPRoute");
  only(route.spec, FIELDS.spec, "spec");
  expect(route.spec.parentRefs.length).toBeGreaterThan(0);
  for (const p of route.spec.parentRefs) {
    only(p, FIELDS.parentRef, "parentRef");
    expect(typeof p.name).toBe("string");
  }
  for (const h of route.spec.hostnames ?? []) expect(h).toMatch(HOSTNAME);
  for (const r of route.spec.rules) {
    only(r, FIELDS.rule, "rule");
    for (const m of r.matches) {
      only(m, FIELDS.match, "match");
      only(m.path, FIELDS.path, "path");
      expect(["Exact", "PathPrefix", "RegularExpression"]).toContain(m.path.type);
      expect(m.path.value).toMatch(/^\//);
    }
    for (const b of r.backendRefs) {
      only(b, FIELDS.backendRef, "backendRef");
      expect(Number.isInteger(b.port), "backendRef.port is a number").toBe(true);
    }
  }
}

describe("HTTPRoute (frontend.httpRoute)", () => {
  it("is off by default, and so is the Ingress", () => {
    const objs = render();
    expect(objs.filter((o) => o.kind === "HTTPRoute" || o.kind === "Ingress")).toEqual([]);
  });

  it("routes the given Gateway, hosts and path to the frontend Service on its port", () => {
    const route = find(render(valuesFile({ frontend: { httpRoute: ROUTE } })), "HTTPRoute", "task-manager-frontend");
    expectHttpRouteShape(route);
    expect(route.metadata.annotations).toEqual({ "example.com/owner": "platform" });
    expect(route.metadata.labels).toMatchObject({ "example.com/exposed": "true", "app.kubernetes.io/name": "frontend", "app.kubernetes.io/instance": "task-manager" });
    expect(route.spec).toEqual({
      parentRefs: [{ name: "public", namespace: "gateway-system", sectionName: "https" }],
      hostnames: ["tasks.example.com"],
      rules: [{ matches: [{ path: { type: "PathPrefix", value: "/" } }], backendRefs: [{ name: "task-manager-frontend", port: 8080 }] }],
    });
  });

  it("follows the Service's port, name and an Exact path; no hostnames means the listener's", () => {
    const objs = render(valuesFile({
      frontend: { fullnameOverride: "ui", service: { port: 8181 }, httpRoute: { enabled: true, parentRefs: [{ name: "gw" }], path: { type: "Exact", value: "/tasks" } } },
    }));
    const route = find(objs, "HTTPRoute", "ui");
    expectHttpRouteShape(route);
    expect(route.spec.hostnames).toBeUndefined();
    expect(route.spec.rules[0]).toEqual({ matches: [{ path: { type: "Exact", value: "/tasks" } }], backendRefs: [{ name: "ui", port: 8181 }] });
    expect(find(objs, "Service", "ui").spec.ports[0].port).toBe(8181);
  });

  it("renders beside an Ingress: both reach the same Service", () => {
    const objs = render(valuesFile({ frontend: { httpRoute: ROUTE, ingress: { enabled: true, className: "nginx" } } }));
    const route = find(objs, "HTTPRoute", "task-manager-frontend");
    const ingress = find(objs, "Ingress", "task-manager-frontend");
    expect(ingress.spec.rules[0].http.paths[0].backend.service).toEqual({ name: "task-manager-frontend", port: { name: "http" } });
    expect(route.spec.rules[0].backendRefs[0].name).toBe(ingress.spec.rules[0].http.paths[0].backend.service.name);
  });

  it("enabled without parentRefs fails the render, naming the value", () => {
    const r = helmTemplateRaw(["--set", "frontend.httpRoute.enabled=true"]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/frontend:\s*- at '\/httpRoute\/parentRefs': minItems: got 0, want 1/);
  });

  it("enabled without parentRefs fails as clearly with the schema skipped", () => {
    const r = helmTemplateRaw(["--skip-schema-validation", "--set", "frontend.httpRoute.enabled=true"]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("frontend.httpRoute.enabled needs frontend.httpRoute.parentRefs");
  });

  it("the shape check rejects a field the API does not have (it can fail)", () => {
    const route = find(render(valuesFile({ frontend: { httpRoute: ROUTE } })), "HTTPRoute", "task-manager-frontend");
    route.spec.rules[0].backendRefs[0].servicePort = 8080;
    expect(() => expectHttpRouteShape(route)).toThrow(/backendRef/);
  });
});

describe("release notes: where to open the UI", () => {
  const ui = (args: string[]) => renderNotes(args).split("Open the UI:")[1].split("The JSON API")[0].trim();

  it("the NodePort by default", () => {
    expect(ui([])).toContain("get service task-manager-frontend -o jsonpath='{.spec.ports[0].nodePort}'");
  });

  it("the HTTPRoute's host names, beside the Ingress's hosts", () => {
    const text = ui(valuesFile({ frontend: { httpRoute: ROUTE, ingress: { enabled: true } } }));
    expect(text).toContain("http://task-manager.local/");
    expect(text).toContain("http(s)://tasks.example.com/   # HTTPRoute task-manager-frontend");
    expect(text).not.toContain("nodePort");
  });

  it("the Gateway's address when the route has no host names", () => {
    const text = ui(valuesFile({ frontend: { httpRoute: { enabled: true, parentRefs: [{ name: "public", namespace: "gateway-system" }] } } }));
    expect(text).toContain("kubectl -n gateway-system get gateway public -o jsonpath='{.status.addresses[0].value}'");
  });
});
