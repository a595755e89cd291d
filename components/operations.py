"""Operating the service: notification channels, SLOs with multi-window multi-burn-rate alerts, saturation and
dependency alerts, an uptime check where the service is reachable, one dashboard and an optional budget.

The SLOs follow the Google SRE workbook (chapter "Alerting on SLOs"): each SLO gets a fast pair of windows
(1 h and 5 min at a burn rate of 14.4, 2 % of a 30-day budget in an hour) and a slow pair (6 h and 30 min at 6,
5 % in six hours); a pair fires only when both its windows burn, so it resets quickly once the burn stops.
On Cloud Run the SLIs read Cloud Run's request metrics; on GKE the app's own Prometheus series, which
Managed Service for Prometheus collects through a PodMonitoring.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pulumi
import pulumi_gcp as gcp

from components._options import child_options
from components.validation import ArgsProblems
from facts.app import (
    BATCH_SIZE_METRIC,
    CACHE_HITS_METRIC,
    CACHE_MISSES_METRIC,
    EMBEDDINGS_ROUTE,
    LATENCY_METRIC,
    LIVENESS_PATH,
    QUEUE_DEPTH_METRIC,
    QUEUE_FULL_METRIC,
    REDIS_ERRORS_METRIC,
    REQUESTS_METRIC,
    USAGE_WRITE_ERRORS_METRIC,
)
from facts.gcp import SLO_GOAL_MAX, SLO_ROLLING_PERIOD_DAYS_RANGE


@dataclass(frozen=True)
class BurnRateWindow:
    """One alert of the multi-window pair: it fires when both windows burn the error budget at `burn_rate`."""

    name: str
    """`fast` or `slow`: in the alert policy's resource and display names."""
    long_window_s: int
    """The long window, in seconds, over which the burn rate must hold."""
    short_window_s: int
    """The short window, in seconds, that must burn too, so the alert clears soon after the burn stops."""
    burn_rate: float
    """How many times faster than the SLO allows the error budget is spent."""
    severity: str
    """The alert policy's severity in Cloud Monitoring (CRITICAL for the fast burn, ERROR for the slow one)."""


# The SRE workbook's recommended pairs for a page (table 5-8); the short window is 1/12 of the long one.
BURN_RATE_WINDOWS = (
    BurnRateWindow("fast", 3600, 300, 14.4, "CRITICAL"),
    BurnRateWindow("slow", 21600, 1800, 6.0, "ERROR"),
)
SATURATION_DURATION = "900s"
QUEUE_FULL_SHARE = 0.05
"""Alert when more than this share of embedding requests is refused with 429 (queue full)."""
SQL_CPU_UTILIZATION = 0.8
SQL_DISK_UTILIZATION = 0.85
SQL_CONNECTIONS_SHARE = 0.8
REDIS_MEMORY_RATIO = 0.8
GPU_DUTY_CYCLE_PERCENT = 90
UPTIME_PERIOD = "60s"
UPTIME_TIMEOUT = "10s"
MONITORING_DOCS_MIME = "text/markdown"


@dataclass(frozen=True, kw_only=True)
class ObjectivesArgs:
    """The two SLOs the burn-rate alerts defend."""

    availability: float
    """Share of requests without a 5xx over the window."""
    latency_ms: int
    """The latency SLO's threshold, in milliseconds."""
    latency_objective: float
    """Share of requests faster than latency_ms."""
    window_days: int
    """The rolling window both SLOs are measured over (1-30 days)."""

    def __post_init__(self) -> None:
        problems = ArgsProblems(self)
        for field, goal in (("availability", self.availability), ("latency_objective", self.latency_objective)):
            if (problem := slo_goal_problem(goal)) is not None:
                problems.add(field, goal, problem)
        if (problem := slo_window_problem(self.window_days)) is not None:
            problems.add("window_days", self.window_days, problem)
        problems.raise_any()


def slo_goal_problem(goal: float) -> str | None:
    """What Cloud Monitoring refuses in an SLO goal, or None (the config checks a stack file's goals with it)."""
    if 0 < goal <= SLO_GOAL_MAX:
        return None
    return f"an objective is a ratio above 0 and at most {SLO_GOAL_MAX} (Cloud Monitoring's limit), like 0.995"


def slo_window_problem(days: int) -> str | None:
    """What Cloud Monitoring refuses in an SLO's rolling window, or None."""
    low, high = SLO_ROLLING_PERIOD_DAYS_RANGE
    return None if low <= days <= high else f"Cloud Monitoring measures an SLO over {low}-{high} days"


@dataclass(frozen=True, kw_only=True)
class BudgetArgs:
    """A Cloud Billing budget on the project, counting the stack's resources only."""

    billing_account: str
    """The billing account the project bills to (012345-6789AB-CDEF01)."""
    monthly_usd: float
    """The budget amount a month, in US dollars."""
    thresholds: Sequence[float]
    """Fractions of the amount at which the budget notifies, ascending."""
    project_number: pulumi.Input[str]
    """The project's number (a budget filters projects by number)."""
    stack_label: str
    """The value of the `stack` label every resource of the stack carries; the budget counts only those costs."""


