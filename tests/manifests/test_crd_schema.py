"""The CRD → strict JSON Schema conversion the shipped Gateway API and GKE policy schemas were made with: objects
that list their fields admit no other, int-or-string takes either, oneOf branches only add checks, status and
descriptions are left out, and the schema it makes validates with manifests/validation.py's registry."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from manifests.crd_schema import CrdSchemaError, crd_json_schema, strict_schema

CRD: dict[str, Any] = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "spec": {
        "group": "example.gke.io",
        "names": {"kind": "Widget"},
        "versions": [
            {
                "name": "v1",
                "schema": {
                    "openAPIV3Schema": {
                        "type": "object",
                        "required": ["spec"],
                        "properties": {
                            "apiVersion": {"type": "string"},
                            "kind": {"type": "string"},
                            "metadata": {"type": "object"},
                            "spec": {
                                "type": "object",
                                "description": "left out",
                                "properties": {
                                    "port": {"x-kubernetes-int-or-string": True},
                                    "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
                                    "address": {
                                        "type": "object",
                                        "properties": {"type": {"type": "string"}, "value": {"type": "string"}},
                                        "oneOf": [
                                            {"properties": {"type": {"enum": ["IP"]}}},
                                            {"properties": {"type": {"not": {"enum": ["IP"]}}}},
                                        ],
                                    },
                                },
                            },
                            "status": {"type": "object"},
                        },
                    }
                },
            }
        ],
    },
}


def validator() -> jsonschema.Draft202012Validator:
    schema = crd_json_schema(CRD, "v1", "a test CRD")
    schema["properties"]["metadata"] = {"type": "object"}
    return jsonschema.Draft202012Validator(schema)


def widget(**spec: Any) -> dict[str, Any]:
    return {"apiVersion": "example.gke.io/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": spec}


def test_a_listed_object_admits_no_other_field_and_descriptions_go() -> None:
    schema = strict_schema(CRD["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"])
    assert schema["additionalProperties"] is False
    assert "description" not in schema
    assert not validator().is_valid(widget(prot=80))


def test_int_or_string_takes_either_and_preserved_fields_take_anything() -> None:
    assert validator().is_valid(widget(port=80, free={"anything": [1]}))
    assert validator().is_valid(widget(port="http"))
    assert not validator().is_valid(widget(port=[80]))


def test_a_one_of_branch_checks_values_without_closing_the_object() -> None:
    assert validator().is_valid(widget(address={"type": "NamedAddress", "value": "my-ip"}))
    assert not validator().is_valid(widget(address={"type": "NamedAddress", "valu": "my-ip"}))


def test_api_version_and_kind_are_fixed_and_status_is_not_written() -> None:
    assert not validator().is_valid({**widget(), "apiVersion": "example.gke.io/v2"})
    assert not validator().is_valid({**widget(), "status": {}})


def test_a_version_the_crd_lacks_is_an_error_naming_the_ones_it_has() -> None:
    with pytest.raises(CrdSchemaError, match="Widget has no version v2 \\(it has v1\\)"):
        crd_json_schema(CRD, "v2", "a test CRD")


def test_the_command_writes_the_schema_and_exits_2_on_a_missing_version(tmp_path: Path) -> None:
    crd_file = tmp_path / "widgets.yaml"
    crd_file.write_text(yaml.safe_dump(CRD))
    command = [sys.executable, "-m", "manifests.crd_schema", str(crd_file), "--source", "test"]

    written = subprocess.run([*command, "--version", "v1"], capture_output=True, text=True, check=False)
    missing = subprocess.run([*command, "--version", "v2"], capture_output=True, text=True, check=False)

    assert written.returncode == 0 and json.loads(written.stdout)["properties"]["kind"] == {
        "type": "string",
        "enum": ["Widget"],
    }
    assert missing.returncode == 2 and "no version v2" in missing.stderr
