// The chart as users get it from a registry: packaged, pushed to a real OCI registry
// (distribution, started here on 127.0.0.1), signed with cosign using a key made for this run,
// verified, and pulled back by its version and by its digest. `helm install oci://…` of the same
// artifact runs on the e2e cluster; here every step short of the cluster.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { chartDir, KUBE_VERSION } from "./helm.js";

const bin = join(process.env.TASK_MANAGER_CACHE ?? "/var/cache/task-manager", "bin");
const env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, COSIGN_PASSWORD: "the key's password for this run", OTEL_TRACES_EXPORTER: "none" };
const HELM = process.env.HELM ?? "helm";
const version: string = parseYaml(readFileSync(join(chartDir, "Chart.yaml"), "utf8")).version;
// The secrets the chart would generate, given, so that two renders of one chart are alike.
const SAME_SECRETS = ["global.database.password=the-same-in-both-renders", "backend-api.admin.password=the-same-in-both-renders", "frontend.session.secret=the-same-session-secret-in-both-renders-0123456789"].flatMap((value) => ["--set", value]);

let work: string;
let registry: ChildProcess;
let repo: string; // 127.0.0.1:<port>/charts
let digest: string; // of the pushed chart

function run(command: string, args: string[], cwd = work): { status: number; stdout: string; output: string } {
  const r = spawnSync(command, args, { cwd, env, encoding: "utf8" });
  return { status: r.status ?? -1, stdout: r.stdout, output: `${r.stdout}${r.stderr}` };
}
/** Runs a command that must succeed; its stdout and stderr together (helm reports pushes and pulls on stderr). */
function ok(command: string, args: string[], cwd = work): string {
  const r = run(command, args, cwd);
  if (r.status !== 0) throw new Error(`${command} ${args.join(" ")} failed (${r.status}):\n${r.output}`);
  return r.output;
}
/** `helm template`'s manifests alone. */
function rendered(args: string[]): string {
  const r = run(HELM, ["template", "task-manager", ...args]);
  if (r.status !== 0) throw new Error(`helm template ${args.join(" ")} failed (${r.status}):\n${r.output}`);
  return r.stdout;
}
const sha256 = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Packages a copy of the chart with one file changed, at the same version: other content under the same tag. */
function packageAltered(into: string): string {
  const copy = join(work, "altered");
  cpSync(chartDir, copy, { recursive: true });
  writeFileSync(join(copy, "README.md"), `${readFileSync(join(copy, "README.md"), "utf8")}\nAltered after signing.\n`);
  mkdirSync(into, { recursive: true });
  ok(HELM, ["package", copy, "-d", into]);
  return join(into, `task-manager-${version}.tgz`);
}

const signature = (ref: string, key = "cosign.pub") => run("cosign", ["verify", "--key", key, "--insecure-ignore-tlog=true", "--allow-http-registry", ref]);

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "chart-oci-"));
  const port = await freePort();
  repo = `127.0.0.1:${port}/charts`;
  writeFileSync(
    join(work, "registry.yaml"),
    [
      "version: 0.1",
      "log: { level: warn, accesslog: { disabled: true } }",
      `storage: { filesystem: { rootdirectory: ${join(work, "registry")} } }`,
      `http: { addr: "127.0.0.1:${port}", secret: a-secret-of-this-run-only }`,
    ].join("\n"),
  );
  registry = spawn("registry", ["serve", join(work, "registry.yaml")], { env, stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  registry.stderr!.on("data", (chunk) => (log += chunk));
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (registry.exitCode !== null) throw new Error(`the registry exited with ${registry.exitCode}:\n${log}`);
    const answer = await fetch(`http://127.0.0.1:${port}/v2/`).catch(() => undefined);
    if (answer?.ok) break;
    if (Date.now() > deadline) throw new Error(`the registry did not answer within 20 s:\n${log}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  ok(HELM, ["package", chartDir, "-d", join(work, "packaged")]);
  const pushed = ok(HELM, ["push", join(work, "packaged", `task-manager-${version}.tgz`), `oci://${repo}`, "--plain-http"]);
  digest = /Digest: (sha256:[0-9a-f]{64})/.exec(pushed)?.[1] ?? "";
  expect(digest, pushed).not.toBe("");
  ok("cosign", ["generate-key-pair"]);
  mkdirSync(join(work, "other"));
  ok("cosign", ["generate-key-pair"], join(work, "other"));
}, 120_000);

afterAll(() => {
  registry?.kill();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe(`the chart in an OCI registry (${HELM})`, () => {
  it("is pulled back, by its version and by its digest, byte for byte as it was packaged", () => {
    const packaged = sha256(join(work, "packaged", `task-manager-${version}.tgz`));
    for (const [dir, ref] of [["by-version", [`oci://${repo}/task-manager`, "--version", version]], ["by-digest", [`oci://${repo}/task-manager@${digest}`]]] as const) {
      mkdirSync(join(work, dir));
      ok(HELM, ["pull", ...ref, "--plain-http", "-d", join(work, dir)]);
      const files = readdirSync(join(work, dir));
      expect(files, dir).toHaveLength(1);
      expect(sha256(join(work, dir, files[0]!)), dir).toBe(packaged);
    }
  });

  it("renders from the registry, by its version and by its digest, exactly as from the tree", () => {
    const args = ["-n", "task-manager", "--kube-version", KUBE_VERSION, ...SAME_SECRETS];
    const fromTree = rendered([chartDir, ...args]);
    expect(fromTree).toContain("kind: Deployment");
    expect(rendered([`oci://${repo}/task-manager`, "--version", version, "--plain-http", ...args])).toBe(fromTree);
    expect(rendered([`oci://${repo}/task-manager@${digest}`, "--plain-http", ...args])).toBe(fromTree);
  });

  it("verifies once signed with the run's key, and is refused unsigned, under another key, or when its tag moves to other content", () => {
    const byDigest = `${repo}/task-manager@${digest}`;
    const byTag = `${repo}/task-manager:${version}`;
    const unsigned = signature(byDigest);
    expect(unsigned.status, unsigned.output).not.toBe(0);
    expect(unsigned.output).toMatch(/no signatures found|no matching signatures/i);

    // No transparency log here (nothing leaves the machine): the signature alone, checked against the run's public key.
    ok("cosign", ["sign", "--yes", "--key", "cosign.key", "--use-signing-config=false", "--tlog-upload=false", "--allow-http-registry", byDigest]);
    const verified = signature(byDigest);
    expect(verified.status, verified.output).toBe(0);
    expect(signature(byTag).status).toBe(0);

    const otherKey = signature(byDigest, join(work, "other", "cosign.pub"));
    expect(otherKey.status, otherKey.output).not.toBe(0);

    // Other content pushed under the same version: the tag now names an unsigned artifact; the signed digest still verifies.
    const altered = ok(HELM, ["push", packageAltered(join(work, "altered-package")), `oci://${repo}`, "--plain-http"]);
    expect(altered).not.toContain(digest);
    const moved = signature(byTag);
    expect(moved.status, moved.output).not.toBe(0);
    expect(signature(byDigest).status).toBe(0);
  });
});