@dataclass(frozen=True, kw_only=True)
class OperationsArgs:
    """Notification channels, SLOs, alerts, an uptime check, the dashboard and the budget of one service."""

    project: str
    """The project the monitoring resources live in."""
    platform: Literal["cloudrun", "gke"]
    """Where the service runs, which decides what the SLIs read."""
    region: str
    """The service's region."""
    service_name: pulumi.Input[str]
    """Cloud Run: the service's name. GKE: the Deployment's (and the PodMonitoring's job) name."""
    namespace: pulumi.Input[str] | None = None
    """GKE only: the workload's namespace."""
    max_instances: int
    """Cloud Run maxInstances or the autoscaler's maximum replicas."""
    min_instances: int
    """Cloud Run minInstances or the autoscaler's minimum replicas."""
    public_url: pulumi.Input[str] | None = None
    """The service's https URL where it is reachable from the internet (an uptime check probes it), else None."""
    gpu: bool
    """The service runs on GPUs (a GPU saturation alert and dashboard row)."""
    database_id: pulumi.Input[str]
    """Cloud SQL's monitored-resource id, `<project>:<instance>`."""
    database_max_connections: int
    """PostgreSQL's max_connections on the instance's tier."""
    redis_instance_id: pulumi.Input[str]
    """Memorystore's id, `projects/<p>/locations/<r>/instances/<name>`."""
    alert_emails: Sequence[str]
    """An email notification channel each; empty, the alerts notify nobody."""
    objectives: ObjectivesArgs
    """The availability and latency SLOs."""
    budget: BudgetArgs | None = None
    """A budget for the project; None for none."""
    labels: Mapping[str, str]
    """Set on every resource that takes labels (`userLabels`)."""

    def __post_init__(self) -> None:
        if self.platform == "gke" and self.namespace is None:
            raise ValueError("the GKE service's SLIs read its namespace: set namespace")


