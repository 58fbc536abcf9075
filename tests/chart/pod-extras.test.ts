// What a user adds to the pods: extra volumes, mounts and envFrom per component, the startup
// probes, and the registry and pull secrets every image is pulled with.
import { describe, expect, it } from "vitest";
import { containersOf, find, helmTemplateRaw, podSpecOf, render, valuesFile, withPods } from "./helm";

const CA = {
  extraVolumes: [{ name: "ca", configMap: { name: "ca-bundle" } }],
  extraVolumeMounts: [{ name: "ca", mountPath: "/etc/ssl/extra", readOnly: true }],
  extraEnvFrom: [{ secretRef: { name: "more-settings" } }, { configMapRef: { name: "flags", optional: true }, prefix: "FLAG_" }],
};

describe("extraVolumes, extraVolumeMounts, extraEnvFrom", () => {
  const objs = render(valuesFile({ frontend: CA, "backend-api": CA, postgresql: CA }));
  const workloads = [
    { kind: "Deployment", name: "task-manager-frontend", own: ["tmp"] },
    { kind: "Deployment", name: "task-manager-backend-api", own: ["tmp"] },
    { kind: "StatefulSet", name: "task-manager-postgresql", own: ["tmp", "run"] },
  ];

  for (const w of workloads) {
    it(`${w.name}: the extra volume beside the chart's, mounted and envFrom'd in every container`, () => {
      const pod = podSpecOf(find(objs, w.kind, w.name));
      expect(pod.volumes.map((v: { name: string }) => v.name)).toEqual([...w.own, "ca"]);
      expect(pod.volumes).toContainEqual({ name: "ca", configMap: { name: "ca-bundle" } });
      for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
        expect(c.volumeMounts, c.name).toContainEqual({ name: "tmp", mountPath: "/tmp" });
        expect(c.volumeMounts, c.name).toContainEqual({ name: "ca", mountPath: "/etc/ssl/extra", readOnly: true });
        expect(c.envFrom, c.name).toEqual(CA.extraEnvFrom);
      }
    });
  }

  it("the migrate init container gets them too (it connects to the database as the app does)", () => {
    const init = podSpecOf(find(objs, "Deployment", "task-manager-backend-api")).initContainers[0];
    expect(init.name).toBe("migrate");
    expect(init.envFrom).toEqual(CA.extraEnvFrom);
  });

  it("none by default: no envFrom, only the chart's volumes", () => {
    for (const { where, container } of containersOf(render())) expect(container.envFrom, where).toBeUndefined();
    const pg = podSpecOf(find(render(), "StatefulSet", "task-manager-postgresql"));
    expect(pg.volumes.map((v: { name: string }) => v.name)).toEqual(["tmp", "run"]);
    expect(pg.containers[0].volumeMounts.map((m: { name: string }) => m.name)).toEqual(["data", "tmp", "run"]);
  });

  it("an extra volume named like one of the chart's fails the render, naming it", () => {
    for (const [chart, name] of [["frontend", "tmp"], ["postgresql", "run"], ["postgresql", "data"]]) {
      const r = helmTemplateRaw(valuesFile({ [chart]: { extraVolumes: [{ name, emptyDir: {} }] } }));
      expect(r.status, `${chart} ${name}`).not.toBe(0);
      expect(r.stderr).toContain(`${chart}.extraVolumes: ${name} is a volume of the chart's own`);
    }
  });
});

describe("startup probes", () => {
  it("frontend and backend API both have one, on /livez at the port named http, from values", () => {
    const objs = render(["--set", "frontend.startupProbe.failureThreshold=60"]);
    for (const [n, threshold] of [["frontend", 60], ["backend-api", 30]] as const) {
      const c = podSpecOf(find(objs, "Deployment", `task-manager-${n}`)).containers[0];
      expect(c.startupProbe, n).toEqual({ httpGet: { path: "/livez", port: "http" }, periodSeconds: 2, timeoutSeconds: 3, failureThreshold: threshold });
    }
  });

  it("null turns one off", () => {
    const c = podSpecOf(find(render(["--set", "frontend.startupProbe=null"]), "Deployment", "task-manager-frontend")).containers[0];
    expect(c.startupProbe).toBeUndefined();
    expect(c.livenessProbe.httpGet.path).toBe("/livez");
  });
});

