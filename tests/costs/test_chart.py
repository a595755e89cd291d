"""The chart is a PNG of cost against traffic, one line per stack."""

from __future__ import annotations

from costs.catalog import load_catalog
from costs.chart import draw_sweep_chart
from costs.sweep import SweepRange, sweep
from costs.usage import Usage
from tests.costs.builders import cloud_run_service, gpu_node_pool, plan

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_chart_is_written_as_a_png(tmp_path):
    plans = [plan(cloud_run_service(min_instances=0), stack="cloudrun"), plan(gpu_node_pool(), stack="gke")]
    usages = {"cloudrun": Usage(), "gke": Usage()}
    result = sweep(plans, usages, load_catalog(), SweepRange("instance_hours", 10, 2000), points=9)
    path = tmp_path / "cost.png"
    draw_sweep_chart(result, path)
    assert path.read_bytes().startswith(PNG_SIGNATURE)
    assert path.stat().st_size > 10_000


def test_a_line_ends_at_its_stacks_capacity_and_a_stack_with_no_served_point_is_left_out(tmp_path):
    from costs.sweep import SweepPoint, SweepResult

    points = [
        SweepPoint(1e6, {"capped": 100.0, "never": None}),
        SweepPoint(1e7, {"capped": 200.0, "never": None}),
        SweepPoint(1e8, {"capped": None, "never": None}),
    ]
    path = tmp_path / "capped.png"
    draw_sweep_chart(SweepResult(SweepRange("requests", 1e6, 1e8), points, []), path)
    assert path.read_bytes().startswith(PNG_SIGNATURE)


def test_the_chart_folder_is_created_when_it_does_not_exist(tmp_path):
    plans = [plan(cloud_run_service(min_instances=0), stack="cloudrun")]
    result = sweep(plans, {"cloudrun": Usage()}, load_catalog(), SweepRange("requests", 1e5, 1e9), points=3)
    path = tmp_path / "out" / "charts" / "cost.png"
    draw_sweep_chart(result, path)
    assert path.read_bytes().startswith(PNG_SIGNATURE)
