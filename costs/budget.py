"""The budget a stack declares (its `gcp:billing/budget:Budget`), checked against the stack's estimate."""

from __future__ import annotations

from dataclasses import dataclass

from facts.types import BILLING_BUDGET
from plan import Plan

NANOS_PER_UNIT = 1_000_000_000


@dataclass(frozen=True)
class BudgetCheck:
    stack: str
    estimate: float
    budget: float
    currency: str

    @property
    def over(self) -> bool:
        return self.estimate > self.budget

    def message(self) -> str:
        verdict = "exceeds" if self.over else "is within"
        return (
            f"{self.stack}: the estimate of {self.estimate:,.2f} {self.currency} a month {verdict} its budget of "
            f"{self.budget:,.2f} {self.currency} (inference:operations.budget.monthlyUsd)"
        )


def declared_budget(plan: Plan) -> float | None:
    """The monthly amount of the plan's budget, or None when it declares none (or no fixed amount)."""
    budgets = plan.of_type(BILLING_BUDGET)
    if not budgets:
        return None
    amount = (budgets[0].inputs.get("amount") or {}).get("specifiedAmount") or {}
    if "units" not in amount:
        return None
    return int(amount["units"]) + int(amount.get("nanos") or 0) / NANOS_PER_UNIT
