// The chart's part of accounts: the first admin's Secret (generated once, kept, or the user's own),
// the backend's session and sign-in throttle settings, the frontend's cookie and proxy settings,
// and `helm test` signing in with the admin Secret.
import { describe, expect, it } from "vitest";
import { envOf, find, render, renderNotes } from "./helm";

const ADMIN_SECRET = "task-manager-backend-api-admin";
const backend = (objs: ReturnType<typeof render>) => find(objs, "Deployment", "task-manager-backend-api").spec.template.spec;
const frontendEnv = (objs: ReturnType<typeof render>) => envOf(find(objs, "Deployment", "task-manager-frontend").spec.template.spec.containers[0]);
const adminChecksum = (args: string[]) =>
  find(render(args), "Deployment", "task-manager-backend-api").spec.template.metadata.annotations["checksum/admin-secret"];
const decoded = (objs: ReturnType<typeof render>) => Buffer.from(find(objs, "Secret", ADMIN_SECRET).data.password, "base64").toString();

describe("the first admin's Secret", () => {
  it("is generated on first install (32 alphanumerics), kept by uninstall, and read by the backend as ADMIN_PASSWORD", () => {
    const objs = render();
    expect(decoded(objs)).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(decoded(render())).not.toBe(decoded(objs));
    // the admin account lives in the kept database volume: a reinstall must find its password
    expect(find(objs, "Secret", ADMIN_SECRET).metadata.annotations?.["helm.sh/resource-policy"]).toBe("keep");
    const pod = backend(objs);
    const env = envOf(pod.containers[0]);
    expect(env.ADMIN_EMAIL).toEqual({ name: "ADMIN_EMAIL", value: "admin@localhost" });
    expect(env.ADMIN_PASSWORD.valueFrom.secretKeyRef).toEqual({ name: ADMIN_SECRET, key: "password" });
    // the migrator creates no accounts: it gets no admin password
    expect(envOf(pod.initContainers[0]).ADMIN_PASSWORD).toBeUndefined();
  });

  it("takes a given password and email", () => {
    const objs = render(["--set", "backend-api.admin.password=correct horse battery", "--set", "backend-api.admin.email=ops@example.com"]);
    expect(decoded(objs)).toBe("correct horse battery");
    expect(envOf(backend(objs).containers[0]).ADMIN_EMAIL.value).toBe("ops@example.com");
  });

  it("a generated password is the one the Deployment's checksum covers (no roll on the first upgrade, which reads it back)", () => {
    const objs = render();
    const sum = find(objs, "Deployment", "task-manager-backend-api").spec.template.metadata.annotations["checksum/admin-secret"];
    expect(sum).toMatch(/^[0-9a-f]{64}$/);
    // an upgrade finds the generated value in the live Secret (lookup); rendered with it, the checksum is the same
    expect(adminChecksum(["--set", `backend-api.admin.password=${decoded(objs)}`])).toBe(sum);
    expect(adminChecksum(["--set", "backend-api.admin.password=another password"])).not.toBe(sum);
  });

  it("existingSecret: no admin Secret, the backend and helm test read the given Secret and key", () => {
    const objs = render(["--set", "backend-api.admin.existingSecret=ops-admin", "--set", "backend-api.admin.existingSecretPasswordKey=pw"]);
    expect(objs.filter((o) => o.kind === "Secret").map((o) => o.metadata.name)).not.toContain(ADMIN_SECRET);
    expect(objs.filter((o) => o.metadata.name === "ops-admin")).toEqual([]);
    expect(envOf(backend(objs).containers[0]).ADMIN_PASSWORD.valueFrom.secretKeyRef).toEqual({ name: "ops-admin", key: "pw" });
    const test = find(objs, "Pod", "task-manager-test-api-roundtrip").spec.containers[0];
    expect(envOf(test).ADMIN_PASSWORD.valueFrom.secretKeyRef).toEqual({ name: "ops-admin", key: "pw" });
  });

  it("NOTES.txt prints the command that reads the password (and follows existingSecret and its key)", () => {
    expect(renderNotes()).toContain(
      "kubectl -n task-manager get secret task-manager-backend-api-admin -o jsonpath='{.data.password}' | base64 -d; echo",
    );
    expect(renderNotes()).toContain("Sign in as the first admin, admin@localhost,");
    const own = renderNotes(["--set", "backend-api.admin.existingSecret=ops-admin", "--set", "backend-api.admin.existingSecretPasswordKey=admin.pw"]);
    expect(own).toContain("get secret ops-admin -o jsonpath='{.data.admin\\.pw}' | base64 -d");
  });
});

