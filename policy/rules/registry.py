"""How a rule is declared: a name, a level, a reference, and one check per resource type it looks at.

A domain module makes a RuleSet and registers each rule's checks for the types they read, so a check receives
only the properties of a resource of its own type and never tests the type itself. Properties are the engine's
camelCase names; under CrossGuard they arrive as read-only Mapping/Sequence proxies, so checks rely only on the
Mapping and Sequence interfaces. A check returns one message per problem; an empty list means the resource passes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NamedTuple

PropsCheck = Callable[[Mapping[str, Any]], list[str]]
TypeSelector = Callable[[str], bool]

DEFAULT_COMPUTE_SERVICE_ACCOUNT_SUFFIX = "-compute@developer.gserviceaccount.com"


class Level(StrEnum):
    """What a violation does: block the deployment, warn, or nothing (an exception granted per stack)."""

    MANDATORY = "mandatory"
    ADVISORY = "advisory"
    DISABLED = "disabled"


@dataclass(frozen=True, eq=False)
class Rule:
    name: str
    """Policy name, unique in the pack (CrossGuard's policy name and the key in a stack's policy config)."""
    description: str
    level: Level
    """Default enforcement level; a stack's policy config may lower it (see policy/README.md)."""
    reference: str
    """Where the requirement comes from (CIS / checkov ids in shared/reference/security-baseline.md)."""
    _checks: list[tuple[TypeSelector, PropsCheck]] = field(default_factory=list, repr=False)

    def on(self, *resource_types: str) -> Callable[[PropsCheck], PropsCheck]:
        """Register a check for resources of these types."""
        return self.on_family(frozenset(resource_types).__contains__)

    def on_family(self, selects: TypeSelector) -> Callable[[PropsCheck], PropsCheck]:
        """Register a check for every resource type `selects` accepts (an open family, like namespaced objects)."""

        def register(check: PropsCheck) -> PropsCheck:
            self._checks.append((selects, check))
            return check

        return register

    def check(self, resource_type: str, props: Mapping[str, Any]) -> list[str]:
        """Every problem the rule finds in one resource (none for a type the rule does not look at)."""
        return [message for selects, check in self._checks if selects(resource_type) for message in check(props)]


class Declared(NamedTuple):
    """One resource as a stack rule sees it."""

    resource_type: str
    name: str
    props: Mapping[str, Any]


StackCheck = Callable[[Sequence[Declared]], list[tuple[str, str]]]


@dataclass(frozen=True)
class StackRule:
    name: str
    description: str
    level: Level
    reference: str
    check: StackCheck
    """Returns (name of the resource at fault, message) pairs."""


@dataclass
class RuleSet:
    """The rules of one domain, in the order they are declared."""

    rules: list[Rule] = field(default_factory=list)
    stack_rules: list[StackRule] = field(default_factory=list)

    def rule(self, name: str, level: Level, description: str, reference: str) -> Rule:
        declared = Rule(name, description, level, reference)
        self.rules.append(declared)
        return declared

    def stack_rule(
        self, name: str, level: Level, description: str, reference: str
    ) -> Callable[[StackCheck], StackCheck]:
        def register(check: StackCheck) -> StackCheck:
            self.stack_rules.append(StackRule(name, description, level, reference, check))
            return check

        return register


def is_list(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str | bytes)


def items(value: Any) -> list[Any]:
    """A list property's items, or none when it is unset or not a list."""
    return list(value) if is_list(value) else []


def is_default_compute_account(email: Any) -> bool:
    return email in (None, "", "default") or str(email).endswith(DEFAULT_COMPUTE_SERVICE_ACCOUNT_SUFFIX)
