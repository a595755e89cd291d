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


def _code_blocks(language: str) -> list[str]:
    readme = (PROJECT_ROOT / "README.md").read_text()
    section = readme[readme.index(SECTION) :]
    section = section[: section.index("\n## ", len(SECTION))]
    return re.findall(rf"```{language}\n(.*?)```", section, flags=re.DOTALL)


def _object_literal(code: str, start: int) -> Any:
    """The `{...}` starting at `start` (the examples write them as YAML flow mappings read)."""
    depth = 0
    for index in range(start, len(code)):
        depth += {"{": 1, "}": -1}.get(code[index], 0)
        if depth == 0:
            return yaml.safe_load(code[start : index + 1])
    raise AssertionError("an object literal in the TypeScript example has unbalanced braces")


def _typescript_resources() -> list[tuple[str, str, dict[str, Any]]]:
    """Each `const <variable> = new inference.<Component>("name", {...})`: variable, component, properties."""
    found = []
    for code in _code_blocks("typescript"):
        for match in re.finditer(r"const (\w+) = new inference\.(\w+)\(", code):
            properties = _object_literal(code, code.index("{", match.end()))
            found.append((match[1], match[2], properties))
    return found


def _typescript_outputs() -> list[tuple[str, str]]:
    """(component, output) for each `<variable>.<output>` the TypeScript examples read."""
    components = {variable: component for variable, component, _properties in _typescript_resources()}
    code = "\n".join(_code_blocks("typescript"))
    return [
        (components[variable], output)
        for variable, output in re.findall(r"\b(\w+)\.(\w+)\b", code)
        if variable in components
    ]


def _typescript_properties() -> dict[str, Any]:
    (properties,) = [
        properties for _v, component, properties in _typescript_resources() if component == "InferenceService"
    ]
    return properties


def _yaml_program() -> dict[str, Any]:
    (program,) = _code_blocks("yaml")
    return yaml.safe_load(program)


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


def test_the_typescript_examples_use_only_the_schemas_inputs_and_outputs() -> None:
    resources = _typescript_resources()
    unknown = [
        f"{component}.{name}"
        for _variable, component, properties in resources
        for name in _unknown_names(properties, SCHEMA["resources"][f"inference:index:{component}"]["inputProperties"])
    ]
    missing = [
        f"{component}.{name}"
        for _variable, component, properties in resources
        for name in SCHEMA["resources"][f"inference:index:{component}"].get("requiredInputs", [])
        if name not in properties
    ]
    outputs = _typescript_outputs()

    assert missing == []
    assert {component for _variable, component, _properties in resources} >= {
        "InferenceService",
        "Network",
        "RedisCache",
    }
    assert unknown == []
    assert outputs
    assert [o for o in outputs if o[1] not in SCHEMA["resources"][f"inference:index:{o[0]}"]["properties"]] == []


def test_the_yaml_example_uses_only_the_schemas_inputs_and_outputs() -> None:
    (program,) = _code_blocks("yaml")
    outputs = re.findall(r"\$\{embeddings\.(\w+)\}", program)

    assert _unknown_names(_yaml_service(), SERVICE["inputProperties"]) == []
    assert outputs and set(outputs) <= set(SERVICE["properties"])


@pytest.mark.parametrize("example", ["typescript", "yaml"])
def test_the_examples_values_pass_the_configs_validation(example: str) -> None:
    properties = _typescript_properties() if example == "typescript" else _yaml_service()
    raw = {"gcp:project": "my-inference-dev", "gcp:region": "us-central1"}
    raw.update({f"inference:{key}": value for key, value in properties.items()})

    config = load_stack_config(raw, stack_file="README", stack="embeddings", project_dir=Path(PROJECT_ROOT))

    assert config.name_prefix == "inference-embeddings"
