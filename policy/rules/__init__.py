"""The security baseline as pure rules, grouped by domain; each domain module registers checks for its types.

A resource rule looks at one resource (type, camelCase input properties). A few requirements concern how
resources relate (a NetworkPolicy for each workload); those are stack rules, pure functions over every declared
resource. CrossGuard (policy/__main__.py) and `python -m infra.cli check` run these same functions, in the order
below.
"""

from __future__ import annotations

from collections.abc import Mapping

from facts.labels import LABELLED_RESOURCE_TYPES
from policy.rules import cloudrun, cloudsql, gke, kubernetes, labels, redis
from policy.rules.cloudsql import POSTGRES_REQUIRED_FLAGS
from policy.rules.labels import is_prod, labels_of
from policy.rules.registry import Declared, Level, Rule, StackRule

DOMAINS = (labels, cloudsql, redis, gke, cloudrun, kubernetes)
RULES: list[Rule] = [rule for domain in DOMAINS for rule in domain.RULES.rules]
STACK_RULES: list[StackRule] = [rule for domain in DOMAINS for rule in domain.RULES.stack_rules]

RULES_BY_NAME: Mapping[str, Rule] = {rule.name: rule for rule in RULES}
STACK_RULES_BY_NAME: Mapping[str, StackRule] = {rule.name: rule for rule in STACK_RULES}
DEFAULT_LEVELS: Mapping[str, Level] = {
    **{rule.name: rule.level for rule in RULES},
    **{rule.name: rule.level for rule in STACK_RULES},
}
"""Every rule name in the pack, resource and stack rules alike, with its default enforcement level."""

__all__ = [
    "DEFAULT_LEVELS",
    "LABELLED_RESOURCE_TYPES",
    "POSTGRES_REQUIRED_FLAGS",
    "RULES",
    "RULES_BY_NAME",
    "STACK_RULES",
    "STACK_RULES_BY_NAME",
    "Declared",
    "Level",
    "Rule",
    "StackRule",
    "is_prod",
    "labels_of",
]
