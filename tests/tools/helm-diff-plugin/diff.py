#!/usr/bin/env python3
"""`helm diff upgrade` -- task-manager's minimal substitute for the databus23/helm-diff plugin.

Implements exactly what `helmfile diff` / `helmfile apply` call (helmfile v1.8 pkg/helmexec/exec.go):

    helm diff upgrade --allow-unreleased NAME CHART [--detailed-exitcode] [--context N]
        [--reset-values|--reuse-values] [--namespace NS] [--values F]... [--set K=V]... [--version V]
        [--kube-context C] [--no-color|--color] [--suppress-secrets|--show-secrets] ...

The current state is `helm get manifest NAME` (hooks excluded); the proposed state is the `manifest`
of `helm upgrade --install --dry-run=server -o json` with the same chart and values flags, so
`lookup` sees the cluster exactly as a real upgrade would (the chart keeps its generated database
password that way). Both are split into resources, keyed by kind/namespace/name, and printed as a
unified diff per resource. Secret `data`/`stringData` values are shown as a short hash unless
--show-secrets. Exit 0: no difference; with --detailed-exitcode, 2 when there is one; 1 on error.
"""
import difflib
import hashlib
import json
import os
import re
import subprocess
import sys

HELM = os.environ.get("HELM_BIN", "helm")
# flags forwarded to helm (template-relevant), which take a value
PASS_VALUE = {"--namespace", "-n", "--values", "-f", "--set", "--set-string", "--set-file", "--set-json",
              "--set-literal", "--version", "--kube-context", "--post-renderer", "--post-renderer-args",
              "--timeout", "--repo", "--username", "--password",
              "--ca-file", "--cert-file", "--key-file", "--keyring", "--registry-config"}
PASS_BOOL = {"--reset-values", "--reuse-values", "--devel", "--skip-schema-validation", "--take-ownership",
             "--insecure-skip-tls-verify", "--plain-http", "--enable-dns", "--verify", "--no-hooks"}
# helm-diff's own flags
OWN_VALUE = {"--context", "-C", "--output", "--suppress", "--suppress-output-line-regex",
             # `helm template` flags: a server-side dry run uses the cluster's own version and APIs
             "--kube-version", "--api-versions", "-a"}
OWN_BOOL = {"--detailed-exitcode", "--allow-unreleased", "--no-color", "--color", "--include-tests",
            "--suppress-secrets", "--show-secrets", "--strip-trailing-cr", "--disable-validation",
            "--disable-openapi-validation", "--install", "--normalize-manifests", "--three-way-merge"}


def die(msg):
    print(f"Error: helm diff: {msg}", file=sys.stderr)
    sys.exit(1)


def parse(argv):
    if not argv or argv[0] != "upgrade":
        die("only `helm diff upgrade [flags] RELEASE CHART` is implemented (our minimal substitute)")
    opts = {"context": 10, "detailed": False, "show_secrets": False, "unreleased": False,
            "namespace": os.environ.get("HELM_NAMESPACE") or "default", "kube_context": None,
            "suppress": [], "include_tests": False}
    helm_args, positional = [], []
    it = iter(argv[1:])
    for arg in it:
        name, eq, inline = arg.partition("=")
        if not arg.startswith("-"):
            positional.append(arg)
            continue
        if name in PASS_VALUE or name in OWN_VALUE:
            value = inline if eq else next(it, None)
            if value is None:
                die(f"flag {name} needs a value")
            if name in PASS_VALUE:
                helm_args += [name, value]
            if name in ("--namespace", "-n"):
                opts["namespace"] = value
            elif name == "--kube-context":
                opts["kube_context"] = value
            elif name in ("--context", "-C"):
                opts["context"] = int(value)
            elif name == "--suppress":
                opts["suppress"].append(value.lower())
            elif name == "--output" and value not in ("diff", "simple"):
                die(f"--output {value} is not implemented (only the unified diff)")
        elif name in PASS_BOOL:
            helm_args.append(arg)
        elif name in OWN_BOOL:
            opts["detailed"] |= name == "--detailed-exitcode"
            opts["show_secrets"] |= name == "--show-secrets"
            opts["unreleased"] |= name == "--allow-unreleased"
            opts["include_tests"] |= name == "--include-tests"
        else:
            die(f"unknown flag {arg} (not implemented by this minimal substitute)")
    if len(positional) != 2:
        die(f"want RELEASE and CHART, got {positional}")
    return opts, helm_args, positional[0], positional[1]


