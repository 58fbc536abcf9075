// global.database.mode=cloudnative-pg: the CloudNativePG objects the chart renders, checked against
// the operator's and the Barman Cloud plugin's own CRDs (of the releases the e2e cluster runs), and
// how the rest of the release reaches that database.
import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Ajv } from "ajv";
import { parse } from "yaml";
import { envOf, find, kinds, render, repoRoot, type K8sObject } from "./helm";

const CRDS = ["--api-versions", "postgresql.cnpg.io/v1/Cluster", "--api-versions", "barmancloud.cnpg.io/v1/ObjectStore"];
const S3 = { "backup.s3.endpoint": "http://s3.example:9000", "backup.s3.bucket": "tasks", "backup.s3.existingSecret": "s3" };
/** A string value stays a string (`--set-string`), as a values file would give it. */
const set = (values: Record<string, string | number | boolean>) =>
  Object.entries(values).flatMap(([k, v]) => [typeof v === "string" ? "--set-string" : "--set", `${k}=${v}`]);
const cnpg = (values: Record<string, string | number | boolean> = {}) =>
  render([...CRDS, ...set({ "global.database.mode": "cloudnative-pg", "postgresql.enabled": false, ...values })]);

/** The version tests/tools/install pins for a Go module (the one place versions are written). */
function pinned(variable: string): string {
  const m = readFileSync(join(repoRoot, "tests/tools/install"), "utf8").match(new RegExp(`^${variable}=(\\S+)`, "m"));
  if (!m) throw new Error(`${variable} is not in tests/tools/install`);
  return m[1];
}

/** Each CRD's openAPIV3Schema of `spec`, by kind, from the module's source as the Go module proxy serves it. */
function crdSpecSchemas(module: string, version: string, files: string[]): Record<string, object> {
  const { Dir } = JSON.parse(execFileSync("go", ["mod", "download", "-json", `${module}@${version}`], { encoding: "utf8", env: { ...process.env, GOFLAGS: "-mod=mod" } }));
  return Object.fromEntries(files.map((f) => {
    const crd = parse(readFileSync(join(Dir, "config/crd/bases", f), "utf8"));
    const v1 = crd.spec.versions.find((v: { name: string }) => v.name === "v1");
    return [crd.spec.names.kind, closed(v1.schema.openAPIV3Schema.properties.spec)];
  }));
}

/** The API server prunes fields a structural schema does not name; here such a field is an error instead, so that a misspelt one fails. */
function closed(schema: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...schema };
  if (schema.properties && !schema["x-kubernetes-preserve-unknown-fields"] && schema.additionalProperties === undefined) out.additionalProperties = false;
  for (const key of ["properties"] as const) {
    if (schema[key]) out[key] = Object.fromEntries(Object.entries(schema[key] as Record<string, Record<string, unknown>>).map(([k, v]) => [k, closed(v)]));
  }
  for (const key of ["items", "additionalProperties"] as const) {
    if (schema[key] && typeof schema[key] === "object") out[key] = closed(schema[key] as Record<string, unknown>);
  }
  return out;
}

const schemas = {
  ...crdSpecSchemas("github.com/cloudnative-pg/cloudnative-pg", pinned("CNPG_VERSION"), ["postgresql.cnpg.io_clusters.yaml", "postgresql.cnpg.io_scheduledbackups.yaml", "postgresql.cnpg.io_poolers.yaml"]),
  ...crdSpecSchemas("github.com/cloudnative-pg/plugin-barman-cloud", pinned("BARMAN_CLOUD_PLUGIN_VERSION"), ["barmancloud.cnpg.io_objectstores.yaml"]),
};
const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
function expectValidSpec(o: K8sObject) {
  const validate = ajv.compile(schemas[o.kind as keyof typeof schemas]);
  expect(validate(o.spec) ? [] : validate.errors, `${o.kind}/${o.metadata.name}`).toEqual([]);
}
const CLUSTER = "task-manager-postgresql";

describe("cloudnative-pg mode, defaults", () => {
  const objs = cnpg();
  const cluster = find(objs, "Cluster", CLUSTER);

  it("renders a Cluster the operator's CRD accepts, and no bundled PostgreSQL or DB Secret", () => {
    expectValidSpec(cluster);
    expect(kinds(objs).filter((k) => /postgresql|Secret\/task-manager-db$/.test(k))).toEqual([`Cluster/${CLUSTER}`]);
  });

  it("3 instances with synchronous replication, so that an acknowledged write survives the primary", () => {
    expect(cluster.spec).toMatchObject({ instances: 3, postgresql: { synchronous: { method: "any", number: 1, dataDurability: "required" } }, storage: { size: "1Gi" } });
    expect(cluster.spec.bootstrap).toEqual({ initdb: { database: "taskmanager", owner: "taskmanager" } });
  });

  it("a stopping primary waits 1 s for its clients, not the operator's 180: a replica is promoted only once it is down", () => {
    expect(cluster.spec.smartShutdownTimeout).toBe(1);
  });

  it("outlives helm uninstall, as the bundled PostgreSQL's volume does", () => {
    expect(cluster.metadata.annotations?.["helm.sh/resource-policy"]).toBe("keep");
  });

  it("the backend, its migrations and the backups connect to the primary's Service with the password the operator generates", () => {
    expect(find(objs, "ConfigMap", "task-manager-config").data).toMatchObject({ PGHOST: `${CLUSTER}-rw`, PGDATABASE: "taskmanager", PGUSER: "taskmanager" });
    const pod = find(objs, "Deployment", "task-manager-backend-api").spec.template.spec;
    for (const c of [...pod.containers, ...pod.initContainers]) {
      expect(envOf(c).PGPASSWORD.valueFrom.secretKeyRef).toEqual({ name: `${CLUSTER}-app`, key: "password" });
    }
  });
});

