"""The issue's example GKE GPU pool, as the snake_case fields of GpuPoolArgs: shared by the component's tests and
the building block's tests, so both build the same pool."""

from __future__ import annotations

from typing import Any

GPU_POOL: dict[str, Any] = {
    "machine_type": "g2-standard-4",
    "accelerator": "nvidia-l4",
    "accelerator_count": 1,
    "driver_version": "LATEST",
    "min_nodes": 0,
    "max_nodes": 3,
    "spot": True,
    "disk_size_gb": 100,
    "disk_type": "pd-balanced",
}
