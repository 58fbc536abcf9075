// helm template with the required value sets, asserted field by field.
import { describe, expect, it } from "vitest";
import { ALL_ON, chartDir, envOf, find, helmTemplateRaw, kinds, render, repoRoot } from "./helm";
import { join } from "node:path";

const RESTRICTED_CONTAINER = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  runAsNonRoot: true,
  capabilities: { drop: ["ALL"] },
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
function expectRestricted(pod: any, uid: number) {
  expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: uid, runAsGroup: uid, fsGroup: uid, seccompProfile: { type: "RuntimeDefault" } });
  expect(pod.automountServiceAccountToken).toBe(false);
  for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
    expect(c.securityContext, c.name).toMatchObject({ ...RESTRICTED_CONTAINER, runAsUser: uid, seccompProfile: { type: "RuntimeDefault" } });
    expect(c.volumeMounts, c.name).toContainEqual({ name: "tmp", mountPath: "/tmp" });
  }
  expect(pod.volumes).toContainEqual({ name: "tmp", emptyDir: { sizeLimit: "64Mi" } });
}

describe("defaults: the reference deployment", () => {
  const objs = render();

  it("renders exactly the reference objects, release-prefixed", () => {
    expect(kinds(objs)).toEqual([
      "ConfigMap/task-manager-config",
      "Deployment/task-manager-backend-api",
      "Deployment/task-manager-frontend",
      "Pod/task-manager-test-api-roundtrip",
      "Pod/task-manager-test-backend-ready",
      "Pod/task-manager-test-frontend-page",
      "Secret/task-manager-backend-api-admin",
      "Secret/task-manager-db",
      "Secret/task-manager-frontend-session",
      "Service/task-manager-backend-api",
      "Service/task-manager-frontend",
      "Service/task-manager-postgresql",
      "Service/task-manager-postgresql-hl",
      "ServiceAccount/task-manager-backend-api",
      "ServiceAccount/task-manager-frontend",
      "ServiceAccount/task-manager-postgresql",
      "StatefulSet/task-manager-postgresql",
    ]);
    for (const o of objs) {
      expect(o.metadata.namespace, `${o.kind}/${o.metadata.name}`).toBeUndefined();
      expect(o.metadata.labels?.["app.kubernetes.io/instance"], `${o.kind}/${o.metadata.name}`).toBe("task-manager");
      expect(o.metadata.labels?.["app.kubernetes.io/managed-by"]).toBe("Helm");
      expect(o.metadata.labels?.["app.kubernetes.io/name"]).toBeTruthy();
    }
  });

  it("frontend: 2 replicas, NodePort 30080 -> 8080, 256Mi / 500m, env from ConfigMap and Secret", () => {
    const d = find(objs, "Deployment", "task-manager-frontend");
    expect(d.spec.replicas).toBe(2);
    const pod = d.spec.template.spec;
    const c = pod.containers[0];
    expect(c.image).toBe("task-manager/frontend:0.1.0");
    expect(c.imagePullPolicy).toBe("IfNotPresent");
    expect(c.resources.limits).toEqual({ cpu: "500m", memory: "256Mi" });
    expect(c.ports).toEqual([
      { name: "http", containerPort: 8080, protocol: "TCP" },
      { name: "metrics", containerPort: 9464, protocol: "TCP" },
    ]);
    const env = envOf(c);
    expect(env.PORT.value).toBe("8080");
    expect(env.METRICS_PORT.value).toBe("9464");
    expect(env.BACKEND_API_URL.valueFrom.configMapKeyRef).toEqual({ name: "task-manager-config", key: "BACKEND_API_URL" });
    expect(env.SESSION_SECRET.valueFrom.secretKeyRef).toEqual({ name: "task-manager-frontend-session", key: "session-secret" });
    expect(env.SHUTDOWN_DELAY_SECONDS.value).toBe("5");
    expect(c.livenessProbe.httpGet.path).toBe("/livez");
    expect(c.readinessProbe.httpGet.path).toBe("/readyz");
    expect(pod.serviceAccountName).toBe("task-manager-frontend");
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(5 + 10 + 5);
    expect(d.spec.template.metadata.annotations["checksum/config"]).toMatch(/^[0-9a-f]{64}$/);
    expect(d.spec.template.metadata.annotations["checksum/session-secret"]).toMatch(/^[0-9a-f]{64}$/);
    expectRestricted(pod, 10001);
    const s = find(objs, "Service", "task-manager-frontend");
    expect(s.spec.type).toBe("NodePort");
    expect(s.spec.ports).toEqual([{ name: "http", port: 8080, targetPort: "http", protocol: "TCP", nodePort: 30080 }]);
    expect(find(objs, "Secret", "task-manager-frontend-session").data["session-secret"].length).toBeGreaterThanOrEqual(44);
  });

  it("backend-api: 2 replicas, ClusterIP 5000, 512Mi / 500m, migrations init container, PG* env", () => {
    const d = find(objs, "Deployment", "task-manager-backend-api");
    expect(d.spec.replicas).toBe(2);
    const pod = d.spec.template.spec;
    const c = pod.containers[0];
    expect(c.image).toBe("task-manager/backend-api:0.1.0");
    expect(c.resources.limits).toEqual({ cpu: "500m", memory: "512Mi" });
    const env = envOf(c);
    for (const k of ["PGHOST", "PGPORT", "PGDATABASE", "PGUSER", "PGSSLMODE", "LOG_LEVEL", "DB_POOL_SIZE", "DB_RETRY_BUDGET_MS"]) {
      expect(env[k].valueFrom.configMapKeyRef, k).toEqual({ name: "task-manager-config", key: k });
    }
    expect(env.PGPASSWORD.valueFrom.secretKeyRef).toEqual({ name: "task-manager-db", key: "password" });
    expect(env.PORT.value).toBe("5000");
    expect(env.METRICS_PORT.value).toBe("9464");
    expect(env.SHUTDOWN_DELAY_SECONDS.value).toBe("5");
    expect(c.ports.find((p: { name: string }) => p.name === "metrics").containerPort).toBe(9464);
    expect(c.startupProbe.httpGet.path).toBe("/livez");
    expect(c.readinessProbe.httpGet.path).toBe("/readyz");
    const init = pod.initContainers[0];
    expect(init.name).toBe("migrate");
    expect(init.command).toEqual(["node", "dist/migrations/migrate.js", "up"]);
    expect(envOf(init).PGPASSWORD.valueFrom.secretKeyRef).toEqual({ name: "task-manager-db", key: "password" });
    expectRestricted(pod, 10001);
    const s = find(objs, "Service", "task-manager-backend-api");
    expect(s.spec.type).toBe("ClusterIP");
    expect(s.spec.ports[0]).toMatchObject({ port: 5000, targetPort: "http" });
  });

  it("postgresql: StatefulSet x1, ClusterIP 5432, 512Mi / 500m, 1Gi claim kept, official image contract", () => {
    const st = find(objs, "StatefulSet", "task-manager-postgresql");
    expect(st.spec.replicas).toBe(1);
    expect(st.spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: "Retain", whenScaled: "Retain" });
    expect(st.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe("1Gi");
    const pod = st.spec.template.spec;
    const c = pod.containers[0];
    expect(c.image).toBe("docker.io/library/postgres:17");
    expect(c.resources.limits).toEqual({ cpu: "500m", memory: "512Mi" });
    const env = envOf(c);
    expect(env.POSTGRES_USER.valueFrom.configMapKeyRef).toEqual({ name: "task-manager-config", key: "PGUSER" });
    expect(env.POSTGRES_DB.valueFrom.configMapKeyRef).toEqual({ name: "task-manager-config", key: "PGDATABASE" });
    expect(env.POSTGRES_PASSWORD.valueFrom.secretKeyRef).toEqual({ name: "task-manager-db", key: "password" });
    expect(env.PGDATA.value).toBe("/var/lib/postgresql/data/pgdata");
    expect(c.readinessProbe.exec.command.join(" ")).toContain("pg_isready");
    expect(c.livenessProbe.exec.command).toEqual(["pg_isready", "-h", "127.0.0.1", "-p", "5432"]);
    expect(st.metadata.annotations["kube-score/ignore"]).toBe("container-security-context-user-group-id");
    expect(c.volumeMounts).toContainEqual({ name: "run", mountPath: "/var/run/postgresql" });
    expectRestricted(pod, 999);
    const s = find(objs, "Service", "task-manager-postgresql");
    expect(s.spec.type).toBe("ClusterIP");
    expect(s.spec.ports[0].port).toBe(5432);
  });

  it("ConfigMap holds the database name, backend API URL and app settings; Secret the password", () => {
    expect(find(objs, "ConfigMap", "task-manager-config").data).toEqual({
      PGHOST: "task-manager-postgresql",
      PGPORT: "5432",
      PGDATABASE: "taskmanager",
      PGUSER: "taskmanager",
      PGSSLMODE: "disable",
      BACKEND_API_URL: "http://task-manager-backend-api:5000",
      BACKEND_TIMEOUT_MS: "5000",
      DB_RETRY_BUDGET_MS: "4000",
      LOG_LEVEL: "info",
      DB_POOL_SIZE: "10",
    });
    const secret = find(objs, "Secret", "task-manager-db");
    expect(Buffer.from(secret.data.password, "base64").toString()).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(secret.metadata.annotations?.["helm.sh/resource-policy"]).toBe("keep");
  });

  it("one ServiceAccount per component, no token", () => {
    for (const n of ["frontend", "backend-api", "postgresql"]) {
      expect(find(objs, "ServiceAccount", `task-manager-${n}`).automountServiceAccountToken).toBe(false);
    }
  });

  it("helm test pods use the frontend image under the restricted profile", () => {
    const pods = objs.filter((o) => o.kind === "Pod");
    expect(pods).toHaveLength(3);
    for (const p of pods) {
      expect(p.metadata.annotations?.["helm.sh/hook"]).toBe("test");
      const c = p.spec.containers[0];
      expect(c.image).toBe("task-manager/frontend:0.1.0");
      expect(c.command.slice(0, 3)).toEqual(["node", "--input-type=module", "-e"]);
      expect(c.securityContext).toMatchObject(RESTRICTED_CONTAINER);
      expect(p.spec.securityContext).toMatchObject({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } });
    }
    const rt = find(objs, "Pod", "task-manager-test-api-roundtrip").spec.containers[0];
    expect(envOf(rt).TARGET_URL.value).toBe("http://task-manager-frontend:8080");
    expect(rt.command[3]).toContain("/api/tasks");
    expect(rt.command[3]).toContain('method: "DELETE"');
    expect(envOf(find(objs, "Pod", "task-manager-test-backend-ready").spec.containers[0]).TARGET_URL.value).toBe("http://task-manager-backend-api:5000");
  });

  it("no optional objects by default", () => {
    for (const k of ["HorizontalPodAutoscaler", "PodDisruptionBudget", "NetworkPolicy", "Ingress", "HTTPRoute", "ServiceMonitor", "PrometheusRule"]) {
      expect(objs.filter((o) => o.kind === k), k).toEqual([]);
    }
  });
});

