"""The ProjectApis component alone: one enabled service per API, left enabled when the stack is destroyed."""

from __future__ import annotations

import pulumi
import pulumi_gcp as gcp

from components.apis import ProjectApis, ProjectApisArgs
from facts import types
from infra.offline import run_program
from plan import Plan

API_SERVICE = types.PROJECT_SERVICE


def plan_apis(services: list[str]) -> Plan:
    def program() -> None:
        ProjectApis("apis", ProjectApisArgs(services=services))

    return run_program(program)


def test_each_api_is_enabled_by_its_own_service_resource_named_after_the_api() -> None:
    plan = plan_apis(["run.googleapis.com", "sqladmin.googleapis.com"])

    enabled = {service.name: service.inputs["service"] for service in plan.of_type(API_SERVICE)}
    assert enabled == {"apis-run": "run.googleapis.com", "apis-sqladmin": "sqladmin.googleapis.com"}
    assert {service.parent for service in plan.of_type(API_SERVICE)} == {plan.one("inference:apis:ProjectApis").urn}


def test_apis_stay_enabled_when_the_stack_is_destroyed() -> None:
    plan = plan_apis(["redis.googleapis.com"])

    service = plan.one(API_SERVICE)
    assert service.inputs["disableOnDestroy"] is False
    assert service.inputs["disableDependentServices"] is False


def test_a_resource_depending_on_the_component_waits_for_every_api() -> None:
    def program() -> None:
        apis = ProjectApis("apis", ProjectApisArgs(services=["compute.googleapis.com", "redis.googleapis.com"]))
        gcp.compute.Network("vpc", auto_create_subnetworks=False, opts=pulumi.ResourceOptions(depends_on=[apis]))

    plan = run_program(program)

    api_urns = {service.urn for service in plan.of_type(API_SERVICE)}
    assert len(api_urns) == 2
    assert api_urns <= set(plan.one("gcp:compute/network:Network").dependencies)
