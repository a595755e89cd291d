"""The entry-point rules over a real plan: Pulumi.prod.yaml with an entry point and public: true passes them;
the same plan with the entry point broken (or gone) fails each one."""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path
from typing import Any

import pytest

from facts.types import CLOUD_RUN_SERVICE
from policy.rules import DEFAULT_LEVELS, Declared, Level
from policy.rules.entry import (
    BACKEND_SERVICE,
    HTTPS_PROXY,
    cloudrun_closed_behind_entry_point,
    entry_point_for_public_prod,
    entry_point_hsts,
    hsts_problems,
)
from tests.entry_stacks import copy_project, plan_entry_stack


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory) -> list[Declared]:
    plan = plan_entry_stack(copy_project(tmp_path_factory.mktemp("entry-policy")), "prod-entry")
    return [Declared(resource.type, resource.name, resource.inputs) for resource in plan.resources if resource.custom]


def changed(resources: list[Declared], resource_type: str, **props: Any) -> list[Declared]:
    """The plan with one input of every resource of a type set (None removes it)."""
    result = []
    for resource in resources:
        if resource.resource_type == resource_type:
            new_props = copy.deepcopy(dict(resource.props))
            for key, value in props.items():
                if value is None:
                    new_props.pop(key, None)
                else:
                    new_props[key] = value
            resource = Declared(resource.resource_type, resource.name, new_props)
        result.append(resource)
    return result


def without(resources: list[Declared], *resource_types: str) -> list[Declared]:
    return [resource for resource in resources if resource.resource_type not in resource_types]


def the_backend(resources: list[Declared]) -> dict[str, Any]:
    (backend,) = [resource for resource in resources if resource.resource_type == BACKEND_SERVICE]
    return dict(backend.props)


def test_the_rules_are_in_the_pack_at_their_levels() -> None:
    assert DEFAULT_LEVELS["entry-point-for-public-prod"] is Level.MANDATORY
    assert DEFAULT_LEVELS["entry-point-closes-run-app"] is Level.MANDATORY
    assert DEFAULT_LEVELS["entry-point-hsts"] is Level.ADVISORY


def test_an_entry_stack_passes_every_entry_rule(good: list[Declared]) -> None:
    assert entry_point_for_public_prod(good) == []
    assert cloudrun_closed_behind_entry_point(good) == []
    assert entry_point_hsts(good) == []


def test_a_public_prod_service_without_an_entry_point_is_refused(good: list[Declared]) -> None:
    bare = changed(without(good, HTTPS_PROXY, BACKEND_SERVICE), CLOUD_RUN_SERVICE, ingress="INGRESS_TRAFFIC_ALL")
    [(name, message)] = entry_point_for_public_prod(bare)
    assert name.endswith("-service")
    assert "an HTTPS proxy with a certificate" in message and "Cloud Armor" in message


def test_an_entry_point_without_cloud_armor_is_refused(good: list[Declared]) -> None:
    [(_, message)] = entry_point_for_public_prod(changed(good, BACKEND_SERVICE, securityPolicy=None))
    assert "without a backend service with a Cloud Armor security policy" in message


def test_an_entry_point_without_a_certificate_is_refused(good: list[Declared]) -> None:
    [(_, message)] = entry_point_for_public_prod(changed(good, HTTPS_PROXY, sslCertificates=None))
    assert "without an HTTPS proxy with a certificate" in message


def test_a_private_service_needs_no_entry_point(good: list[Declared]) -> None:
    private = changed(
        without(good, HTTPS_PROXY, BACKEND_SERVICE), CLOUD_RUN_SERVICE, ingress="INGRESS_TRAFFIC_INTERNAL_ONLY"
    )
    assert entry_point_for_public_prod(private) == []


def test_a_run_app_url_left_open_behind_the_load_balancer_is_refused(good: list[Declared]) -> None:
    [(name, message)] = cloudrun_closed_behind_entry_point(
        changed(good, CLOUD_RUN_SERVICE, ingress="INGRESS_TRAFFIC_ALL")
    )
    assert name.endswith("-service")
    assert "ingress is INGRESS_TRAFFIC_ALL" in message
    [(_, unset)] = cloudrun_closed_behind_entry_point(changed(good, CLOUD_RUN_SERVICE, ingress=None))
    assert "unset" in unset


def test_a_backend_without_hsts_or_with_max_age_0_is_flagged(good: list[Declared]) -> None:
    [(name, _)] = entry_point_hsts(changed(good, BACKEND_SERVICE, customResponseHeaders=None))
    assert name.endswith("-backend")
    backend = the_backend(good)
    no_headers = {**backend, "customResponseHeaders": ["X-Content-Type-Options: nosniff"]}
    assert hsts_problems(no_headers) == ["customResponseHeaders has no Strict-Transport-Security header"]
    off = {**backend, "customResponseHeaders": ["Strict-Transport-Security: max-age=0"]}
    assert hsts_problems(off) == ["Strict-Transport-Security has max-age=0, which turns HSTS off"]


def test_an_internal_backend_needs_no_hsts(good: list[Declared]) -> None:
    internal = {**the_backend(good), "loadBalancingScheme": "INTERNAL_MANAGED", "customResponseHeaders": []}
    assert hsts_problems(internal) == []


def test_check_refuses_a_prod_entry_stack_whose_run_app_url_is_open(tmp_path: Path) -> None:
    """Through the real pack evaluation: the shipped rules and the entry rules together."""
    from policy.stack_policy import evaluate_resources, load_policy_config

    project = copy_project(tmp_path)
    plan = plan_entry_stack(project, "prod-open")
    resources = [
        dataclasses.replace(resource, inputs={**resource.inputs, "ingress": "INGRESS_TRAFFIC_ALL"})
        if resource.type == CLOUD_RUN_SERVICE
        else resource
        for resource in plan.resources
    ]
    violations = evaluate_resources("prod-open", resources, load_policy_config("prod-open", project / "policy-config"))
    assert [violation.rule for violation in violations if violation.level is Level.MANDATORY] == [
        "entry-point-closes-run-app"
    ]
