"""The shipped stacks' offline plans, planned once per test session (fixtures named after the stacks)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from infra.offline import plan_stack
from plan import Plan

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _shipped_plan(stack: str) -> Callable[[], Plan]:
    @pytest.fixture(scope="session", name=stack.replace("-", "_"))
    def planned() -> Plan:
        return plan_stack(stack, PROJECT_ROOT, cache=False)

    return planned


dev = _shipped_plan("dev")
prod = _shipped_plan("prod")
prod_gke = _shipped_plan("prod-gke")
cmp_gke = _shipped_plan("cmp-gke")
cmp_cloudrun = _shipped_plan("cmp-cloudrun")
