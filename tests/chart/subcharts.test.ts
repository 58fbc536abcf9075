// Each subchart on its own (its own copy of the library chart, globals read with their defaults)
// renders the objects it renders inside the umbrella, field for field: the library's defaults of
// the global settings are the umbrella's.
import { describe, expect, it } from "vitest";
import { render, renderSubchart, type K8sObject } from "./helm";

const ADMIN_PASSWORD = "a".repeat(20);
const SECRET = ["--set", "frontend.session.secret=" + "s".repeat(40), "--set", `backend-api.admin.password=${ADMIN_PASSWORD}`];
const NETPOL = ["--set", "global.networkPolicy.enabled=true"];

const key = (o: K8sObject) => `${o.kind}/${o.metadata.name}`;

// The shared-config checksum covers the umbrella's `global` values, which a chart alone does not
// have; PostgreSQL's covers only database settings, whose defaults are the same, and stays.
function withoutSharedChecksum(o: K8sObject): K8sObject {
  if (o.kind === "StatefulSet") return o;
  const copy = structuredClone(o);
  delete copy.spec?.template?.metadata?.annotations?.["checksum/config"];
  return copy;
}

describe("a subchart alone renders what it renders in the umbrella", () => {
  const umbrella = render([...SECRET, ...NETPOL]);
  const cases: Array<{ chart: string; args: string[] }> = [
    { chart: "frontend", args: ["--set", "session.secret=" + "s".repeat(40), ...NETPOL] },
    { chart: "backend-api", args: ["--set", `admin.password=${ADMIN_PASSWORD}`, ...NETPOL] },
    { chart: "postgresql", args: NETPOL },
  ];
  for (const c of cases) {
    it(c.chart, () => {
      const alone = renderSubchart(c.chart, c.args);
      // the component's objects in the umbrella, but for the frontend's NetworkPolicy, which names
      // the backend API's port and so only the umbrella renders
      const expected = umbrella.filter((o) => o.metadata.labels?.["app.kubernetes.io/name"] === c.chart && o.metadata.labels?.["app.kubernetes.io/component"] !== "test" && !(c.chart === "frontend" && o.kind === "NetworkPolicy"));
      expect(alone.map(key).sort()).toEqual(expected.map(key).sort());
      for (const o of alone) {
        expect(withoutSharedChecksum(o), key(o)).toEqual(withoutSharedChecksum(expected.find((x) => key(x) === key(o))!));
      }
    });
  }
});