describe("global.imageRegistry and global.imagePullSecrets", () => {
  const objs = render(valuesFile({
    global: { imageRegistry: "registry.example:5000", imagePullSecrets: [{ name: "regcred" }] },
    "backend-api": { imagePullSecrets: [{ name: "regcred" }, { name: "backend-only" }] },
  }));

  it("every image, test pods and the migrate init container included, comes from the registry", () => {
    const images = Object.fromEntries(containersOf(objs).map(({ where, container }) => [where, container.image]));
    expect(images).toEqual({
      "Deployment/task-manager-backend-api migrate": "registry.example:5000/task-manager/backend-api:0.1.0",
      "Deployment/task-manager-backend-api backend-api": "registry.example:5000/task-manager/backend-api:0.1.0",
      "Deployment/task-manager-frontend frontend": "registry.example:5000/task-manager/frontend:0.1.0",
      // the repository's own registry (docker.io) is replaced, its path kept: what a mirror serves
      "StatefulSet/task-manager-postgresql postgresql": "registry.example:5000/library/postgres:17",
      "Pod/task-manager-test-frontend-page check": "registry.example:5000/task-manager/frontend:0.1.0",
      "Pod/task-manager-test-backend-ready check": "registry.example:5000/task-manager/frontend:0.1.0",
      "Pod/task-manager-test-api-roundtrip check": "registry.example:5000/task-manager/frontend:0.1.0",
    });
  });

  it("every pod pulls with the global secrets, then its own, each name once", () => {
    const secrets = Object.fromEntries(withPods(objs).map((o) => [`${o.kind}/${o.metadata.name}`, podSpecOf(o).imagePullSecrets]));
    expect(secrets).toEqual({
      "Deployment/task-manager-backend-api": [{ name: "regcred" }, { name: "backend-only" }],
      "Deployment/task-manager-frontend": [{ name: "regcred" }],
      "StatefulSet/task-manager-postgresql": [{ name: "regcred" }],
      "Pod/task-manager-test-frontend-page": [{ name: "regcred" }],
      "Pod/task-manager-test-backend-ready": [{ name: "regcred" }],
      "Pod/task-manager-test-api-roundtrip": [{ name: "regcred" }],
    });
  });

  it("a repository naming localhost:port as its registry has it replaced too", () => {
    const o = render(valuesFile({ global: { imageRegistry: "mirror.example" }, postgresql: { image: { repository: "localhost:5000/task-manager/postgres", tag: "17" } } }));
    expect(podSpecOf(find(o, "StatefulSet", "task-manager-postgresql")).containers[0].image).toBe("mirror.example/task-manager/postgres:17");
    expect(podSpecOf(find(o, "Deployment", "task-manager-frontend")).containers[0].image).toBe("mirror.example/task-manager/frontend:0.1.0");
  });

  it("an image given a digest is pulled by it, through the registry, whatever its tag", () => {
    const digest = `sha256:${"ab".repeat(32)}`;
    const o = render(valuesFile({
      global: { imageRegistry: "registry.example:5000" },
      "backend-api": { image: { tag: "moved", digest } }, postgresql: { image: { digest } }, tests: { image: { digest } },
    }));
    expect(podSpecOf(find(o, "Deployment", "task-manager-backend-api")).containers[0].image).toBe(`registry.example:5000/task-manager/backend-api@${digest}`);
    expect(podSpecOf(find(o, "Deployment", "task-manager-backend-api")).initContainers[0].image).toBe(`registry.example:5000/task-manager/backend-api@${digest}`);
    expect(podSpecOf(find(o, "StatefulSet", "task-manager-postgresql")).containers[0].image).toBe(`registry.example:5000/library/postgres@${digest}`);
    expect(podSpecOf(find(o, "Pod", "task-manager-test-api-roundtrip")).containers[0].image).toBe(`registry.example:5000/task-manager/frontend@${digest}`);
    expect(podSpecOf(find(o, "Deployment", "task-manager-frontend")).containers[0].image).toBe("registry.example:5000/task-manager/frontend:0.1.0");
  });

  it("by default each image is its own and no pod has pull secrets", () => {
    const d = render();
    for (const o of withPods(d)) expect(podSpecOf(o).imagePullSecrets, o.metadata.name).toBeUndefined();
    expect(podSpecOf(find(d, "StatefulSet", "task-manager-postgresql")).containers[0].image).toBe("docker.io/library/postgres:17");
  });

  it("a component's own pull secrets alone still apply", () => {
    const o = render(valuesFile({ postgresql: { imagePullSecrets: [{ name: "pg" }] } }));
    expect(podSpecOf(find(o, "StatefulSet", "task-manager-postgresql")).imagePullSecrets).toEqual([{ name: "pg" }]);
  });
});
