"""A stack's policy: the rules with that stack's exceptions applied, evaluated over an offline plan.

Exceptions live in policy/config/<stack>.json, in the format `pulumi preview --policy-pack-config` reads, so
CrossGuard and `python -m infra.cli check` grant exactly the same ones:

    {"cloudrun-no-public-invoker": {"enforcementLevel": "advisory", "reason": "public demo endpoint"},
     "labels-present": {"exemptResources": ["inference-cmp-legacy-bucket"], "reason": "imported, unmanaged"}}

Every entry that lowers a rule or exempts a resource must say why in `reason`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from plan import PlannedResource
from policy.rules import DEFAULT_LEVELS, RULES_BY_NAME, STACK_RULES_BY_NAME, Declared, Level

POLICY_CONFIG_DIR = Path(__file__).resolve().parent / "config"
EXEMPT_RESOURCES_KEY = "exemptResources"
REASON_KEY = "reason"
ENFORCEMENT_LEVEL_KEY = "enforcementLevel"
CONFIG_KEYS = (ENFORCEMENT_LEVEL_KEY, EXEMPT_RESOURCES_KEY, REASON_KEY)


class PolicyConfigError(ValueError):
    """A stack's policy config is malformed; the message names the file and the entry."""


@dataclass(frozen=True)
class RuleSetting:
    level: Level
    exempt_resources: frozenset[str] = frozenset()
    reason: str | None = None


@dataclass(frozen=True)
class Violation:
    stack: str
    resource: str
    resource_type: str
    rule: str
    level: Level
    message: str

    def __str__(self) -> str:
        return f"[{self.level}] {self.resource} ({self.resource_type}) {self.rule}: {self.message}"


def exempt_resources(rule_config: Mapping[str, Any]) -> frozenset[str]:
    """The resource names a rule's config exempts (CrossGuard passes the same mapping to the pack)."""
    return frozenset(str(name) for name in rule_config.get(EXEMPT_RESOURCES_KEY) or ())


def policy_config_path(stack: str, config_dir: Path = POLICY_CONFIG_DIR) -> Path:
    return config_dir / f"{stack}.json"


def default_settings() -> dict[str, RuleSetting]:
    return {name: RuleSetting(level) for name, level in DEFAULT_LEVELS.items()}


def parse_policy_config(document: Any, source: str) -> dict[str, RuleSetting]:
    """Every rule's setting for a stack: the defaults, overridden by the document's entries."""
    if not isinstance(document, Mapping):
        raise PolicyConfigError(f"{source}: expected a JSON object keyed by rule name")
    settings = default_settings()
    problems = []
    for name, entry in document.items():
        where = f"{source}: '{name}'"
        if name not in DEFAULT_LEVELS:
            problems.append(f"{where} is not a rule; known rules: {', '.join(sorted(DEFAULT_LEVELS))}")
            continue
        try:
            settings[name] = _parse_entry(entry, DEFAULT_LEVELS[name])
        except ValueError as error:
            problems.append(f"{where}: {error}")
    if problems:
        raise PolicyConfigError("\n".join(problems))
    return settings


def _parse_entry(entry: Any, default_level: Level) -> RuleSetting:
    if isinstance(entry, str):
        entry = {ENFORCEMENT_LEVEL_KEY: entry}
    if not isinstance(entry, Mapping):
        raise ValueError("expected an enforcement level or an object")
    unknown = sorted(set(entry) - set(CONFIG_KEYS))
    if unknown:
        raise ValueError(f"unknown keys {', '.join(unknown)}; allowed: {', '.join(CONFIG_KEYS)}")
    level_text = entry.get(ENFORCEMENT_LEVEL_KEY, default_level.value)
    if level_text not in {level.value for level in Level}:
        raise ValueError(f"enforcementLevel '{level_text}' is not one of {', '.join(level.value for level in Level)}")
    exempt = entry.get(EXEMPT_RESOURCES_KEY, [])
    if not isinstance(exempt, list) or not all(isinstance(name, str) for name in exempt):
        raise ValueError("exemptResources must be a list of resource names")
    level = Level(level_text)
    reason = entry.get(REASON_KEY)
    weakened = exempt or _rank(level) < _rank(default_level)
    if weakened and not (isinstance(reason, str) and reason.strip()):
        raise ValueError("an exception must give its reason in 'reason'")
    return RuleSetting(level, exempt_resources(entry), reason)


def _rank(level: Level) -> int:
    return (Level.DISABLED, Level.ADVISORY, Level.MANDATORY).index(level)


def load_policy_config(stack: str, config_dir: Path = POLICY_CONFIG_DIR) -> dict[str, RuleSetting]:
    """The stack's rule settings; a stack without a config file gets every rule at its default level."""
    path = policy_config_path(stack, config_dir)
    if not path.exists():
        return default_settings()
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise PolicyConfigError(f"{path}: not valid JSON ({error})") from error
    return parse_policy_config(document, str(path))


def evaluate_resources(
    stack: str, resources: Iterable[PlannedResource], settings: Mapping[str, RuleSetting]
) -> list[Violation]:
    """Every violation among a plan's resources, at the levels the stack's policy config sets."""
    declared = [Declared(resource.type, resource.name, resource.inputs) for resource in resources if resource.custom]
    types = {resource.name: resource.resource_type for resource in declared}
    violations = []
    for resource in declared:
        for rule_name, rule in RULES_BY_NAME.items():
            setting = settings[rule_name]
            if setting.level is Level.DISABLED or resource.name in setting.exempt_resources:
                continue
            for message in rule.check(resource.resource_type, resource.props):
                violations.append(
                    Violation(stack, resource.name, resource.resource_type, rule_name, setting.level, message)
                )
    for rule_name, stack_rule in STACK_RULES_BY_NAME.items():
        setting = settings[rule_name]
        if setting.level is Level.DISABLED:
            continue
        for name, message in stack_rule.check(declared):
            if name not in setting.exempt_resources:
                violations.append(Violation(stack, name, types[name], rule_name, setting.level, message))
    return violations
