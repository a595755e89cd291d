"""The operations section: SLOs with burn-rate alerts, saturation alerts, the dashboard and the budget."""

from __future__ import annotations

import itertools

import pulumi
from pydantic import Field, field_validator

from components.operations import BudgetArgs, ObjectivesArgs, OperationsArgs, slo_goal_problem, slo_window_problem
from facts import gcp as rules
from infra.config.data import DatabaseSettings
from infra.config.gke import GkeSettings
from infra.config.scope import KUBERNETES_NAMESPACE, Section, StackScope
from infra.config.service import ServiceSettings


class SloSettings(Section):
    """The service level objectives the burn-rate alerts defend, over a rolling window."""

    availability: float = 0.995
    """Share of requests that must not fail with a 5xx, in (0, 0.999]."""
    latency_ms: int = Field(default=500, ge=1)
    """The latency threshold of the latency SLO, in milliseconds."""
    latency_objective: float = 0.95
    """Share of requests that must be faster than latencyMs, in (0, 0.999]."""
    window_days: int = 28
    """The rolling window both SLOs are measured over (Cloud Monitoring takes 1-30 days)."""

    # ObjectivesArgs' own rules, run as the section loads: a wrong objective is reported like any other bad value.
    @field_validator("availability", "latency_objective")
    @classmethod
    def _is_a_ratio(cls, value: float) -> float:
        if (problem := slo_goal_problem(value)) is not None:
            raise ValueError(problem)
        return value

    @field_validator("window_days")
    @classmethod
    def _is_a_rolling_period(cls, value: int) -> int:
        if (problem := slo_window_problem(value)) is not None:
            raise ValueError(problem)
        return value

    def args(self) -> ObjectivesArgs:
        return ObjectivesArgs(
            availability=self.availability,
            latency_ms=self.latency_ms,
            latency_objective=self.latency_objective,
            window_days=self.window_days,
        )


class BudgetSettings(Section):
    """A Cloud Billing budget on the project, filtered to this stack's resources by their `stack` label."""

    billing_account: str
    """The billing account the project bills to, like 012345-6789AB-CDEF01."""
    monthly_usd: float = Field(gt=0)
    """The budget amount; `cost --fail-over-budget` also checks the stack's estimate against it."""
    thresholds: list[float] = Field(default_factory=lambda: [0.5, 0.9, 1.0])
    """Fractions of the amount at which the budget notifies, ascending."""

    @field_validator("billing_account")
    @classmethod
    def _is_a_billing_account(cls, value: str) -> str:
        if not rules.BILLING_ACCOUNT_ID.match(value):
            raise ValueError("a billing account id is three groups of six hex digits, like 012345-6789AB-CDEF01")
        return value

    @field_validator("thresholds")
    @classmethod
    def _ascending_fractions(cls, value: list[float]) -> list[float]:
        low, high = rules.BUDGET_THRESHOLD_RANGE
        if not value:
            raise ValueError("give at least one threshold, like [0.5, 0.9, 1.0]")
        if any(not low < threshold <= high for threshold in value):
            raise ValueError(f"each threshold is a fraction of the amount in ({low:g}, {high:g}], like 0.9")
        if any(later <= earlier for earlier, later in itertools.pairwise(value)):
            raise ValueError("thresholds must be strictly ascending, like [0.5, 0.9, 1.0]")
        return value

    def args(self, stack: StackScope, *, project_number: pulumi.Input[str]) -> BudgetArgs:
        """The budget on the project numbered `project_number`, counting the resources with the stack's label."""
        return BudgetArgs(
            billing_account=self.billing_account,
            monthly_usd=self.monthly_usd,
            thresholds=self.thresholds,
            project_number=project_number,
            stack_label=stack.labels["stack"],
        )


class OperationsSettings(Section):
    """How the stack is operated: SLOs with burn-rate alerts, saturation alerts, a dashboard and a budget."""

    enabled: bool = True
    """Create the monitoring resources (every stack by default; dev may turn it off)."""
    alert_emails: list[str] = Field(default_factory=list)
    """An email notification channel each; empty, the alerts exist and `check` warns that nobody is told."""
    slo: SloSettings = SloSettings()
    budget: BudgetSettings | None = None
    """Optional: a budget for the project, on the stack's labels."""

    @field_validator("alert_emails")
    @classmethod
    def _are_email_addresses(cls, value: list[str]) -> list[str]:
        for address in value:
            if not rules.EMAIL_ADDRESS.match(address):
                raise ValueError(f"{address!r} is not an email address like oncall@example.com")
        if len(set(value)) != len(value):
            raise ValueError("each address once")
        return value

    def args(
        self,
        stack: StackScope,
        *,
        service: ServiceSettings,
        gke: GkeSettings | None,
        database: DatabaseSettings,
        service_name: pulumi.Input[str],
        service_url: pulumi.Input[str] | None,
        database_id: pulumi.Input[str],
        redis_instance_id: pulumi.Input[str],
        project_number: pulumi.Input[str] | None,
    ) -> OperationsArgs:
        """SLOs, alerts, the dashboard and the budget of the `service_name` that `service` shapes, on Cloud Run or on
        `gke`; `project_number` only where there is a budget."""
        budget = self.budget
        return OperationsArgs(
            project=stack.project,
            platform=stack.platform,
            region=stack.region,
            service_name=service_name,
            namespace=KUBERNETES_NAMESPACE if gke else None,
            max_instances=gke.replicas.max if gke else service.max_instances,
            min_instances=gke.replicas.min if gke else service.min_instances,
            # Only a public Cloud Run service has an address Google's uptime checkers reach before it exists.
            public_url=service_url if service.public and not gke else None,
            gpu=service.gpu is not None,
            database_id=database_id,
            database_max_connections=rules.sql_postgres_max_connections(database.tier),
            redis_instance_id=redis_instance_id,
            alert_emails=self.alert_emails,
            objectives=self.slo.args(),
            budget=budget.args(stack, project_number=project_number)
            if budget is not None and project_number is not None
            else None,
            labels=stack.labels,
        )