describe("fullnameOverride and checksums", () => {
  it("fullnameOverride gives bare names and the wiring follows", () => {
    const objs = render(["--set", "frontend.fullnameOverride=frontend", "--set", "backend-api.fullnameOverride=backend-api", "--set", "postgresql.fullnameOverride=postgresql"]);
    expect(find(objs, "Service", "frontend").spec.ports[0].nodePort).toBe(30080);
    find(objs, "Deployment", "backend-api");
    find(objs, "StatefulSet", "postgresql");
    expect(find(objs, "ConfigMap", "task-manager-config").data).toMatchObject({ PGHOST: "postgresql", BACKEND_API_URL: "http://backend-api:5000" });
  });

  it("a changed shared setting changes the pods' checksum (rolls them); an unrelated value does not", () => {
    const sum = (args: string[]) => find(render(args), "Deployment", "task-manager-backend-api").spec.template.metadata.annotations["checksum/config"];
    const base = sum(["--set", "global.database.password=p1"]);
    expect(sum(["--set", "global.database.password=p1"])).toBe(base);
    expect(sum(["--set", "global.database.password=p2"])).not.toBe(base);
    expect(sum(["--set", "global.database.password=p1", "--set", "global.config.logLevel=debug"])).not.toBe(base);
    expect(sum(["--set", "global.database.password=p1", "--set", "frontend.replicaCount=3"])).toBe(base);
    // image settings are in no ConfigMap or Secret (they change the pod spec themselves)
    expect(sum(["--set", "global.database.password=p1", "--set", "global.imageRegistry=registry.example"])).toBe(base);
  });

  it("PostgreSQL rolls only for the settings it reads, never for an app setting", () => {
    const sum = (args: string[]) => find(render(["--set", "global.database.password=p1", ...args]), "StatefulSet", "task-manager-postgresql").spec.template.metadata.annotations["checksum/config"];
    const base = sum([]);
    expect(base).toMatch(/^[0-9a-f]{64}$/);
    expect(sum(["--set", "global.config.logLevel=debug"])).toBe(base);
    expect(sum(["--set", "global.config.backendTimeoutMs=4000", "--set", "global.config.dbPoolSize=5"])).toBe(base);
    expect(sum(["--set", "global.database.user=someone"])).not.toBe(base);
    expect(sum(["--set", "global.database.name=other"])).not.toBe(base);
    expect(sum(["--set", "global.database.password=p2"])).not.toBe(base);
  });

  it("a generated session secret is the one the Deployment's checksum covers (no roll on the first upgrade)", () => {
    const objs = render();
    const generated = Buffer.from(find(objs, "Secret", "task-manager-frontend-session").data["session-secret"], "base64").toString();
    const sum = find(objs, "Deployment", "task-manager-frontend").spec.template.metadata.annotations["checksum/session-secret"];
    // an upgrade finds that value in the live Secret; rendering with it given must give the same checksum
    const again = find(render(["--set", `frontend.session.secret=${generated}`]), "Deployment", "task-manager-frontend");
    expect(again.spec.template.metadata.annotations["checksum/session-secret"]).toBe(sum);
  });

  it("a given session secret is used and its checksum follows it", () => {
    const d = (s: string) => render(["--set", `frontend.session.secret=${s}`]);
    const a = d("a".repeat(40));
    expect(Buffer.from(find(a, "Secret", "task-manager-frontend-session").data["session-secret"], "base64").toString()).toBe("a".repeat(40));
    const ca = find(a, "Deployment", "task-manager-frontend").spec.template.metadata.annotations["checksum/session-secret"];
    const cb = find(d("b".repeat(40)), "Deployment", "task-manager-frontend").spec.template.metadata.annotations["checksum/session-secret"];
    expect(ca).not.toBe(cb);
  });
});