describe("session, sign-in throttle and proxy settings", () => {
  it("defaults: the backend's documented defaults, the frontend's cookie Secure on TLS only", () => {
    const objs = render();
    const env = envOf(backend(objs).containers[0]);
    const values = Object.fromEntries(
      ["SESSION_IDLE_TIMEOUT_MINUTES", "SESSION_ABSOLUTE_LIFETIME_HOURS", "SIGN_IN_MAX_FAILURES_PER_ACCOUNT", "SIGN_IN_MAX_FAILURES_PER_ADDRESS", "SIGN_IN_FAILURE_WINDOW_MINUTES", "TRUST_PROXY"].map((k) => [k, env[k]?.value]),
    );
    expect(values).toEqual({
      SESSION_IDLE_TIMEOUT_MINUTES: "480",
      SESSION_ABSOLUTE_LIFETIME_HOURS: "168",
      SIGN_IN_MAX_FAILURES_PER_ACCOUNT: "5",
      SIGN_IN_MAX_FAILURES_PER_ADDRESS: "50",
      SIGN_IN_FAILURE_WINDOW_MINUTES: "15",
      TRUST_PROXY: "loopback, uniquelocal",
    });
    const fe = frontendEnv(objs);
    expect(fe.COOKIE_SECURE.value).toBe("auto");
    expect(fe.TRUST_PROXY.value).toBe("loopback, linklocal, uniquelocal");
    // the frontend never sees the admin password
    expect(fe.ADMIN_PASSWORD).toBeUndefined();
  });

  it("each value reaches its variable", () => {
    const objs = render([
      "--set", "backend-api.sessions.idleTimeoutMinutes=30", "--set", "backend-api.sessions.absoluteLifetimeHours=12",
      "--set", "backend-api.signInThrottle.maxFailuresPerAccount=3", "--set", "backend-api.signInThrottle.maxFailuresPerAddress=20",
      "--set", "backend-api.signInThrottle.windowMinutes=60", "--set", "backend-api.trustProxy=10.0.0.0/8",
      "--set", "frontend.session.cookieSecure=always", "--set", "frontend.trustProxy=10.1.0.0/16",
    ]);
    const env = envOf(backend(objs).containers[0]);
    expect([env.SESSION_IDLE_TIMEOUT_MINUTES.value, env.SESSION_ABSOLUTE_LIFETIME_HOURS.value]).toEqual(["30", "12"]);
    expect([env.SIGN_IN_MAX_FAILURES_PER_ACCOUNT.value, env.SIGN_IN_MAX_FAILURES_PER_ADDRESS.value, env.SIGN_IN_FAILURE_WINDOW_MINUTES.value]).toEqual(["3", "20", "60"]);
    expect(env.TRUST_PROXY.value).toBe("10.0.0.0/8");
    expect(frontendEnv(objs).COOKIE_SECURE.value).toBe("always");
    expect(frontendEnv(objs).TRUST_PROXY.value).toBe("10.1.0.0/16");
  });

  it("extraEnv still wins over a chart variable (e.g. a COOKIE_SECURE from elsewhere)", () => {
    const objs = render(["--set", "frontend.extraEnv[0].name=COOKIE_SECURE", "--set", "frontend.extraEnv[0].value=never"]);
    expect(frontendEnv(objs).COOKIE_SECURE).toEqual({ name: "COOKIE_SECURE", value: "never" });
  });
});

describe("helm test signs in", () => {
  it("the API round trip gets the admin's email and password and sends the token it signs in for", () => {
    const objs = render(["--set", "backend-api.admin.email=ops@example.com"]);
    const c = find(objs, "Pod", "task-manager-test-api-roundtrip").spec.containers[0];
    const env = envOf(c);
    expect(env.ADMIN_EMAIL.value).toBe("ops@example.com");
    expect(env.ADMIN_PASSWORD.valueFrom.secretKeyRef).toEqual({ name: ADMIN_SECRET, key: "password" });
    const script: string = c.command[3];
    expect(script).toContain('api + "/login"');
    expect(script).toContain("authorization: `Bearer ${token}`");
    expect(script).toContain('api + "/logout"');
    // the other checks need no account
    for (const name of ["task-manager-test-frontend-page", "task-manager-test-backend-ready"]) {
      expect(envOf(find(objs, "Pod", name).spec.containers[0]).ADMIN_PASSWORD, name).toBeUndefined();
    }
  });
});
