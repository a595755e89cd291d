"""Plans read from files: the offline plan's JSON, `pulumi preview --json` and `pulumi stack export`.

Each reader checks the shape it is given and raises PlanFormatError naming the file and the place that is
wrong; secrets in preview and state files become the same placeholder the offline plan shows.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from plan.model import Plan, PlannedResource
from plan.wire import SECRET_PLACEHOLDER, SECRET_SIGNATURE, SPECIAL_SIGNATURE_KEY

# Preview steps that leave no resource behind once the update is done.
_STEPS_WITHOUT_RESULT = frozenset({"delete", "delete-replaced", "discard", "discard-replaced", "read-discard"})


class PlanFormatError(ValueError):
    """An input file is not in the format it was given as; the message names the file and the problem."""


def plan_from_dict(data: Any, source: str = "plan") -> Plan:
    """A Plan from the offline plan's JSON shape: {"stack", "project", "resources": [...]}."""
    if not isinstance(data, dict) or not isinstance(data.get("resources"), list):
        raise PlanFormatError(f"{source}: expected an object with a 'resources' list (an offline plan)")
    for key in ("stack", "project"):
        if not isinstance(data.get(key), str):
            raise PlanFormatError(f"{source}: the plan has no {key!r} string")
    resources = [_resource(entry, f"{source}: resources[{index}]") for index, entry in enumerate(data["resources"])]
    return Plan(stack=data["stack"], project=data["project"], resources=resources)


def plan_from_preview(data: Any, source: str = "preview") -> Plan:
    """A Plan from `pulumi preview --json`: the `newState` of each step that leaves a resource."""
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
    return _plan_from_urns(resources, source)


def plan_from_state(data: Any, source: str = "state") -> Plan:
    """A Plan from `pulumi stack export`: the live resources in `deployment.resources`."""
    deployment = data.get("deployment") if isinstance(data, dict) else None
    if not isinstance(deployment, dict) or not isinstance(deployment.get("resources", []), list):
        raise PlanFormatError(f"{source}: expected an object with 'deployment.resources' (pulumi stack export)")
    resources = [
        _resource(entry, f"{source}: deployment.resources[{index}]")
        for index, entry in enumerate(deployment.get("resources") or [])
        if not (isinstance(entry, dict) and entry.get("delete"))
    ]
    return _plan_from_urns(resources, source)


def read_json(path: Path) -> Any:
    """The parsed JSON of a file; PlanFormatError names the file when it cannot be read or parsed."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise PlanFormatError(f"{path}: cannot read: {error.strerror}") from error
    except json.JSONDecodeError as error:
        raise PlanFormatError(f"{path}: not valid JSON: {error}") from error


def read_plan_file(path: Path) -> Plan:
    """Any of the three shapes, told apart by their top-level keys; PlanFormatError for anything else."""
    data = read_json(path)
    if isinstance(data, dict) and "resources" in data:
        return plan_from_dict(data, str(path))
    if isinstance(data, dict) and "steps" in data:
        return plan_from_preview(data, str(path))
    if isinstance(data, dict) and "deployment" in data:
        return plan_from_state(data, str(path))
    raise PlanFormatError(
        f"{path}: not a plan: expected an offline plan ('resources'), `pulumi preview --json` ('steps') "
        "or `pulumi stack export` ('deployment')"
    )


def _resource(entry: Any, where: str) -> PlannedResource:
    if not isinstance(entry, dict):
        raise PlanFormatError(f"{where}: a resource must be an object")
    for key in ("urn", "type"):
        if not isinstance(entry.get(key), str):
            raise PlanFormatError(f"{where}: a resource needs a {key!r} string")
    inputs = entry.get("inputs") or {}
    if not isinstance(inputs, dict):
        raise PlanFormatError(f"{where}: 'inputs' must be an object")
    urn = entry["urn"]
    return PlannedResource(
        urn=urn,
        type=entry["type"],
        name=entry.get("name") or urn.rsplit("::", 1)[-1],
        custom=bool(entry.get("custom", True)),
        inputs=_secrets_as_placeholders(inputs),
        parent=entry.get("parent"),
        dependencies=tuple(entry.get("dependencies") or ()),
        aliases=tuple(entry.get("aliases") or ()),
    )


def _secrets_as_placeholders(value: Any) -> Any:
    if isinstance(value, dict):
        if value.get(SPECIAL_SIGNATURE_KEY) == SECRET_SIGNATURE:
            return SECRET_PLACEHOLDER
        return {key: _secrets_as_placeholders(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_secrets_as_placeholders(item) for item in value]
    return value


def _plan_from_urns(resources: list[PlannedResource], source: str) -> Plan:
    """Stack and project come from the URNs: urn:pulumi:<stack>::<project>::<type>::<name>."""
    for resource in resources:
        parts = resource.urn.split("::")
        if resource.urn.startswith("urn:pulumi:") and len(parts) >= 3:
            return Plan(stack=parts[0].removeprefix("urn:pulumi:"), project=parts[1], resources=resources)
    raise PlanFormatError(f"{source}: no resource URN names the stack (urn:pulumi:<stack>::<project>::...)")