describe("the backend's retry budget", () => {
  it("ends a second before the frontend's timeout on the backend, so the frontend hears the backend's answer", () => {
    expect(find(render(), "ConfigMap", "task-manager-config").data).toMatchObject({ BACKEND_TIMEOUT_MS: "5000", DB_RETRY_BUDGET_MS: "4000" });
    expect(find(render(["--set", "global.config.backendTimeoutMs=10000"]), "ConfigMap", "task-manager-config").data.DB_RETRY_BUDGET_MS).toBe("9000");
    expect(find(render(["--set", "global.config.backendTimeoutMs=800"]), "ConfigMap", "task-manager-config").data.DB_RETRY_BUDGET_MS).toBe("0");
  });
});

describe("external database (global.database.mode=external)", () => {
  const objs = render(["--set", "global.database.mode=external", "--set", "postgresql.enabled=false", "--set", "global.database.host=db.example.internal", "--set", "global.database.port=6432", "--set", "global.database.password=s3cret", "--set", "global.database.sslmode=require"]);

  it("renders no PostgreSQL and points the backend at the external host", () => {
    expect(objs.filter((o) => o.metadata.name.includes("postgresql"))).toEqual([]);
    expect(find(objs, "ConfigMap", "task-manager-config").data).toMatchObject({ PGHOST: "db.example.internal", PGPORT: "6432", PGSSLMODE: "require" });
    expect(Buffer.from(find(objs, "Secret", "task-manager-db").data.password, "base64").toString()).toBe("s3cret");
  });
  it("a host alone, as values from before global.database.mode give it, still chooses the external database", () => {
    const before = render(["--set", "postgresql.enabled=false", "--set", "global.database.host=db.example.internal", "--set", "global.database.port=6432", "--set", "global.database.password=s3cret", "--set", "global.database.sslmode=require"]);
    expect(kinds(before)).toEqual(kinds(objs));
    expect(find(before, "ConfigMap", "task-manager-config").data).toEqual(find(objs, "ConfigMap", "task-manager-config").data);
    expect(find(before, "Secret", "task-manager-db").data).toEqual(find(objs, "Secret", "task-manager-db").data);
  });
});

