"""The plan model: the resources one run of the program registers, sorted by URN."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol


def lookup(value: Any, path: str) -> Any:
    """The value at a dotted path (`settings.ipConfiguration.ipv4Enabled`, `containers.0.image`), or None.

    Any Mapping and Sequence will do: CrossGuard hands the policy rules read-only proxies, not dicts and lists.
    """
    for part in path.split("."):
        if _is_list(value) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        elif isinstance(value, Mapping) and part in value:
            value = value[part]
        else:
            return None
    return value


def _is_list(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str | bytes)


@dataclass(frozen=True)
class PlannedResource:
    """One resource registration as the engine would receive it."""

    urn: str
    type: str
    name: str
    custom: bool
    inputs: dict[str, Any]
    parent: str | None = None
    dependencies: tuple[str, ...] = ()

    def get(self, path: str) -> Any:
        """The input at a dotted path, or None."""
        return lookup(self.inputs, path)

    def to_dict(self) -> dict[str, Any]:
        return {
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "parent": self.parent,
            "custom": self.custom,
            "inputs": self.inputs,
            "dependencies": list(self.dependencies),
        }


@dataclass
class Plan:
    """Everything one run of the program registered (or a preview or state file holds), sorted by URN."""

    stack: str
    project: str
    resources: list[PlannedResource] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    label: str | None = None

    @property
    def title(self) -> str:
        """How reports name this plan: its label (e.g. "prod (preview)") or else the stack name."""
        return self.label or self.stack

    def of_type(self, resource_type: str) -> list[PlannedResource]:
        return [resource for resource in self.resources if resource.type == resource_type]

    def one(self, resource_type: str) -> PlannedResource:
        found = self.of_type(resource_type)
        if len(found) != 1:
            raise LookupError(f"expected one {resource_type}, found {len(found)}")
        return found[0]

    def by_urn(self, urn: str) -> PlannedResource:
        for resource in self.resources:
            if resource.urn == urn:
                return resource
        raise LookupError(f"no resource with urn {urn}")

    def children_of(self, parent: PlannedResource) -> list[PlannedResource]:
        return [resource for resource in self.resources if resource.parent == parent.urn]

    def type_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for resource in self.resources:
            counts[resource.type] = counts.get(resource.type, 0) + 1
        return counts

    def to_dict(self, *, include_outputs: bool = False) -> dict[str, Any]:
        document: dict[str, Any] = {
            "stack": self.stack,
            "project": self.project,
            "resources": [resource.to_dict() for resource in self.resources],
        }
        if include_outputs:
            document["outputs"] = self.outputs
        return document

    @classmethod
    def from_dict(cls, document: Mapping[str, Any]) -> Plan:
        """A plan from its own JSON (trusted: the plan cache); other files go through plan.readers."""
        return cls(
            stack=document["stack"],
            project=document["project"],
            resources=[
                PlannedResource(**{**resource, "dependencies": tuple(resource["dependencies"])})
                for resource in document["resources"]
            ],
            outputs=document.get("outputs", {}),
        )


class StackPlanner(Protocol):
    """Plans a stack by name. The entry point (infra/cli.py) hands its planner to the consumers' commands.

    It prints what is wrong with a stack file and exits itself, so a consumer never sees a config error type.
    """

    def __call__(self, stack: str, *, project_dir: Path | None = None, cache: bool = True) -> Plan: ...
