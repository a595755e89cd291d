"""How Cloud Monitoring bills what the operations component creates: alert conditions, Managed Prometheus samples
and uptime-check executions. Prices come from the catalog by id; the rest of the component is free."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from facts import types
from facts.gcp import UPTIME_CHECK_REGIONS_DEFAULT

if TYPE_CHECKING:
    from costs.pricing import ResourcePricing

SECONDS_PER_HOUR = 3600
MILLION = 1_000_000
THOUSAND = 1000
DEFAULT_SCRAPE_INTERVAL_S = 60  # PodMonitoring's default interval


def price_alert_policy(pricing: ResourcePricing) -> None:
    conditions = len(pricing.inputs.get("conditions") or [])
    pricing.add(f"{conditions} condition(s)", "Cloud Monitoring", "monitoring.alerting.condition", conditions)


def price_pod_monitoring(pricing: ResourcePricing) -> None:
    """Samples ingested: the series each pod exports x pods x scrapes a month (pods at the autoscaler's minimum)."""
    endpoints = (pricing.inputs.get("spec") or {}).get("endpoints") or [{}]
    interval_s = min(_seconds(endpoint.get("interval")) for endpoint in endpoints)
    pods = _baseline_pods(pricing)
    series = pricing.usage.prometheus_series_per_pod
    scrapes = pricing.hours * SECONDS_PER_HOUR / interval_s
    samples = series * pods * scrapes * len(endpoints)
    pricing.add(
        f"{series:g} series x {pods:g} pod(s), every {interval_s:g} s",
        "Managed Prometheus",
        "monitoring.prometheus.samples",
        samples / MILLION,
    )


def price_uptime_check(pricing: ResourcePricing) -> None:
    period_s = _seconds(pricing.inputs.get("period"), default=60)
    regions = len(pricing.inputs.get("selectedRegions") or []) or UPTIME_CHECK_REGIONS_DEFAULT
    executions = pricing.hours * SECONDS_PER_HOUR / period_s * regions
    pricing.add(
        f"every {period_s:g} s from {regions} regions",
        "Cloud Monitoring",
        "monitoring.uptime.executions",
        executions / THOUSAND,
    )


def _baseline_pods(pricing: ResourcePricing) -> float:
    autoscalers = pricing.stack.of_type(types.K8S_HORIZONTAL_POD_AUTOSCALER)
    return float(sum((autoscaler.inputs.get("spec") or {}).get("minReplicas", 1) for autoscaler in autoscalers) or 1)


def _seconds(duration: Any, default: float = DEFAULT_SCRAPE_INTERVAL_S) -> float:
    """`30s`, `1m` → seconds."""
    if not isinstance(duration, str) or not duration:
        return default
    units = {"s": 1, "m": 60, "h": 3600}
    return float(duration[:-1]) * units[duration[-1]] if duration[-1] in units else float(duration)


OPERATIONS_PRICERS: dict[str, Callable[[ResourcePricing], None]] = {
    types.MONITORING_ALERT_POLICY: price_alert_policy,
    types.MONITORING_UPTIME_CHECK: price_uptime_check,
    types.K8S_POD_MONITORING: price_pod_monitoring,
}