describe("existingSecret", () => {
  const objs = render([
    "--set", "global.database.existingSecret=my-db", "--set", "global.database.existingSecretPasswordKey=db-pass",
    "--set", "frontend.session.existingSecret=my-session", "--set", "frontend.session.existingSecretKey=sess",
    "--set", "backend-api.admin.existingSecret=my-admin", "--set", "backend-api.admin.existingSecretPasswordKey=admin-pass",
  ]);

  it("creates no Secret and reads the given names and keys", () => {
    expect(objs.filter((o) => o.kind === "Secret")).toEqual([]);
    const be = find(objs, "Deployment", "task-manager-backend-api").spec.template.spec;
    expect(envOf(be.containers[0]).PGPASSWORD.valueFrom.secretKeyRef).toEqual({ name: "my-db", key: "db-pass" });
    expect(envOf(be.initContainers[0]).PGPASSWORD.valueFrom.secretKeyRef).toEqual({ name: "my-db", key: "db-pass" });
    const pg = find(objs, "StatefulSet", "task-manager-postgresql").spec.template.spec.containers[0];
    expect(envOf(pg).POSTGRES_PASSWORD.valueFrom.secretKeyRef).toEqual({ name: "my-db", key: "db-pass" });
    const fe = find(objs, "Deployment", "task-manager-frontend").spec.template.spec.containers[0];
    expect(envOf(fe).SESSION_SECRET.valueFrom.secretKeyRef).toEqual({ name: "my-session", key: "sess" });
    expect(envOf(be.containers[0]).ADMIN_PASSWORD.valueFrom.secretKeyRef).toEqual({ name: "my-admin", key: "admin-pass" });
  });
});


