"""The pull-request comment carries the change impact of every stack before the cost difference, and a label
turns `--fail-on` on."""

from __future__ import annotations

from pathlib import Path

import yaml

WORKFLOW = Path(__file__).resolve().parents[2] / ".github" / "workflows" / "pr.yml"


def cost_job_steps() -> list[dict[str, str]]:
    steps: list[dict[str, str]] = yaml.safe_load(WORKFLOW.read_text())["jobs"]["cost"]["steps"]
    return steps


def test_the_comment_states_each_stacks_changes_before_the_cost_difference() -> None:
    [write] = [step for step in cost_job_steps() if step.get("name") == "Write the comment"]
    script = write["run"]

    assert script.index("<!-- inference-cost-diff -->") < script.index("| stack | data loss | blocked | duration |")
    assert script.index("infra.cli changes") < script.index("infra.cli cost diff")
    assert "--format markdown" in script and "--format json" in script


def test_both_sides_are_planned_so_the_change_is_compared_by_urn() -> None:
    scripts = {step.get("name"): step.get("run", "") for step in cost_job_steps()}

    assert '--json "../head-plans/$stack.json"' in scripts["Plan every stack of the pull request"]
    assert '--json "../base-plans/$stack.json"' in scripts["Plan every stack of the base branch"]


def test_a_label_sets_fail_on_data_loss_or_replace() -> None:
    [gate] = [step for step in cost_job_steps() if "fail-on-data-loss" in step.get("if", "")]

    assert "fail-on-replace" in gate["if"]
    assert '--fail-on "$FAIL_ON"' in gate["run"]
    assert "'data-loss'" in gate["env"]["FAIL_ON"] and "'replace'" in gate["env"]["FAIL_ON"]
