"""facts.gcp's enums: each Literal the Args are typed with names exactly the values the facts describe."""

from __future__ import annotations

from typing import get_args

from facts.gcp import CLOUD_RUN_GPUS, CloudRunGpuType


def test_the_cloud_run_gpu_types_are_the_gpus_with_known_shapes() -> None:
    assert set(get_args(CloudRunGpuType)) == set(CLOUD_RUN_GPUS)
