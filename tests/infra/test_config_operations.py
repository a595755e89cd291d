"""inference:operations: the SLOs, alert emails and budget a stack is operated with, and every rule's message."""

from __future__ import annotations

import pytest

from tests.cli_process import run_cli
from tests.infra.test_config import load, problems

VALID_BUDGET = {"billingAccount": "012345-6789AB-CDEF01", "monthlyUsd": 1500}


def test_every_stack_is_operated_by_default_with_the_documented_objectives():
    operations = load().operations
    assert operations.enabled is True
    assert operations.alert_emails == []
    assert (operations.slo.availability, operations.slo.latency_ms) == (0.995, 500)
    assert (operations.slo.latency_objective, operations.slo.window_days) == (0.95, 28)
    assert operations.budget is None


def test_a_budget_takes_its_default_thresholds():
    budget = load(inference__operations={"budget": VALID_BUDGET}).operations.budget
    assert budget is not None
    assert (budget.billing_account, budget.monthly_usd, budget.thresholds) == (
        "012345-6789AB-CDEF01",
        1500,
        [0.5, 0.9, 1.0],
    )


def test_dev_may_turn_operations_off():
    assert load(inference__operations={"enabled": False}).operations.enabled is False


@pytest.mark.parametrize(
    ("operations", "expected"),
    [
        (
            {"slo": {"availability": 1}},
            "inference:operations.slo.availability = 1: an objective is a ratio above 0 and at most 0.999",
        ),
        (
            {"slo": {"latencyObjective": 0}},
            "inference:operations.slo.latencyObjective = 0: an objective is a ratio above 0 and at most 0.999",
        ),
        (
            {"slo": {"latencyMs": 0}},
            "inference:operations.slo.latencyMs = 0: Input should be greater than or equal to 1",
        ),
        (
            {"slo": {"windowDays": 31}},
            "inference:operations.slo.windowDays = 31: Cloud Monitoring measures an SLO over 1-30 days",
        ),
        (
            {"budget": {**VALID_BUDGET, "billingAccount": "0123456789ABCDEF01"}},
            "inference:operations.budget.billingAccount = 0123456789ABCDEF01: a billing account id is three groups",
        ),
        (
            {"budget": {**VALID_BUDGET, "thresholds": [0.9, 0.5]}},
            "inference:operations.budget.thresholds = [0.9, 0.5]: thresholds must be strictly ascending",
        ),
        (
            {"budget": {**VALID_BUDGET, "thresholds": [0, 0.5]}},
            "inference:operations.budget.thresholds = [0, 0.5]: each threshold is a fraction of the amount in (0, 10]",
        ),
        (
            {"budget": {**VALID_BUDGET, "monthlyUsd": 0}},
            "inference:operations.budget.monthlyUsd = 0: Input should be greater than 0",
        ),
        ({"budget": {"monthlyUsd": 10}}, "inference:operations.budget.billingAccount: required"),
        (
            {"alertEmails": ["oncall"]},
            "inference:operations.alertEmails = [\"oncall\"]: 'oncall' is not an email address",
        ),
        (
            {"alertEmail": ["oncall@example.com"]},
            'inference:operations.alertEmail = ["oncall@example.com"]: unknown key (allowed here: alertEmails, budget, '
            "enabled, slo)",
        ),
        (
            {"budget": VALID_BUDGET, "alertEmails": [f"person{index}@example.com" for index in range(6)]},
            'inference:operations.alertEmails = ["person0@example.com"',
        ),
    ],
)
def test_bad_operations_values_name_the_file_the_key_and_the_rule(operations, expected):
    found = problems(inference__operations=operations)
    assert any(message.startswith(f"Pulumi.test.yaml: {expected}") for message in found), found


BAD_OPERATIONS_STACK = """\
config:
  gcp:project: my-project
  gcp:region: us-central1
  inference:operations:
    slo: {availability: 1.5, windowDays: 90}
    budget: {billingAccount: nope, monthlyUsd: 100, thresholds: [1.0, 0.5]}
"""


def test_a_stack_file_with_bad_operations_exits_2_naming_file_and_keys(project_copy):
    (project_copy / "Pulumi.badops.yaml").write_text(BAD_OPERATIONS_STACK)
    result = run_cli("plan", "--stack", "badops", cwd=project_copy)
    assert result.returncode == 2, result.stderr
    for key in ("slo.availability = 1.5", "slo.windowDays = 90", "budget.billingAccount = nope", "budget.thresholds"):
        assert f"Pulumi.badops.yaml: inference:operations.{key}" in result.stderr
    assert "Traceback" not in result.stderr
