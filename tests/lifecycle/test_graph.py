"""The dependency graph of real plans: the destroy order, and how long a first `pulumi up` and a destroy take."""

from __future__ import annotations

import pytest

from lifecycle.data import load_lifecycle
from lifecycle.graph import DependencyGraph, destroy, first_up
from tests.lifecycle.plans import SHIPPED_STACKS, named, shipped_plan, with_dependencies

DATA = load_lifecycle()


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_the_destroy_order_deletes_everything_after_what_depends_on_it(stack: str) -> None:
    graph = DependencyGraph(shipped_plan(stack), DATA)
    position = {urn: index for index, urn in enumerate(graph.destroy_order)}

    assert sorted(position) == sorted(graph.resources)
    for urn, dependencies in graph.transitive.items():
        assert all(position[urn] < position[dependency] for dependency in dependencies)


def test_dev_destroys_the_service_before_the_database_and_the_connection_before_the_network() -> None:
    plan = shipped_plan("dev")
    graph = DependencyGraph(plan, DATA)
    order = [graph.resources[urn].name + " " + graph.resources[urn].type for urn in graph.destroy_order]

    def where(name: str, type_suffix: str) -> int:
        return next(
            index for index, entry in enumerate(order) if entry.startswith(name + " ") and entry.endswith(type_suffix)
        )

    assert where("inference-dev-service", ":Service") < where("inference-dev-db-instance", ":DatabaseInstance")
    assert where("inference-dev-private-services", ":Connection") < where("inference-dev-vpc", ":Network")


def test_kubernetes_objects_wait_for_the_explicit_provider_and_so_for_the_cluster() -> None:
    plan = shipped_plan("cmp-gke")
    graph = DependencyGraph(plan, DATA)
    namespace = named(plan, "inference-cmp-gke-namespace")

    assert graph.depends_on(namespace.urn, named(plan, "inference-cmp-gke-kubernetes").urn)
    assert graph.depends_on(namespace.urn, named(plan, "inference-cmp-gke-cluster").urn)


def test_a_dependency_cycle_is_reported_naming_the_resources() -> None:
    plan = with_dependencies(shipped_plan("dev"), "inference-dev-vpc", add=("inference-dev-subnet",))

    with pytest.raises(ValueError, match=r"dependency cycle among .*inference-dev-subnet"):
        _ = DependencyGraph(plan, DATA).create_order


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_the_critical_path_of_a_first_up_is_a_chain_of_dependencies_summing_to_its_duration(stack: str) -> None:
    graph = DependencyGraph(shipped_plan(stack), DATA)
    run = first_up(graph, DATA)

    assert run.seconds == sum(step.seconds for step in run.critical_path)
    assert run.seconds <= run.serial_seconds
    for earlier, later in zip(run.critical_path, run.critical_path[1:], strict=False):
        assert graph.depends_on(later.urn, earlier.urn)


def test_a_first_up_of_dev_is_led_by_the_database_and_a_gke_stack_by_the_cluster() -> None:
    cloud_run = first_up(DependencyGraph(shipped_plan("dev"), DATA), DATA)
    gke = first_up(DependencyGraph(shipped_plan("cmp-gke"), DATA), DATA)

    assert "Cloud SQL instance" in cloud_run.summary() and cloud_run.summary().startswith("≈ ")
    assert [step.kind for step in gke.critical_path].count("GKE cluster") == 1
    assert gke.seconds > cloud_run.seconds


def test_a_destroy_takes_the_longest_chain_of_deletes() -> None:
    graph = DependencyGraph(shipped_plan("dev"), DATA)
    run = destroy(graph, DATA)

    assert run.critical_path[-1].kind in {"API enablement", "VPC network"}
    assert all(step.action == "delete" for step in run.critical_path)
    assert 0 < run.seconds <= run.serial_seconds
