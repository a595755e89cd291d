"""Reports: the JSON contract, one column per stack with the cheapest marked, and what totals exclude."""

from __future__ import annotations

import json

import pytest

from costs.catalog import load_catalog
from costs.estimate import estimate_stack
from costs.report import Report, build_report, comparison_rows, render_json, render_markdown, render_table
from costs.sweep import SweepRange, sweep
from costs.usage import Usage
from tests.costs.builders import REDIS, cloud_run_service, plan, resource


def two_stack_report(with_unpriced: bool = False) -> Report:
    small = plan(resource(REDIS, "cache", {"region": "us-central1", "tier": "BASIC", "memorySizeGb": 1}), stack="dev")
    big_resources = [resource(REDIS, "cache", {"region": "us-central1", "tier": "STANDARD_HA", "memorySizeGb": 5})]
    if with_unpriced:
        big_resources.append(resource("gcp:bigquery/dataset:Dataset", "warehouse", {}))
    big = plan(*big_resources, stack="prod")
    catalog = load_catalog()
    estimates = [estimate_stack(stack_plan, Usage(), catalog) for stack_plan in (small, big)]
    return build_report(estimates, catalog, free_tier=False)


def test_json_report_has_the_documented_shape():
    document = json.loads(render_json(two_stack_report()))
    assert document["currency"] == "USD"
    assert document["hours_per_month"] == 730
    assert isinstance(document["hours_per_month"], int)
    dev = document["stacks"][0]
    assert dev["stack"] == "dev"
    assert dev["monthly_total"] == pytest.approx(35.77)
    resource_entry = dev["resources"][0]
    assert set(resource_entry) >= {"urn", "type", "name", "monthly_cost", "components"}
    assert set(resource_entry["components"][0]) >= {"name", "unit", "quantity", "unit_price", "monthly_cost"}
    assert dev["unpriced"] == []


def test_json_report_round_trips_through_the_report_model():
    report = two_stack_report(with_unpriced=True)
    assert Report.model_validate_json(render_json(report)) == report


def test_rows_are_component_kinds_with_one_value_per_stack():
    assert comparison_rows(two_stack_report()) == [("Memorystore Redis", pytest.approx([35.77, 197.10]))]


def test_markdown_marks_the_cheapest_stack_and_shows_totals():
    markdown = render_markdown(two_stack_report())
    assert "| Monthly cost (USD) | dev (cheapest) | prod |" in markdown
    assert "| **Total** | **35.77** | **197.10** |" in markdown


def test_markdown_and_table_say_what_a_total_excludes():
    report = two_stack_report(with_unpriced=True)
    expected = (
        "prod: total excludes 1 unpriced: warehouse (no price model for resource type gcp:bigquery/dataset:Dataset)"
    )
    assert expected in render_markdown(report)
    assert expected in render_table(report, width=200)
    assert "| Unpriced items | 0 | 1 |" in render_markdown(report)


def test_table_has_one_column_per_stack():
    table = render_table(two_stack_report())
    header = next(line for line in table.splitlines() if "Component" in line)
    assert "dev (cheapest)" in header
    assert "prod" in header


def test_a_single_stack_is_not_marked_cheapest():
    report = two_stack_report()
    single = report.model_copy(update={"stacks": report.stacks[:1]})
    assert "cheapest" not in render_markdown(single)


def test_sweep_section_lists_points_per_stack_and_says_when_there_is_no_break_even():
    report = two_stack_report()
    small = plan(resource(REDIS, "cache", {"region": "us-central1", "tier": "BASIC", "memorySizeGb": 1}), stack="dev")
    big = plan(
        resource(REDIS, "cache", {"region": "us-central1", "tier": "STANDARD_HA", "memorySizeGb": 5}), stack="prod"
    )
    usages = {"dev": Usage(), "prod": Usage()}
    result = sweep([small, big], usages, load_catalog(), SweepRange("requests", 1, 100), points=3)
    with_sweep = report.with_sweep(result)
    document = json.loads(render_json(with_sweep))
    assert [point["value"] for point in document["sweep"]["points"]] == pytest.approx([1, 10, 100])
    assert document["sweep"]["points"][0]["totals"] == {"dev": 35.77, "prod": 197.1}
    markdown = render_markdown(with_sweep)
    assert "| 1 | 35.77 | 197.10 | dev |" in markdown
    assert "The cheapest stack is the same across the whole requests range." in markdown


def test_rows_are_in_alphabetical_order_with_free_tier_credits_last():
    service = plan(cloud_run_service(min_instances=1), stack="run")
    catalog = load_catalog()
    report = build_report([estimate_stack(service, Usage(), catalog, free_tier=True)], catalog, free_tier=True)
    assert [kind for kind, _ in comparison_rows(report)] == [
        "Cloud Run CPU",
        "Cloud Run GPU",
        "Cloud Run memory",
        "Free tier",
    ]
