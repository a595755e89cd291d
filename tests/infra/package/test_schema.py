"""The package's committed files are what the code gives: the args derived from infra/config/, the schema the
Pulumi SDK's analyzer infers from the components, and the pins Pulumi installs for the plugin."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from infra import config
from infra.package import generate
from infra.package.args import InferenceServiceArgs

PROJECT_ROOT = Path(__file__).resolve().parents[3]


def _pins(requirements: Path) -> set[str]:
    lines = (line.strip() for line in requirements.read_text().splitlines())
    return {line for line in lines if line and not line.startswith("#")}


def test_the_committed_args_are_derived_from_the_config_sections() -> None:
    assert generate.ARGS_FILE.read_text() == generate.args_source(), "run: python -m infra.package.generate"


def test_the_committed_schema_is_what_the_analyzer_infers_from_the_components() -> None:
    assert json.loads(generate.SCHEMA_FILE.read_text()) == generate.schema(), "run: python -m infra.package.generate"


def test_the_service_takes_every_key_a_stack_file_has_by_the_same_name() -> None:
    schema = generate.schema()
    inputs = schema["resources"]["inference:index:InferenceService"]["inputProperties"]

    assert set(inputs) == {"project", "region", *config.KNOWN_KEYS}
    assert set(InferenceServiceArgs.__annotations__) == set(inputs)


def test_each_section_type_has_the_keys_of_its_config_section() -> None:
    types = generate.schema()["types"]
    for name, section in {**config.SECTIONS, **config.OPTIONAL_SECTIONS}.items():
        keys = {field.alias for field in section.model_fields.values()}
        assert set(types[f"inference:index:{section.__name__}"]["properties"]) == keys, name


def test_a_section_default_is_stated_in_the_schema() -> None:
    service = generate.schema()["types"]["inference:index:ServiceSettings"]["properties"]

    assert service["memory"]["description"].endswith(f"Default: {config.ServiceSettings().memory}.")
    assert service["memory"]["type"] == "string" and service["minInstances"]["type"] == "integer"


def test_the_plugin_is_a_python_plugin_pinned_as_the_project() -> None:
    plugin = yaml.safe_load((generate.PACKAGE_DIR / "PulumiPlugin.yaml").read_text())

    assert plugin["runtime"]["name"] == "python"
    assert _pins(generate.PACKAGE_DIR / "requirements.txt") == _pins(PROJECT_ROOT / "requirements.txt")
