"""CPU and memory quantities read and written the way Cloud Run and GKE spell them."""

from __future__ import annotations

import pytest

from facts.quantities import cpu_cores, cpu_quantity, memory_gib, memory_mib


@pytest.mark.parametrize(("quantity", "cores"), [("4", 4.0), (4, 4.0), ("500m", 0.5), ("0.25", 0.25)])
def test_cpu_quantities_read_as_cores(quantity: object, cores: float) -> None:
    assert cpu_cores(quantity) == cores


@pytest.mark.parametrize(("quantity", "gib"), [("512Mi", 0.5), ("16Gi", 16.0), ("1073741824", 1.0), ("1Ti", 1024.0)])
def test_memory_quantities_read_as_gib(quantity: str, gib: float) -> None:
    assert memory_gib(quantity) == gib


@pytest.mark.parametrize("quantity", ["4Gi", "two", ""])
def test_what_is_not_a_cpu_quantity_is_refused(quantity: str) -> None:
    with pytest.raises(ValueError, match="not a CPU quantity"):
        cpu_cores(quantity)


@pytest.mark.parametrize("quantity", ["500m", "lots"])
def test_what_is_not_a_memory_quantity_is_refused(quantity: str) -> None:
    with pytest.raises(ValueError, match="not a memory quantity"):
        memory_gib(quantity)


def test_the_stack_configuration_takes_binary_memory_units_only() -> None:
    assert memory_mib("16Gi") == 16384.0
    with pytest.raises(ValueError, match="like 512Mi or 16Gi"):
        memory_mib("16G")


@pytest.mark.parametrize(("cpu", "quantity"), [(4, "4"), (4.0, "4"), (0.5, "500m"), (1.25, "1250m")])
def test_cpu_is_written_as_whole_cores_or_millicores(cpu: float, quantity: str) -> None:
    assert cpu_quantity(cpu) == quantity
