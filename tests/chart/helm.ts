// Helpers for the chart tests: run the real helm and parse what it renders.
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseAllDocuments, stringify } from "yaml";

export const repoRoot = join(import.meta.dirname, "../..");
export const chartDir = join(repoRoot, "charts/task-manager");
const bin = join(process.env.TASK_MANAGER_CACHE ?? "/var/cache/task-manager", "bin");
const env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
/** The helm under test: Helm 4 (`helm`), or `HELM=helm3` for the chart checks' Helm 3 leg. */
const HELM = process.env.HELM ?? "helm";
export const KUBE_VERSION = "1.35.0";

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  [key: string]: any;
}

export interface HelmResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** `helm template task-manager <dir> -n task-manager ...args`, not throwing. */
function template(dir: string, args: string[]): HelmResult {
  const r = spawnSync(HELM, ["template", "task-manager", dir, "-n", "task-manager", "--kube-version", KUBE_VERSION, ...args], { env, encoding: "utf8" });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** `helm template task-manager charts/task-manager -n task-manager ...args`, not throwing. */
export function helmTemplateRaw(args: string[] = []): HelmResult {
  return template(chartDir, args);
}

/** Renders and parses every object; throws with helm's stderr on failure. */
export function render(args: string[] = []): K8sObject[] {
  return parse(helmTemplateRaw(args));
}

/**
 * Renders a chart that `prepare` puts in a scratch directory (a copy of this tree's, altered, or
 * an older release's) and returns the path of; the directory is removed afterwards.
 */
export function renderScratch(prepare: (scratch: string) => string, args: string[] = []): K8sObject[] {
  const scratch = mkdtempSync(join(tmpdir(), "chart-"));
  try {
    return parse(template(prepare(scratch), args));
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/**
 * `helm template task-manager <subchart> ...args`: one subchart on its own, as a user of that chart
 * alone would render it (its own copy of the library chart, built into a scratch copy of the tree).
 */
export function renderSubchart(name: string, args: string[] = []): K8sObject[] {
  return renderScratch((scratch) => {
    cpSync(join(chartDir, "charts"), scratch, { recursive: true });
    const dir = join(scratch, name);
    execFileSync(HELM, ["dependency", "build", dir], { env, stdio: "ignore" });
    return dir;
  }, args);
}

function parse(r: HelmResult): K8sObject[] {
  if (r.status !== 0) throw new Error(`helm template failed: ${r.stderr}`);
  return parseAllDocuments(r.stdout)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}

export function helm(args: string[]): string {
  return execFileSync(HELM, args, { env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

export function find(objects: K8sObject[], kind: string, name: string): K8sObject {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`no ${kind} ${name} in: ${objects.map((x) => `${x.kind}/${x.metadata.name}`).join(", ")}`);
  return o;
}

export const kinds = (objects: K8sObject[]) => objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();

/** Container env as a map name -> EnvVar. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const envOf = (container: any): Record<string, any> =>
  Object.fromEntries((container.env ?? []).map((e: { name: string }) => [e.name, e]));

/** `-f <file>` for values given as an object (lists of maps are clumsy with --set). */
export function valuesFile(values: Record<string, unknown>): string[] {
  const file = join(mkdtempSync(join(tmpdir(), "values-")), "values.yaml");
  writeFileSync(file, stringify(values));
  return ["-f", file];
}

/** The pod spec of a workload (Deployment, StatefulSet) or of a Pod. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const podSpecOf = (o: K8sObject): any => (o.kind === "Pod" ? o.spec : o.spec.template.spec);

export const withPods = (objects: K8sObject[]) => objects.filter((o) => ["Deployment", "StatefulSet", "Pod"].includes(o.kind));

/** Every container (init containers first) of every object that has pods, named `Kind/name container`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function containersOf(objects: K8sObject[]): Array<{ where: string; container: any }> {
  return withPods(objects).flatMap((o) => {
    const pod = podSpecOf(o);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    return [...(pod.initContainers ?? []), ...pod.containers].map((c: any) => ({ where: `${o.kind}/${o.metadata.name} ${c.name}`, container: c }));
  });
}

/** Every optional object on (the same set tests/chart/run checks with kubeconform and kube-score as all-on). */
export const ALL_ON = [
  "--set", "global.networkPolicy.enabled=true",
  "--set", "frontend.autoscaling.enabled=true", "--set", "backend-api.autoscaling.enabled=true",
  "--set", "frontend.podDisruptionBudget.enabled=true", "--set", "backend-api.podDisruptionBudget.enabled=true",
  "--set", "frontend.ingress.enabled=true", "--set", "frontend.ingress.className=nginx",
  "--set", "frontend.httpRoute.enabled=true", "--set", "frontend.httpRoute.parentRefs[0].name=gateway",
  "--set", "frontend.metrics.serviceMonitor.enabled=true", "--set", "backend-api.metrics.serviceMonitor.enabled=true",
  "--set", "monitoring.prometheusRule.enabled=true", "--set", "monitoring.grafanaDashboard.enabled=true",
];

/**
 * The release notes (templates/NOTES.txt) as `helm install` would print them: `helm template` does
 * not render NOTES.txt, so a scratch copy of the chart renders it into a ConfigMap.
 */
export function renderNotes(args: string[] = []): string {
  const scratch = mkdtempSync(join(tmpdir(), "chart-"));
  try {
    const dir = join(scratch, "task-manager");
    cpSync(chartDir, dir, { recursive: true });
    const notes = readFileSync(join(dir, "templates/NOTES.txt"), "utf8");
    writeFileSync(join(dir, "templates/_notes.tpl"), `{{- define "test.notes" -}}\n${notes}\n{{- end -}}\n`);
    writeFileSync(join(dir, "templates/notes.yaml"), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes\ndata:\n  notes: {{ include "test.notes" . | quote }}\n');
    const r = spawnSync(HELM, ["template", "task-manager", dir, "-n", "task-manager", "--kube-version", KUBE_VERSION, "-s", "templates/notes.yaml", ...args], { env, encoding: "utf8" });
    return parse({ status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr })[0].data.notes;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
