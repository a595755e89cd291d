"""Kubernetes-style quantities, which Cloud Run and GKE both take: `4`, `500m` vCPU; `512Mi`, `16Gi` memory."""

from __future__ import annotations

import re

MEMORY_QUANTITY = re.compile(r"^(?P<amount>\d+(?:\.\d+)?)(?P<unit>Mi|Gi)$")


def memory_mib(quantity: str) -> float:
    """`16Gi` → 16384.0; `512Mi` → 512.0 (the binary units the stack configuration takes)."""
    match = MEMORY_QUANTITY.match(quantity)
    if match is None:
        raise ValueError(f"{quantity!r} is not a memory quantity like 512Mi or 16Gi")
    amount = float(match["amount"])
    return amount * 1024 if match["unit"] == "Gi" else amount


def cpu_quantity(cpu: float) -> str:
    """vCPU as a quantity: `4`, `500m`."""
    return str(int(cpu)) if float(cpu).is_integer() else f"{int(cpu * 1000)}m"
