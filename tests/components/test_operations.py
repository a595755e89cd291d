"""The Operations component alone: channels, SLOs with burn-rate alert pairs, saturation alerts, the uptime check
or what replaces it, the dashboard and the budget, on Cloud Run and on GKE."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest

from components.operations import BURN_RATE_WINDOWS, BudgetArgs, ObjectivesArgs, Operations, OperationsArgs
from components.validation import ArgsError
from infra.offline import run_program
from plan import Plan, PlannedResource

CHANNEL = "gcp:monitoring/notificationChannel:NotificationChannel"
SLO = "gcp:monitoring/slo:Slo"
ALERT = "gcp:monitoring/alertPolicy:AlertPolicy"
UPTIME = "gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig"
DASHBOARD = "gcp:monitoring/dashboard:Dashboard"
BUDGET = "gcp:billing/budget:Budget"
LABELS = {"environment": "prod", "stack": "prod", "managed-by": "pulumi"}
PROJECT = "my-project"


def plan_operations(platform: str = "cloudrun", **choices: Any) -> Plan:
    def program() -> None:
        settings: dict[str, Any] = {
            "project": PROJECT,
            "platform": platform,
            "region": "us-central1",
            "service_name": "embeddings" if platform == "gke" else "inference-prod-service",
            "namespace": "inference" if platform == "gke" else None,
            "max_instances": 3,
            "min_instances": 1,
            "gpu": True,
            "database_id": f"{PROJECT}:inference-prod-db",
            "database_max_connections": 400,
            "redis_instance_id": f"projects/{PROJECT}/locations/us-central1/instances/inference-prod-redis",
            "alert_emails": ["oncall@example.com", "sre@example.com"],
            "objectives": ObjectivesArgs(availability=0.995, latency_ms=500, latency_objective=0.95, window_days=28),
            "labels": LABELS,
            **choices,
        }
        operations = Operations("inference-prod", OperationsArgs(**settings))
        pulumi.export("dashboard_id", operations.dashboard_id)

    return run_program(program, config={"gcp:project": PROJECT})


def alerts(plan: Plan) -> dict[str, PlannedResource]:
    return {resource.name.removeprefix("inference-prod-"): resource for resource in plan.of_type(ALERT)}


def test_each_alert_address_is_an_email_channel_every_alert_notifies():
    plan = plan_operations()
    channels = plan.of_type(CHANNEL)
    assert sorted(channel.inputs["labels"]["email_address"] for channel in channels) == [
        "oncall@example.com",
        "sre@example.com",
    ]
    assert all(channel.inputs["type"] == "email" and channel.inputs["forceDelete"] is True for channel in channels)
    for alert in plan.of_type(ALERT):
        assert len(alert.inputs["notificationChannels"]) == 2, alert.name


def test_cloud_run_slos_read_cloud_run_request_metrics_with_the_configured_goals():
    slos = {slo.inputs["sloId"]: slo.inputs for slo in plan_operations().of_type(SLO)}
    availability, latency = slos["availability"], slos["latency"]
    assert (availability["goal"], availability["rollingPeriodDays"]) == (0.995, 28)
    ratio = availability["requestBasedSli"]["goodTotalRatio"]
    assert 'metric.label.response_code_class="5xx"' in ratio["badServiceFilter"]
    assert "run.googleapis.com/request_count" in ratio["totalServiceFilter"]
    cut = latency["requestBasedSli"]["distributionCut"]
    assert "run.googleapis.com/request_latencies" in cut["distributionFilter"]
    assert (latency["goal"], cut["range"]["max"]) == (0.95, 500)


def test_gke_slos_read_the_apps_prometheus_series_in_seconds():
    slos = {slo.inputs["sloId"]: slo.inputs for slo in plan_operations("gke").of_type(SLO)}
    ratio = slos["availability"]["requestBasedSli"]["goodTotalRatio"]
    assert "prometheus.googleapis.com/embedding_http_requests_total/counter" in ratio["totalServiceFilter"]
    assert 'metric.label.status=starts_with("5")' in ratio["badServiceFilter"]
    cut = slos["latency"]["requestBasedSli"]["distributionCut"]
    assert "embedding_http_request_duration_seconds/histogram" in cut["distributionFilter"]
    assert cut["range"]["max"] == 0.5


def test_each_slo_has_a_fast_and_a_slow_multi_window_burn_rate_pair_from_the_workbook():
    found = alerts(plan_operations())
    for what in ("availability", "latency"):
        for window, long_s, short_s, rate in (("fast", 3600, 300, 14.4), ("slow", 21600, 1800, 6.0)):
            policy = found[f"{what}-burn-{window}"].inputs
            assert policy["combiner"] == "AND"
            filters = [condition["conditionThreshold"]["filter"] for condition in policy["conditions"]]
            assert filters == [
                f'select_slo_burn_rate("projects/{PROJECT}/services/inference-prod/serviceLevelObjectives/{what}", '
                f'"{seconds}s")'
                for seconds in (long_s, short_s)
            ]
            assert {condition["conditionThreshold"]["thresholdValue"] for condition in policy["conditions"]} == {rate}
    assert [(window.long_window_s, window.short_window_s) for window in BURN_RATE_WINDOWS] == [
        (3600, 300),
        (21600, 1800),
    ]


def test_every_alert_says_what_to_do():
    for platform in ("cloudrun", "gke"):
        for name, alert in alerts(plan_operations(platform)).items():
            assert "What to do:" in alert.inputs["documentation"]["content"], (platform, name)
            assert alert.inputs["userLabels"] == LABELS


def test_cloud_run_watches_instances_429s_cloud_sql_and_memorystore():
    found = alerts(plan_operations())
    assert {"instances-at-max", "queue-full", "sql-cpu", "sql-disk", "sql-connections", "redis-memory"} <= set(found)
    instances = found["instances-at-max"].inputs["conditions"][0]["conditionThreshold"]
    assert instances["thresholdValue"] == 2.5, "fires when all 3 instances run"
    connections = found["sql-connections"].inputs["conditions"][0]["conditionThreshold"]
    assert connections["thresholdValue"] == 320, "80 % of max_connections"
    assert f'database_id="{PROJECT}:inference-prod-db"' in connections["filter"]


def test_gke_watches_replicas_the_queue_gpus_and_the_apps_dependencies_in_promql():
    found = alerts(plan_operations("gke"))
    assert {"replicas-at-max", "queue-full", "gpu-saturated", "pods-not-answering", "redis-errors"} <= set(found)
    replicas = found["replicas-at-max"].inputs["conditions"][0]["conditionPrometheusQueryLanguage"]["query"]
    assert replicas == 'count(up{namespace="inference",job="embeddings"}) >= 3'
    queue = found["queue-full"].inputs["conditions"][0]["conditionPrometheusQueryLanguage"]["query"]
    assert "embedding_queue_full_rejections_total" in queue
    gpu = found["gpu-saturated"].inputs["conditions"][0]["conditionThreshold"]["filter"]
    assert "kubernetes.io/container/accelerator/duty_cycle" in gpu


def test_a_public_service_gets_an_uptime_check_on_healthz_with_its_alert():
    plan = plan_operations(public_url="https://inference-prod-abc-uc.a.run.app")
    check = plan.one(UPTIME).inputs
    assert check["httpCheck"]["path"] == "/healthz"
    assert check["monitoredResource"]["labels"]["host"] == "inference-prod-abc-uc.a.run.app"
    assert "healthz-failing" in alerts(plan)


def test_an_internal_cloud_run_service_gets_a_no_instance_alert_instead_of_an_uptime_check():
    plan = plan_operations()
    assert plan.of_type(UPTIME) == []
    assert "replaces the uptime check" in alerts(plan)["no-instances"].inputs["displayName"]


def test_one_dashboard_charts_traffic_latency_capacity_the_app_and_dependencies():
    for platform, expected in (
        ("cloudrun", ["Requests/s", "Latency p50 / p99", "Instances", "GPU", "Cloud SQL", "Memorystore"]),
        ("gke", ["Requests/s", "Latency p50 / p99", "Pods", "GPU", "Queue depth", "Batch size", "Cache hit ratio"]),
    ):
        dashboard = json.loads(plan_operations(platform).one(DASHBOARD).inputs["dashboardJson"])
        titles = " | ".join(tile["widget"]["title"] for tile in dashboard["mosaicLayout"]["tiles"])
        for title in expected:
            assert title in titles, (platform, title)


def test_a_budget_is_the_amount_on_the_stack_label_and_notifies_the_channels():
    budget_args = BudgetArgs(
        billing_account="012345-6789AB-CDEF01",
        monthly_usd=1500.5,
        thresholds=[0.5, 0.9, 1.0],
        project_number="123456789012",
        stack_label="prod",
    )
    budget = plan_operations(budget=budget_args).one(BUDGET).inputs
    assert budget["amount"]["specifiedAmount"] == {"currencyCode": "USD", "units": "1500", "nanos": 500000000}
    assert budget["budgetFilter"]["labels"] == {"stack": "prod"}
    assert budget["budgetFilter"]["projects"] == ["projects/123456789012"]
    assert [rule["thresholdPercent"] for rule in budget["thresholdRules"]] == [0.5, 0.9, 1.0]
    assert len(budget["allUpdatesRule"]["monitoringNotificationChannels"]) == 2


def test_without_a_budget_there_is_none():
    assert plan_operations().of_type(BUDGET) == []


def test_every_child_is_parented_to_the_component_and_named_from_it():
    plan = plan_operations("gke")
    component = plan.one("inference:operations:Operations")
    children = plan.children_of(component)
    assert children
    assert all(child.name.startswith("inference-prod-") for child in children)


def test_objectives_cloud_monitoring_refuses_are_refused_beside_their_fields() -> None:
    with pytest.raises(ArgsError) as refused:
        ObjectivesArgs(availability=1.0, latency_ms=500, latency_objective=0.95, window_days=31)
    assert [(problem.field, problem.value) for problem in refused.value.problems] == [
        ("availability", 1.0),
        ("window_days", 31),
    ]
