"""The lifecycle data file (lifecycle.yaml), typed: what the engine does to each resource type.

Loaded once per process. Every condition the file states is evaluated here over a resource's inputs, so the
rules, the destroy order and the `changes` report read the same facts the same way.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from plan import PlannedResource, lookup

DATA_FILE = Path(__file__).resolve().parent / "lifecycle.yaml"


class LifecycleDataError(ValueError):
    """The data file is malformed; the message names the file and the key."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class InputCondition(_Strict):
    """A test of one input: `equals` a value, `matches` a regular expression, or is `present` (not null)."""

    input: str
    equals: Any = None
    matches: str | None = None
    present: bool | None = None

    @model_validator(mode="after")
    def _one_test(self) -> InputCondition:
        tests = [self.equals is not None, self.matches is not None, self.present is not None]
        if sum(tests) != 1:
            raise ValueError("give exactly one of equals, matches, present")
        return self

    def holds(self, resource: PlannedResource) -> bool:
        values = values_at(resource.inputs, self.input)
        if self.present is not None:
            return bool(values) is self.present
        if self.matches is not None:
            return any(isinstance(value, str) and re.search(self.matches, value) for value in values)
        return self.equals in values


class Match(_Strict):
    """Ties a precondition to particular resources: a value of `from` (this resource) against `to` (the other)."""

    from_: str = Field(alias="from")
    to: str
    how: Literal["equals", "suffix"] = "equals"

    def pairs(self, value: Any, candidate: PlannedResource) -> bool:
        for other in values_at(candidate.inputs, self.to):
            if not isinstance(other, str) or not isinstance(value, str):
                continue
            if other == value or (self.how == "suffix" and other.endswith(value)):
                return True
        return False


class Precondition(_Strict):
    """What must exist, and be a dependency, before a resource of this type can be created."""

    needs: str
    reason: str
    source: str
    when: InputCondition | None = None
    where: InputCondition | None = None
    match: Match | None = None
    for_each: Match | None = None

    def applies_to(self, resource: PlannedResource) -> bool:
        return self.when is None or self.when.holds(resource)

    def candidates(self, resource: PlannedResource, others: list[PlannedResource]) -> list[PlannedResource]:
        """The resources that satisfy it (for `for_each`, those matching any of the values)."""
        found = [other for other in others if other.type == self.needs]
        if self.where is not None:
            found = [other for other in found if self.where.holds(other)]
        if self.match is not None:
            match = self.match
            values = values_at(resource.inputs, match.from_)
            found = [other for other in found if any(match.pairs(value, other) for value in values)]
        return found

    def required_values(self, resource: PlannedResource) -> list[Any]:
        """For `for_each`: each value that needs its own matching resource."""
        if self.for_each is None:
            return []
        return sorted({value for value in values_at(resource.inputs, self.for_each.from_) if isinstance(value, str)})

    def describe(self) -> str:
        parts = [self.needs]
        if self.where is not None:
            condition = self.where
            test = (
                f"={condition.equals}"
                if condition.equals is not None
                else f" matching {condition.matches}"
                if condition.matches is not None
                else " set"
            )
            parts.append(f"with {condition.input}{test}")
        return " ".join(parts)


class DeletionBlocker(_Strict):
    """An input whose value makes a delete (and so a replacement) fail; `null` in blocks_when means unset."""

    input: str
    blocks_when: list[Any]
    default: Any
    lower_to: Any
    source: str
    why: str | None = None

    def blocks(self, resource: PlannedResource) -> bool:
        return resource.get(self.input) in self.blocks_when

    def describe(self, resource: PlannedResource) -> str:
        value = resource.get(self.input)
        shown = "unset" if value is None else f"{_render(value)}"
        text = f"{self.input} is {shown}: set it to {_render(self.lower_to)} and run `pulumi up` first"
        return f"{text} ({self.why})" if self.why else text


class Protection(_Strict):
    """An input value that keeps the data when the stack is destroyed or the resource replaced."""

    input: str
    in_: list[Any] = Field(alias="in")

    def holds(self, resource: PlannedResource) -> bool:
        return resource.get(self.input) in self.in_


class HeldData(_Strict):
    what: str
    protect_in_prod: bool
    why_unprotected: str | None = None

    @model_validator(mode="after")
    def _reason_when_unprotected(self) -> HeldData:
        if not self.protect_in_prod and not self.why_unprotected:
            raise ValueError("data left unprotected in prod needs why_unprotected")
        return self


