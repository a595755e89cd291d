"""The README's examples of using the package from another program: every input and output they name is in the
committed schema, and their values pass the config's validation."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.config import load_stack_config
from infra.package import generate

PROJECT_ROOT = generate.PROJECT_ROOT
SECTION = "## Use it from your own Pulumi program"
SCHEMA = yaml.safe_load(generate.SCHEMA_FILE.read_text())
SERVICE = SCHEMA["resources"]["inference:index:InferenceService"]


def _code_block(language: str) -> str:
    readme = (PROJECT_ROOT / "README.md").read_text()
    section = readme[readme.index(SECTION) :]
    section = section[: section.index("\n## ", len(SECTION))]
    (block,) = re.findall(rf"```{language}\n(.*?)```", section, flags=re.DOTALL)
    return block


def _typescript_properties() -> dict[str, Any]:
    """The object literal given to `new inference.InferenceService(...)` (written as a YAML flow mapping would be)."""
    code = _code_block("typescript")
    start = code.index("{", code.index("new inference.InferenceService("))
    depth = 0
    for index in range(start, len(code)):
        depth += {"{": 1, "}": -1}.get(code[index], 0)
        if depth == 0:
            return yaml.safe_load(code[start : index + 1])
    raise AssertionError("the object literal in the TypeScript example has unbalanced braces")


def _yaml_program() -> dict[str, Any]:
    return yaml.safe_load(_code_block("yaml"))


def _unknown_names(value: Any, properties: dict[str, Any], path: str = "") -> list[str]:
    unknown = []
    for key, element in value.items():
        where = f"{path}{key}"
        if key not in properties:
            unknown.append(where)
            continue
        declared = properties[key]
        reference = declared.get("$ref") or declared.get("items", {}).get("$ref")
        if reference and isinstance(element, dict | list):
            nested = SCHEMA["types"][reference.removeprefix("#/types/")]["properties"]
            for item in element if isinstance(element, list) else [element]:
                unknown += _unknown_names(item, nested, f"{where}.")
    return unknown


def _yaml_service() -> dict[str, Any]:
    (resource,) = _yaml_program()["resources"].values()
    assert resource["type"] == "inference:InferenceService"
    return resource["properties"]


def test_the_typescript_example_uses_only_the_schemas_inputs_and_outputs() -> None:
    outputs = re.findall(r"embeddings\.(\w+)", _code_block("typescript"))

    assert _unknown_names(_typescript_properties(), SERVICE["inputProperties"]) == []
    assert outputs and set(outputs) <= set(SERVICE["properties"])


def test_the_yaml_example_uses_only_the_schemas_inputs_and_outputs() -> None:
    outputs = re.findall(r"\$\{embeddings\.(\w+)\}", _code_block("yaml"))

    assert _unknown_names(_yaml_service(), SERVICE["inputProperties"]) == []
    assert outputs and set(outputs) <= set(SERVICE["properties"])


@pytest.mark.parametrize("example", ["typescript", "yaml"])
def test_the_examples_values_pass_the_configs_validation(example: str) -> None:
    properties = _typescript_properties() if example == "typescript" else _yaml_service()
    raw = {"gcp:project": "my-inference-dev", "gcp:region": "us-central1"}
    raw.update({f"inference:{key}": value for key, value in properties.items()})

    config = load_stack_config(raw, stack_file="README", stack="embeddings", project_dir=Path(PROJECT_ROOT))

    assert config.name_prefix == "inference-embeddings"
