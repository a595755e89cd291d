"""The entry-point rules on GKE, over a real plan: Pulumi.prod-gke.yaml with an entry point and public: true passes
them; the same plan with its Gateway broken, its policies gone or its Service turned back into a LoadBalancer fails
the matching rule."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from facts.types import K8S_GATEWAY, K8S_GCP_BACKEND_POLICY, K8S_HTTP_ROUTE, K8S_SERVICE
from policy.rules import DEFAULT_LEVELS, Declared, Level
from policy.rules.entry import (
    entry_point_for_public_prod,
    entry_point_hsts,
    gke_closed_behind_entry_point,
    route_hsts_problems,
)
from tests.entry_stacks import copy_project, plan_entry_stack

LOAD_BALANCER_SPEC = {"type": "LoadBalancer", "externalTrafficPolicy": "Local"}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_project(tmp_path_factory.mktemp("gke-entry-policy"))


@pytest.fixture(scope="module")
def good(project: Path) -> list[Declared]:
    plan = plan_entry_stack(project, "prod-gke-entry", base="prod-gke")
    return [Declared(resource.type, resource.name, resource.inputs) for resource in plan.resources if resource.custom]


def edited(resources: list[Declared], resource_type: str, edit: Callable[[dict[str, Any]], None]) -> list[Declared]:
    """The plan with `edit` applied to a copy of the inputs of every resource of a type."""
    result = []
    for resource in resources:
        if resource.resource_type == resource_type:
            props = copy.deepcopy(dict(resource.props))
            edit(props)
            resource = Declared(resource.resource_type, resource.name, props)
        result.append(resource)
    return result


def without(resources: list[Declared], *resource_types: str) -> list[Declared]:
    return [resource for resource in resources if resource.resource_type not in resource_types]


def app_service_as_load_balancer(props: dict[str, Any]) -> None:
    if props["metadata"]["name"] == "embeddings":
        props["spec"].update(LOAD_BALANCER_SPEC)


def test_the_gke_rule_is_in_the_pack_as_mandatory() -> None:
    assert DEFAULT_LEVELS["entry-point-closes-load-balancer-service"] is Level.MANDATORY


def test_a_gke_entry_stack_passes_every_entry_rule(good: list[Declared]) -> None:
    assert entry_point_for_public_prod(good) == []
    assert gke_closed_behind_entry_point(good) == []
    assert entry_point_hsts(good) == []


def test_a_public_prod_cluster_without_an_entry_point_is_refused(good: list[Declared]) -> None:
    bare = edited(
        without(good, K8S_GATEWAY, K8S_HTTP_ROUTE, K8S_GCP_BACKEND_POLICY), K8S_SERVICE, app_service_as_load_balancer
    )
    [(name, message)] = entry_point_for_public_prod(bare)
    assert name.endswith("-service")
    assert "a Gateway with an HTTPS listener that has a certificate" in message and "Cloud Armor" in message


def test_a_gateway_without_cloud_armor_is_refused(good: list[Declared]) -> None:
    no_armor = edited(good, K8S_GCP_BACKEND_POLICY, lambda props: props["spec"]["default"].pop("securityPolicy"))
    [(name, message)] = entry_point_for_public_prod(no_armor)
    assert name.endswith("-gateway")
    assert message.endswith("without a GCPBackendPolicy with a Cloud Armor security policy")


def test_a_gateway_without_a_certificate_is_refused(good: list[Declared]) -> None:
    def drop_tls(props: dict[str, Any]) -> None:
        for listener in props["spec"]["listeners"]:
            listener.pop("tls", None)

    [(_, message)] = entry_point_for_public_prod(edited(good, K8S_GATEWAY, drop_tls))
    assert "without a Gateway with an HTTPS listener that has a certificate" in message


def test_a_certificate_map_annotation_counts_as_tls(good: list[Declared]) -> None:
    def certificate_map(props: dict[str, Any]) -> None:
        props["spec"]["listeners"][0].pop("tls")
        props["metadata"]["annotations"] = {"networking.gke.io/certmap": "api-example-com"}

    assert entry_point_for_public_prod(edited(good, K8S_GATEWAY, certificate_map)) == []


def test_a_private_cluster_needs_no_entry_point(good: list[Declared]) -> None:
    def internal(props: dict[str, Any]) -> None:
        if props["metadata"]["name"] == "embeddings":
            props["spec"].update(LOAD_BALANCER_SPEC)
            props["metadata"]["annotations"] = {"networking.gke.io/load-balancer-type": "Internal"}

    private = edited(without(good, K8S_GATEWAY, K8S_HTTP_ROUTE, K8S_GCP_BACKEND_POLICY), K8S_SERVICE, internal)
    assert entry_point_for_public_prod(private) == []


def test_a_service_left_a_load_balancer_behind_the_gateway_is_refused(good: list[Declared]) -> None:
    [(name, message)] = gke_closed_behind_entry_point(edited(good, K8S_SERVICE, app_service_as_load_balancer))
    assert name.endswith("-service")
    assert "Service embeddings is behind the Gateway but still of type LoadBalancer" in message
    assert "make it ClusterIP" in message


def test_another_internet_facing_load_balancer_beside_the_gateway_is_refused(good: list[Declared]) -> None:
    extra = Declared(
        K8S_SERVICE,
        "side-door",
        {"metadata": {"name": "side-door", "namespace": "inference"}, "spec": {"type": "LoadBalancer"}},
    )
    [(name, message)] = gke_closed_behind_entry_point([*good, extra])
    assert name == "side-door" and "faces the internet with its own load balancer" in message


def test_without_a_gateway_a_load_balancer_service_is_no_bypass(good: list[Declared]) -> None:
    plain = edited(without(good, K8S_GATEWAY), K8S_SERVICE, app_service_as_load_balancer)
    assert gke_closed_behind_entry_point(plain) == []


def test_a_route_without_hsts_or_with_max_age_0_is_flagged(good: list[Declared]) -> None:
    def no_headers(props: dict[str, Any]) -> None:
        for rule in props["spec"]["rules"]:
            if rule.get("backendRefs"):
                rule.pop("filters", None)

    [(name, problem)] = entry_point_hsts(edited(good, K8S_HTTP_ROUTE, no_headers))
    assert name.endswith("-entry-route")
    assert problem == "the rule's ResponseHeaderModifier has no Strict-Transport-Security header"
    route = {
        "spec": {
            "rules": [
                {
                    "backendRefs": [{"name": "embeddings", "port": 80}],
                    "filters": [
                        {
                            "type": "ResponseHeaderModifier",
                            "responseHeaderModifier": {
                                "add": [{"name": "strict-transport-security", "value": "max-age=0"}]
                            },
                        }
                    ],
                }
            ]
        }
    }
    assert route_hsts_problems(route) == ["Strict-Transport-Security has max-age=0, which turns HSTS off"]


def test_a_redirect_only_route_needs_no_hsts(good: list[Declared]) -> None:
    redirect = {"spec": {"rules": [{"filters": [{"type": "RequestRedirect", "requestRedirect": {"scheme": "https"}}]}]}}
    assert route_hsts_problems(redirect) == []


def test_check_refuses_a_gke_entry_stack_whose_service_stays_a_load_balancer(project: Path) -> None:
    """Through the real pack evaluation: the shipped rules and the entry rules together."""
    from policy.stack_policy import evaluate_resources, load_policy_config

    plan = plan_entry_stack(project, "prod-gke-open", base="prod-gke")
    resources = [
        dataclasses.replace(
            resource, inputs={**resource.inputs, "spec": {**resource.inputs["spec"], **LOAD_BALANCER_SPEC}}
        )
        if resource.type == K8S_SERVICE and resource.inputs["metadata"]["name"] == "embeddings"
        else resource
        for resource in plan.resources
    ]
    config = load_policy_config("prod-gke-open", project / "policy-config")
    violations = evaluate_resources("prod-gke-open", resources, config)
    assert [violation.rule for violation in violations if violation.level is Level.MANDATORY] == [
        "entry-point-closes-load-balancer-service"
    ]
