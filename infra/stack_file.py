"""Reading Pulumi.yaml and Pulumi.<stack>.yaml as the Pulumi CLI does: the config the engine hands the program.

Light on purpose: a plan-cache hit imports this module (for ConfigError) without YAML or the config schema.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any


class ConfigError(Exception):
    """The stack configuration is invalid; `messages` holds one line per problem."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("\n".join(messages))
        self.messages = messages


def engine_config_value(value: Any) -> str:
    """Pulumi hands every config value to the program as a string; objects and lists as JSON."""
    return value if isinstance(value, str) else json.dumps(value)


def project_defaults(project_document: Mapping[str, Any], project: str) -> dict[str, Any]:
    """What Pulumi.yaml's `config:` block gives every stack: declared defaults and plain values."""
    defaults: dict[str, Any] = {}
    for key, declaration in (project_document.get("config") or {}).items():
        full_key = key if ":" in key else f"{project}:{key}"
        if isinstance(declaration, dict) and "type" in declaration:
            if "default" in declaration:
                defaults[full_key] = engine_config_value(declaration["default"])
        elif isinstance(declaration, dict) and "value" in declaration:
            defaults[full_key] = engine_config_value(declaration["value"])
        else:
            defaults[full_key] = engine_config_value(declaration)
    return defaults


def read_stack_file(stack: str, project_dir: Path) -> tuple[str, dict[str, Any], set[str]]:
    """Read Pulumi.yaml and Pulumi.<stack>.yaml as the CLI would: project name, config for the engine, secret keys.

    `secure:` values cannot be decrypted here; they are replaced by a placeholder and kept secret.
    """
    import yaml  # here, not at the top: a plan-cache hit never parses YAML

    project_file = project_dir / "Pulumi.yaml"
    stack_file = project_dir / f"Pulumi.{stack}.yaml"
    if not project_file.is_file():
        raise ConfigError([f"{project_file}: not found (run from the project root or pass project_dir)"])
    if not stack_file.is_file():
        known = sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in project_dir.glob("Pulumi.*.yaml"))
        raise ConfigError([f"{stack_file.name}: no such stack file (stacks here: {', '.join(known) or 'none'})"])
    project_document = yaml.safe_load(project_file.read_text())
    project = project_document["name"]
    try:
        stack_document = yaml.safe_load(stack_file.read_text()) or {}
    except yaml.YAMLError as error:
        raise ConfigError([f"{stack_file.name}: not valid YAML: {error}"]) from error
    raw_config = stack_document.get("config") or {}
    if not isinstance(raw_config, dict):
        raise ConfigError([f"{stack_file.name}: config: must be a mapping of keys to values"])
    engine_config: dict[str, Any] = project_defaults(project_document, project)
    secret_keys: set[str] = set()
    for key, value in raw_config.items():
        full_key = key if ":" in key else f"{project}:{key}"
        if isinstance(value, dict) and set(value) == {"secure"}:
            engine_config[full_key] = f"[secure value of {full_key}]"
            secret_keys.add(full_key)
        else:
            engine_config[full_key] = engine_config_value(value)
    return project, engine_config, secret_keys