class Operations(pulumi.ComponentResource):
    """Everything an on-call engineer needs to run one stack: who is told, what is promised, what is watched."""

    dashboard_id: pulumi.Output[str]
    notification_channels: list[pulumi.Output[str]]
    """The channels' resource names (`projects/<p>/notificationChannels/<id>`)."""

    def __init__(self, name: str, args: OperationsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("inference:operations:Operations", name, None, opts)
        child = child_options(self, opts)
        labels = dict(args.labels)
        self._name, self._args, self._child, self._labels = name, args, child, labels

        channels = [
            gcp.monitoring.NotificationChannel(
                f"{name}-email-{index}",
                type="email",
                display_name=f"{name} on-call ({address})",
                labels={"email_address": address},
                user_labels=labels,
                # A channel an alert policy still names cannot be deleted otherwise: removing an address from
                # the stack, or destroying it, would fail.
                force_delete=True,
                opts=child,
            )
            for index, address in enumerate(args.alert_emails)
        ]
        self.notification_channels = [channel.name for channel in channels]

        service = self._service()
        availability_slo, latency_slo = self._objectives(service)
        for slo, what in ((availability_slo, "availability"), (latency_slo, "latency")):
            self._burn_rate_alerts(slo, what)
        self._saturation_alerts()
        self._reachability_check()
        dashboard = gcp.monitoring.Dashboard(f"{name}-dashboard", dashboard_json=self._dashboard_json(), opts=child)
        if args.budget is not None:
            self._budget(args.budget)

        self.dashboard_id = dashboard.id
        self.register_outputs({"dashboard_id": self.dashboard_id, "notification_channels": self.notification_channels})

    # --- SLOs ------------------------------------------------------------------------------------------------

    def _service(self) -> pulumi.CustomResource:
        name, args = self._name, self._args
        if args.platform == "cloudrun":
            return gcp.monitoring.GenericService(
                f"{name}-slo-service",
                service_id=name,
                display_name=f"{name} (Cloud Run)",
                basic_service=gcp.monitoring.GenericServiceBasicServiceArgs(
                    service_type="CLOUD_RUN",
                    service_labels={"service_name": args.service_name, "location": args.region},
                ),
                user_labels=self._labels,
                opts=self._child,
            )
        return gcp.monitoring.CustomService(
            f"{name}-slo-service",
            service_id=name,
            display_name=f"{name} (GKE, Managed Prometheus)",
            user_labels=self._labels,
            opts=self._child,
        )

    def _objectives(self, service: pulumi.CustomResource) -> tuple[gcp.monitoring.Slo, gcp.monitoring.Slo]:
        name, args, objectives = self._name, self._args, self._args.objectives
        service_id = service.service_id  # type: ignore[attr-defined]
        if args.platform == "cloudrun":
            requests = pulumi.Output.format(
                'metric.type="run.googleapis.com/request_count" resource.type="cloud_run_revision" '
                'resource.label.service_name="{0}"',
                args.service_name,
            )
            failed = pulumi.Output.format('{0} metric.label.response_code_class="5xx"', requests)
            latencies = pulumi.Output.format(
                'metric.type="run.googleapis.com/request_latencies" resource.type="cloud_run_revision" '
                'resource.label.service_name="{0}"',
                args.service_name,
            )
            latency_bound: float = objectives.latency_ms  # Cloud Run reports milliseconds
        else:
            requests = pulumi.Output.format(
                'metric.type="prometheus.googleapis.com/{0}/counter" resource.type="prometheus_target" '
                'resource.label.namespace="{1}" metric.label.route="{2}"',
                REQUESTS_METRIC,
                args.namespace,
                EMBEDDINGS_ROUTE,
            )
            failed = pulumi.Output.format('{0} metric.label.status=starts_with("5")', requests)
            latencies = pulumi.Output.format(
                'metric.type="prometheus.googleapis.com/{0}/histogram" resource.type="prometheus_target" '
                'resource.label.namespace="{1}" metric.label.route="{2}"',
                LATENCY_METRIC,
                args.namespace,
                EMBEDDINGS_ROUTE,
            )
            latency_bound = objectives.latency_ms / 1000  # the app's histogram is in seconds
        availability = gcp.monitoring.Slo(
            f"{name}-availability",
            service=service_id,
            slo_id="availability",
            display_name=f"{objectives.availability:.2%} of requests without a 5xx, {objectives.window_days} days",
            goal=objectives.availability,
            rolling_period_days=objectives.window_days,
            request_based_sli=gcp.monitoring.SloRequestBasedSliArgs(
                good_total_ratio=gcp.monitoring.SloRequestBasedSliGoodTotalRatioArgs(
                    bad_service_filter=failed, total_service_filter=requests
                )
            ),
            user_labels=self._labels,
            opts=self._child,
        )
        latency = gcp.monitoring.Slo(
            f"{name}-latency",
            service=service_id,
            slo_id="latency",
            display_name=(
                f"{objectives.latency_objective:.0%} of requests under {objectives.latency_ms} ms, "
                f"{objectives.window_days} days"
            ),
            goal=objectives.latency_objective,
            rolling_period_days=objectives.window_days,
            request_based_sli=gcp.monitoring.SloRequestBasedSliArgs(
                distribution_cut=gcp.monitoring.SloRequestBasedSliDistributionCutArgs(
                    distribution_filter=latencies,
                    range=gcp.monitoring.SloRequestBasedSliDistributionCutRangeArgs(min=0, max=latency_bound),
                )
            ),
            user_labels=self._labels,
            # Both SLOs live on one service, whose SLOs the API changes one at a time.
            opts=self._child.merge(pulumi.ResourceOptions(depends_on=[availability])),
        )
        return availability, latency

    def _burn_rate_alerts(self, slo: gcp.monitoring.Slo, what: str) -> None:
        objectives = self._args.objectives
        goal = objectives.availability if what == "availability" else objectives.latency_objective
        for window in BURN_RATE_WINDOWS:
            budget_share = window.burn_rate * window.long_window_s / (objectives.window_days * 86400)
            conditions = [
                gcp.monitoring.AlertPolicyConditionArgs(
                    display_name=f"{what} error budget burning {window.burn_rate:g}x over {seconds // 60} min",
                    condition_threshold=gcp.monitoring.AlertPolicyConditionConditionThresholdArgs(
                        filter=pulumi.Output.format('select_slo_burn_rate("{0}", "{1}s")', slo.name, seconds),
                        comparison="COMPARISON_GT",
                        threshold_value=window.burn_rate,
                        duration="0s",
                        trigger=gcp.monitoring.AlertPolicyConditionConditionThresholdTriggerArgs(count=1),
                    ),
                )
                for seconds in (window.long_window_s, window.short_window_s)
            ]
            self._alert(
                f"{what}-burn-{window.name}",
                f"{what} SLO: {window.name} burn ({window.burn_rate:g}x)",
                conditions,
                severity=window.severity,
                combiner="AND",
                documentation=(
                    f"The {what} SLO ({goal:.2%} over {objectives.window_days} days) is burning its error budget "
                    f"{window.burn_rate:g} times too fast over both the last {window.long_window_s // 3600} h and "
                    f"the last {window.short_window_s // 60} min: at this rate about {budget_share:.0%} of the "
                    "window's budget goes in the long window.\n\n"
                    "What to do: open the stack's dashboard. 5xx or slow requests together with the queue-full "
                    "(429) rate or instances at their maximum mean too little capacity: raise maxInstances (Cloud "
                    "Run) or gke.replicas.max and gpuPool.maxNodes (GKE), within the GPU quota. Errors without "
                    "load point at a bad revision (roll back: `pulumi up` with the previous image.prebuilt) or at "
                    "a dependency (the Cloud SQL and Memorystore alerts and tiles). The alert closes itself once "
                    "the short window stops burning."
                ),
            )

    # --- saturation and dependencies -------------------------------------------------------------------------

    def _saturation_alerts(self) -> None:
        args = self._args
        if args.platform == "cloudrun":
            self._alert(
                "instances-at-max",
                "Cloud Run instances at maxInstances",
                [
                    self._threshold(
                        f"instances at {args.max_instances} for 15 min",
                        pulumi.Output.format(
                            'metric.type="run.googleapis.com/container/instance_count" '
                            'resource.type="cloud_run_revision" resource.label.service_name="{0}"',
                            args.service_name,
                        ),
                        args.max_instances - 0.5,
                        aligner="ALIGN_MAX",
                        reducer="REDUCE_SUM",
                    )
                ],
                documentation=(
                    f"The service has run at maxInstances ({args.max_instances}) for 15 minutes: Cloud Run cannot "
                    "add capacity, so requests queue in the app and then get 429.\n\nWhat to do: check the "
                    "queue-full and latency tiles. If the load is real, raise inference:service.maxInstances (a GPU "
                    "service needs GPU quota for it, old revisions included); if it is one client, lower its rate "
                    "limit."
                ),
            )
            self._alert(
                "queue-full",
                "Requests refused with 429",
                [
                    self._threshold(
                        f"more than {QUEUE_FULL_SHARE:.0%} of requests get 429 for 10 min",
                        pulumi.Output.format(
                            'metric.type="run.googleapis.com/request_count" resource.type="cloud_run_revision" '
                            'resource.label.service_name="{0}" metric.label.response_code="429"',
                            args.service_name,
                        ),
                        QUEUE_FULL_SHARE,
                        aligner="ALIGN_RATE",
                        reducer="REDUCE_SUM",
                        duration="600s",
                        denominator=pulumi.Output.format(
                            'metric.type="run.googleapis.com/request_count" resource.type="cloud_run_revision" '
                            'resource.label.service_name="{0}"',
                            args.service_name,
                        ),
                    )
                ],
                documentation=(
                    "More than 5 % of requests were refused with 429: the model's queue is full (`queue_full`) "
                    "or keys hit their rate limit (`rate_limit_exceeded`); Cloud Run's metrics do not tell them "
                    "apart, the response body does.\n\nWhat to do: with instances at maxInstances, raise it; "
                    "below it, Cloud Run is not scaling on concurrency fast enough: lower "
                    "inference:service.concurrency so each instance takes fewer requests."
                ),
            )
        else:
            selector = pulumi.Output.format('namespace="{0}",job="{1}"', args.namespace, args.service_name)
            self._alert(
                "replicas-at-max",
                "GKE replicas at the autoscaler's maximum",
                [
                    self._promql(
                        f"{args.max_instances} pods for 15 min",
                        pulumi.Output.format("count(up{{{0}}}) >= {1}", selector, args.max_instances),
                    )
                ],
                documentation=(
                    f"The autoscaler has run the maximum of {args.max_instances} pods for 15 minutes: the queue "
                    "depth per pod is above its target and no pod can be added.\n\nWhat to do: raise "
                    "inference:gke.replicas.max together with gpuPool.maxNodes (one GPU a pod, within the GPU "
                    "quota); check the queue-depth tile."
                ),
            )
            self._alert(
                "queue-full",
                "Requests refused because the queue is full (429)",
                [
                    self._promql(
                        f"more than {QUEUE_FULL_SHARE:.0%} of requests refused for 10 min",
                        pulumi.Output.format(
                            'sum(rate({0}{{{1}}}[5m])) / sum(rate({2}{{{1},route="{3}"}}[5m])) > {4}',
                            QUEUE_FULL_METRIC,
                            selector,
                            REQUESTS_METRIC,
                            EMBEDDINGS_ROUTE,
                            QUEUE_FULL_SHARE,
                        ),
                        duration="600s",
                    )
                ],
                documentation=(
                    "More than 5 % of embedding requests were refused because the model's queue was full "
                    "(embedding_queue_full_rejections_total).\n\nWhat to do: if replicas are at their maximum, "
                    "raise gke.replicas.max and gpuPool.maxNodes; if not, the autoscaler reacts too slowly: lower "
                    "gke.replicas.targetQueueDepth."
                ),
            )
            self._alert(
                "pods-not-answering",
                "No pod answers its metrics scrape",
                [
                    self._promql(
                        "no pod scraped for 5 min",
                        pulumi.Output.format("(sum(up{{{0}}}) or vector(0)) < 1", selector),
                        duration="300s",
                    )
                ],
                documentation=(
                    "Managed Prometheus reached no pod of the service for 5 minutes; this in-cluster check replaces "
                    "an uptime check, which cannot reach the internal load balancer.\n\nWhat to do: `kubectl -n "
                    "inference get pods,events`: pods Pending mean no GPU node (quota, or the zone is out of "
                    "L4s); CrashLoopBackOff means the app fails at start (its logs say why)."
                ),
            )
            self._alert(
                "gpu-saturated",
                "GPU duty cycle above 90 %",
                [
                    self._threshold(
                        f"GPU busy more than {GPU_DUTY_CYCLE_PERCENT} % for 15 min",
                        pulumi.Output.format(
                            'metric.type="kubernetes.io/container/accelerator/duty_cycle" '
                            'resource.type="k8s_container" resource.label.namespace_name="{0}"',
                            args.namespace,
                        ),
                        GPU_DUTY_CYCLE_PERCENT,
                        aligner="ALIGN_MEAN",
                        reducer="REDUCE_MEAN",
                    )
                ],
                documentation=(
                    "The pods' GPUs have been busy more than 90 % of the time for 15 minutes: the service is at "
                    "its throughput ceiling and latency will follow.\n\nWhat to do: check that the autoscaler adds "
                    "pods (queue depth per pod above target, replicas below max); if replicas are at max, raise "
                    "gke.replicas.max and gpuPool.maxNodes."
                ),
            )
            self._app_dependency_alerts(selector)
        self._database_alerts()
        self._redis_alert()

    def _app_dependency_alerts(self, selector: pulumi.Output[str]) -> None:
        self._alert(
            "redis-errors",
            "The app's Redis calls fail",
            [
                self._promql(
                    "Redis errors for 10 min",
                    pulumi.Output.format("sum(rate({0}{{{1}}}[5m])) > 0.1", REDIS_ERRORS_METRIC, selector),
                    duration="600s",
                )
            ],
            documentation=(
                "The app's Redis calls fail (embedding_redis_errors_total): it keeps serving without the cache and "
                "the rate limits, so load on the GPUs rises.\n\nWhat to do: check the Memorystore tile and the "
                "instance's maintenance or failover events; the app reconnects on its own."
            ),
            severity="WARNING",
        )
        self._alert(
            "usage-log-errors",
            "The app cannot write its usage log",
            [
                self._promql(
                    "usage-log write errors for 10 min",
                    pulumi.Output.format("sum(rate({0}{{{1}}}[5m])) > 0", USAGE_WRITE_ERRORS_METRIC, selector),
                    duration="600s",
                )
            ],
            documentation=(
                "Usage rows cannot be written to PostgreSQL (embedding_usage_write_errors_total); they wait in memory "
                "up to USAGE_QUEUE_SIZE, then are dropped.\n\nWhat to do: check the Cloud SQL alerts and tile, and "
                "the instance's operations (maintenance, failover, disk full)."
            ),
            severity="WARNING",
        )

    def _database_alerts(self) -> None:
        args = self._args
        database = pulumi.Output.format(
            'resource.type="cloudsql_database" resource.label.database_id="{0}"', args.database_id
        )
        self._alert(
            "sql-cpu",
            "Cloud SQL CPU above 80 %",
            [
                self._threshold(
                    f"CPU above {SQL_CPU_UTILIZATION:.0%} for 15 min",
                    pulumi.Output.format(
                        'metric.type="cloudsql.googleapis.com/database/cpu/utilization" {0}', database
                    ),
                    SQL_CPU_UTILIZATION,
                    aligner="ALIGN_MEAN",
                )
            ],
            documentation=(
                "The database's CPU has been above 80 % for 15 minutes. The service writes only its usage log there, "
                "so this is usually a runaway query or an analytics job.\n\nWhat to do: Query Insights on the "
                "instance; if the load is legitimate, raise inference:database.tier (a restart of a few minutes, "
                "rows wait in the app meanwhile)."
            ),
            severity="WARNING",
        )
        self._alert(
            "sql-disk",
            "Cloud SQL disk above 85 %",
            [
                self._threshold(
                    f"disk above {SQL_DISK_UTILIZATION:.0%} for 15 min",
                    pulumi.Output.format(
                        'metric.type="cloudsql.googleapis.com/database/disk/utilization" {0}', database
                    ),
                    SQL_DISK_UTILIZATION,
                    aligner="ALIGN_MEAN",
                )
            ],
            documentation=(
                "The database's disk is more than 85 % full. Storage grows automatically, but a disk never shrinks "
                "and each step is billed.\n\nWhat to do: look at what grows (the usage table, or logs and WAL held "
                "by a stuck replica); prune old usage rows, or raise inference:database.diskSizeGb."
            ),
            severity="WARNING",
        )
        connections = round(args.database_max_connections * SQL_CONNECTIONS_SHARE)
        self._alert(
            "sql-connections",
            "Cloud SQL connections near max_connections",
            [
                self._threshold(
                    f"more than {connections} of {args.database_max_connections} connections for 10 min",
                    pulumi.Output.format(
                        'metric.type="cloudsql.googleapis.com/database/postgresql/num_backends" {0}', database
                    ),
                    connections,
                    aligner="ALIGN_MAX",
                    reducer="REDUCE_SUM",
                    duration="600s",
                )
            ],
            documentation=(
                f"More than {SQL_CONNECTIONS_SHARE:.0%} of max_connections ({args.database_max_connections} on this "
                "tier) are in use; at the limit new connections fail and usage rows pile up in the app.\n\nWhat to "
                "do: each app instance holds a small pool, so instances x pool size is the usual cause after a "
                "scale-up: lower the pool size or raise the tier (max_connections follows its memory)."
            ),
            severity="WARNING",
        )

    def _redis_alert(self) -> None:
        args = self._args
        self._alert(
            "redis-memory",
            "Memorystore memory above 80 %",
            [
                self._threshold(
                    f"memory usage ratio above {REDIS_MEMORY_RATIO:.0%} for 15 min",
                    pulumi.Output.format(
                        'metric.type="redis.googleapis.com/stats/memory/usage_ratio" resource.type="redis_instance" '
                        'resource.label.instance_id="{0}"',
                        args.redis_instance_id,
                    ),
                    REDIS_MEMORY_RATIO,
                    aligner="ALIGN_MAX",
                )
            ],
            documentation=(
                "Memorystore is more than 80 % full. The embedding cache is evicted first (entries carry a TTL), so "
                "the cache hit ratio drops and GPU load rises.\n\nWhat to do: raise inference:redis.memorySizeGb "
                "(resizing a STANDARD_HA instance is online; BASIC flushes it)."
            ),
            severity="WARNING",
        )

    # --- reachability ----------------------------------------------------------------------------------------

    def _reachability_check(self) -> None:
        """An uptime check on /healthz where the internet reaches the service; otherwise what replaces it."""
        name, args = self._name, self._args
        if args.public_url is not None:
            host = pulumi.Output.from_input(args.public_url).apply(lambda url: url.removeprefix("https://"))
            check = gcp.monitoring.UptimeCheckConfig(
                f"{name}-healthz",
                display_name=f"{name} {LIVENESS_PATH}",
                period=UPTIME_PERIOD,
                timeout=UPTIME_TIMEOUT,
                http_check=gcp.monitoring.UptimeCheckConfigHttpCheckArgs(
                    path=LIVENESS_PATH, port=443, use_ssl=True, validate_ssl=True, request_method="GET"
                ),
                monitored_resource=gcp.monitoring.UptimeCheckConfigMonitoredResourceArgs(
                    type="uptime_url", labels={"project_id": args.project, "host": host}
                ),
                user_labels=self._labels,
                opts=self._child,
            )
            self._alert(
                "healthz-failing",
                f"{LIVENESS_PATH} failing from the internet",
                [
                    self._threshold(
                        "uptime check failing from 2 or more regions",
                        pulumi.Output.format(
                            'metric.type="monitoring.googleapis.com/uptime_check/check_passed" '
                            'resource.type="uptime_url" metric.label.check_id="{0}"',
                            check.uptime_check_id,
                        ),
                        1,
                        aligner="ALIGN_NEXT_OLDER",
                        reducer="REDUCE_COUNT_FALSE",
                        group_by=["resource.label.host"],
                        duration="300s",
                    )
                ],
                documentation=(
                    f"{LIVENESS_PATH} has failed from at least two checker regions for 5 minutes: users cannot "
                    "reach the service.\n\nWhat to do: `gcloud run services describe` for the latest revision's "
                    "status; a failed revision means roll back; otherwise check the service's ingress and IAM."
                ),
                severity="CRITICAL",
            )
        elif args.platform == "cloudrun" and args.min_instances > 0:
            # Internal ingress: Google's uptime checkers cannot reach it. Cloud Run restarts an instance whose
            # liveness probe on /healthz fails; this catches the service having none running at all.
            self._alert(
                "no-instances",
                "No Cloud Run instance running (replaces the uptime check)",
                [
                    gcp.monitoring.AlertPolicyConditionArgs(
                        display_name="no instance reported for 10 min",
                        condition_absent=gcp.monitoring.AlertPolicyConditionConditionAbsentArgs(
                            filter=pulumi.Output.format(
                                'metric.type="run.googleapis.com/container/instance_count" '
                                'resource.type="cloud_run_revision" resource.label.service_name="{0}"',
                                args.service_name,
                            ),
                            duration="600s",
                            aggregations=[
                                gcp.monitoring.AlertPolicyConditionConditionAbsentAggregationArgs(
                                    alignment_period="300s", per_series_aligner="ALIGN_MAX"
                                )
                            ],
                        ),
                    )
                ],
                documentation=(
                    "The service keeps instances warm (minInstances), yet none has reported for 10 "
                    "minutes. Its ingress is internal, so no uptime check can reach it; the liveness probe on "
                    f"{LIVENESS_PATH} restarts unhealthy instances and this alert catches none running.\n\nWhat to "
                    "do: the latest revision's status and logs (`gcloud run revisions list`); a revision that "
                    "fails to start (GPU quota, image) is the usual cause."
                ),
                severity="CRITICAL",
            )

    # --- dashboard and budget --------------------------------------------------------------------------------

    def _dashboard_json(self) -> pulumi.Output[str]:
        args = self._args
        values = pulumi.Output.all(
            service=args.service_name,
            namespace=args.namespace or "",
            database=args.database_id,
            redis=args.redis_instance_id,
        )
        return values.apply(lambda resolved: json.dumps(_dashboard(self._name, args, resolved), sort_keys=True))

    def _budget(self, budget: BudgetArgs) -> None:
        whole_dollars = int(budget.monthly_usd)
        nanos = round((budget.monthly_usd - whole_dollars) * 1e9)
        gcp.billing.Budget(
            f"{self._name}-budget",
            billing_account=budget.billing_account,
            display_name=f"{self._name} monthly",
            amount=gcp.billing.BudgetAmountArgs(
                specified_amount=gcp.billing.BudgetAmountSpecifiedAmountArgs(
                    currency_code="USD", units=str(whole_dollars), nanos=nanos or None
                )
            ),
            budget_filter=gcp.billing.BudgetBudgetFilterArgs(
                projects=[pulumi.Output.format("projects/{0}", budget.project_number)],
                labels={"stack": budget.stack_label},
                calendar_period="MONTH",
                credit_types_treatment="INCLUDE_ALL_CREDITS",
            ),
            threshold_rules=[
                gcp.billing.BudgetThresholdRuleArgs(threshold_percent=threshold, spend_basis="CURRENT_SPEND")
                for threshold in budget.thresholds
            ],
            all_updates_rule=gcp.billing.BudgetAllUpdatesRuleArgs(
                monitoring_notification_channels=self.notification_channels,
                disable_default_iam_recipients=False,
            ),
            opts=self._child,
        )

    # --- helpers ---------------------------------------------------------------------------------------------

    def _alert(
        self,
        key: str,
        title: str,
        conditions: list[gcp.monitoring.AlertPolicyConditionArgs],
        *,
        documentation: str,
        severity: str = "ERROR",
        combiner: str = "OR",
    ) -> gcp.monitoring.AlertPolicy:
        return gcp.monitoring.AlertPolicy(
            f"{self._name}-{key}",
            display_name=f"{self._name}: {title}",
            combiner=combiner,
            conditions=conditions,
            severity=severity,
            notification_channels=self.notification_channels,
            documentation=gcp.monitoring.AlertPolicyDocumentationArgs(
                content=documentation, mime_type=MONITORING_DOCS_MIME, subject=f"{self._name}: {title}"
            ),
            alert_strategy=gcp.monitoring.AlertPolicyAlertStrategyArgs(auto_close="1800s"),
            user_labels=self._labels,
            opts=self._child,
        )

    @staticmethod
    def _threshold(
        title: str,
        metric_filter: pulumi.Input[str],
        threshold: float,
        *,
        aligner: str,
        reducer: str | None = None,
        group_by: Sequence[str] = (),
        duration: str = SATURATION_DURATION,
        denominator: pulumi.Input[str] | None = None,
    ) -> gcp.monitoring.AlertPolicyConditionArgs:
        def aggregation() -> dict[str, Any]:
            return {
                "alignment_period": "60s",
                "per_series_aligner": aligner,
                "cross_series_reducer": reducer,
                "group_by_fields": list(group_by) or None,
            }

        return gcp.monitoring.AlertPolicyConditionArgs(
            display_name=title,
            condition_threshold=gcp.monitoring.AlertPolicyConditionConditionThresholdArgs(
                filter=metric_filter,
                comparison="COMPARISON_GT",
                threshold_value=threshold,
                duration=duration,
                aggregations=[gcp.monitoring.AlertPolicyConditionConditionThresholdAggregationArgs(**aggregation())],
                denominator_filter=denominator,
                denominator_aggregations=[
                    gcp.monitoring.AlertPolicyConditionConditionThresholdDenominatorAggregationArgs(**aggregation())
                ]
                if denominator is not None
                else None,
                trigger=gcp.monitoring.AlertPolicyConditionConditionThresholdTriggerArgs(count=1),
            ),
        )

    @staticmethod
    def _promql(title: str, query: pulumi.Input[str], duration: str = SATURATION_DURATION) -> Any:
        return gcp.monitoring.AlertPolicyConditionArgs(
            display_name=title,
            condition_prometheus_query_language=gcp.monitoring.AlertPolicyConditionConditionPrometheusQueryLanguageArgs(
                query=query, duration=duration, evaluation_interval="60s"
            ),
        )


# --- the dashboard's JSON (a pure function of resolved names) -----------------------------------------------


def _chart(title: str, queries: Sequence[dict[str, Any]]) -> dict[str, Any]:
    return {"title": title, "xyChart": {"dataSets": [{**query, "plotType": "LINE"} for query in queries]}}


def _metric_filter(metric_filter: str, aligner: str, reducer: str, group_by: Sequence[str] = ()) -> dict[str, Any]:
    return {
        "timeSeriesQuery": {
            "timeSeriesFilter": {
                "filter": metric_filter,
                "aggregation": {
                    "alignmentPeriod": "60s",
                    "perSeriesAligner": aligner,
                    "crossSeriesReducer": reducer,
                    "groupByFields": list(group_by),
                },
            }
        }
    }


def _prometheus_query(query: str) -> dict[str, Any]:
    return {"timeSeriesQuery": {"prometheusQuery": query}}


def _dashboard(name: str, args: OperationsArgs, resolved: Mapping[str, str]) -> dict[str, Any]:
    database = f'resource.type="cloudsql_database" resource.label.database_id="{resolved["database"]}"'
    redis = f'resource.type="redis_instance" resource.label.instance_id="{resolved["redis"]}"'
    if args.platform == "cloudrun":
        run = f'resource.type="cloud_run_revision" resource.label.service_name="{resolved["service"]}"'
        requests = f'metric.type="run.googleapis.com/request_count" {run}'
        latencies = f'metric.type="run.googleapis.com/request_latencies" {run}'
        service_tiles = [
            _chart(
                "Requests/s by status class",
                [_metric_filter(requests, "ALIGN_RATE", "REDUCE_SUM", ["metric.label.response_code_class"])],
            ),
            _chart(
                "5xx and 429/s",
                [
                    _metric_filter(f'{requests} metric.label.response_code_class="5xx"', "ALIGN_RATE", "REDUCE_SUM"),
                    _metric_filter(f'{requests} metric.label.response_code="429"', "ALIGN_RATE", "REDUCE_SUM"),
                ],
            ),
            _chart(
                "Latency p50 / p99 (ms)",
                [
                    _metric_filter(latencies, "ALIGN_DELTA", "REDUCE_PERCENTILE_50"),
                    _metric_filter(latencies, "ALIGN_DELTA", "REDUCE_PERCENTILE_99"),
                ],
            ),
            _chart(
                f"Instances (max {args.max_instances})",
                [
                    _metric_filter(
                        f'metric.type="run.googleapis.com/container/instance_count" {run}',
                        "ALIGN_MAX",
                        "REDUCE_SUM",
                        ["metric.label.state"],
                    )
                ],
            ),
        ]
        if args.gpu:
            service_tiles.append(
                _chart(
                    "GPU utilisation",
                    [
                        _metric_filter(
                            f'metric.type="run.googleapis.com/container/gpu/utilizations" {run}',
                            "ALIGN_DELTA",
                            "REDUCE_PERCENTILE_50",
                        )
                    ],
                )
            )
        app_tiles: list[dict[str, Any]] = [
            {
                "title": "Queue depth, batch size, cache hit ratio",
                "text": {
                    "content": "The app exports these at /metrics (embedding_queue_depth_inputs, "
                    "embedding_batch_size_inputs, embedding_cache_hits_total). On Cloud Run they reach Cloud "
                    "Monitoring only through the Managed Service for Prometheus sidecar, which this stack does not "
                    "run; the GKE stacks chart them.",
                    "format": "MARKDOWN",
                },
            }
        ]
    else:
        selector = f'namespace="{resolved["namespace"]}",job="{resolved["service"]}"'
        route = f'{selector},route="{EMBEDDINGS_ROUTE}"'
        service_tiles = [
            _chart(
                "Requests/s by status", [_prometheus_query(f"sum by (status) (rate({REQUESTS_METRIC}{{{route}}}[5m]))")]
            ),
            _chart(
                "5xx and queue-full 429/s",
                [
                    _prometheus_query(f'sum(rate({REQUESTS_METRIC}{{{route},status=~"5.."}}[5m]))'),
                    _prometheus_query(f"sum(rate({QUEUE_FULL_METRIC}{{{selector}}}[5m]))"),
                ],
            ),
            _chart(
                "Latency p50 / p99 (s)",
                [
                    _prometheus_query(
                        f"histogram_quantile({quantile}, sum by (le) (rate({LATENCY_METRIC}_bucket{{{route}}}[5m])))"
                    )
                    for quantile in (0.5, 0.99)
                ],
            ),
            _chart(f"Pods (max {args.max_instances})", [_prometheus_query(f"count(up{{{selector}}})")]),
            _chart(
                "GPU duty cycle (%)",
                [
                    _metric_filter(
                        'metric.type="kubernetes.io/container/accelerator/duty_cycle" resource.type="k8s_container" '
                        f'resource.label.namespace_name="{resolved["namespace"]}"',
                        "ALIGN_MEAN",
                        "REDUCE_MEAN",
                        ["resource.label.pod_name"],
                    )
                ],
            ),
        ]
        app_tiles = [
            _chart("Queue depth per pod (inputs)", [_prometheus_query(f"avg({QUEUE_DEPTH_METRIC}{{{selector}}})")]),
            _chart(
                "Batch size p50 (inputs)",
                [
                    _prometheus_query(
                        f"histogram_quantile(0.5, sum by (le) (rate({BATCH_SIZE_METRIC}_bucket{{{selector}}}[5m])))"
                    )
                ],
            ),
            _chart(
                "Cache hit ratio",
                [
                    _prometheus_query(
                        f"sum(rate({CACHE_HITS_METRIC}{{{selector}}}[5m])) / (sum(rate({CACHE_HITS_METRIC}"
                        f"{{{selector}}}[5m])) + sum(rate({CACHE_MISSES_METRIC}{{{selector}}}[5m])))"
                    )
                ],
            ),
        ]
    dependency_tiles = [
        _chart(
            "Cloud SQL CPU and disk utilisation",
            [
                _metric_filter(
                    f'metric.type="cloudsql.googleapis.com/database/cpu/utilization" {database}',
                    "ALIGN_MEAN",
                    "REDUCE_MEAN",
                ),
                _metric_filter(
                    f'metric.type="cloudsql.googleapis.com/database/disk/utilization" {database}',
                    "ALIGN_MEAN",
                    "REDUCE_MEAN",
                ),
            ],
        ),
        _chart(
            f"Cloud SQL connections (max {args.database_max_connections})",
            [
                _metric_filter(
                    f'metric.type="cloudsql.googleapis.com/database/postgresql/num_backends" {database}',
                    "ALIGN_MAX",
                    "REDUCE_SUM",
                )
            ],
        ),
        _chart(
            "Memorystore memory usage ratio",
            [
                _metric_filter(
                    f'metric.type="redis.googleapis.com/stats/memory/usage_ratio" {redis}', "ALIGN_MAX", "REDUCE_MAX"
                )
            ],
        ),
        _chart(
            "Memorystore connected clients",
            [
                _metric_filter(
                    f'metric.type="redis.googleapis.com/clients/connected" {redis}', "ALIGN_MAX", "REDUCE_SUM"
                )
            ],
        ),
    ]
    tiles = [*service_tiles, *app_tiles, *dependency_tiles]
    width, height = 6, 4
    return {
        "displayName": f"{name} service",
        "labels": {label: "" for label in ("inference", args.platform)},
        "mosaicLayout": {
            "columns": 12,
            "tiles": [
                {
                    "xPos": (index % 2) * width,
                    "yPos": (index // 2) * height,
                    "width": width,
                    "height": height,
                    "widget": widget,
                }
                for index, widget in enumerate(tiles)
            ],
        },
    }
