// .node-version is the one home of the Node.js version the images ship and the tests run on
// (tests/tools/node-install installs it): whatever else names a Node.js version must agree with it.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const repo = path.resolve(import.meta.dirname, "../..");
const read = (file: string) => readFileSync(path.join(repo, file), "utf8");
const version = read(".node-version").trim();
const major = version.split(".")[0];

describe("the Node.js version of .node-version", () => {
  it("is a full version of a Node.js release line that is still supported (24 or later)", () => {
    expect(version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(Number(major)).toBeGreaterThanOrEqual(24);
  });

  it("is the one these tests run on (npm test puts it first on PATH)", () => {
    expect(process.version).toBe(`v${version}`);
  });

  it("is the major of the public images that services/Dockerfile defaults to, on Debian trixie", () => {
    const defaults = [...read("services/Dockerfile").matchAll(/^ARG (BASE_IMAGE|BUILD_IMAGE)=(.*)$/gm)].map((m) => [m[1], m[2]]);
    expect(defaults).toEqual([["BASE_IMAGE", `node:${major}-trixie-slim`], ["BUILD_IMAGE", `node:${major}-trixie-slim`]]);
  });

  it("is the major that the engines field of the root and of each service asks for", () => {
    for (const file of ["package.json", "services/backend-api/package.json", "services/frontend/package.json"]) {
      expect([file, JSON.parse(read(file)).engines?.node]).toEqual([file, `>=${major}`]);
    }
  });

  it("is the major of the Node.js type definitions the services are compiled against", () => {
    expect(JSON.parse(read("package.json")).devDependencies["@types/node"]).toMatch(new RegExp(`^\\^${major}\\.`));
  });

  it("is the version the README names", () => {
    expect(read("README.md")).toContain(`Node.js ${version}`);
  });
});
