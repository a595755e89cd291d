"""A CustomResourceDefinition's openAPIV3Schema as the strict JSON Schema manifests/validation.py validates with.

Strict as the API server's strict field validation: an object that lists its properties admits no other field
(unless the CRD marks it x-kubernetes-preserve-unknown-fields), `status` is not written by a manifest, and
`metadata` is Kubernetes' own ObjectMeta. int-or-string fields take either. Descriptions and defaults are left
out (they validate nothing); CEL rules (x-kubernetes-validations) are left out too, as jsonschema cannot run them.

`python -m manifests.crd_schema CRD.yaml --version v1 --source URL > manifests/schemas/<kind>-<group>-<version>.json`
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import yaml

OBJECT_META = "/api/_definitions.json#/$defs/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
KEPT_KEYWORDS = (
    "type",
    "enum",
    "pattern",
    "format",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minProperties",
    "maxProperties",
    "required",
)


class CrdSchemaError(Exception):
    """The CRD has no schema for the version asked for."""


def strict_schema(node: dict[str, Any], *, in_junctor: bool = False) -> dict[str, Any]:
    """One openAPIV3Schema node as strict JSON Schema. A branch of oneOf/anyOf/allOf/not only adds value checks to
    the fields its parent declares (a structural schema's rule), so it never closes an object itself."""
    if node.get("x-kubernetes-int-or-string"):
        return {"oneOf": [{"type": "integer"}, {"type": "string"}]}
    converted: dict[str, Any] = {key: node[key] for key in KEPT_KEYWORDS if key in node}
    if node.get("nullable") and "type" in converted:
        converted["type"] = [converted["type"], "null"]
    if "properties" in node:
        converted["properties"] = {
            name: strict_schema(child, in_junctor=in_junctor) for name, child in node["properties"].items()
        }
    if "items" in node:
        converted["items"] = strict_schema(node["items"], in_junctor=in_junctor)
    for combinator in ("oneOf", "anyOf", "allOf"):
        if combinator in node:
            converted[combinator] = [strict_schema(choice, in_junctor=True) for choice in node[combinator]]
    if "not" in node:
        converted["not"] = strict_schema(node["not"], in_junctor=True)
    extra = node.get("additionalProperties")
    if isinstance(extra, dict):
        converted["additionalProperties"] = strict_schema(extra)
    elif isinstance(extra, bool):
        converted["additionalProperties"] = extra
    elif "properties" in node and not in_junctor and not node.get("x-kubernetes-preserve-unknown-fields"):
        converted["additionalProperties"] = False
    return converted


def crd_json_schema(crd: dict[str, Any], version: str, source: str) -> dict[str, Any]:
    """The JSON Schema of one served version of the CRD: apiVersion and kind fixed, metadata as ObjectMeta."""
    group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
    versions = {entry["name"]: entry for entry in crd["spec"]["versions"]}
    if version not in versions:
        raise CrdSchemaError(f"{kind} has no version {version} (it has {', '.join(versions)})")
    root = versions[version]["schema"]["openAPIV3Schema"]
    properties = root.get("properties") or {}
    api_version = f"{group}/{version}"
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://kubernetes.io/api/{kind.lower()}/{group.split('.')[0]}/{version}",
        "description": f"{kind} ({api_version}), strict, from the CRD's openAPIV3Schema ({source}).",
        "type": "object",
        "required": ["apiVersion", "kind", "metadata", *[name for name in root.get("required", []) if name == "spec"]],
        "additionalProperties": False,
        "properties": {
            "apiVersion": {"type": "string", "enum": [api_version]},
            "kind": {"type": "string", "enum": [kind]},
            "metadata": {"$ref": OBJECT_META},
            **({"spec": strict_schema(properties["spec"])} if "spec" in properties else {}),
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m manifests.crd_schema", description=__doc__.splitlines()[0])
    parser.add_argument("crd", type=Path)
    parser.add_argument("--version", required=True, help="the CRD version to convert (v1)")
    parser.add_argument("--source", required=True, help="where the CRD comes from (repository, path, tag)")
    arguments = parser.parse_args(argv)
    crd = yaml.safe_load(arguments.crd.read_text())
    try:
        schema = crd_json_schema(crd, arguments.version, arguments.source)
    except CrdSchemaError as error:
        print(f"{arguments.crd}: {error}", file=sys.stderr)
        return 2
    json.dump(schema, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
