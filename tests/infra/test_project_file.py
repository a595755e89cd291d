"""Pulumi.yaml: the project's config declarations match what infra/config/ reads, and reach the program."""

from __future__ import annotations

from pathlib import Path

import yaml

from infra.config import KNOWN_KEYS, NAMESPACE, SECTIONS
from infra.stack_file import read_stack_file

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PROJECT = yaml.safe_load((PROJECT_ROOT / "Pulumi.yaml").read_text())


def test_the_project_runs_infra_with_python_pip_and_a_virtualenv():
    assert PROJECT["name"] == NAMESPACE
    assert PROJECT["main"] == "infra/"
    assert PROJECT["runtime"] == {"name": "python", "options": {"toolchain": "pip", "virtualenv": ".venv"}}


def test_every_config_key_the_program_reads_is_declared_and_nothing_else():
    assert set(PROJECT["config"]) == set(KNOWN_KEYS)


def test_every_declaration_has_a_type_a_description_and_a_default():
    for key, declaration in PROJECT["config"].items():
        assert declaration["type"] in {"string", "object"}, key
        assert declaration["description"].strip(), key
        assert "default" in declaration, f"{key}: without a default every stack file would have to set it"


def test_project_defaults_reach_the_program_and_the_stack_file_overrides_them():
    _project, config, _secret_keys = read_stack_file("dev", PROJECT_ROOT)
    assert config["inference:gke"] == "{}", "undeclared in Pulumi.dev.yaml, the project default applies"
    assert config["inference:environment"] == "dev"
    _project, prod_config, _secret_keys = read_stack_file("prod", PROJECT_ROOT)
    assert prod_config["inference:environment"] == "prod"


def test_each_sections_description_names_every_key_the_section_takes():
    for section, model in SECTIONS.items():
        description = PROJECT["config"][section]["description"]
        keys = [field.alias or name for name, field in model.model_fields.items()]
        assert [key for key in keys if key not in description] == [], section