class Disruption(_Strict):
    """Updates under any of these inputs restart or roll something."""

    inputs: list[str]
    effect: str


class Durations(_Strict):
    """Typical seconds for each step, and where the figures come from."""

    create: int
    update: int
    delete: int
    source: str


class TypeLifecycle(_Strict):
    kind: str
    sdk_args: str
    replace_on: list[str]
    replace_source: str
    durations: Durations
    holds_data: HeldData | None = None
    deletion_blockers: list[DeletionBlocker] = []
    protected_when: list[Protection] = []
    preconditions: list[Precondition] = []
    disruptions: list[Disruption] = []

    @model_validator(mode="after")
    def _protection_for_prod_data(self) -> TypeLifecycle:
        if self.holds_data is not None and self.holds_data.protect_in_prod and not self.protected_when:
            raise ValueError("data protected in prod needs protected_when")
        return self

    def forcing_input(self, path: str) -> str | None:
        """The replace_on entry a changed input path falls under (or that falls under it), if any."""
        bare = strip_indexes(path)
        for forcing in self.replace_on:
            if _under(bare, forcing) or _under(forcing, bare):
                return forcing
        return None

    def disruption_for(self, path: str) -> str | None:
        bare = strip_indexes(path)
        for disruption in self.disruptions:
            if any(_under(bare, prefix) for prefix in disruption.inputs):
                return disruption.effect
        return None


class Abandon(_Strict):
    """The deletion policy under which a delete leaves the resource in the cloud."""

    input: str
    value: str
    source: str


class LifecycleData(_Strict):
    sdk_versions: dict[str, str]
    sources: dict[str, str]
    providers: dict[str, str]
    abandon: Abandon
    types: dict[str, TypeLifecycle]

    def abandoned(self, resource: PlannedResource) -> bool:
        """Whether deleting this resource (as it is) only stops managing it."""
        lifecycle = self.of(resource.type)
        takes_policy = lifecycle is not None and any(b.input == self.abandon.input for b in lifecycle.deletion_blockers)
        return takes_policy and resource.get(self.abandon.input) == self.abandon.value

    def of(self, resource_type: str) -> TypeLifecycle | None:
        return self.types.get(resource_type)

    def provider_type_for(self, resource_type: str) -> str | None:
        for prefix, provider in self.providers.items():
            if resource_type.startswith(prefix) and resource_type != provider:
                return provider
        return None


@cache
def load_lifecycle(path: Path = DATA_FILE) -> LifecycleData:
    """The data file, checked; LifecycleDataError names the file and the key that is wrong."""
    try:
        loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)  # noqa: S506 (a safe loader, in C)
    except OSError as error:
        raise LifecycleDataError(f"{path}: cannot read: {error.strerror}") from error
    except yaml.YAMLError as error:
        raise LifecycleDataError(f"{path}: not valid YAML: {error}") from error
    try:
        return LifecycleData.model_validate(document)
    except ValidationError as error:
        problems = [f"{path}: {'.'.join(str(part) for part in item['loc'])}: {item['msg']}" for item in error.errors()]
        raise LifecycleDataError("\n".join(problems)) from None


def values_at(value: Any, path: str) -> list[Any]:
    """Every value at a dotted path, descending into each list element (`containers.envs.name`), nulls left out."""
    current = [value]
    for part in path.split("."):
        following: list[Any] = []
        for item in current:
            items = item if isinstance(item, list) else [item]
            for element in items:
                if isinstance(element, dict) and part in element:
                    following.append(element[part])
        current = following
    flattened: list[Any] = []
    for item in current:
        flattened.extend(item if isinstance(item, list) else [item])
    return [item for item in flattened if item is not None]


def strip_indexes(path: str) -> str:
    """`nodeConfig.guestAccelerators.0.type` → `nodeConfig.guestAccelerators.type`."""
    return ".".join(part for part in path.split(".") if not part.isdigit())


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + ".")


def _render(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


__all__ = [
    "DATA_FILE",
    "DeletionBlocker",
    "LifecycleData",
    "LifecycleDataError",
    "Precondition",
    "TypeLifecycle",
    "load_lifecycle",
    "lookup",
    "strip_indexes",
    "values_at",
]
