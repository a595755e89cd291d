"""The resources to price, read from an offline plan, a `pulumi preview --json` or a `pulumi stack export`.

All three become a StackPlan: the stack's name and, per resource, its URN, type, name, parent and inputs in
the engine's camelCase form. What each format holds and which parts are read is in costs/README.md.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SECRET_PLACEHOLDER = "[secret]"  # noqa: S105 (the placeholder the offline plan shows for a secret)
# Pulumi marks special values (secrets, assets, resource references) in JSON with this key.
_SPECIAL_SIGNATURE_KEY = "4dabf18193072939515e22adb298388d"
_SECRET_SIGNATURE = "1b47061264138c4ac30d75fd1eb44270"  # noqa: S105 (Pulumi's marker of a secret value)
# Preview steps that leave no resource behind once the update is done.
_STEPS_WITHOUT_RESULT = frozenset({"delete", "delete-replaced", "discard", "discard-replaced", "read-discard"})


class PlanFormatError(ValueError):
    """An input file is not in the format it was given as; the message names the file and the problem."""


@dataclass(frozen=True)
class PlanResource:
    """One resource to price."""

    urn: str
    type: str
    name: str
    custom: bool
    inputs: dict[str, Any]
    parent: str | None = None
    dependencies: tuple[str, ...] = ()


@dataclass(frozen=True)
class StackPlan:
    """The resources of one stack."""

    stack: str
    project: str
    resources: list[PlanResource] = field(default_factory=list)
    label: str | None = None

    @property
    def title(self) -> str:
        """How reports name this plan: its label (e.g. "prod (preview)") or else the stack name."""
        return self.label or self.stack


def plan_from_dict(data: Any, source: str = "plan") -> StackPlan:
    """A StackPlan from the offline plan's JSON shape: {"stack", "project", "resources": [...]}."""
    if not isinstance(data, dict) or not isinstance(data.get("resources"), list):
        raise PlanFormatError(f"{source}: expected an object with a 'resources' list (an offline plan)")
    for key in ("stack", "project"):
        if not isinstance(data.get(key), str):
            raise PlanFormatError(f"{source}: the plan has no {key!r} string")
    resources = [_resource(entry, f"{source}: resources[{index}]") for index, entry in enumerate(data["resources"])]
    return StackPlan(stack=data["stack"], project=data["project"], resources=resources)


def plan_from_preview(data: Any, source: str = "preview") -> StackPlan:
    """A StackPlan from `pulumi preview --json`: the `newState` of each step that leaves a resource."""
    if not isinstance(data, dict) or not isinstance(data.get("steps"), list):
        raise PlanFormatError(f"{source}: expected an object with a 'steps' list (pulumi preview --json)")
    resources = []
    for index, step in enumerate(data["steps"]):
        where = f"{source}: steps[{index}]"
        if not isinstance(step, dict) or not isinstance(step.get("op"), str):
            raise PlanFormatError(f"{where}: a step needs an 'op' string")
        if step["op"] in _STEPS_WITHOUT_RESULT:
            continue
        state = step.get("newState")
        if not isinstance(state, dict):
            raise PlanFormatError(f"{where}: a {step['op']!r} step has no 'newState' object")
        resources.append(_resource(state, f"{where}.newState"))
    return _stack_plan_from_urns(resources, source)


def plan_from_state(data: Any, source: str = "state") -> StackPlan:
    """A StackPlan from `pulumi stack export`: the live resources in `deployment.resources`."""
    deployment = data.get("deployment") if isinstance(data, dict) else None
    if not isinstance(deployment, dict) or not isinstance(deployment.get("resources", []), list):
        raise PlanFormatError(f"{source}: expected an object with 'deployment.resources' (pulumi stack export)")
    resources = [
        _resource(entry, f"{source}: deployment.resources[{index}]")
        for index, entry in enumerate(deployment.get("resources") or [])
        if not (isinstance(entry, dict) and entry.get("delete"))
    ]
    return _stack_plan_from_urns(resources, source)


def read_json(path: Path) -> Any:
    """The parsed JSON of a file; PlanFormatError names the file when it cannot be read or parsed."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise PlanFormatError(f"{path}: cannot read: {error.strerror}") from error
    except json.JSONDecodeError as error:
        raise PlanFormatError(f"{path}: not valid JSON: {error}") from error


def _resource(entry: Any, where: str) -> PlanResource:
    if not isinstance(entry, dict):
        raise PlanFormatError(f"{where}: a resource must be an object")
    for key in ("urn", "type"):
        if not isinstance(entry.get(key), str):
            raise PlanFormatError(f"{where}: a resource needs a {key!r} string")
    inputs = entry.get("inputs") or {}
    if not isinstance(inputs, dict):
        raise PlanFormatError(f"{where}: 'inputs' must be an object")
    urn = entry["urn"]
    return PlanResource(
        urn=urn,
        type=entry["type"],
        name=entry.get("name") or urn.rsplit("::", 1)[-1],
        custom=bool(entry.get("custom", True)),
        inputs=_reveal_secrets_as_placeholders(inputs),
        parent=entry.get("parent"),
        dependencies=tuple(entry.get("dependencies") or ()),
    )


def _reveal_secrets_as_placeholders(value: Any) -> Any:
    if isinstance(value, dict):
        if value.get(_SPECIAL_SIGNATURE_KEY) == _SECRET_SIGNATURE:
            return SECRET_PLACEHOLDER
        return {key: _reveal_secrets_as_placeholders(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_reveal_secrets_as_placeholders(item) for item in value]
    return value


def _stack_plan_from_urns(resources: list[PlanResource], source: str) -> StackPlan:
    """Stack and project come from the URNs: urn:pulumi:<stack>::<project>::<type>::<name>."""
    for resource in resources:
        parts = resource.urn.split("::")
        if resource.urn.startswith("urn:pulumi:") and len(parts) >= 3:
            return StackPlan(stack=parts[0].removeprefix("urn:pulumi:"), project=parts[1], resources=resources)
    raise PlanFormatError(f"{source}: no resource URN names the stack (urn:pulumi:<stack>::<project>::...)")
