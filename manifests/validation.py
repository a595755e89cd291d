"""Strict schema validation of rendered manifests: built-in kinds against kubernetes-validate's schemas, custom
resources against the CRD schemas shipped in manifests/schemas/. A kind with no schema is an error, never a skip.

`python -m manifests.validation [-k 1.33] FILE...` prints one line per file and exits 1 on any invalid or
unknown object (kubernetes-validate's own CLI only warns on a kind it has no schema for).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import yaml
from kubernetes_validate.utils import schema_contents
from referencing import Registry, Resource

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
DEFAULT_KUBERNETES_VERSION = "1.33"


class ManifestInvalidError(Exception):
    """A manifest does not validate, or nothing says what it should look like."""


def shipped_schema_name(manifest: dict[str, Any]) -> str:
    """`podmonitoring-monitoring-v1.json` for monitoring.googleapis.com/v1 PodMonitoring (kubernetes-validate's
    naming: the kind, the API group's first label, the version)."""
    api_version = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", str(manifest.get("apiVersion", "")))
    return f"{str(manifest.get('kind', '')).lower()}-{api_version}.json"


def shipped_kinds() -> list[str]:
    return sorted(path.name for path in SCHEMA_DIR.glob("*.json"))


@cache
def _shipped_validator(schema_name: str, kubernetes_version: str) -> jsonschema.Draft202012Validator:
    schema = json.loads((SCHEMA_DIR / schema_name).read_text())
    version = kubernetes_validate.utils.all_versions()
    chosen = [candidate for candidate in version if candidate.rsplit(".", 1)[0] <= kubernetes_version][-1]
    definitions = schema_contents(f"kubernetes-json-schema/v{chosen}-local-strict/_definitions.json", chosen)
    registry = Resource.from_contents(schema) @ (Resource.from_contents(definitions) @ Registry())
    return jsonschema.Draft202012Validator(schema, registry=registry)


def validate_manifest(manifest: dict[str, Any], kubernetes_version: str = DEFAULT_KUBERNETES_VERSION) -> None:
    """Raise ManifestInvalidError unless the object validates strictly against its schema."""
    schema_name = shipped_schema_name(manifest)
    if (SCHEMA_DIR / schema_name).exists():
        errors = sorted(
            _shipped_validator(schema_name, kubernetes_version).iter_errors(manifest), key=lambda error: error.path
        )
        if errors:
            first = errors[0]
            where = ".".join(str(part) for part in first.path) or "(the object)"
            raise ManifestInvalidError(f"{where}: {first.message}")
        return
    try:
        kubernetes_validate.validate(manifest, kubernetes_version, strict=True)
    except kubernetes_validate.ValidationError as error:
        where = ".".join(str(part) for part in error.path) or "(the object)"
        raise ManifestInvalidError(f"{where}: {error.message}") from None
    except kubernetes_validate.utils.SchemaNotFoundError as error:
        raise ManifestInvalidError(
            f"{error.message}: ship its CRD schema as manifests/schemas/{schema_name} (shipped: "
            f"{', '.join(shipped_kinds()) or 'none'})"
        ) from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m manifests.validation", description=__doc__.splitlines()[0])
    parser.add_argument("-k", "--kubernetes-version", default=DEFAULT_KUBERNETES_VERSION)
    parser.add_argument("files", nargs="+", type=Path)
    arguments = parser.parse_args(argv)
    failures = 0
    for path in arguments.files:
        for manifest in yaml.safe_load_all(path.read_text()):
            if not manifest:
                continue
            try:
                validate_manifest(manifest, arguments.kubernetes_version)
            except ManifestInvalidError as error:
                failures += 1
                print(f"ERROR {path}: {manifest.get('kind')}/{(manifest.get('metadata') or {}).get('name')}: {error}")
            else:
                print(f"OK {path}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
