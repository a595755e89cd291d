from __future__ import annotations

from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    StackValidationArgs,
)
from pulumi_policy.proxy import unknown_checking_proxy

from policy.crossguard import build_policies
from policy.rules import DEFAULT_LEVELS
from tests.policy.resources import changed, good_inputs

SQL = "gcp:sql/databaseInstance:DatabaseInstance"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"


def run_policy(name: str, resource_type: str, props: dict[str, Any], config: dict[str, Any] | None = None) -> list[str]:
    [policy] = [policy for policy in build_policies() if policy.name == name]
    options = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])
    args = ResourceValidationArgs(
        resource_type, unknown_checking_proxy(props), f"urn:x::{name}", "inference-prod-db", options, None, config
    )
    reported: list[str] = []
    policy.validate(args, lambda message, urn=None: reported.append(message))
    return reported


def test_there_is_one_crossguard_policy_per_resource_or_stack_rule_at_its_level() -> None:
    policies = build_policies()

    assert {policy.name: policy.enforcement_level for policy in policies} == {
        name: EnforcementLevel(level.value) for name, level in DEFAULT_LEVELS.items()
    }


def test_a_crossguard_policy_reports_what_the_rule_finds_over_the_engine_proxies() -> None:
    public_sql = changed(good_inputs()[SQL], ("settings", "ipConfiguration", "ipv4Enabled"), True)

    assert run_policy("cloudsql-no-public-ip", SQL, public_sql) == [
        "settings.ipConfiguration.ipv4Enabled must be false (unset means a public IP)"
    ]
    assert run_policy("cloudsql-no-public-ip", SQL, good_inputs()[SQL]) == []


def test_a_crossguard_policy_skips_a_resource_its_config_exempts() -> None:
    public_sql = changed(good_inputs()[SQL], ("settings", "ipConfiguration", "ipv4Enabled"), True)
    config = {"exemptResources": ["inference-prod-db"], "reason": "migration window"}

    assert run_policy("cloudsql-no-public-ip", SQL, public_sql, config) == []


def test_a_crossguard_stack_policy_reports_the_workload_without_a_network_policy_on_its_urn() -> None:
    [policy] = [policy for policy in build_policies() if policy.name == "k8s-network-policy"]
    options = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])
    deployment = PolicyResource(
        DEPLOYMENT,
        unknown_checking_proxy(good_inputs()[DEPLOYMENT]),
        "urn:deployment",
        "inference",
        options,
        None,
        None,
        [],
        {},
    )
    reported: list[tuple[str, str | None]] = []

    policy.validate(StackValidationArgs([deployment]), lambda message, urn=None: reported.append((message, urn)))

    assert reported == [("no NetworkPolicy in namespace 'inference' restricts its ingress", "urn:deployment")]