describe("HPA + PDB + NetworkPolicy + Ingress + ServiceMonitor on", () => {
  const objs = render(ALL_ON);

  it("HPAs replace the replica counts", () => {
    for (const n of ["frontend", "backend-api"]) {
      const hpa = find(objs, "HorizontalPodAutoscaler", `task-manager-${n}`);
      expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: "apps/v1", kind: "Deployment", name: `task-manager-${n}` });
      expect(hpa.spec).toMatchObject({ minReplicas: 2, maxReplicas: 6 });
      expect(hpa.spec.metrics).toEqual([{ type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 75 } } }]);
      expect(find(objs, "Deployment", `task-manager-${n}`).spec.replicas).toBeUndefined();
      expect(find(objs, "PodDisruptionBudget", `task-manager-${n}`).spec).toEqual({
        minAvailable: 1,
        selector: { matchLabels: { "app.kubernetes.io/name": n, "app.kubernetes.io/instance": "task-manager" } },
      });
    }
  });

  it("NetworkPolicies allow only frontend -> backend-api:5000, backend-api -> postgresql:5432, DNS, and the UI", () => {
    const sel = (n: string) => ({ podSelector: { matchLabels: { "app.kubernetes.io/name": n, "app.kubernetes.io/instance": "task-manager" } } });
    const dns = { ports: [{ port: 53, protocol: "UDP" }, { port: 53, protocol: "TCP" }] };
    const fe = find(objs, "NetworkPolicy", "task-manager-frontend").spec;
    expect(fe.policyTypes).toEqual(["Ingress", "Egress"]);
    expect(fe.ingress).toEqual([{ ports: [{ port: 8080, protocol: "TCP" }] }]);
    expect(fe.egress).toEqual([{ to: [sel("backend-api")], ports: [{ port: 5000, protocol: "TCP" }] }, dns]);
    const be = find(objs, "NetworkPolicy", "task-manager-backend-api").spec;
    expect(be.ingress).toEqual([
      { from: [sel("frontend")], ports: [{ port: 5000, protocol: "TCP" }] },
      // the release's helm test pods (backend-ready calls /readyz directly); nothing else
      {
        from: [{ podSelector: { matchLabels: { "app.kubernetes.io/instance": "task-manager", "app.kubernetes.io/component": "test" } } }],
        ports: [{ port: 5000, protocol: "TCP" }],
      },
    ]);
    expect(be.egress).toEqual([{ to: [sel("postgresql")], ports: [{ port: 5432, protocol: "TCP" }] }, dns]);
    const pg = find(objs, "NetworkPolicy", "task-manager-postgresql").spec;
    expect(pg.ingress).toEqual([{ from: [sel("backend-api")], ports: [{ port: 5432, protocol: "TCP" }] }]);
    expect(pg.egress).toEqual([]);
  });

  it("Ingress routes to the frontend Service", () => {
    const ing = find(objs, "Ingress", "task-manager-frontend");
    expect(ing.spec.ingressClassName).toBe("nginx");
    expect(ing.spec.rules[0]).toEqual({
      host: "task-manager.local",
      http: { paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: "task-manager-frontend", port: { name: "http" } } } }] },
    });
  });

  it("ServiceMonitors scrape the port named metrics through a metrics Service", () => {
    for (const n of ["frontend", "backend-api"]) {
      const sm = find(objs, "ServiceMonitor", `task-manager-${n}`);
      expect(sm.spec.endpoints[0]).toMatchObject({ port: "metrics", path: "/metrics" });
      const svc = find(objs, "Service", `task-manager-${n}-metrics`);
      expect(svc.spec.ports).toEqual([{ name: "metrics", port: 9464, targetPort: "metrics", protocol: "TCP" }]);
      expect(sm.spec.selector.matchLabels).toEqual({ ...svc.spec.selector, "app.kubernetes.io/component": "metrics" });
      expect(svc.metadata.labels?.["app.kubernetes.io/component"]).toBe("metrics");
    }
    const rule = find(objs, "PrometheusRule", "task-manager");
    const perComponent = (c: string) => ["Down", "NotReady", "ErrorBudgetBurn", "ErrorBudgetBurnSlow", "LatencyBudgetBurn", "LatencyBudgetBurnSlow"].map((a) => `TaskManager${c}${a}`);
    expect(rule.spec.groups[0].rules.map((r: { alert: string }) => r.alert)).toEqual([
      ...perComponent("Frontend"), ...perComponent("BackendApi"),
      "TaskManagerDatabaseUnreachable", "TaskManagerDatabasePoolSaturated", "TaskManagerMigrationsBehind", "TaskManagerSignInAbuse", "TaskManagerPodRestarting",
      "TaskManagerVolumeFillingUp",
    ]);
    const dash = find(objs, "ConfigMap", "task-manager-dashboard");
    expect(dash.metadata.labels?.grafana_dashboard).toBe("1");
    expect(JSON.parse(dash.data["task-manager.json"]).title).toBe("Task Manager");
  });
});

