"""Real plans for the lifecycle and changes tests: the shipped stacks, stacks with one key edited, and plans with
one resource's inputs or dependencies changed (to put a defect back, or take it out)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from infra.offline import plan_stack
from plan import Plan, PlannedResource

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SHIPPED_STACKS = sorted(
    path.name.removeprefix("Pulumi.").removesuffix(".yaml") for path in PROJECT_ROOT.glob("Pulumi.*.yaml")
)
PROGRAM_FOLDERS = ("infra", "components", "facts", "plan", "app")


def shipped_plan(stack: str) -> Plan:
    """The shipped stack's offline plan (reused from the plan cache while nothing it depends on changes)."""
    return plan_stack(stack, PROJECT_ROOT)


def temp_project(folder: Path) -> Path:
    """A project folder that runs the real program: Pulumi.yaml, the program's folders linked, no stack files."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "Pulumi.yaml").write_text((PROJECT_ROOT / "Pulumi.yaml").read_text())
    for name in PROGRAM_FOLDERS:
        (folder / name).symlink_to(PROJECT_ROOT / name, target_is_directory=True)
    return folder


def stack_document(stack: str) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((PROJECT_ROOT / f"Pulumi.{stack}.yaml").read_text())
    return document


def write_stack(project: Path, stack: str, document: dict[str, Any]) -> None:
    (project / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump(document, sort_keys=False))


def edited_stack_plan(folder: Path, stack: str, edit: Callable[[dict[str, Any]], None]) -> Plan:
    """The plan of a shipped stack file with `edit` applied to its config, planned by the real program."""
    project = temp_project(folder)
    document = stack_document(stack)
    edit(document["config"])
    write_stack(project, stack, document)
    return plan_stack(stack, project)


Ref = str | tuple[str, str]
"""A custom resource by name, or by (type, name) where two resources share a name (an API and its instance)."""


def named(plan: Plan, ref: Ref) -> PlannedResource:
    resource_type, name = ref if isinstance(ref, tuple) else (None, ref)
    found = [
        resource
        for resource in plan.resources
        if resource.custom and resource.name == name and resource_type in (None, resource.type)
    ]
    if len(found) != 1:
        raise LookupError(f"{len(found)} resources named {name}: give (type, name)")
    return found[0]


def with_resource(plan: Plan, name: Ref, /, **changes: Any) -> Plan:
    """The plan with one custom resource's fields replaced (inputs, dependencies)."""
    target = named(plan, name)
    resources = [dataclasses.replace(r, **changes) if r is target else r for r in plan.resources]
    return dataclasses.replace(plan, resources=resources)


def with_inputs(plan: Plan, name: Ref, /, **inputs: Any) -> Plan:
    """The plan with top-level inputs of one resource set (None removes the input)."""
    target = named(plan, name)
    merged = {**target.inputs, **inputs}
    return with_resource(plan, name, inputs={key: value for key, value in merged.items() if value is not None})


def with_dependencies(plan: Plan, name: Ref, add: tuple[Ref, ...] = (), remove: tuple[Ref, ...] = ()) -> Plan:
    """The plan with one resource depending also on `add` and no longer on `remove` (both resource names)."""
    target = named(plan, name)
    removed = {named(plan, other).urn for other in remove}
    added = tuple(named(plan, other).urn for other in add)
    kept = tuple(urn for urn in target.dependencies if urn not in removed)
    return with_resource(plan, name, dependencies=kept + tuple(urn for urn in added if urn not in kept))


def with_added(plan: Plan, like: str, name: str, /, **inputs: Any) -> Plan:
    """The plan with one more resource, a copy of `like` under a new name with some inputs changed."""
    template = named(plan, like)
    resource = dataclasses.replace(
        template,
        urn=template.urn.rsplit("::", 1)[0] + "::" + name,
        name=name,
        inputs={**template.inputs, **inputs},
    )
    return dataclasses.replace(plan, resources=sorted([*plan.resources, resource], key=lambda r: r.urn))


def without(plan: Plan, predicate: Callable[[PlannedResource], bool]) -> Plan:
    """The plan without the resources `predicate` picks, and without any dependency on them."""
    gone = {resource.urn for resource in plan.resources if predicate(resource)}
    resources = [
        dataclasses.replace(r, dependencies=tuple(d for d in r.dependencies if d not in gone))
        for r in plan.resources
        if r.urn not in gone
    ]
    return dataclasses.replace(plan, resources=resources)
