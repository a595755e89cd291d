"""BASE against HEAD, resource by resource (matched by URN): what `pulumi up` would do, what it loses, what it
cannot do until a flag is lowered, what it restarts, and how long it takes.

Inputs are compared leaf by leaf. A value shown as `[secret]` on either side is reported as `[secret]`; two
secrets cannot be told apart, and `[unknown]` (a value a preview cannot know yet) is not a change either.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lifecycle.data import LifecycleData, TypeLifecycle
from lifecycle.graph import DependencyGraph, Schedule, Step, kind_of, schedule, step_seconds
from plan import SECRET_PLACEHOLDER, UNKNOWN_PLACEHOLDER, Plan, PlannedResource

ACTIONS = ("create", "update", "replace", "delete", "same")


class IncomparablePlansError(ValueError):
    """BASE and HEAD cannot be compared (different projects); the message names both."""


@dataclass(frozen=True)
class ChangedInput:
    path: str
    old: Any
    new: Any
    forces_replacement: bool

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "old": self.old, "new": self.new, "forces_replacement": self.forces_replacement}


@dataclass(frozen=True)
class ResourceChange:
    urn: str
    type: str
    name: str
    kind: str
    action: str
    changed: tuple[ChangedInput, ...] = ()
    data_loss: str | None = None
    blocked: str | None = None
    disruption: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "action": self.action,
            "changed": [change.to_dict() for change in self.changed],
            "data_loss": self.data_loss,
            "blocked": self.blocked,
            "disruption": self.disruption,
        }


@dataclass(frozen=True)
class ChangeReport:
    base: str
    head: str
    resources: tuple[ResourceChange, ...]
    duration: Schedule
    unknown_types: tuple[str, ...] = field(default=())

    @property
    def summary(self) -> dict[str, int]:
        return {action: sum(r.action == action for r in self.resources) for action in ACTIONS[:4]}

    @property
    def unchanged(self) -> int:
        return sum(r.action == "same" for r in self.resources)

    @property
    def data_loss(self) -> list[ResourceChange]:
        return [r for r in self.resources if r.data_loss]

    @property
    def blocked(self) -> list[ResourceChange]:
        return [r for r in self.resources if r.blocked]

    @property
    def changes(self) -> list[ResourceChange]:
        return [r for r in self.resources if r.action != "same"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "base": self.base,
            "head": self.head,
            "summary": self.summary,
            "resources": [resource.to_dict() for resource in self.resources],
            "duration": self.duration.to_dict(),
        }


def compare(base: Plan, head: Plan, data: LifecycleData, *, base_label: str, head_label: str) -> ChangeReport:
    """What applying HEAD over BASE does; IncomparablePlansError when they belong to different projects."""
    if base.project != head.project:
        raise IncomparablePlansError(
            f"{base_label} is project {base.project!r} but {head_label} is project {head.project!r}: "
            "changes compares two versions of one project's stack"
        )
    old = {resource.urn: resource for resource in base.resources if resource.custom}
    new = {resource.urn: resource for resource in head.resources if resource.custom}
    changes = []
    for urn in sorted(old.keys() | new.keys()):
        changes.append(_change(old.get(urn), new.get(urn), data))
    unknown = tuple(sorted({change.type for change in changes if data.of(change.type) is None}))
    return ChangeReport(base_label, head_label, tuple(changes), _duration(base, head, changes, data), unknown)


def _change(old: PlannedResource | None, new: PlannedResource | None, data: LifecycleData) -> ResourceChange:
    resource = new or old
    assert resource is not None
    lifecycle = data.of(resource.type)
    kind = kind_of(resource, data)
    if old is None:
        return ResourceChange(resource.urn, resource.type, resource.name, kind, "create")
    if new is None:
        return ResourceChange(
            resource.urn,
            resource.type,
            resource.name,
            kind,
            "delete",
            data_loss=_data_loss(old, kind, lifecycle, data),
            blocked=_blocked(old, lifecycle),
            disruption=_abandoned(old, kind, data),
        )
    changed = tuple(
        ChangedInput(path, before, after, bool(lifecycle and lifecycle.forcing_input(path)))
        for path, before, after in _differences(old.inputs, new.inputs)
    )
    if not changed:
        return ResourceChange(resource.urn, resource.type, resource.name, kind, "same")
    if any(change.forces_replacement for change in changed):
        return ResourceChange(
            resource.urn,
            resource.type,
            resource.name,
            kind,
            "replace",
            changed,
            data_loss=_data_loss(old, kind, lifecycle, data),
            blocked=_blocked(old, lifecycle),
            disruption=_abandoned(old, kind, data),
        )
    effects = []
    for change in changed:
        effect = lifecycle.disruption_for(change.path) if lifecycle else None
        if effect and effect not in effects:
            effects.append(effect)
    return ResourceChange(
        resource.urn, resource.type, resource.name, kind, "update", changed, disruption="; ".join(effects) or None
    )


def _data_loss(
    resource: PlannedResource, kind: str, lifecycle: TypeLifecycle | None, data: LifecycleData
) -> str | None:
    if lifecycle is None or lifecycle.holds_data is None or data.abandoned(resource):
        return None
    return f"{kind} {resource.name}: {lifecycle.holds_data.what}"


def _abandoned(resource: PlannedResource, kind: str, data: LifecycleData) -> str | None:
    if not data.abandoned(resource):
        return None
    return f"the old {kind} is abandoned ({data.abandon.input} {data.abandon.value}): left in the cloud, unmanaged"


def _blocked(resource: PlannedResource, lifecycle: TypeLifecycle | None) -> str | None:
    """What in the live (BASE) state refuses the delete: the provider reads the flag from its state."""
    if lifecycle is None:
        return None
    reasons = [blocker.describe(resource) for blocker in lifecycle.deletion_blockers if blocker.blocks(resource)]
    return "; ".join(reasons) or None


def _differences(old: Any, new: Any, path: str = "") -> list[tuple[str, Any, Any]]:
    if old == new or UNKNOWN_PLACEHOLDER in (old, new):
        return []
    if SECRET_PLACEHOLDER in (old, new):
        return [(path, SECRET_PLACEHOLDER, SECRET_PLACEHOLDER)]
    if isinstance(old, dict | None) and isinstance(new, dict | None):
        before, after = old or {}, new or {}
        found = []
        for key in sorted(before.keys() | after.keys()):
            found += _differences(before.get(key), after.get(key), f"{path}.{key}" if path else key)
        return found
    if isinstance(old, list) and isinstance(new, list):
        found = []
        for index in range(max(len(old), len(new))):
            item_before = old[index] if index < len(old) else None
            item_after = new[index] if index < len(new) else None
            found += _differences(item_before, item_after, f"{path}.{index}" if path else str(index))
        return found
    return [(path, old, new)]


def _duration(base: Plan, head: Plan, changes: list[ResourceChange], data: LifecycleData) -> Schedule:
    """The longest path through HEAD's graph (deleted resources after what depended on them in BASE)."""
    steps = {
        change.urn: Step(
            change.urn, change.name, change.kind, change.action, step_seconds(change.type, data, change.action)
        )
        for change in changes
        if change.action != "same"
    }
    head_graph = DependencyGraph(head, data)
    base_graph = DependencyGraph(base, data)
    deleted = [change.urn for change in changes if change.action == "delete"]
    base_dependents: dict[str, list[str]] = {urn: [] for urn in deleted}
    for urn, edges in base_graph.direct.items():
        for dependency in edges:
            if dependency in base_dependents:
                base_dependents[dependency].append(urn)
    order = head_graph.create_order + [urn for urn in base_graph.destroy_order if urn in base_dependents]

    def waits_for(urn: str) -> list[str]:
        if urn in head_graph.direct:
            return sorted(head_graph.direct[urn])
        return base_dependents[urn]

    return schedule(order, waits_for, steps)
