#!/usr/bin/env python3
"""Fails when openapi/openapi.json breaks clients of the last released document (openapi/released.json)
without raising info.version: a removed operation, parameter, response status, schema or property, a
changed type, a removed enum value, or a parameter or request field that became required.

    .ci/openapi-compat.py [released.json] [current.json]

After a release (or when a breaking change is intended and info.version raised), copy the document:
    cp openapi/openapi.json openapi/released.json
"""
import json
import re
import sys

METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def version(text):
    return tuple(int(p) if p.isdigit() else 0 for p in text.split("-")[0].split("."))


def types(schema):
    if not isinstance(schema, dict):
        return None
    t = schema.get("type")
    if isinstance(t, list):
        return tuple(sorted(x for x in t if x != "null"))
    return (t,) if t else None


def resolve(schema, doc):
    """A schema with its `$ref` followed (within the document), and the reference it came by."""
    ref = None
    for _ in range(16):
        if not (isinstance(schema, dict) and isinstance(schema.get("$ref"), str) and schema["$ref"].startswith("#/")):
            break
        ref = schema["$ref"]
        target = doc
        for part in ref[2:].split("/"):
            target = target.get(part, {}) if isinstance(target, dict) else {}
        schema = target
    return schema, ref


def compare_schema(where, old, new, problems, docs, seen=None):
    seen = set() if seen is None else seen
    old, old_ref = resolve(old, docs[0])
    new, new_ref = resolve(new, docs[1])
    if not isinstance(old, dict) or not isinstance(new, dict):
        return
    if old_ref or new_ref:
        if (old_ref, new_ref) in seen:
            return
        seen = seen | {(old_ref, new_ref)}
    # A union that still has a member admitting what the old schema described breaks no client.
    for key in ("anyOf", "oneOf"):
        if key in new and key not in old:
            for member in new[key]:
                trial = []
                compare_schema(where, old, member, trial, docs, seen)
                if not trial:
                    return
            problems.append(f"{where}: no member of the new {key} admits what the old schema described")
            return
    if types(old) and types(new) and types(old) != types(new):
        problems.append(f"{where}: type {types(old)} became {types(new)}")
    if "enum" in old and "enum" in new:
        for value in old["enum"]:
            if value not in new["enum"]:
                problems.append(f"{where}: enum value {value!r} removed")
    old_props, new_props = old.get("properties", {}), new.get("properties", {})
    for name, sub in old_props.items():
        if name not in new_props:
            problems.append(f"{where}.{name}: property removed")
        else:
            compare_schema(f"{where}.{name}", sub, new_props[name], problems, docs, seen)
    for name in set(new.get("required", [])) - set(old.get("required", [])):
        if name in old_props:
            problems.append(f"{where}.{name}: became required")
    for key in ("allOf", "oneOf", "anyOf"):
        for i, (o, n) in enumerate(zip(old.get(key, []), new.get(key, []))):
            compare_schema(f"{where}.{key}[{i}]", o, n, problems, docs, seen)
    if "items" in old and "items" in new:
        compare_schema(f"{where}[]", old["items"], new["items"], problems, docs, seen)


def normalized(path):
    return re.sub(r"\{[^}]*\}", "{}", path)


def param_key(path, param):
    """A parameter's identity: its name and place, or for a path parameter its position."""
    if param["in"] == "path":
        names = re.findall(r"\{([^}]*)\}", path)
        if param["name"] in names:
            return (f"path segment {names.index(param['name']) + 1}", "path")
    return (param["name"], param["in"])


def main():
    released_path = sys.argv[1] if len(sys.argv) > 1 else "openapi/released.json"
    current_path = sys.argv[2] if len(sys.argv) > 2 else "openapi/openapi.json"
    released, current = (json.load(open(p, encoding="utf-8")) for p in (released_path, current_path))
    old_version, new_version = released["info"]["version"], current["info"]["version"]
    if version(new_version) > version(old_version):
        print(f"OpenAPI compatibility: version raised {old_version} -> {new_version}; breaking changes allowed")
        return 0
    problems = []
    docs = (released, current)
    # A path parameter's name is not on the wire: `/articles/{id}` and `/articles/{key}` are one
    # path to a client, and their parameters are compared by position.
    current_paths = {normalized(path): (path, item) for path, item in current["paths"].items()}
    for path, item in released["paths"].items():
        new_path, new_item = current_paths.get(normalized(path), (None, None))
        if new_item is None:
            problems.append(f"{path}: path removed")
            continue
        for method in METHODS:
            if method not in item:
                continue
            op, new_op = item[method], new_item.get(method)
            where = f"{method.upper()} {path}"
            if new_op is None:
                problems.append(f"{where}: operation removed")
                continue
            old_params = {param_key(path, p): p for p in op.get("parameters", [])}
            new_params = {param_key(new_path, p): p for p in new_op.get("parameters", [])}
            for key, param in old_params.items():
                if key not in new_params:
                    problems.append(f"{where}: parameter {key[0]} ({key[1]}) removed")
                else:
                    compare_schema(f"{where} parameter {key[0]}", param.get("schema"), new_params[key].get("schema"), problems, docs)
            for key, param in new_params.items():
                if key not in old_params and param.get("required"):
                    problems.append(f"{where}: new required parameter {key[0]} ({key[1]})")
            for status in op.get("responses", {}):
                if status not in new_op.get("responses", {}):
                    problems.append(f"{where}: response {status} removed")
    old_schemas = released.get("components", {}).get("schemas", {})
    new_schemas = current.get("components", {}).get("schemas", {})
    for name, schema in old_schemas.items():
        if name not in new_schemas:
            problems.append(f"schema {name}: removed")
        else:
            compare_schema(f"schema {name}", schema, new_schemas[name], problems, docs)
    if problems:
        print("OpenAPI compatibility: changes that break clients of the released document "
              f"(version {old_version}); raise info.version (Cargo.toml) or undo them:", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    print(f"OpenAPI compatibility: no breaking change since the released document (version {old_version})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
