"""Lifecycle rules over a plan, from the data file: what the engine would refuse, before it runs.

- `lifecycle-precondition`: every precondition of a resource is one of its dependencies, transitively, so
  `pulumi up` on a fresh project creates things in an order the cloud accepts.
- `lifecycle-destroyable`: a stack meant to be destroyed (an `environment: dev` label, or a `cmp-*` stack)
  has nothing that blocks a delete.
- `lifecycle-prod-protects-data`: in prod, everything that holds data is protected from deletion.

Each violation names the resource and the missing edge or the flag to set. All are mandatory.
"""

from __future__ import annotations

from dataclasses import dataclass

from lifecycle.data import LifecycleData, load_lifecycle, values_at
from lifecycle.graph import DependencyGraph, kind_of
from plan import Plan, PlannedResource

PRECONDITION_RULE = "lifecycle-precondition"
DESTROYABLE_RULE = "lifecycle-destroyable"
PROD_PROTECTS_RULE = "lifecycle-prod-protects-data"
UNKNOWN_TYPE_RULE = "lifecycle-known-type"
RULES = (PRECONDITION_RULE, DESTROYABLE_RULE, PROD_PROTECTS_RULE, UNKNOWN_TYPE_RULE)

COMPARISON_STACK_PREFIX = "cmp-"
ENVIRONMENT_LABEL = "environment"
LABEL_PATHS = ("labels", "resourceLabels", "settings.userLabels", "metadata.labels")
MAX_KINDS_SHOWN = 4


@dataclass(frozen=True)
class LifecycleViolation:
    resource: str
    resource_type: str
    rule: str
    message: str


def environment_of(plan: Plan) -> str | None:
    """The `environment` label the stack's resources carry (every labelled resource has it)."""
    for resource in plan.resources:
        for path in LABEL_PATHS:
            for labels in values_at(resource.inputs, path):
                if isinstance(labels, dict) and isinstance(labels.get(ENVIRONMENT_LABEL), str):
                    return str(labels[ENVIRONMENT_LABEL])
    return None


def meant_to_be_destroyed(plan: Plan) -> bool:
    return plan.stack.startswith(COMPARISON_STACK_PREFIX) or environment_of(plan) == "dev"


def evaluate(plan: Plan, data: LifecycleData | None = None) -> list[LifecycleViolation]:
    """Every lifecycle violation in the plan, in URN order within each rule."""
    data = data or load_lifecycle()
    graph = DependencyGraph(plan, data)
    violations = _unknown_types(graph, data) + _preconditions(graph, data)
    if meant_to_be_destroyed(plan):
        violations += _destroy_blockers(graph, data)
    if environment_of(plan) == "prod":
        violations += _unprotected_data(graph, data)
    return violations


def _unknown_types(graph: DependencyGraph, data: LifecycleData) -> list[LifecycleViolation]:
    return [
        LifecycleViolation(
            resource.name,
            resource.type,
            UNKNOWN_TYPE_RULE,
            f"the lifecycle data (lifecycle/lifecycle.yaml) has no entry for {resource.type}",
        )
        for resource in graph.resources.values()
        if data.of(resource.type) is None
    ]


def _preconditions(graph: DependencyGraph, data: LifecycleData) -> list[LifecycleViolation]:
    violations = []
    others = list(graph.resources.values())
    for resource in graph.resources.values():
        lifecycle = data.of(resource.type)
        if lifecycle is None:
            continue
        for precondition in lifecycle.preconditions:
            if not precondition.applies_to(resource):
                continue
            candidates = precondition.candidates(resource, others)
            if precondition.for_each is None:
                missing = _missing_edge(graph, resource, candidates)
                if missing is not None:
                    violations.append(
                        _violation(resource, f"{missing} ({precondition.describe()}: {precondition.reason})")
                    )
                continue
            for value in precondition.required_values(resource):
                matching = [other for other in candidates if precondition.for_each.pairs(value, other)]
                missing = _missing_edge(graph, resource, matching)
                if missing is not None:
                    violations.append(
                        _violation(resource, f"{missing} ({precondition.needs} for {value}: {precondition.reason})")
                    )
    return violations


def _missing_edge(graph: DependencyGraph, resource: PlannedResource, candidates: list[PlannedResource]) -> str | None:
    if not candidates:
        return "needs a resource the plan does not have"
    if any(graph.depends_on(resource.urn, candidate.urn) for candidate in candidates):
        return None
    names = ", ".join(sorted(candidate.name for candidate in candidates))
    return f"missing dependency on {names}"


def _violation(resource: PlannedResource, message: str) -> LifecycleViolation:
    return LifecycleViolation(resource.name, resource.type, PRECONDITION_RULE, message)


def _destroy_blockers(graph: DependencyGraph, data: LifecycleData) -> list[LifecycleViolation]:
    """In destroy order; each names what the destroy then cannot reach (everything the resource depends on)."""
    violations = []
    for urn in graph.destroy_order:
        resource = graph.resources[urn]
        lifecycle = data.of(resource.type)
        for blocker in lifecycle.deletion_blockers if lifecycle else ():
            if blocker.blocks(resource):
                message = f"blocks `pulumi destroy` of a stack meant to be destroyed: {blocker.describe(resource)}"
                violations.append(
                    LifecycleViolation(
                        resource.name, resource.type, DESTROYABLE_RULE, message + _held_up(graph, data, urn)
                    )
                )
    return violations


def _held_up(graph: DependencyGraph, data: LifecycleData, urn: str) -> str:
    waiting = [other for other in graph.destroy_order if other in graph.transitive[urn]]
    if not waiting:
        return ""
    kinds: list[str] = []
    for other in waiting:
        kind = kind_of(graph.resources[other], data)
        if kind not in kinds:
            kinds.append(kind)
    shown = ", ".join(kinds[:MAX_KINDS_SHOWN]) + (", ..." if len(kinds) > MAX_KINDS_SHOWN else "")
    return f"; {len(waiting)} resources it depends on are then left ({shown})"


def _unprotected_data(graph: DependencyGraph, data: LifecycleData) -> list[LifecycleViolation]:
    violations = []
    for resource in graph.resources.values():
        lifecycle = data.of(resource.type)
        if lifecycle is None or lifecycle.holds_data is None or not lifecycle.holds_data.protect_in_prod:
            continue
        if any(protection.holds(resource) for protection in lifecycle.protected_when):
            continue
        flags = " or ".join(
            f"{protection.input} to {' / '.join(map(_render, protection.in_))}"
            for protection in lifecycle.protected_when
        )
        violations.append(
            LifecycleViolation(
                resource.name,
                resource.type,
                PROD_PROTECTS_RULE,
                f"holds {lifecycle.holds_data.what} but nothing protects it in prod: set {flags}",
            )
        )
    return violations


def _render(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
