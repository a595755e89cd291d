"""Labels on every labelled resource (the environment label also decides which rules are prod-only)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from facts.labels import (
    ENVIRONMENT_LABEL,
    ENVIRONMENTS,
    LABELLED_RESOURCE_TYPES,
    MANAGED_BY,
    MANAGED_BY_LABEL,
    REQUIRED_LABELS,
)
from plan import lookup
from policy.rules.registry import Level, PropsCheck, RuleSet

RULES = RuleSet()


def labels_of(resource_type: str, props: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The resource's label map, or None when the type takes no labels or has none set."""
    path = LABELLED_RESOURCE_TYPES.get(resource_type)
    labels = lookup(props, path) if path else None
    return labels if isinstance(labels, Mapping) else None


def is_prod(resource_type: str, props: Mapping[str, Any]) -> bool:
    labels = labels_of(resource_type, props)
    return labels is not None and labels.get(ENVIRONMENT_LABEL) == "prod"


labels_present = RULES.rule(
    "labels-present",
    Level.MANDATORY,
    "Every labelable resource carries the environment, stack and managed-by labels.",
    "ARCHITECTURE: labels on every resource",
)


def _labels_at(path: str) -> PropsCheck:
    def check(props: Mapping[str, Any]) -> list[str]:
        labels = lookup(props, path)
        if not isinstance(labels, Mapping):
            return [f"{path} is missing: set the labels {', '.join(REQUIRED_LABELS)}"]
        problems = [f"{path} has no '{key}' label" for key in REQUIRED_LABELS if not labels.get(key)]
        environment = labels.get(ENVIRONMENT_LABEL)
        if environment and environment not in ENVIRONMENTS:
            problems.append(f"{path}.{ENVIRONMENT_LABEL} is '{environment}'; allowed: {', '.join(ENVIRONMENTS)}")
        managed_by = labels.get(MANAGED_BY_LABEL)
        if managed_by and managed_by != MANAGED_BY:
            problems.append(f"{path}.{MANAGED_BY_LABEL} is '{managed_by}'; expected '{MANAGED_BY}'")
        return problems

    return check


for _resource_type, _path in LABELLED_RESOURCE_TYPES.items():
    labels_present.on(_resource_type)(_labels_at(_path))