describe("cloudnative-pg mode, everything on", () => {
  const objs = cnpg({
    ...S3, "cloudnativePg.backup.enabled": true, "cloudnativePg.pooler.enabled": true, "global.networkPolicy.enabled": true, "backup.enabled": true,
    "cloudnativePg.image.repository": "task-manager/postgres", "cloudnativePg.postgresUID": 999, "cloudnativePg.postgresGID": 999,
    "cloudnativePg.parameters.max_connections": "200", "global.imageRegistry": "registry.example:5000", "global.database.existingSecret": "db-owner",
  });

  it("every CloudNativePG object is one its CRD accepts", () => {
    expect(kinds(objs).filter((k) => /^(Cluster|ObjectStore|ScheduledBackup|Pooler)\//.test(k))).toEqual([
      `Cluster/${CLUSTER}`, `ObjectStore/${CLUSTER}-backups`, `Pooler/${CLUSTER}-pooler-rw`, `ScheduledBackup/${CLUSTER}`]);
    for (const o of objs.filter((x) => x.apiVersion.includes("cnpg.io"))) expectValidSpec(o);
  });

  it("archives WAL and takes base backups through the Barman Cloud plugin, into backup.s3's bucket", () => {
    const cluster = find(objs, "Cluster", CLUSTER);
    expect(cluster.spec.plugins).toEqual([{ name: "barman-cloud.cloudnative-pg.io", isWALArchiver: true, parameters: { barmanObjectName: `${CLUSTER}-backups` } }]);
    expect(find(objs, "ObjectStore", `${CLUSTER}-backups`).spec.configuration).toMatchObject({
      destinationPath: "s3://tasks/task-manager/cloudnative-pg/", endpointURL: "http://s3.example:9000",
      s3Credentials: { accessKeyId: { name: "s3", key: "access-key-id" }, secretAccessKey: { name: "s3", key: "secret-access-key" } },
    });
    expect(find(objs, "ScheduledBackup", CLUSTER).spec).toMatchObject({ immediate: true, method: "plugin", cluster: { name: CLUSTER } });
  });

  it("the image, its user, parameters and the owner's Secret are the values'", () => {
    expect(find(objs, "Cluster", CLUSTER).spec).toMatchObject({
      imageName: "registry.example:5000/task-manager/postgres:17", postgresUID: 999, postgresGID: 999,
      postgresql: { parameters: { max_connections: "200" } }, bootstrap: { initdb: { secret: { name: "db-owner" } } },
    });
  });

  it("the backend goes through the Pooler, and its NetworkPolicy lets it (and the backup Jobs) reach only the Cluster's pods", () => {
    expect(find(objs, "ConfigMap", "task-manager-config").data.PGHOST).toBe(`${CLUSTER}-pooler-rw`);
    const toDatabase = { to: [{ podSelector: { matchLabels: { "cnpg.io/cluster": CLUSTER } } }], ports: [{ port: 5432, protocol: "TCP" }] };
    expect(find(objs, "NetworkPolicy", "task-manager-backend-api").spec.egress).toContainEqual(toDatabase);
    expect(find(objs, "NetworkPolicy", "task-manager-backup").spec.egress).toContainEqual(toDatabase);
    expect(kinds(objs)).not.toContain("NetworkPolicy/task-manager-postgresql-from-backup");
  });
});

describe("cloudnative-pg mode, an image by digest", () => {
  it("the instances run the image by its digest", () => {
    const digest = `sha256:${"cd".repeat(32)}`;
    const cluster = find(cnpg({ "cloudnativePg.image.repository": "task-manager/postgres", "cloudnativePg.image.digest": digest }), "Cluster", CLUSTER);
    expect(cluster.spec.imageName).toBe(`task-manager/postgres@${digest}`);
  });
});

describe("cloudnative-pg mode, point-in-time recovery into a new Cluster", () => {
  const objs = cnpg({ ...S3, "cloudnativePg.recovery.enabled": true, "cloudnativePg.recovery.serverName": "tasks-old", "cloudnativePg.recovery.targetTime": "2026-12-02T01:30:00Z" });
  const cluster = find(objs, "Cluster", CLUSTER);

  it("bootstraps from the other Cluster's backups up to the target time, as the database's owner", () => {
    expectValidSpec(cluster);
    expect(cluster.spec.bootstrap).toEqual({ recovery: { source: "origin", recoveryTarget: { targetTime: "2026-12-02T01:30:00Z" }, database: "taskmanager", owner: "taskmanager" } });
    expect(cluster.spec.externalClusters).toEqual([{ name: "origin", plugin: { name: "barman-cloud.cloudnative-pg.io", parameters: { barmanObjectName: `${CLUSTER}-backups`, serverName: "tasks-old" } } }]);
    expect(cluster.spec.plugins).toBeUndefined();
    expectValidSpec(find(objs, "ObjectStore", `${CLUSTER}-backups`));
  });
});
