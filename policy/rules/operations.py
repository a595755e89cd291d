"""Operations, over a whole stack: a prod stack is watched (SLOs with burn-rate alerts), somebody is told, and its
spend is budgeted. Stack rules, like the Kubernetes ones: each reads the resources of the types it concerns."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from facts.types import (
    BILLING_BUDGET,
    CLOUD_RUN_SERVICE,
    GKE_CLUSTER,
    MONITORING_ALERT_POLICY,
    MONITORING_NOTIFICATION_CHANNEL,
    MONITORING_SLO,
)
from policy.rules.registry import Declared, Level, RuleSet

RULES = RuleSet()

SERVING_TYPES = (CLOUD_RUN_SERVICE, GKE_CLUSTER)
"""The resource a stack-wide finding is reported on: what serves (the Cloud Run service, or the GKE cluster)."""
GCP_LABEL_PATHS: tuple[tuple[str, ...], ...] = (
    ("labels",),
    ("userLabels",),
    ("resourceLabels",),
    ("settings", "userLabels"),
)
BURN_RATE_SELECTOR = "select_slo_burn_rate("


def _dig(value: Any, path: Sequence[str]) -> Any:
    for step in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(step)
    return value


def _environment(resource: Declared) -> str | None:
    if resource.resource_type in (MONITORING_NOTIFICATION_CHANNEL,):
        paths: tuple[tuple[str, ...], ...] = (("userLabels",),)  # its `labels` configure the channel
    else:
        paths = GCP_LABEL_PATHS
    for path in paths:
        labels = _dig(resource.props, path)
        if isinstance(labels, Mapping) and isinstance(labels.get("environment"), str):
            return str(labels["environment"])
    return None


def _prod_anchor(resources: Sequence[Declared]) -> str | None:
    """The name to report a prod stack's finding on, or None when the stack is not prod."""
    prod = [
        resource
        for resource in resources
        if resource.resource_type.startswith("gcp:") and _environment(resource) == "prod"
    ]
    if not prod:
        return None
    serving = [resource for resource in prod if resource.resource_type in SERVING_TYPES]
    return (serving or prod)[0].name


def _of_type(resources: Sequence[Declared], resource_type: str) -> list[Declared]:
    return [resource for resource in resources if resource.resource_type == resource_type]


def _burn_rate_policies(resources: Sequence[Declared]) -> list[Declared]:
    return [
        policy
        for policy in _of_type(resources, MONITORING_ALERT_POLICY)
        if any(
            BURN_RATE_SELECTOR in str(_dig(condition, ("conditionThreshold", "filter")) or "")
            for condition in (policy.props.get("conditions") or [])
            if isinstance(condition, Mapping)
        )
    ]


@RULES.stack_rule(
    "operations-prod-enabled",
    Level.MANDATORY,
    "A prod stack has SLOs, each defended by burn-rate alert policies.",
    "SRE workbook: alerting on SLOs (multi-window, multi-burn-rate)",
)
def prod_operations_enabled(resources: Sequence[Declared]) -> list[tuple[str, str]]:
    anchor = _prod_anchor(resources)
    if anchor is None:
        return []
    problems = []
    if not _of_type(resources, MONITORING_SLO):
        problems.append((anchor, "a prod stack has no SLO: keep inference:operations.enabled: true"))
    elif not _burn_rate_policies(resources):
        problems.append((anchor, "a prod stack's SLOs have no burn-rate alert policy (select_slo_burn_rate)"))
    return problems


@RULES.stack_rule(
    "operations-prod-notification-channel",
    Level.MANDATORY,
    "A prod stack has a notification channel, and every alert policy notifies one.",
    "SRE workbook: alerting on SLOs",
)
def prod_notification_channel(resources: Sequence[Declared]) -> list[tuple[str, str]]:
    anchor = _prod_anchor(resources)
    if anchor is None:
        return []
    if not _of_type(resources, MONITORING_NOTIFICATION_CHANNEL):
        return [(anchor, "a prod stack's alerts notify nobody: list an address in inference:operations.alertEmails")]
    silent = [
        policy.name
        for policy in _of_type(resources, MONITORING_ALERT_POLICY)
        if not policy.props.get("notificationChannels")
    ]
    return [(name, "this prod alert policy notifies no channel") for name in silent]


@RULES.stack_rule(
    "operations-alerts-notify",
    Level.ADVISORY,
    "A stack with alert policies has a notification channel.",
    "inference:operations.alertEmails",
)
def alerts_notify_someone(resources: Sequence[Declared]) -> list[tuple[str, str]]:
    """Outside prod (where operations-prod-notification-channel is mandatory), warn that alerts reach nobody."""
    if _prod_anchor(resources) is not None or _of_type(resources, MONITORING_NOTIFICATION_CHANNEL):
        return []
    policies = _of_type(resources, MONITORING_ALERT_POLICY)
    if not policies:
        return []
    return [
        (
            policies[0].name,
            f"{len(policies)} alert policies notify nobody: list an address in inference:operations.alertEmails",
        )
    ]


@RULES.stack_rule(
    "operations-prod-budget",
    Level.ADVISORY,
    "A prod stack has a Cloud Billing budget.",
    "Cloud Billing budgets; cost --fail-over-budget",
)
def prod_budget(resources: Sequence[Declared]) -> list[tuple[str, str]]:
    anchor = _prod_anchor(resources)
    if anchor is None or _of_type(resources, BILLING_BUDGET):
        return []
    return [(anchor, "a prod stack has no budget: set inference:operations.budget {billingAccount, monthlyUsd}")]