def helm(args, opts, check=True):
    base = [HELM]
    if opts["kube_context"]:
        base += ["--kube-context", opts["kube_context"]]
    p = subprocess.run(base + args, capture_output=True, text=True)
    if check and p.returncode != 0:
        sys.stderr.write(p.stderr)
        die(f"`helm {' '.join(args[:2])} ...` failed (exit {p.returncode})")
    return p


def resources(manifest, opts):
    """{ 'kind namespace/name': text } of a multi-document manifest."""
    out = {}
    for doc in re.split(r"^---\s*$", manifest or "", flags=re.M):
        lines = [l for l in doc.splitlines() if l.strip() and not l.startswith("# Source:")]
        if not lines:
            continue
        text = "\n".join(lines)
        kind = re.search(r"^kind:\s*(\S+)", text, re.M)
        name = re.search(r"^metadata:\n(?:  .*\n)*?  name:\s*(\S+)", text + "\n", re.M)
        ns = re.search(r"^metadata:\n(?:  .*\n)*?  namespace:\s*(\S+)", text + "\n", re.M)
        kind = kind.group(1) if kind else "?"
        if kind.lower() in opts["suppress"]:
            continue
        if kind == "Secret" and not opts["show_secrets"]:
            text = redact(text)
        key = f"{kind} {ns.group(1) if ns else opts['namespace']}/{name.group(1) if name else '?'}"
        out[key] = text
    return out


def redact(text):
    """Secret data values -> a short hash of the value, so a change shows and a value does not."""
    out, in_data = [], False
    for line in text.splitlines():
        if re.match(r"^(data|stringData):\s*$", line):
            in_data = True
        elif not line.startswith("  "):
            in_data = False
        elif in_data:
            m = re.match(r"^(  [^:]+):\s*(.*)$", line)
            if m:
                line = f"{m.group(1)}: (redacted, sha256 {hashlib.sha256(m.group(2).encode()).hexdigest()[:12]})"
        out.append(line)
    return "\n".join(out)


def main():
    opts, helm_args, release, chart = parse(sys.argv[1:])
    ns = opts["namespace"]
    have = helm(["status", release, "-n", ns, "-o", "json"], opts, check=False)
    if have.returncode == 0:
        current = helm(["get", "manifest", release, "-n", ns], opts).stdout
        if opts["include_tests"]:
            current += "\n---\n" + helm(["get", "hooks", release, "-n", ns], opts).stdout
    elif opts["unreleased"] and "not found" in have.stderr:
        current = ""
    else:
        sys.stderr.write(have.stderr)
        die(f"release {release} not found in namespace {ns} (use --allow-unreleased)")
    dry = helm(["upgrade", release, chart, "--install", "--dry-run=server", "-o", "json"] + helm_args, opts)
    rel = json.loads(dry.stdout)
    proposed = rel.get("manifest", "")
    if opts["include_tests"]:
        proposed += "".join("\n---\n" + h.get("manifest", "") for h in rel.get("hooks") or [])
    old, new = resources(current, opts), resources(proposed, opts)
    changed = False
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key, ""), new.get(key, "")
        if a == b:
            continue
        changed = True
        verb = "added" if not a else "removed" if not b else "changed"
        print(f"{ns}, {key.split(' ', 1)[1].split('/', 1)[1]}, {key.split(' ')[0]} ({verb}):")
        sys.stdout.writelines(difflib.unified_diff(
            [l + "\n" for l in a.splitlines()], [l + "\n" for l in b.splitlines()],
            fromfile=f"{key} (release)", tofile=f"{key} (upgrade)", n=opts["context"]))
        print()
    if changed and opts["detailed"]:
        sys.exit(2)


if __name__ == "__main__":
    main()