describe("tracing (global.tracing)", () => {
  const on = ["--set", "global.tracing.enabled=true", "--set", "global.networkPolicy.enabled=true"];

  it("both services export to the endpoint, from the ConfigMap, and may reach the collector's port; off, nothing of it renders", () => {
    const objs = render([...on, "--set", "global.tracing.endpoint=http://otel-collector.observability:4318"]);
    expect(find(objs, "ConfigMap", "task-manager-config").data).toMatchObject({
      OTEL_TRACES_EXPORTER: "otlp",
      OTEL_EXPORTER_OTLP_ENDPOINT: "http://otel-collector.observability:4318",
    });
    for (const n of ["frontend", "backend-api"]) {
      const env = envOf(find(objs, "Deployment", `task-manager-${n}`).spec.template.spec.containers[0]);
      for (const key of ["OTEL_TRACES_EXPORTER", "OTEL_EXPORTER_OTLP_ENDPOINT"]) {
        expect(env[key], `${n} ${key}`).toEqual({ name: key, valueFrom: { configMapKeyRef: { name: "task-manager-config", key } } });
      }
      expect(find(objs, "NetworkPolicy", `task-manager-${n}`).spec.egress, n).toContainEqual({ ports: [{ port: 4318, protocol: "TCP" }] });
    }
    // An endpoint without a port: the scheme's.
    const https = render([...on, "--set", "global.tracing.endpoint=https://otlp.example.test/otlp"]);
    expect(find(https, "NetworkPolicy", "task-manager-backend-api").spec.egress).toContainEqual({ ports: [{ port: 443, protocol: "TCP" }] });
    const off = render(["--set", "global.networkPolicy.enabled=true"]);
    expect(JSON.stringify(off)).not.toContain("OTEL_");
  });

  it("refuses tracing on without an endpoint, and an endpoint that is no http(s) URL", () => {
    const missing = helmTemplateRaw(on);
    expect(missing.status).not.toBe(0);
    expect(missing.stderr).toContain("global.tracing.enabled=true needs global.tracing.endpoint");
    const bad = helmTemplateRaw([...on, "--set", "global.tracing.endpoint=otel:4318"]);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain("at '/global/tracing/endpoint': 'otel:4318' does not match pattern");
  });
});

