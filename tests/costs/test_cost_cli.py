"""`cost` and `cost diff` through the project CLI (infra.cli), as users run them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from infra.cli import app
from tests.costs.builders import REDIS, cloud_run_service, resource

FIXTURES = Path(__file__).with_name("fixtures")
PROJECT_ROOT = Path(__file__).resolve().parents[2]
NO_USAGE = FIXTURES / "usage-none.yaml"


def run(*args: str) -> object:
    return CliRunner().invoke(app, list(args))


def write_plan(tmp_path: Path, stack: str, *resources: dict) -> str:
    path = tmp_path / f"{stack}.json"
    path.write_text(
        json.dumps({"stack": stack, "project": "inference", "resources": list(resources)}), encoding="utf-8"
    )
    return str(path)


def small_and_big(tmp_path: Path) -> tuple[str, str]:
    small = write_plan(
        tmp_path, "dev", resource(REDIS, "cache", {"region": "us-central1", "tier": "BASIC", "memorySizeGb": 1})
    )
    big = write_plan(
        tmp_path, "prod", resource(REDIS, "cache", {"region": "us-central1", "tier": "STANDARD_HA", "memorySizeGb": 5})
    )
    return small, big


def test_cost_of_plan_files_as_json_has_one_entry_per_stack(tmp_path):
    small, big = small_and_big(tmp_path)
    result = run("cost", "--plan", small, "--plan", big, "--format", "json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert [(stack["stack"], stack["monthly_total"]) for stack in document["stacks"]] == [
        ("dev", 35.77),
        ("prod", 197.1),
    ]


def test_cost_of_the_shipped_dev_and_prod_stacks_as_markdown(monkeypatch):
    monkeypatch.chdir(PROJECT_ROOT)
    result = run("cost", "--stack", "dev", "--stack", "prod", "--format", "markdown")
    assert result.exit_code == 0, result.output
    assert "| Monthly cost (USD) | dev (cheapest) | prod |" in result.output
    assert "| **Total** |" in result.output


def test_cost_of_a_stack_with_bad_config_exits_2_with_the_message(monkeypatch):
    monkeypatch.chdir(PROJECT_ROOT)
    result = run("cost", "--stack", "no-such-stack")
    assert result.exit_code == 2
    assert "invalid configuration for stack no-such-stack" in result.output
    assert "Pulumi.no-such-stack.yaml: no such stack file" in result.output


def test_cost_of_a_preview_and_a_stack_export_labels_each_source():
    result = run(
        "cost",
        "--preview",
        str(FIXTURES / "preview.json"),
        "--state",
        str(FIXTURES / "stack-export.json"),
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    totals = {stack["stack"]: stack["monthly_total"] for stack in json.loads(result.output)["stacks"]}
    assert set(totals) == {"prod (preview)", "dev (state)"}
    assert totals["dev (state)"] == pytest.approx(35.77 + 25.55 + 10 * 0.17 + 0.06 + 0.003, abs=0.02)


def test_an_unknown_resource_exits_0_and_the_total_says_what_it_excludes(tmp_path):
    path = write_plan(tmp_path, "odd", resource("gcp:bigquery/dataset:Dataset", "warehouse", {}))
    result = run("cost", "--plan", path, "--format", "markdown")
    assert result.exit_code == 0
    assert "odd: total excludes 1 unpriced: warehouse" in result.output


def test_sweep_with_chart_reports_the_break_even_and_writes_a_png(tmp_path):
    cloud_run = write_plan(tmp_path, "cloudrun", cloud_run_service(min_instances=0, max_instances=100))
    redis = write_plan(
        tmp_path, "flat", resource(REDIS, "cache", {"region": "us-central1", "tier": "STANDARD_HA", "memorySizeGb": 5})
    )
    chart = tmp_path / "cost.png"
    result = run(
        "cost",
        "--plan",
        cloud_run,
        "--plan",
        redis,
        "--sweep",
        "requests=1e5:1e9",
        "--chart",
        str(chart),
        "--format",
        "markdown",
    )
    assert result.exit_code == 0, result.output
    assert "below it cloudrun is cheapest, above it flat" in result.output
    assert chart.read_bytes().startswith(b"\x89PNG")


def test_free_tier_flag_lowers_the_total(tmp_path):
    path = write_plan(tmp_path, "run", cloud_run_service(min_instances=1))
    without = json.loads(run("cost", "--plan", path, "--format", "json").output)["stacks"][0]["monthly_total"]
    with_free = json.loads(run("cost", "--plan", path, "--format", "json", "--free-tier").output)
    assert with_free["free_tier_applied"] is True
    assert with_free["stacks"][0]["monthly_total"] < without


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "give at least one --stack, --plan, --preview or --state"),
        (("--plan", "missing.json"), "missing.json: cannot read"),
        (("--preview", str(FIXTURES / "stack-export.json")), "expected an object with a 'steps' list"),
        (("--plan", str(FIXTURES / "plan-gke.json"), "--sweep", "requests=9:1"), "need 0 < START < STOP"),
    ],
)
def test_bad_input_exits_2_saying_what_was_wrong(args, message):
    result = run("cost", *args)
    assert result.exit_code == 2
    assert message in result.output


def test_a_bad_usage_file_exits_2_naming_the_key(tmp_path):
    usage = tmp_path / "usage.yml"
    usage.write_text("defaults:\n  monthly_requests: lots\n", encoding="utf-8")
    result = run("cost", "--plan", str(FIXTURES / "plan-gke.json"), "--usage", str(usage))
    assert result.exit_code == 2
    assert "defaults.monthly_requests" in result.output


def report_file(tmp_path: Path, name: str, total: float) -> str:
    plan = write_plan(
        tmp_path, "dev", resource(REDIS, "cache", {"region": "us-central1", "tier": "BASIC", "memorySizeGb": total})
    )
    path = tmp_path / name
    path.write_text(run("cost", "--plan", plan, "--format", "json").output, encoding="utf-8")
    return str(path)


def test_diff_prints_markdown_deltas_per_stack_and_resource(tmp_path):
    base, head = report_file(tmp_path, "base.json", 1), report_file(tmp_path, "head.json", 2)
    result = run("cost", "diff", base, head, "--format", "markdown")
    assert result.exit_code == 0, result.output
    assert "| dev | 35.77 | 71.54 | +35.77 | +100.0% |" in result.output
    assert "| cache | `gcp:redis/instance:Instance` | 35.77 | 71.54 | +35.77 |" in result.output


def test_diff_fails_above_the_budget_percentage(tmp_path):
    base, head = report_file(tmp_path, "base.json", 1), report_file(tmp_path, "head.json", 2)
    assert run("cost", "diff", base, head, "--fail-above", "150").exit_code == 0
    over = run("cost", "diff", base, head, "--fail-above", "50")
    assert over.exit_code == 1
    assert "cost rose more than 50% in: dev" in over.output


def test_diff_of_a_file_that_is_not_a_report_exits_2(tmp_path):
    base = report_file(tmp_path, "base.json", 1)
    result = run("cost", "diff", base, str(FIXTURES / "plan-gke.json"))
    assert result.exit_code == 2
    assert "plan-gke.json: not a cost report" in result.output


@pytest.mark.parametrize("readme_path", ["costs/README.md", "README.md"])
def test_readme_table_of_the_shipped_stacks_is_what_the_tool_prints_today(monkeypatch, readme_path):
    readme = (PROJECT_ROOT / readme_path).read_text(encoding="utf-8")
    command = re.search(r"Produced by `python -m infra\.cli (cost [^`]+)`", readme)
    assert command is not None
    monkeypatch.chdir(PROJECT_ROOT)
    result = run(*command.group(1).split())
    assert result.exit_code == 0, result.output
    assert result.output in readme, f"{readme_path} is stale: rerun its `Produced by` command and paste the table"


def test_preview_is_priced_from_the_new_state():
    result = run("cost", "--preview", str(FIXTURES / "preview.json"), "--format", "json", "--usage", str(NO_USAGE))
    [stack] = json.loads(result.output)["stacks"]
    expected = 197.10 + (0.0413 + 3.75 * 0.007) * 730 + 10 * 0.17 + 0.06
    assert stack["monthly_total"] == pytest.approx(expected, abs=0.01)


def test_chart_without_sweep_sweeps_requests_by_default(tmp_path):
    path = write_plan(tmp_path, "run", cloud_run_service(min_instances=0))
    chart = tmp_path / "chart.png"
    result = run("cost", "--plan", path, "--chart", str(chart), "--format", "json")
    assert result.exit_code == 0, result.output
    sweep = json.loads(result.output)["sweep"]
    assert (sweep["parameter"], sweep["points"][0]["value"], sweep["points"][-1]["value"]) == (
        "requests",
        pytest.approx(1e5),
        pytest.approx(1e9),
    )
    assert chart.is_file()


def test_json_reports_per_million_requests_instances_needed_and_capacity_per_stack(tmp_path):
    usage = tmp_path / "usage.yaml"
    usage.write_text(
        "throughput:\n  nvidia-l4: {requests_per_second: 100, kind: assumed, date: '2026-12'}\n"
        "defaults:\n  monthly_requests: 2628000000\n  peak_factor: 3\n",
        encoding="utf-8",
    )
    tight = write_plan(tmp_path, "tight", cloud_run_service(min_instances=1, max_instances=3))
    roomy = write_plan(tmp_path, "roomy", cloud_run_service(min_instances=1, max_instances=40))
    result = run("cost", "--plan", tight, "--plan", roomy, "--usage", str(usage), "--format", "json")
    assert result.exit_code == 0, result.output
    tight_report, roomy_report = json.loads(result.output)["stacks"]
    assert tight_report["capacity_ok"] is False
    assert tight_report["capacity_reason"].startswith("cannot serve the peak")
    assert (roomy_report["capacity_ok"], roomy_report["capacity_reason"]) == (True, None)
    assert roomy_report["instances_needed"]["average"] == pytest.approx(10)
    assert roomy_report["instances_needed"]["peak"] == pytest.approx(30)
    assert roomy_report["per_million_requests"] == pytest.approx(roomy_report["monthly_total"] / 2628, abs=0.01)
    table = run("cost", "--plan", tight, "--usage", str(usage), "--format", "markdown").output
    assert "| Capacity | cannot serve the peak |" in table


def test_commitment_shows_the_committed_total_beside_the_list_total(tmp_path):
    cache = write_plan(
        tmp_path, "prod", resource(REDIS, "cache", {"region": "us-central1", "tier": "STANDARD_HA", "memorySizeGb": 5})
    )
    listed = json.loads(run("cost", "--plan", cache, "--format", "json").output)["stacks"][0]
    committed = json.loads(run("cost", "--plan", cache, "--commitment", "3y", "--format", "json").output)
    [stack] = committed["stacks"]
    assert committed["commitment"] == "3y"
    assert stack["monthly_total"] == listed["monthly_total"] == 197.1
    assert stack["committed_monthly_total"] == pytest.approx(197.1 * 0.6, abs=0.01)
    assert listed["committed_monthly_total"] is None
    markdown = run("cost", "--plan", cache, "--commitment", "1y", "--format", "markdown").output
    assert "| Total, 1y commitment | 157.68 |" in markdown


def test_a_bad_commitment_term_exits_2(tmp_path):
    small, _ = small_and_big(tmp_path)
    assert run("cost", "--plan", small, "--commitment", "2y").exit_code == 2


def test_region_compare_prices_the_same_stacks_in_each_region(tmp_path):
    small, _ = small_and_big(tmp_path)
    result = run("cost", "--plan", small, "--region-compare", "us-central1,asia-south1", "--format", "json")
    assert result.exit_code == 0, result.output
    compare = json.loads(result.output)["region_compare"]
    assert compare["regions"] == ["us-central1", "asia-south1"]
    [(stack, totals)] = compare["stacks"].items()
    assert stack == "dev"
    assert [(total["region"], total["monthly_total"], total["unpriced"]) for total in totals] == [
        ("us-central1", 35.77, 0),
        ("asia-south1", 45.99, 0),
    ]


def test_region_compare_of_a_region_without_prices_exits_2_naming_it(tmp_path):
    small, _ = small_and_big(tmp_path)
    result = run("cost", "--plan", small, "--region-compare", "mars-north1")
    assert result.exit_code == 2
    assert "--region-compare: no catalog prices for mars-north1" in result.output


def test_region_compare_in_markdown_puts_each_stacks_unpriced_count_in_brackets(tmp_path):
    service = write_plan(tmp_path, "svc", cloud_run_service(min_instances=1))
    options = ("--region-compare", "europe-west4", "--usage", str(NO_USAGE), "--format", "markdown")
    result = run("cost", "--plan", service, *options)
    assert result.exit_code == 0, result.output
    # In europe-west4 the CPU and memory of the one warm instance take the Tier 1 price; the L4 has no price there.
    per_second = 4 * 0.000018 + 16 * 0.000002
    assert f"| svc | {per_second * 730 * 3600:,.2f} (1) |" in result.output
