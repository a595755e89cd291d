"""Sweeps price every stack across a usage range and find where the cheapest stack changes."""

from __future__ import annotations

import pytest

from costs.catalog import load_catalog
from costs.sweep import SweepError, SweepRange, parse_sweep, sweep
from costs.usage import Usage
from tests.costs.builders import CLUSTER, cloud_run_service, gpu_node_pool, plan, resource

HOURS = 730
CLOUD_RUN_L4_PER_HOUR = (4 * 0.000018 + 16 * 0.000002 + 0.0001867) * 3600
# One on-demand g2-standard-4 node, the cluster fee, its 100 GB pd-standard disk and 20 GiB of system logs.
GKE_ONE_NODE_MONTH = 0.706832 * HOURS + 0.10 * HOURS + 100 * 0.04 + 20 * 0.50


def cloud_run_and_gke_plans():
    cloud_run = plan(cloud_run_service(min_instances=0, max_instances=3), stack="cloudrun")
    gke = plan(
        resource(CLUSTER, "cluster", {"location": "us-central1-a", "removeDefaultNodePool": True}, stack="gke"),
        gpu_node_pool(min_nodes=1, max_nodes=1, disk_type="pd-standard"),
        stack="gke",
    )
    return [cloud_run, gke]


def test_parse_sweep_reads_the_requests_alias_and_the_range():
    assert parse_sweep("requests=1e5:1e9") == SweepRange("requests", 1e5, 1e9)
    assert parse_sweep("requests=1e5:1e9").usage_field == "monthly_requests"
    assert parse_sweep("egress_gb=1:1000").usage_field == "egress_gb"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("requests", "expected NAME=START:STOP"),
        ("visitors=1:10", "unknown usage value 'visitors'"),
        ("requests=a:10", "must be numbers"),
        ("requests=10:1", "need 0 < START < STOP"),
        ("requests=0:1", "need 0 < START < STOP"),
    ],
)
def test_a_bad_sweep_is_refused_saying_what_is_expected(spec, message):
    with pytest.raises(SweepError, match=message):
        parse_sweep(spec)


def test_sweep_points_are_log_spaced_and_include_both_ends():
    plans = [plan(cloud_run_service(min_instances=0), stack="a")]
    result = sweep(plans, {"a": Usage()}, load_catalog(), SweepRange("requests", 1e3, 1e7), points=5)
    assert [point.value for point in result.points] == pytest.approx([1e3, 1e4, 1e5, 1e6, 1e7])


def test_break_even_between_cloud_run_l4_and_one_gke_node_matches_hand_computation():
    plans = cloud_run_and_gke_plans()
    usages = {"cloudrun": Usage(), "gke": Usage()}
    result = sweep(plans, usages, load_catalog(), SweepRange("instance_hours", 100, 2000))
    assert len(result.break_evens) == 1
    break_even = result.break_evens[0]
    assert (break_even.cheaper_below, break_even.cheaper_above) == ("cloudrun", "gke")
    assert break_even.value == pytest.approx(GKE_ONE_NODE_MONTH / CLOUD_RUN_L4_PER_HOUR, rel=0.005)
    assert 500 < break_even.value < 600


def test_requests_drive_cloud_run_instance_hours_through_latency_and_concurrency():
    # One instance-hour per 3600 / 2 s x 4 concurrent = 7200 requests: break-even in requests is hours x 7200.
    plans = cloud_run_and_gke_plans()
    usage = Usage(request_seconds=2, concurrency=4)
    result = sweep(plans, {"cloudrun": usage, "gke": usage}, load_catalog(), SweepRange("requests", 1e5, 1e8))
    expected_hours = GKE_ONE_NODE_MONTH / CLOUD_RUN_L4_PER_HOUR
    assert result.break_evens[0].value == pytest.approx(expected_hours * 7200, rel=0.005)


def test_no_break_even_when_one_stack_is_cheapest_everywhere():
    plans = cloud_run_and_gke_plans()
    result = sweep(plans, {"cloudrun": Usage(), "gke": Usage()}, load_catalog(), SweepRange("instance_hours", 1, 100))
    assert result.break_evens == []
    assert {point.cheapest for point in result.points} == {"cloudrun"}


def test_a_stack_drops_out_of_the_sweep_beyond_the_peak_it_can_serve():
    # One L4 instance at most, 100 requests/s each, peak 3x the average: it serves up to 100 / 3 requests/s on
    # average, 100 / 3 x 730 x 3600 = 87.6 M requests a month.
    throughput = {"nvidia-l4": {"requests_per_second": 100, "kind": "assumed", "date": "2026-12"}}
    usage = Usage.model_validate({"throughput": throughput, "peak_factor": 3})
    capped = plan(cloud_run_service(min_instances=0, max_instances=1), stack="capped")
    result = sweep([capped], {"capped": usage}, load_catalog(), SweepRange("requests", 1e7, 1e9), points=3)
    totals = [point.totals["capped"] for point in result.points]
    assert totals[0] is not None and totals[1] is None and totals[2] is None
    assert result.points[-1].cheapest is None
