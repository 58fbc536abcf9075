#!/usr/bin/env python3
"""Convert the Kubernetes OpenAPI v2 spec (api/openapi-spec/swagger.json in the
k8s.io/kubernetes module) into standalone, strict JSON schemas laid out the way
kubeconform looks them up:  <kind>-<group>-<version>.json  (core: <kind>-<version>.json),
all lower case, e.g. deployment-apps-v1.json, service-v1.json.

Usage: openapi2jsonschema.py SWAGGER_JSON OUT_DIR

What it does to each definition that carries x-kubernetes-group-version-kind:
  * copies every definition it references (transitively) into its own `definitions`,
    rewriting `#/definitions/...` refs, so each file stands alone (no network);
  * strict: `additionalProperties: false` on every object that lists `properties`
    and does not say otherwise (an unknown field is an error, as with kubectl --validate=strict);
  * int-or-string (IntOrString, Quantity) accepts a string or a number;
  * optional fields also accept null (helm renders `key: null` / empty values that way);
  * apiVersion and kind are pinned with `enum`.
"""
import json
import os
import sys

INT_OR_STRING = {"oneOf": [{"type": "string"}, {"type": "integer"}]}
NUMBER_OR_STRING = {"oneOf": [{"type": "string"}, {"type": "number"}]}


def ref_name(ref):
    return ref.split("/")[-1]


def collect(defs, name, seen):
    if name in seen:
        return
    seen.add(name)

    def walk(node):
        if isinstance(node, dict):
            if isinstance(node.get("$ref"), str):
                collect(defs, ref_name(node["$ref"]), seen)
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(defs[name])


def transform(node, name=None):
    """Return a converted copy of a schema node."""
    if isinstance(node, list):
        return [transform(v) for v in node]
    if not isinstance(node, dict):
        return node
    if name == "io.k8s.apimachinery.pkg.util.intstr.IntOrString" or node.get("format") == "int-or-string":
        return dict(INT_OR_STRING, description=node.get("description", ""))
    if name == "io.k8s.apimachinery.pkg.api.resource.Quantity":
        return dict(NUMBER_OR_STRING, description=node.get("description", ""))
    out = {}
    for k, v in node.items():
        if k in ("x-kubernetes-group-version-kind",):
            out[k] = v
        elif k == "$ref" and isinstance(v, str):
            out[k] = "#/definitions/" + ref_name(v)
        elif k == "properties":
            out[k] = {pk: nullable(transform(pv)) for pk, pv in v.items()}
        else:
            out[k] = transform(v)
    if "properties" in out and "additionalProperties" not in out:
        out["additionalProperties"] = False
    return out


def nullable(schema):
    """Let an optional property be null too (required ones are checked by `required`)."""
    t = schema.get("type")
    if isinstance(t, str):
        return dict(schema, type=[t, "null"])
    return schema


def main():
    src, out_dir = sys.argv[1], sys.argv[2]
    with open(src) as f:
        defs = json.load(f)["definitions"]
    os.makedirs(out_dir, exist_ok=True)
    written = 0
    for name, d in sorted(defs.items()):
        gvks = d.get("x-kubernetes-group-version-kind") or []
        if "properties" not in d or "kind" not in d.get("properties", {}):
            continue
        seen = set()
        collect(defs, name, seen)
        seen.discard(name)
        for gvk in gvks:
            group, version, kind = gvk.get("group", ""), gvk["version"], gvk["kind"]
            api_version = f"{group}/{version}" if group else version
            schema = transform(d, name)
            schema["$schema"] = "http://json-schema.org/draft-07/schema#"
            schema["properties"]["apiVersion"] = {"type": "string", "enum": [api_version]}
            schema["properties"]["kind"] = {"type": "string", "enum": [kind]}
            schema["definitions"] = {n: transform(defs[n], n) for n in sorted(seen)}
            first = group.split(".")[0].lower()
            suffix = f"-{first}-{version}" if group else f"-{version}"
            path = os.path.join(out_dir, f"{kind.lower()}{suffix}.json")
            with open(path, "w") as f:
                json.dump(schema, f, separators=(",", ":"))
            written += 1
    if written < 50:
        sys.exit(f"openapi2jsonschema: only {written} schemas written from {src}; spec layout changed?")
    print(f"openapi2jsonschema: {written} schemas in {out_dir}")


if __name__ == "__main__":
    main()
