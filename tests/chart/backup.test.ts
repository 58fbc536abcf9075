// backup.enabled: the backup CronJob, the suspended restore CronJob, the backups PVC or the S3
// settings, their NetworkPolicy and alerts, as helm renders them; and the values it refuses.
import { describe, expect, it } from "vitest";
import { envOf, find, helmTemplateRaw, kinds, render, type K8sObject } from "./helm";

const S3 = [
  "--set", "backup.enabled=true", "--set", "backup.target=s3",
  "--set", "backup.s3.endpoint=https://s3.example:9000", "--set", "backup.s3.bucket=team-backups",
  "--set", "backup.s3.existingSecret=s3-credentials",
];

/** A container's env vars that have a literal value, name -> value. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const plainEnv = (container: any): Record<string, string> =>
  Object.fromEntries(Object.entries(envOf(container)).filter(([, e]) => "value" in e).map(([name, e]) => [name, e.value]));

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const jobPod = (cronJob: K8sObject): any => cronJob.spec.jobTemplate.spec.template.spec;

describe("backup off (the default)", () => {
  it("renders no backup object and no backup alert", () => {
    const objs = render(["--set", "monitoring.prometheusRule.enabled=true", "--set", "global.networkPolicy.enabled=true"]);
    expect(kinds(objs).filter((k) => /backup|restore|CronJob|PersistentVolumeClaim/.test(k))).toEqual([]);
    const alerts = find(objs, "PrometheusRule", "task-manager").spec.groups[0].rules.map((r: { alert: string }) => r.alert);
    expect(alerts.filter((a: string) => a.startsWith("TaskManagerBackup"))).toEqual([]);
  });
});

describe("backup to the release's PVC", () => {
  const objs = render(["--set", "backup.enabled=true"]);
  const backup = find(objs, "CronJob", "task-manager-backup");
  const restore = find(objs, "CronJob", "task-manager-restore");

  it("adds the backup CronJob, the suspended restore CronJob and a kept PVC", () => {
    expect(kinds(objs).filter((k) => /backup|restore/.test(k))).toEqual([
      "CronJob/task-manager-backup",
      "CronJob/task-manager-restore",
      "PersistentVolumeClaim/task-manager-backups",
    ]);
    const pvc = find(objs, "PersistentVolumeClaim", "task-manager-backups");
    expect(pvc.metadata.annotations?.["helm.sh/resource-policy"]).toBe("keep");
    expect(pvc.spec).toEqual({ accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "5Gi" } } });
  });

  it("runs the backup CLI daily at 02:17 UTC, one at a time, retention from the values", () => {
    expect(backup.spec).toMatchObject({ schedule: "17 2 * * *", timeZone: "Etc/UTC", concurrencyPolicy: "Forbid", successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 3 });
    expect(backup.spec.jobTemplate.spec).toMatchObject({ backoffLimit: 1, activeDeadlineSeconds: 3600 });
    const c = jobPod(backup).containers[0];
    expect(c.image).toBe("task-manager/backend-api:0.1.0");
    expect(c.command).toEqual(["node", "dist/backup/backup.js"]);
    const env = envOf(c);
    expect(plainEnv(c)).toMatchObject({ BACKUP_TARGET: "directory", BACKUP_DIR: "/backups", BACKUP_KEEP_LAST: "7", BACKUP_KEEP_DAYS: "30" });
    expect(env.PGHOST.valueFrom.configMapKeyRef).toEqual({ name: "task-manager-config", key: "PGHOST" });
    expect(env.PGPASSWORD.valueFrom.secretKeyRef).toEqual({ name: "task-manager-db", key: "password" });
    expect(env.BACKUP_ENCRYPTION_KEY).toBeUndefined();
    expect(c.resources).toEqual({ requests: { cpu: "50m", memory: "128Mi" }, limits: { cpu: "1", memory: "512Mi" } });
    expect(c.volumeMounts).toEqual([{ name: "tmp", mountPath: "/tmp" }, { name: "backups", mountPath: "/backups" }]);
    expect(jobPod(backup).volumes).toEqual([
      { name: "tmp", emptyDir: { sizeLimit: "2Gi" } },
      { name: "backups", persistentVolumeClaim: { claimName: "task-manager-backups" } },
    ]);
  });

  it("meets Pod Security \"restricted\" in both Jobs", () => {
    for (const cj of [backup, restore]) {
      const pod = jobPod(cj);
      expect(pod.restartPolicy).toBe("Never");
      expect(pod.automountServiceAccountToken).toBe(false);
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: "RuntimeDefault" } });
      expect(pod.containers[0].securityContext).toMatchObject({
        allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true, capabilities: { drop: ["ALL"] }, seccompProfile: { type: "RuntimeDefault" },
      });
    }
  });

  it("holds the restore Job, never scheduled: the latest backup, --force only when asked", () => {
    expect(restore.spec.suspend).toBe(true);
    expect(jobPod(restore).containers[0].command).toEqual(["node", "dist/backup/restore.js", "latest"]);
    expect(envOf(jobPod(restore).containers[0]).BACKUP_DIR.value).toBe("/backups");
    const forced = find(render(["--set", "backup.enabled=true", "--set", "backup.restore.force=true", "--set", "backup.restore.backup=backup-2026-12-01T02-17-00-000Z"]), "CronJob", "task-manager-restore");
    expect(jobPod(forced).containers[0].command).toEqual(["node", "dist/backup/restore.js", "--force", "backup-2026-12-01T02-17-00-000Z"]);
  });

  it("writes to an existing claim instead of its own", () => {
    const own = render(["--set", "backup.enabled=true", "--set", "backup.pvc.existingClaim=nightly"]);
    expect(kinds(own)).not.toContain("PersistentVolumeClaim/task-manager-backups");
    expect(jobPod(find(own, "CronJob", "task-manager-backup")).volumes[1]).toEqual({ name: "backups", persistentVolumeClaim: { claimName: "nightly" } });
  });
});

describe("backup to an S3-compatible bucket, encrypted", () => {
  const objs = render([...S3, "--set", "backup.s3.prefix=prod/", "--set", "backup.encryption.existingSecret=backup-key", "--set", "global.networkPolicy.enabled=true"]);
  const backup = find(objs, "CronJob", "task-manager-backup");

  it("has no PVC and passes the bucket, the credentials and the key from their Secrets", () => {
    expect(kinds(objs)).not.toContain("PersistentVolumeClaim/task-manager-backups");
    const c = jobPod(backup).containers[0];
    const env = envOf(c);
    expect(env.BACKUP_DIR).toBeUndefined();
    expect(plainEnv(c)).toMatchObject({
      BACKUP_TARGET: "s3", BACKUP_S3_ENDPOINT: "https://s3.example:9000", BACKUP_S3_BUCKET: "team-backups", BACKUP_S3_PREFIX: "prod/", BACKUP_S3_REGION: "us-east-1",
    });
    expect(env.AWS_ACCESS_KEY_ID.valueFrom.secretKeyRef).toEqual({ name: "s3-credentials", key: "access-key-id" });
    expect(env.AWS_SECRET_ACCESS_KEY.valueFrom.secretKeyRef).toEqual({ name: "s3-credentials", key: "secret-access-key" });
    expect(env.BACKUP_ENCRYPTION_KEY.valueFrom.secretKeyRef).toEqual({ name: "backup-key", key: "encryption-key" });
    expect(c.volumeMounts).toEqual([{ name: "tmp", mountPath: "/tmp" }]);
  });

  it("lets the Jobs reach PostgreSQL, DNS and the endpoint's port, and PostgreSQL let them in", () => {
    const np = find(objs, "NetworkPolicy", "task-manager-backup");
    expect(np.spec.podSelector.matchLabels).toEqual({ "app.kubernetes.io/instance": "task-manager", "app.kubernetes.io/component": "database-backup" });
    expect(backup.spec.jobTemplate.spec.template.metadata.labels).toMatchObject(np.spec.podSelector.matchLabels);
    expect(np.spec.ingress).toEqual([]);
    expect(np.spec.egress).toContainEqual({ to: [{ podSelector: { matchLabels: { "app.kubernetes.io/name": "postgresql", "app.kubernetes.io/instance": "task-manager" } } }], ports: [{ port: 5432, protocol: "TCP" }] });
    expect(np.spec.egress).toContainEqual({ ports: [{ port: 9000, protocol: "TCP" }] });
    const pg = find(objs, "NetworkPolicy", "task-manager-postgresql-from-backup");
    expect(pg.spec.podSelector).toEqual(find(objs, "NetworkPolicy", "task-manager-postgresql").spec.podSelector);
    expect(pg.spec.policyTypes).toEqual(["Ingress"]);
    expect(pg.spec.ingress).toEqual([{ from: [{ podSelector: { matchLabels: np.spec.podSelector.matchLabels } }], ports: [{ port: 5432, protocol: "TCP" }] }]);
  });
});

describe("backup alerts", () => {
  it("adds TaskManagerBackupFailed and TaskManagerBackupStale on this release's CronJob, stale after backup.staleAfterHours", () => {
    const rule = find(render(["--set", "backup.enabled=true", "--set", "monitoring.prometheusRule.enabled=true", "--set", "backup.staleAfterHours=50"]), "PrometheusRule", "task-manager");
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const rules = Object.fromEntries(rule.spec.groups[0].rules.map((r: any) => [r.alert, r]));
    expect(rules.TaskManagerBackupFailed.expr).toContain('kube_job_failed{namespace="task-manager", job_name=~"task-manager-backup-.+", condition="true"}');
    expect(rules.TaskManagerBackupFailed.labels.severity).toBe("critical");
    expect(rules.TaskManagerBackupStale.expr).toContain('kube_cronjob_status_last_successful_time{namespace="task-manager", cronjob="task-manager-backup"}) > 180000');
  });
});

describe("backup values it refuses, naming the value", () => {
  const cases: Array<{ name: string; set: string[]; message: RegExp }> = [
    { name: "s3 without an endpoint", set: ["backup.enabled=true", "backup.target=s3", "backup.s3.bucket=b", "backup.s3.existingSecret=s"], message: /backup.s3.endpoint is required with backup.target=s3/ },
    { name: "s3 without a bucket", set: ["backup.enabled=true", "backup.target=s3", "backup.s3.endpoint=http://s3:7070", "backup.s3.existingSecret=s"], message: /backup.s3.bucket is required with backup.target=s3/ },
    { name: "s3 without credentials", set: ["backup.enabled=true", "backup.target=s3", "backup.s3.endpoint=http://s3:7070", "backup.s3.bucket=b"], message: /backup.s3.existingSecret is required with backup.target=s3/ },
    { name: "an endpoint without a scheme", set: ["backup.s3.endpoint=s3.example"], message: /\/backup\/s3\/endpoint': 's3.example' does not match pattern/ },
    { name: "an unknown target", set: ["backup.target=ftp"], message: /\/backup\/target': value must be one of 'pvc', 's3'/ },
    { name: "keeping no backup", set: ["backup.keepLast=0"], message: /\/backup\/keepLast': minimum: got 0, want 1/ },
    { name: "an empty schedule", set: ["backup.schedule="], message: /\/backup\/schedule': minLength/ },
    { name: "a restore of something that is not a backup id", set: ["backup.restore.backup=../etc/passwd"], message: /\/backup\/restore\/backup': '..\/etc\/passwd' does not match pattern/ },
    { name: "a bad volume size", set: ["backup.pvc.size=big"], message: /\/backup\/pvc\/size'/ },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const r = helmTemplateRaw(c.set.flatMap((s) => ["--set", s]));
      expect(r.status, r.stdout.slice(0, 200)).not.toBe(0);
      expect(r.stderr).toMatch(c.message);
    });
  }
});
