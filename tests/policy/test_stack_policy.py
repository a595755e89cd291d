from __future__ import annotations

import json
from pathlib import Path

import pytest

from policy.rules import DEFAULT_LEVELS, Level
from policy.stack_policy import (
    PolicyConfigError,
    RuleSetting,
    default_settings,
    evaluate_resources,
    load_policy_config,
    parse_policy_config,
    policy_config_path,
)
from tests.policy.resources import changed, good_inputs, plan_resource

RUN_MEMBER = "gcp:cloudrunv2/serviceIamMember:ServiceIamMember"
SQL = "gcp:sql/databaseInstance:DatabaseInstance"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
PUBLIC_INVOKER = changed(good_inputs()[RUN_MEMBER], ("member",), "allUsers")


def test_a_stack_without_a_policy_config_gets_every_rule_at_its_default_level(tmp_path: Path) -> None:
    settings = load_policy_config("nowhere", tmp_path)

    assert settings == {name: RuleSetting(level) for name, level in DEFAULT_LEVELS.items()}
    assert settings["k8s-network-policy"] == RuleSetting(Level.MANDATORY)


def test_a_policy_config_lowers_one_rule_and_keeps_the_others_at_their_defaults() -> None:
    settings = parse_policy_config(
        {"cloudrun-no-public-invoker": {"enforcementLevel": "advisory", "reason": "public demo endpoint"}}, "x.json"
    )

    assert settings["cloudrun-no-public-invoker"] == RuleSetting(Level.ADVISORY, frozenset(), "public demo endpoint")
    assert settings["redis-auth"] == RuleSetting(Level.MANDATORY)


def test_a_plain_string_entry_sets_the_level_as_pulumi_accepts_it() -> None:
    settings = parse_policy_config({"k8s-high-uid": "mandatory"}, "x.json")

    assert settings["k8s-high-uid"].level is Level.MANDATORY


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ([], "x.json: expected a JSON object keyed by rule name"),
        ({"no-such-rule": "advisory"}, "x.json: 'no-such-rule' is not a rule; known rules: cloudrun-dedicated"),
        ({"all": "advisory"}, "'all' is not a rule"),
        ({"redis-auth": {"enforcementLevel": "sometimes", "reason": "r"}}, "enforcementLevel 'sometimes' is not one"),
        ({"redis-auth": {"enforcementLevel": "advisory"}}, "x.json: 'redis-auth': an exception must give its reason"),
        ({"redis-auth": {"exemptResources": ["cache"], "reason": " "}}, "must give its reason in 'reason'"),
        ({"redis-auth": {"exemptResources": "cache", "reason": "r"}}, "exemptResources must be a list of resource"),
        ({"redis-auth": {"exempt": ["cache"], "reason": "r"}}, "unknown keys exempt; allowed: enforcementLevel"),
        ({"redis-auth": 3}, "expected an enforcement level or an object"),
    ],
)
def test_a_malformed_policy_config_is_refused_with_the_file_and_entry_named(document: object, expected: str) -> None:
    with pytest.raises(PolicyConfigError) as error:
        parse_policy_config(document, "x.json")

    assert expected in str(error.value)


def test_every_problem_in_a_policy_config_is_reported_at_once() -> None:
    with pytest.raises(PolicyConfigError) as error:
        parse_policy_config({"first-unknown": "advisory", "redis-tls": "disabled"}, "x.json")

    assert "'first-unknown' is not a rule" in str(error.value)
    assert "'redis-tls': an exception must give its reason" in str(error.value)


def test_raising_a_rule_above_its_default_needs_no_reason() -> None:
    assert parse_policy_config({"redis-private-network": "mandatory"}, "x.json")["redis-private-network"].level == (
        Level.MANDATORY
    )


def test_a_policy_config_file_that_is_not_json_is_refused_with_its_path(tmp_path: Path) -> None:
    policy_config_path("broken", tmp_path).write_text("{not json", encoding="utf-8")

    with pytest.raises(PolicyConfigError, match=r"broken\.json: not valid JSON"):
        load_policy_config("broken", tmp_path)


def test_a_violation_carries_the_stack_resource_rule_level_and_message() -> None:
    [violation] = evaluate_resources("prod", [plan_resource(RUN_MEMBER, "public", PUBLIC_INVOKER)], default_settings())

    assert (violation.stack, violation.resource, violation.resource_type) == ("prod", "public", RUN_MEMBER)
    assert (violation.rule, violation.level) == ("cloudrun-no-public-invoker", Level.MANDATORY)
    assert str(violation) == (
        f"[mandatory] public ({RUN_MEMBER}) cloudrun-no-public-invoker: member is 'allUsers' (role roles/run.invoker)"
    )


def test_an_exception_from_the_stack_config_file_applies_to_the_named_resource_only(tmp_path: Path) -> None:
    policy_config_path("demo", tmp_path).write_text(
        json.dumps({"cloudrun-no-public-invoker": {"exemptResources": ["public-demo"], "reason": "demo"}}),
        encoding="utf-8",
    )
    resources = [
        plan_resource(RUN_MEMBER, "public-demo", PUBLIC_INVOKER),
        plan_resource(RUN_MEMBER, "other", PUBLIC_INVOKER),
    ]

    violations = evaluate_resources("demo", resources, load_policy_config("demo", tmp_path))

    assert [violation.resource for violation in violations] == ["other"]


def test_a_lowered_rule_reports_at_its_new_level_and_a_disabled_one_not_at_all() -> None:
    resources = [plan_resource(RUN_MEMBER, "public", PUBLIC_INVOKER)]
    advisory = parse_policy_config({"cloudrun-no-public-invoker": {"enforcementLevel": "advisory", "reason": "r"}}, "x")
    disabled = parse_policy_config({"cloudrun-no-public-invoker": {"enforcementLevel": "disabled", "reason": "r"}}, "x")

    assert [violation.level for violation in evaluate_resources("s", resources, advisory)] == [Level.ADVISORY]
    assert evaluate_resources("s", resources, disabled) == []


def test_component_resources_are_not_evaluated() -> None:
    component = plan_resource(SQL, "db", changed(good_inputs()[SQL], ("settings",), {}), custom=False)

    assert evaluate_resources("prod", [component], default_settings()) == []


def test_a_stack_rule_violation_names_the_workload_and_honours_exemptions() -> None:
    deployment = plan_resource(DEPLOYMENT, "inference-app", good_inputs()[DEPLOYMENT])
    exempting = parse_policy_config(
        {"k8s-network-policy": {"exemptResources": ["inference-app"], "reason": "ingress via mesh sidecar"}}, "x"
    )

    [violation] = [v for v in evaluate_resources("gke", [deployment], default_settings()) if v.level is Level.MANDATORY]

    assert (violation.resource, violation.resource_type, violation.rule) == (
        "inference-app",
        DEPLOYMENT,
        "k8s-network-policy",
    )
    assert [v.rule for v in evaluate_resources("gke", [deployment], exempting)] == ["k8s-pod-disruption-budget"]
