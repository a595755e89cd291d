"""Operations rules, over a whole stack: a prod stack is watched (SLOs with burn-rate alerts), somebody is told,
and its spend is budgeted.

Stack rules, pure functions over every declared resource, like the Kubernetes stack rules in policy/rules.py,
which registers them. They import nothing of the pack, so the pack can import them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

NOTIFICATION_CHANNEL = "gcp:monitoring/notificationChannel:NotificationChannel"
SLO = "gcp:monitoring/slo:Slo"
ALERT_POLICY = "gcp:monitoring/alertPolicy:AlertPolicy"
BUDGET = "gcp:billing/budget:Budget"
SERVING_TYPES = ("gcp:cloudrunv2/service:Service", "gcp:container/cluster:Cluster")
"""The resource a stack-wide finding is reported on: what serves (the Cloud Run service, or the GKE cluster)."""
GCP_LABEL_PATHS: tuple[tuple[str, ...], ...] = (
    ("labels",),
    ("userLabels",),
    ("resourceLabels",),
    ("settings", "userLabels"),
)
BURN_RATE_SELECTOR = "select_slo_burn_rate("


class DeclaredResource(Protocol):
    resource_type: str
    name: str
    props: Mapping[str, Any]


StackCheck = Callable[[Sequence[DeclaredResource]], list[tuple[str, str]]]


@dataclass(frozen=True)
class OperationsRule:
    name: str
    description: str
    level: str
    """`mandatory` or `advisory`: policy.rules.Level's values."""
    reference: str
    check: StackCheck


def _dig(value: Any, path: Sequence[str]) -> Any:
    for step in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(step)
    return value


def _environment(resource: DeclaredResource) -> str | None:
    if resource.resource_type in (NOTIFICATION_CHANNEL,):
        paths: tuple[tuple[str, ...], ...] = (("userLabels",),)  # its `labels` configure the channel
    else:
        paths = GCP_LABEL_PATHS
    for path in paths:
        labels = _dig(resource.props, path)
        if isinstance(labels, Mapping) and isinstance(labels.get("environment"), str):
            return str(labels["environment"])
    return None


def _prod_anchor(resources: Sequence[DeclaredResource]) -> str | None:
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


def _of_type(resources: Sequence[DeclaredResource], resource_type: str) -> list[DeclaredResource]:
    return [resource for resource in resources if resource.resource_type == resource_type]


def _burn_rate_policies(resources: Sequence[DeclaredResource]) -> list[DeclaredResource]:
    return [
        policy
        for policy in _of_type(resources, ALERT_POLICY)
        if any(
            BURN_RATE_SELECTOR in str(_dig(condition, ("conditionThreshold", "filter")) or "")
            for condition in (policy.props.get("conditions") or [])
            if isinstance(condition, Mapping)
        )
    ]


def prod_operations_enabled(resources: Sequence[DeclaredResource]) -> list[tuple[str, str]]:
    anchor = _prod_anchor(resources)
    if anchor is None:
        return []
    problems = []
    if not _of_type(resources, SLO):
        problems.append((anchor, "a prod stack has no SLO: keep inference:operations.enabled: true"))
    elif not _burn_rate_policies(resources):
        problems.append((anchor, "a prod stack's SLOs have no burn-rate alert policy (select_slo_burn_rate)"))
    return problems


def prod_notification_channel(resources: Sequence[DeclaredResource]) -> list[tuple[str, str]]:
    anchor = _prod_anchor(resources)
    if anchor is None:
        return []
    if not _of_type(resources, NOTIFICATION_CHANNEL):
        return [(anchor, "a prod stack's alerts notify nobody: list an address in inference:operations.alertEmails")]
    silent = [
        policy.name for policy in _of_type(resources, ALERT_POLICY) if not policy.props.get("notificationChannels")
    ]
    return [(name, "this prod alert policy notifies no channel") for name in silent]


def alerts_notify_someone(resources: Sequence[DeclaredResource]) -> list[tuple[str, str]]:
    """Outside prod (where operations-prod-notification-channel is mandatory), warn that alerts reach nobody."""
    if _prod_anchor(resources) is not None or _of_type(resources, NOTIFICATION_CHANNEL):
        return []
    policies = _of_type(resources, ALERT_POLICY)
    if not policies:
        return []
    return [
        (
            policies[0].name,
            f"{len(policies)} alert policies notify nobody: list an address in inference:operations.alertEmails",
        )
    ]


def prod_budget(resources: Sequence[DeclaredResource]) -> list[tuple[str, str]]:
    anchor = _prod_anchor(resources)
    if anchor is None or _of_type(resources, BUDGET):
        return []
    return [(anchor, "a prod stack has no budget: set inference:operations.budget {billingAccount, monthlyUsd}")]


OPERATIONS_STACK_RULES = (
    OperationsRule(
        "operations-prod-enabled",
        "A prod stack has SLOs, each defended by burn-rate alert policies.",
        "mandatory",
        "SRE workbook: alerting on SLOs (multi-window, multi-burn-rate)",
        prod_operations_enabled,
    ),
    OperationsRule(
        "operations-prod-notification-channel",
        "A prod stack has a notification channel, and every alert policy notifies one.",
        "mandatory",
        "SRE workbook: alerting on SLOs",
        prod_notification_channel,
    ),
    OperationsRule(
        "operations-alerts-notify",
        "A stack with alert policies has a notification channel.",
        "advisory",
        "inference:operations.alertEmails",
        alerts_notify_someone,
    ),
    OperationsRule(
        "operations-prod-budget",
        "A prod stack has a Cloud Billing budget.",
        "advisory",
        "Cloud Billing budgets; cost --fail-over-budget",
        prod_budget,
    ),
)
