// Values the schemas (or the chart's checks) must reject, with a message that names the value.
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { helmTemplateRaw } from "./helm";
import { schemas } from "./values-schema.mjs";

// The CRDs of the CloudNativePG operator and its Barman Cloud plugin, as a cluster with them reports them.
const CNPG_CRDS = ["--api-versions", "postgresql.cnpg.io/v1/Cluster"];
const BARMAN_CRDS = ["--api-versions", "barmancloud.cnpg.io/v1/ObjectStore"];
const S3 = ["backup.s3.endpoint=http://s3.example", "backup.s3.bucket=b", "backup.s3.existingSecret=s3"];

const cases: Array<{ name: string; set: string[]; args?: string[]; message: RegExp }> = [
  { name: "wrong type: replicaCount as a string", set: ["frontend.replicaCount=two"], message: /\/replicaCount': got string, want integer/ },
  { name: "wrong type: networkPolicy.enabled as a string", set: ["global.networkPolicy.enabled=yes"], message: /\/global\/networkPolicy\/enabled': got string, want boolean/ },
  { name: "unknown key in a subchart", set: ["backend-api.replicas=3"], message: /additional properties 'replicas' not allowed/ },
  { name: "unknown key in the umbrella", set: ["externalDb.host=x"], message: /additional properties 'externalDb' not allowed/ },
  { name: "unknown key under global.database", set: ["global.database.hostname=x"], message: /additional properties 'hostname' not allowed/ },
  { name: "out of range: port", set: ["global.database.port=70000"], message: /\/global\/database\/port': maximum: got 70,000, want 65,535/ },
  { name: "out of range: a service port", set: ["backend-api.service.port=0"], message: /\/service\/port': minimum: got 0, want 1/ },
  { name: "the PostgreSQL port has one setting, global.database.port", set: ["postgresql.service.port=5433"], message: /additional properties 'port' not allowed/ },
  { name: "out of range: replicaCount", set: ["backend-api.replicaCount=-1"], message: /\/replicaCount': minimum: got -1, want 0/ },
  { name: "bad nodePort", set: ["frontend.service.nodePort=8080"], message: /\/service\/nodePort': minimum: got 8,080, want 30,000/ },
  { name: "bad service type", set: ["frontend.service.type=Headless"], message: /\/service\/type': value must be one of/ },
  { name: "image digest that is no sha256 digest", set: ["frontend.image.digest=latest"], message: /\/image\/digest': 'latest' does not match pattern/ },
  { name: "bad pull policy", set: ["backend-api.image.pullPolicy=Sometimes"], message: /\/image\/pullPolicy': value must be one of/ },
  { name: "bad log level", set: ["global.config.logLevel=verbose"], message: /\/global\/config\/logLevel': value must be one of/ },
  { name: "bad sslmode", set: ["global.database.sslmode=prefer"], message: /\/global\/database\/sslmode': value must be one of/ },
  { name: "short session secret", set: ["frontend.session.secret=short"], message: /\/session\/secret'/ },
  { name: "bad volume size", set: ["postgresql.persistence.size=lots"], message: /\/persistence\/size': '?lots'? does not match pattern/ },
  { name: "postgresql.enabled must be a boolean", set: ["postgresql.enabled=maybe"], message: /\/postgresql\/enabled': got string, want boolean/ },
  { name: "bad database mode", set: ["global.database.mode=replicated"], message: /\/global\/database\/mode': value must be one of 'bundled', 'cloudnative-pg', 'external'/ },
  { name: "bundled mode without the bundled PostgreSQL", set: ["postgresql.enabled=false"], message: /postgresql.enabled=false needs another database: set global.database.mode to external \(with global.database.host\) or cloudnative-pg/ },
  { name: "an external host with the bundled PostgreSQL on (a host alone chooses the external database, as before 0.4.0)", set: ["global.database.host=db.example"], message: /global.database.mode=external \(global.database.host is set\) runs no bundled PostgreSQL: set postgresql.enabled=false too/ },
  { name: "an external host in cloudnative-pg mode", set: ["global.database.mode=cloudnative-pg", "postgresql.enabled=false", "global.database.host=db.example"], message: /global.database.host is set while global.database.mode=cloudnative-pg/ },
  { name: "external mode with the bundled PostgreSQL on", set: ["global.database.mode=external", "global.database.host=db.example"], message: /global.database.mode=external runs no bundled PostgreSQL: set postgresql.enabled=false too/ },
  { name: "external mode without a host", set: ["global.database.mode=external", "postgresql.enabled=false"], message: /global.database.mode=external needs global.database.host/ },
  { name: "external database without a password", set: ["global.database.mode=external", "postgresql.enabled=false", "global.database.host=db.example"], message: /needs global.database.password or global.database.existingSecret/ },
  { name: "cloudnative-pg mode without the operator's CRDs", set: ["global.database.mode=cloudnative-pg", "postgresql.enabled=false"], message: /global.database.mode=cloudnative-pg needs the CloudNativePG operator, and this cluster has no postgresql.cnpg.io\/v1 Cluster: install the operator first/ },
  { name: "cloudnative-pg mode with a password the operator would not use", set: ["global.database.mode=cloudnative-pg", "postgresql.enabled=false", "global.database.password=x"], args: CNPG_CRDS, message: /global.database.password is not used with global.database.mode=cloudnative-pg/ },
  { name: "continuous backup without the Barman Cloud plugin", set: ["global.database.mode=cloudnative-pg", "postgresql.enabled=false", "cloudnativePg.backup.enabled=true"], args: CNPG_CRDS, message: /cloudnativePg.backup.enabled needs the Barman Cloud plugin of CloudNativePG, and this cluster has no barmancloud.cnpg.io\/v1 ObjectStore/ },
  { name: "continuous backup without a bucket", set: ["global.database.mode=cloudnative-pg", "postgresql.enabled=false", "cloudnativePg.backup.enabled=true", "backup.s3.endpoint=http://s3.example", "backup.s3.existingSecret=s3"], args: [...CNPG_CRDS, ...BARMAN_CRDS], message: /backup.s3.bucket is required with cloudnativePg.backup.enabled/ },
  { name: "recovery without the server to recover from", set: ["global.database.mode=cloudnative-pg", "postgresql.enabled=false", "cloudnativePg.recovery.enabled=true", ...S3], args: [...CNPG_CRDS, ...BARMAN_CRDS], message: /cloudnativePg.recovery.serverName is required with cloudnativePg.recovery.enabled/ },
  { name: "recovery that would archive into the WAL it recovers from", set: ["global.database.mode=cloudnative-pg", "postgresql.enabled=false", "cloudnativePg.recovery.enabled=true", "cloudnativePg.recovery.serverName=task-manager-postgresql", "cloudnativePg.backup.enabled=true", ...S3], args: [...CNPG_CRDS, ...BARMAN_CRDS], message: /cloudnativePg.backup.serverName: the recovered Cluster would archive its WAL under task-manager-postgresql, the server it recovers from/ },
  { name: "recovery target that is no time", set: ["cloudnativePg.recovery.targetTime=yesterday"], message: /\/cloudnativePg\/recovery\/targetTime': 'yesterday' does not match pattern/ },
  { name: "synchronous replication with no replica to confirm", set: ["global.database.mode=cloudnative-pg", "postgresql.enabled=false", "cloudnativePg.instances=1"], args: CNPG_CRDS, message: /cloudnativePg.synchronous.number \(1\) must be below cloudnativePg.instances \(1\)/ },
  { name: "too few instances", set: ["cloudnativePg.instances=0"], message: /\/cloudnativePg\/instances': minimum: got 0, want 1/ },
  { name: "HTTPRoute path type not in Gateway API", set: ["frontend.httpRoute.path.type=Prefix"], message: /\/httpRoute\/path\/type': value must be one of/ },
  { name: "HTTPRoute path not starting with /", set: ["frontend.httpRoute.path.value=tasks"], message: /\/httpRoute\/path\/value': 'tasks' does not match pattern/ },
  { name: "HTTPRoute parentRef without a name", set: ["frontend.httpRoute.parentRefs[0].namespace=gw"], message: /\/httpRoute\/parentRefs\/0': missing property 'name'/ },
  { name: "bad HTTPRoute hostname", set: ["frontend.httpRoute.hostnames[0]=Tasks_Example"], message: /\/httpRoute\/hostnames\/0': 'Tasks_Example' does not match pattern/ },
  { name: "extra volume mount without a mountPath", set: ["backend-api.extraVolumeMounts[0].name=ca"], message: /\/extraVolumeMounts\/0': missing property 'mountPath'/ },
  { name: "extraEnvFrom with neither a ConfigMap nor a Secret", set: ["postgresql.extraEnvFrom[0].prefix=X_"], message: /\/extraEnvFrom\/0'/ },
  { name: "extra volume without a name", set: ["frontend.extraVolumes[0].emptyDir.medium=Memory"], message: /\/extraVolumes\/0': missing property 'name'/ },
  { name: "global.imageRegistry with a scheme", set: ["global.imageRegistry=https://registry.example"], message: /\/global\/imageRegistry': 'https:\/\/registry.example' does not match pattern/ },
  { name: "global.imagePullSecrets entry without a name", set: ["global.imagePullSecrets[0].secret=x"], message: /\/global\/imagePullSecrets\/0': missing property 'name'/ },
  { name: "short admin password", set: ["backend-api.admin.password=elevenchars"], message: /\/admin\/password'/ },
  { name: "admin email without an @", set: ["backend-api.admin.email=admin"], message: /\/admin\/email': 'admin' does not match pattern/ },
  { name: "no session idle timeout", set: ["backend-api.sessions.idleTimeoutMinutes=0"], message: /\/sessions\/idleTimeoutMinutes': minimum: got 0, want 1/ },
  { name: "session idle timeout longer than its absolute lifetime", set: ["backend-api.sessions.idleTimeoutMinutes=120", "backend-api.sessions.absoluteLifetimeHours=1"], message: /backend-api.sessions.idleTimeoutMinutes \(120\) must not exceed backend-api.sessions.absoluteLifetimeHours \(1 h = 60 min\)/ },
  { name: "sign-in throttle that never allows a failure", set: ["backend-api.signInThrottle.maxFailuresPerAccount=0"], message: /\/signInThrottle\/maxFailuresPerAccount': minimum: got 0, want 1/ },
  { name: "sign-in throttle window as text", set: ["backend-api.signInThrottle.windowMinutes=quarter"], message: /\/signInThrottle\/windowMinutes': got string, want integer/ },
  { name: "bad cookie Secure mode", set: ["frontend.session.cookieSecure=sometimes"], message: /\/session\/cookieSecure': value must be one of 'auto', 'always', 'never'/ },
  { name: "empty frontend trustProxy", set: ["frontend.trustProxy="], message: /\/trustProxy': minLength: got 0, want 1/ },
  { name: "grace period shorter than the shutdown", set: ["backend-api.terminationGracePeriodSeconds=10"], message: /backend-api.terminationGracePeriodSeconds \(10\) must be at least .* = 20/ },
];

describe("rejected values", () => {
  for (const c of cases) {
    it(c.name, () => {
      const r = helmTemplateRaw([...(c.args ?? []), ...c.set.flatMap((s) => ["--set", s])]);
      expect(r.status, r.stdout.slice(0, 200)).not.toBe(0);
      expect(r.stderr).toMatch(c.message);
    });
  }

  it("the same values are accepted when valid (the cases are not failing for another reason)", () => {
    const ok = ["frontend.httpRoute.path.type=Exact", "frontend.httpRoute.path.value=/tasks", "frontend.httpRoute.hostnames[0]=tasks.example.com", "global.imageRegistry=registry.example:5000/mirror", "global.imagePullSecrets[0].name=regcred", "frontend.replicaCount=3", "global.database.port=6543", "frontend.service.nodePort=31000", "frontend.service.type=ClusterIP", "global.config.logLevel=debug", "postgresql.persistence.size=5Gi", "backend-api.terminationGracePeriodSeconds=20", "backend-api.admin.password=twelve chars", "backend-api.admin.email=ops@example.com", "backend-api.sessions.idleTimeoutMinutes=60", "backend-api.sessions.absoluteLifetimeHours=1", "backend-api.signInThrottle.maxFailuresPerAccount=1", "frontend.session.cookieSecure=always", "frontend.trustProxy=10.0.0.0/8"];
    const r = helmTemplateRaw(ok.flatMap((s) => ["--set", s]));
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it("a cloudnative-pg recovery with backups under a new name is accepted (the mode's cases fail for the reason they name)", () => {
    const ok = ["global.database.mode=cloudnative-pg", "postgresql.enabled=false", "cloudnativePg.recovery.enabled=true", "cloudnativePg.recovery.serverName=task-manager-postgresql",
      "cloudnativePg.recovery.targetTime=2026-12-02T01:30:00Z", "cloudnativePg.backup.enabled=true", "cloudnativePg.backup.serverName=task-manager-postgresql-2", "cloudnativePg.instances=1", "cloudnativePg.synchronous.enabled=false", ...S3];
    const r = helmTemplateRaw([...CNPG_CRDS, ...BARMAN_CRDS, ...ok.flatMap((s) => ["--set", s])]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });
});

describe("values.schema.json", () => {
  for (const { file, text } of schemas()) {
    it(`${file.replace(/.*charts\/task-manager\//, "")} equals the one generated from its values.yaml (node tests/chart/values-schema.mjs)`, () => {
      expect(readFileSync(file, "utf8")).toBe(text);
    });
  }
});
