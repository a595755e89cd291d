"""The issue's acceptance on the shipped prod stacks: SLOs, burn-rate and saturation alerts, the dashboard and the
channels; on GKE an autoscaler on the app's own load and a PodMonitoring; a budget of the amount the stack sets."""

from __future__ import annotations

import pytest

from infra.offline import plan_stack
from plan import Plan
from tests.stack_files import PROJECT_ROOT, stack_config

ALERT = "gcp:monitoring/alertPolicy:AlertPolicy"


@pytest.fixture(scope="module", params=["prod", "prod-gke"])
def prod_plan(request: pytest.FixtureRequest) -> Plan:
    return plan_stack(request.param, PROJECT_ROOT)


def alert_keys(plan: Plan) -> set[str]:
    prefix = f"inference-{plan.stack}-"
    return {alert.name.removeprefix(prefix) for alert in plan.of_type(ALERT)}


def test_prod_stacks_have_slos_burn_rate_and_saturation_alerts_a_dashboard_and_channels(prod_plan: Plan):
    assert {slo.inputs["sloId"] for slo in prod_plan.of_type("gcp:monitoring/slo:Slo")} == {"availability", "latency"}
    burn = {f"{what}-burn-{speed}" for what in ("availability", "latency") for speed in ("fast", "slow")}
    dependencies = {"queue-full", "sql-cpu", "sql-disk", "sql-connections", "redis-memory"}
    capacity = {"replicas-at-max", "gpu-saturated"} if prod_plan.stack == "prod-gke" else {"instances-at-max"}
    assert burn | dependencies | capacity <= alert_keys(prod_plan)
    assert len(prod_plan.of_type("gcp:monitoring/dashboard:Dashboard")) == 1
    channels = prod_plan.of_type("gcp:monitoring/notificationChannel:NotificationChannel")
    emails = stack_config(prod_plan.stack)["inference:operations"]["alertEmails"]
    assert [channel.inputs["labels"]["email_address"] for channel in channels] == emails


def test_a_stack_with_a_budget_has_a_budget_of_that_amount(prod_plan: Plan):
    (budget,) = prod_plan.of_type("gcp:billing/budget:Budget")
    amount = stack_config(prod_plan.stack)["inference:operations"]["budget"]["monthlyUsd"]
    assert budget.inputs["amount"]["specifiedAmount"] == {"currencyCode": "USD", "units": str(amount)}
    assert budget.inputs["budgetFilter"]["labels"] == {"stack": prod_plan.stack}


def test_prod_gke_scales_on_a_pods_metric_from_the_app_not_on_cpu():
    plan = plan_stack("prod-gke", PROJECT_ROOT)
    (autoscaler,) = plan.of_type("kubernetes:autoscaling/v2:HorizontalPodAutoscaler")
    (metric,) = autoscaler.inputs["spec"]["metrics"]
    assert metric["type"] == "Pods"
    assert metric["pods"]["metric"]["name"] == "prometheus.googleapis.com|embedding_queue_depth_inputs|gauge"
    (monitoring,) = plan.of_type("kubernetes:monitoring.googleapis.com/v1:PodMonitoring")
    assert monitoring.inputs["spec"]["endpoints"][0]["path"] == "/metrics"
    cluster = plan.one("gcp:container/cluster:Cluster").inputs
    assert cluster["monitoringConfig"]["managedPrometheus"]["enabled"] is True
    assert len(plan.of_type("kubernetes:apiregistration.k8s.io/v1:APIService")) == 2


def test_a_stack_with_operations_off_has_no_monitoring_resources(project_copy):
    stack_file = project_copy / "Pulumi.quiet.yaml"
    stack_file.write_text((project_copy / "Pulumi.dev.yaml").read_text() + "  inference:operations: {enabled: false}\n")
    plan = plan_stack("quiet", project_copy, cache=False)
    assert [r.type for r in plan.resources if r.type.startswith(("gcp:monitoring", "gcp:billing"))] == []
    assert "monitoring.googleapis.com" not in {
        s.inputs["service"] for s in plan.of_type("gcp:projects/service:Service")
    }
