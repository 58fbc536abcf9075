// Sign-in with an identity provider: the values become the backend's OIDC_* settings, the client
// secret comes from the user's Secret, the redirect URL from the public URL, and a configuration
// that cannot work fails the render naming the value to set.
import { describe, expect, it } from "vitest";
import { envOf, find, helmTemplateRaw, render, valuesFile } from "./helm";

const backendEnv = (objs: ReturnType<typeof render>) =>
  envOf(find(objs, "Deployment", "task-manager-backend-api").spec.template.spec.containers[0]);

const KEYCLOAK = {
  "backend-api": {
    auth: {
      publicUrl: "https://tasks.example.com/",
      oidc: {
        enabled: true,
        providerName: "Keycloak",
        issuerUrl: "https://sso.example.com:8443/realms/acme",
        clientId: "task-manager",
        existingSecret: "task-manager-oidc",
        roleMapping: { "tm-admins": "admin", staff: "member" },
        defaultRole: "viewer",
        allowedDomains: ["example.com", "example.org"],
      },
    },
  },
};

describe("sign-in with an identity provider", () => {
  it("is off by default: the backend gets password sign-in and no OIDC setting", () => {
    const env = backendEnv(render());
    expect(env.AUTH_PASSWORD_ENABLED.value).toBe("true");
    expect(Object.keys(env).filter((name) => name.startsWith("OIDC_"))).toEqual([]);
  });

  it("turned on, gives the backend every setting, the client secret from the Secret and the redirect URL from the public URL", () => {
    const env = backendEnv(render(valuesFile(KEYCLOAK)));
    const value = (name: string) => env[name]?.value;
    expect(value("OIDC_ENABLED")).toBe("true");
    expect(value("OIDC_PROVIDER_NAME")).toBe("Keycloak");
    expect(value("OIDC_ISSUER_URL")).toBe("https://sso.example.com:8443/realms/acme");
    expect(value("OIDC_CLIENT_ID")).toBe("task-manager");
    expect(env.OIDC_CLIENT_SECRET.valueFrom.secretKeyRef).toEqual({ name: "task-manager-oidc", key: "client-secret" });
    expect(value("OIDC_REDIRECT_URL")).toBe("https://tasks.example.com/login/oidc/callback");
    expect(value("OIDC_POST_LOGOUT_REDIRECT_URL")).toBe("https://tasks.example.com/login");
    expect(value("OIDC_SCOPES")).toBe("openid email profile");
    expect(value("OIDC_ROLES_CLAIM")).toBe("groups");
    expect(JSON.parse(value("OIDC_ROLE_MAPPING"))).toEqual({ "tm-admins": "admin", staff: "member" });
    expect(value("OIDC_DEFAULT_ROLE")).toBe("viewer");
    expect(value("OIDC_ALLOWED_DOMAINS")).toBe("example.com,example.org");
    expect(value("OIDC_CLOCK_TOLERANCE_SECONDS")).toBe("30");
  });

  it("lets the API reach the provider's port through the NetworkPolicy", () => {
    const args = [...valuesFile(KEYCLOAK), "--set", "global.networkPolicy.enabled=true"];
    const egress = find(render(args), "NetworkPolicy", "task-manager-backend-api").spec.egress;
    expect(egress).toContainEqual({ ports: [{ port: 8443, protocol: "TCP" }] });
    const plain = find(render(["--set", "global.networkPolicy.enabled=true"]), "NetworkPolicy", "task-manager-backend-api").spec.egress;
    expect(plain).not.toContainEqual({ ports: [{ port: 8443, protocol: "TCP" }] });
  });

  for (const missing of ["publicUrl", "oidc.issuerUrl", "oidc.clientId", "oidc.existingSecret"]) {
    it(`fails the render naming backend-api.auth.${missing} when OIDC is on without it`, () => {
      const values = structuredClone(KEYCLOAK) as { "backend-api": { auth: Record<string, unknown> & { oidc: Record<string, unknown> } } };
      const auth = values["backend-api"].auth;
      if (missing === "publicUrl") auth.publicUrl = "";
      else auth.oidc[missing.slice("oidc.".length)] = "";
      const r = helmTemplateRaw(valuesFile(values));
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain(`backend-api.auth.oidc.enabled=true needs backend-api.auth.${missing} to be set`);
    });
  }

  it("fails the render when provider values are set but OIDC is off (half set)", () => {
    const r = helmTemplateRaw(["--set", "backend-api.auth.oidc.issuerUrl=https://sso.example.com/realms/acme"]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("backend-api.auth.oidc.enabled is false");
  });

  it("fails the render when both ways of signing in are off", () => {
    const r = helmTemplateRaw(["--set", "backend-api.auth.password.enabled=false"]);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("backend-api.auth.password.enabled=false needs backend-api.auth.oidc.enabled=true");
  });

  it("with password sign-in off, leaves out the `helm test` round trip that signs in with the admin's password", () => {
    const values = structuredClone(KEYCLOAK) as { "backend-api": { auth: Record<string, unknown> } };
    values["backend-api"].auth.password = { enabled: false };
    const objs = render(valuesFile(values));
    expect(backendEnv(objs).AUTH_PASSWORD_ENABLED.value).toBe("false");
    const tests = objs.filter((o) => o.kind === "Pod").map((o) => o.metadata.name);
    expect(tests).toContain("task-manager-test-frontend-page");
    expect(tests).not.toContain("task-manager-test-api-roundtrip");
    expect(render().filter((o) => o.kind === "Pod").map((o) => o.metadata.name)).toContain("task-manager-test-api-roundtrip");
  });

  it("refuses a role mapping to no role and a public URL that is not one, by the schema", () => {
    const badRole = helmTemplateRaw(["--set", "backend-api.auth.oidc.roleMapping.staff=owner"]);
    expect(badRole.status).not.toBe(0);
    expect(badRole.stderr).toMatch(/roleMapping/);
    const badUrl = helmTemplateRaw(["--set", "backend-api.auth.publicUrl=tasks.example.com"]);
    expect(badUrl.status).not.toBe(0);
    expect(badUrl.stderr).toMatch(/publicUrl/);
  });
});