describe("alert windows (monitoring.prometheusRule.for)", () => {
  const forOf = (args: string[]) =>
    Object.fromEntries(
      find(render(["--set", "monitoring.prometheusRule.enabled=true", ...args]), "PrometheusRule", "task-manager")
        .spec.groups[0].rules.map((r: { alert: string; for?: string }) => [r.alert, r.for]),
    );

  it("sets the window of the alert named and leaves every other at its default", () => {
    const defaults = forOf([]);
    const changed = forOf(["--set", "monitoring.prometheusRule.for.TaskManagerBackendApiDown=30s", "--set", "monitoring.prometheusRule.for.TaskManagerDatabaseUnreachable=45s"]);
    expect(defaults.TaskManagerBackendApiDown).toBe("5m");
    expect(changed).toEqual({ ...defaults, TaskManagerBackendApiDown: "30s", TaskManagerDatabaseUnreachable: "45s" });
  });

  it("refuses a name that is no alert with a window, naming those that are", () => {
    const r = helmTemplateRaw(["--set", "monitoring.prometheusRule.enabled=true", "--set", "monitoring.prometheusRule.for.TaskManagerBackendDown=30s"]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("monitoring.prometheusRule.for: TaskManagerBackendDown is not an alert with a for window");
    expect(r.stderr).toContain("TaskManagerBackendApiDown");
    // PodRestarting fires at once (no window): naming it is as much a mistake.
    expect(helmTemplateRaw(["--set", "monitoring.prometheusRule.enabled=true", "--set", "monitoring.prometheusRule.for.TaskManagerPodRestarting=1m"]).status).not.toBe(0);
  });

  it("refuses a window that is not a duration", () => {
    const r = helmTemplateRaw(["--set", "monitoring.prometheusRule.enabled=true", "--set", "monitoring.prometheusRule.for.TaskManagerBackendApiDown=soon"]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("/monitoring/prometheusRule/for/TaskManagerBackendApiDown");
  });
});

describe("production environment (helmfile/values/production.yaml)", () => {
  const objs = render(["-f", join(repoRoot, "helmfile/values/production.yaml")]);

  it("more replicas, HPA and PDB on, NetworkPolicy on, bigger database volume", () => {
    for (const n of ["frontend", "backend-api"]) {
      expect(find(objs, "HorizontalPodAutoscaler", `task-manager-${n}`).spec).toMatchObject({ minReplicas: 3, maxReplicas: 10 });
      expect(find(objs, "PodDisruptionBudget", `task-manager-${n}`).spec.minAvailable).toBe(2);
      expect(find(objs, "NetworkPolicy", `task-manager-${n}`)).toBeTruthy();
      expect(find(objs, "Deployment", `task-manager-${n}`).spec.template.spec.topologySpreadConstraints[0].topologyKey).toBe("kubernetes.io/hostname");
    }
    expect(find(objs, "StatefulSet", "task-manager-postgresql").spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe("10Gi");
  });

  it("ct install value files exist and render", () => {
    for (const f of ["default-values.yaml", "secure-values.yaml"]) expect(render(["-f", join(chartDir, "ci", f)]).length).toBeGreaterThan(10);
  });
});
