"""The dependency graph of a plan's custom resources, the orders the engine walks it in, and how long that takes.

Edges are a resource's dependencies, a dependency on a component standing for everything inside it, plus the
edge the engine adds from a resource to the explicit provider it uses. `pulumi up` creates a resource once all
its dependencies exist and runs independent steps in parallel, so the time a run takes is the longest path
through the graph, each resource weighted by its step's typical duration; `pulumi destroy` walks the same graph
backwards.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property

from lifecycle.data import LifecycleData
from plan import Plan, PlannedResource


class DependencyGraph:
    """Custom resources by URN and what each depends on directly."""

    def __init__(self, plan: Plan, data: LifecycleData) -> None:
        self.plan = plan
        self.resources: dict[str, PlannedResource] = {r.urn: r for r in plan.resources if r.custom}
        descendants = _custom_descendants(plan)
        providers_by_type: dict[str, list[str]] = {}
        for resource in self.resources.values():
            providers_by_type.setdefault(resource.type, []).append(resource.urn)
        self.direct: dict[str, frozenset[str]] = {}
        for urn, resource in self.resources.items():
            edges: set[str] = set()
            for dependency in resource.dependencies:
                if dependency in self.resources:
                    edges.add(dependency)
                else:
                    edges.update(descendants.get(dependency, ()))
            provider_type = data.provider_type_for(resource.type)
            if provider_type is not None:
                edges.update(providers_by_type.get(provider_type, ()))
            edges.discard(urn)
            self.direct[urn] = frozenset(edges)

    @cached_property
    def transitive(self) -> Mapping[str, frozenset[str]]:
        """Everything each resource waits for, directly or through others."""
        closure: dict[str, frozenset[str]] = {}
        for urn in self.create_order:
            reached: set[str] = set(self.direct[urn])
            for dependency in self.direct[urn]:
                reached |= closure[dependency]
            closure[urn] = frozenset(reached)
        return closure

    def depends_on(self, urn: str, other: str) -> bool:
        return other in self.transitive[urn]

    @cached_property
    def create_order(self) -> list[str]:
        """A topological order (dependencies first), ties broken by URN so the order is stable."""
        remaining = {urn: set(edges) for urn, edges in self.direct.items()}
        order: list[str] = []
        ready = sorted(urn for urn, edges in remaining.items() if not edges)
        dependents: dict[str, list[str]] = {}
        for urn, edges in remaining.items():
            for dependency in edges:
                dependents.setdefault(dependency, []).append(urn)
        while ready:
            urn = ready.pop(0)
            order.append(urn)
            for dependent in dependents.get(urn, ()):
                remaining[dependent].discard(urn)
                if not remaining[dependent]:
                    ready.append(dependent)
            ready.sort()
        if len(order) != len(remaining):
            cycle = sorted(set(remaining) - set(order))
            raise ValueError(f"{self.plan.title}: dependency cycle among {', '.join(cycle)}")
        return order

    @cached_property
    def destroy_order(self) -> list[str]:
        """Dependents before what they depend on: the order `pulumi destroy` deletes in."""
        return list(reversed(self.create_order))

    def dependents_of(self, urn: str) -> list[str]:
        return sorted(other for other, edges in self.direct.items() if urn in edges)


@dataclass(frozen=True)
class Step:
    urn: str
    name: str
    kind: str
    action: str
    seconds: int


@dataclass(frozen=True)
class Schedule:
    """The wall-clock estimate of a run (its critical path) and the time of all its steps one after another."""

    seconds: int
    critical_path: tuple[Step, ...]
    serial_seconds: int

    def summary(self) -> str:
        if not self.critical_path:
            return "nothing to do"
        path = " → ".join(step.kind for step in self.critical_path)
        return f"≈ {format_minutes(self.seconds)}; critical path: {path}"

    def to_dict(self) -> dict[str, object]:
        return {
            "seconds": self.seconds,
            "serial_seconds": self.serial_seconds,
            "critical_path": [
                {"urn": step.urn, "name": step.name, "kind": step.kind, "action": step.action, "seconds": step.seconds}
                for step in self.critical_path
            ],
            "summary": self.summary(),
        }


def schedule(
    order: Iterable[str],
    waits_for: Callable[[str], Iterable[str]],
    steps: Mapping[str, Step],
) -> Schedule:
    """The longest path through `order` (each node after everything it waits for) over the nodes with a step."""
    finish: dict[str, int] = {}
    previous: dict[str, str | None] = {}
    for urn in order:
        start, before = 0, None
        for other in waits_for(urn):
            if other in finish and finish[other] > start:
                start, before = finish[other], other
        own = steps[urn].seconds if urn in steps else 0
        finish[urn] = start + own
        previous[urn] = before
    if not finish:
        return Schedule(0, (), 0)
    last = max(sorted(finish), key=lambda urn: finish[urn])
    path: list[Step] = []
    cursor: str | None = last
    while cursor is not None:
        if cursor in steps and steps[cursor].seconds > 0:
            path.append(steps[cursor])
        cursor = previous[cursor]
    return Schedule(finish[last], tuple(reversed(path)), sum(step.seconds for step in steps.values()))


def first_up(graph: DependencyGraph, data: LifecycleData) -> Schedule:
    """How long a first `pulumi up` takes: every resource created, each after its dependencies."""
    steps = {urn: _step(graph.resources[urn], data, "create") for urn in graph.resources}
    return schedule(graph.create_order, lambda urn: graph.direct[urn], steps)


def destroy(graph: DependencyGraph, data: LifecycleData) -> Schedule:
    """How long `pulumi destroy` takes: every resource deleted, each after everything that depends on it."""
    dependents: dict[str, list[str]] = {urn: [] for urn in graph.resources}
    for urn, edges in graph.direct.items():
        for dependency in edges:
            dependents[dependency].append(urn)
    steps = {urn: _step(graph.resources[urn], data, "delete") for urn in graph.resources}
    return schedule(graph.destroy_order, lambda urn: dependents[urn], steps)


def step_seconds(resource_type: str, data: LifecycleData, action: str) -> int:
    """Typical seconds of one step; a replace deletes the old resource and creates the new one."""
    lifecycle = data.of(resource_type)
    if lifecycle is None or action == "same":
        return 0
    durations = lifecycle.durations
    if action == "replace":
        return durations.create + durations.delete
    return {"create": durations.create, "update": durations.update, "delete": durations.delete}[action]


def kind_of(resource: PlannedResource, data: LifecycleData) -> str:
    lifecycle = data.of(resource.type)
    return lifecycle.kind if lifecycle is not None else resource.type


def format_minutes(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} s"
    return f"{round(seconds / 60)} min"


def _step(resource: PlannedResource, data: LifecycleData, action: str) -> Step:
    return Step(resource.urn, resource.name, kind_of(resource, data), action, step_seconds(resource.type, data, action))


def _custom_descendants(plan: Plan) -> dict[str, frozenset[str]]:
    """For each component URN, the custom resources anywhere below it."""
    children: dict[str, list[PlannedResource]] = {}
    for resource in plan.resources:
        if resource.parent is not None:
            children.setdefault(resource.parent, []).append(resource)

    def below(urn: str) -> set[str]:
        found: set[str] = set()
        for child in children.get(urn, ()):
            if child.custom:
                found.add(child.urn)
            found |= below(child.urn)
        return found

    return {resource.urn: frozenset(below(resource.urn)) for resource in plan.resources if not resource.custom}
