"""Kubernetes-style quantities, which Cloud Run and GKE both take: `4`, `500m` vCPU; `512Mi`, `16Gi` memory."""

from __future__ import annotations

import re

# Any quantity, as the engine may send it (kubernetes.io/docs/reference/kubernetes-api/common-definitions/quantity).
# Cloud Run and GKE both take CPU as a number or millicores (`500m`) and memory with a decimal or binary suffix.
RESOURCE_QUANTITY = re.compile(r"^(?P<number>\d+(?:\.\d+)?)(?P<suffix>m|k|M|G|T|Ki|Mi|Gi|Ti)?$")
BYTES_PER_QUANTITY_SUFFIX: dict[str | None, int] = {
    None: 1,
    "k": 10**3,
    "M": 10**6,
    "G": 10**9,
    "T": 10**12,
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
}
MILLI_SUFFIX = "m"

# What the stack configuration takes for memory: binary units only.
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


def cpu_cores(quantity: object) -> float:
    """`4` → 4.0; `500m` → 0.5. A ValueError for anything that is not a CPU quantity."""
    match = RESOURCE_QUANTITY.match(str(quantity))
    if match is None or match["suffix"] not in (None, MILLI_SUFFIX):
        raise ValueError(f"{quantity!r} is not a CPU quantity")
    number = float(match["number"])
    return number / 1000 if match["suffix"] == MILLI_SUFFIX else number


def memory_gib(quantity: object) -> float:
    """`512Mi` → 0.5; `1G` → 0.93. A ValueError for anything that is not a memory quantity."""
    match = RESOURCE_QUANTITY.match(str(quantity))
    if match is None or match["suffix"] == MILLI_SUFFIX:
        raise ValueError(f"{quantity!r} is not a memory quantity")
    return float(match["number"]) * BYTES_PER_QUANTITY_SUFFIX[match["suffix"]] / 2**30
