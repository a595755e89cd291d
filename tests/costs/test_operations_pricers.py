"""What operating a stack costs (alert conditions, Managed Prometheus samples, uptime checks), and the budget gate
`cost --fail-over-budget` against the budget a stack declares."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from costs.budget import declared_budget
from infra.offline import plan_stack
from tests.cli_process import run_cli
from tests.costs.builders import cost_of_kind, estimate, resource
from tests.policy.test_policy_cli import PROGRAM_FOLDERS

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ALERT_POLICY = "gcp:monitoring/alertPolicy:AlertPolicy"
UPTIME = "gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig"
POD_MONITORING = "kubernetes:monitoring.googleapis.com/v1:PodMonitoring"
HPA = "kubernetes:autoscaling/v2:HorizontalPodAutoscaler"


def test_each_alert_condition_costs_ten_cents_a_month():
    policy = resource(ALERT_POLICY, "burn", {"conditions": [{"displayName": "1h"}, {"displayName": "5m"}]})
    assert round(cost_of_kind(estimate(policy), "Cloud Monitoring"), 4) == 0.20


def test_managed_prometheus_bills_each_sample_of_each_pod_at_the_autoscalers_minimum():
    monitoring = resource(POD_MONITORING, "scrape", {"spec": {"endpoints": [{"port": "http", "interval": "30s"}]}})
    autoscaler = resource(HPA, "hpa", {"spec": {"minReplicas": 2}})
    samples_millions = 150 * 2 * 730 * 3600 / 30 / 1e6
    assert round(cost_of_kind(estimate(monitoring, autoscaler), "Managed Prometheus"), 4) == round(
        samples_millions * 0.06, 4
    )


def test_an_uptime_check_runs_from_six_regions_every_period():
    check = resource(UPTIME, "healthz", {"period": "60s"})
    executions_thousands = 730 * 60 * 6 / 1000
    assert round(cost_of_kind(estimate(check), "Cloud Monitoring"), 4) == round(executions_thousands * 0.30, 4)
    assert round(estimate(check, free_tier=True).monthly_total, 4) == 0, "1 million executions a month are free"


def test_the_shipped_prod_stacks_price_every_operations_resource_or_call_it_free():
    for stack in ("prod", "prod-gke"):
        result = estimate_of(stack)
        assert result.unpriced == [], stack
        assert cost_of_kind(result, "Cloud Monitoring") > 0


def estimate_of(stack: str):
    from costs.catalog import load_catalog
    from costs.estimate import estimate_stack
    from costs.usage import DEFAULT_USAGE_PATH, load_usage

    return estimate_stack(
        plan_stack(stack, PROJECT_ROOT), load_usage(DEFAULT_USAGE_PATH).for_stack(stack, "usage"), load_catalog()
    )


def test_a_stacks_budget_is_read_from_its_plan():
    assert declared_budget(plan_stack("prod", PROJECT_ROOT)) == 2000
    assert declared_budget(plan_stack("dev", PROJECT_ROOT)) is None


def project_with_budget(tmp_path: Path, monthly_usd: float) -> Path:
    (tmp_path / "Pulumi.yaml").write_text((PROJECT_ROOT / "Pulumi.yaml").read_text())
    for folder in (*PROGRAM_FOLDERS, "costs"):
        (tmp_path / folder).symlink_to(PROJECT_ROOT / folder, target_is_directory=True)
    document = yaml.safe_load((PROJECT_ROOT / "Pulumi.prod.yaml").read_text())
    document["config"]["inference:operations"]["budget"]["monthlyUsd"] = monthly_usd
    (tmp_path / "Pulumi.tight.yaml").write_text(yaml.safe_dump(document))
    return tmp_path


def test_fail_over_budget_exits_1_when_the_estimate_exceeds_the_budget(tmp_path):
    project = project_with_budget(tmp_path, 100)
    result = run_cli("cost", "--stack", "tight", "--fail-over-budget", cwd=project)
    assert result.returncode == 1, result.stderr
    assert "error: tight: the estimate of" in result.stderr
    assert "exceeds its budget of 100.00 USD (inference:operations.budget.monthlyUsd)" in result.stderr


def test_without_the_flag_an_estimate_over_budget_is_a_warning_line(tmp_path):
    project = project_with_budget(tmp_path, 100)
    result = run_cli("cost", "--stack", "tight", "--format", "json", cwd=project)
    assert result.returncode == 0, result.stderr
    assert "warning: tight: the estimate of" in result.stderr
    json.loads(result.stdout)


def test_fail_over_budget_exits_0_within_the_budget():
    result = run_cli("cost", "--stack", "prod", "--stack", "prod-gke", "--fail-over-budget", cwd=PROJECT_ROOT)
    assert result.returncode == 0, result.stderr
    assert "budget" not in result.stderr
