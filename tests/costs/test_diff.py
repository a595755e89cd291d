"""Diffs of two reports: deltas per stack and resource, markdown for a PR comment, and a budget gate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from costs.diff import DiffError, diff_reports, exceeds, load_report, render_diff_markdown
from costs.report import Report


def report(stacks: dict[str, dict[str, float]]) -> Report:
    return Report.model_validate(
        {
            "currency": "USD",
            "hours_per_month": 730,
            "stacks": [
                {
                    "stack": stack,
                    "monthly_total": sum(costs.values()),
                    "resources": [
                        {"urn": f"urn:pulumi:{stack}::p::t::{name}", "type": "t", "name": name, "monthly_cost": cost}
                        for name, cost in costs.items()
                    ],
                }
                for stack, costs in stacks.items()
            ],
        }
    )


def test_deltas_per_stack_and_only_changed_resources():
    base = report({"dev": {"db": 25.55, "cache": 35.77}})
    head = report({"dev": {"db": 49.31, "cache": 35.77}})
    [dev] = diff_reports(base, head)
    assert dev.delta == pytest.approx(23.76)
    assert dev.percent == pytest.approx(100 * 23.76 / 61.32)
    assert [(item.name, item.delta) for item in dev.resources] == [("db", pytest.approx(23.76))]


def test_added_and_removed_resources_and_stacks_are_shown():
    base = report({"dev": {"db": 10.0}, "old": {"x": 5.0}})
    head = report({"dev": {"cache": 35.77}, "new": {"y": 1.0}})
    deltas = {delta.stack: delta for delta in diff_reports(base, head)}
    assert [(item.name, item.base, item.head) for item in deltas["dev"].resources] == [
        ("cache", 0.0, 35.77),
        ("db", 10.0, 0.0),
    ]
    assert (deltas["new"].base, deltas["new"].percent) == (None, None)
    assert (deltas["old"].head, deltas["old"].delta) == (None, -5.0)


def test_markdown_has_a_stack_table_and_a_resource_table_per_changed_stack():
    markdown = render_diff_markdown(diff_reports(report({"dev": {"db": 10.0}}), report({"dev": {"db": 15.0}})), "USD")
    assert "| dev | 10.00 | 15.00 | +5.00 | +50.0% |" in markdown
    assert "<details><summary>dev: 1 resource(s) changed</summary>" in markdown
    assert "| db | `t` | 10.00 | 15.00 | +5.00 |" in markdown


def test_budget_gate_flags_rises_above_the_limit_and_new_costly_stacks():
    base = report({"dev": {"db": 100.0}, "prod": {"db": 100.0}})
    head = report({"dev": {"db": 104.0}, "prod": {"db": 120.0}, "gke": {"node": 500.0}})
    over = exceeds(diff_reports(base, head), percent_limit=10)
    assert [delta.stack for delta in over] == ["prod", "gke"]


def test_falling_costs_never_trip_the_gate():
    assert exceeds(diff_reports(report({"dev": {"db": 100.0}}), report({"dev": {"db": 10.0}})), percent_limit=0) == []


def test_a_file_that_is_not_a_report_is_refused_naming_it(tmp_path: Path):
    path = tmp_path / "plan.json"
    path.write_text(json.dumps({"stack": "dev", "resources": []}), encoding="utf-8")
    with pytest.raises(DiffError, match=r"plan.json: not a cost report .*currency: Field required"):
        load_report(path)
