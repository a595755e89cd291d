"""The README's example pull-request comment is what `changes` prints today for the edit it describes, and the
README's reference table lists every command of the CLI."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from infra.cli import app
from infra.offline import plan_stack
from tests.lifecycle.plans import PROJECT_ROOT, stack_document, temp_project, write_stack

README = PROJECT_ROOT / "README.md"
EXAMPLE = re.compile(r"<!-- changes-example -->\n(?P<body>.*?)<!-- /changes-example -->", re.DOTALL)
runner = CliRunner()


def example_comment(project: Path) -> str:
    """Plan prod as shipped, apply the README's edit to its stack file, and compare the two as the README does
    (run in the project folder: the README's command names the plan file relative to it)."""
    document = stack_document("prod")
    write_stack(project, "prod", document)
    (project / "plan-prod.json").write_text(json.dumps(plan_stack("prod", project).to_dict()))
    config = document["config"]
    config["inference:redis"]["tier"] = "BASIC"
    config["inference:database"]["tier"] = "db-custom-4-15360"
    config["inference:service"]["minInstances"] = 2
    write_stack(project, "prod", document)
    result = runner.invoke(
        app, ["changes", "plan-prod.json", "prod", "--format", "markdown", "--project-dir", str(project)]
    )
    assert result.exit_code == 0, result.output
    return result.stdout


def test_the_readme_example_comment_is_what_the_tool_prints_today(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    found = EXAMPLE.search(README.read_text(encoding="utf-8"))
    assert found is not None, "README.md lost its <!-- changes-example --> block"
    project = temp_project(tmp_path / "project")
    monkeypatch.chdir(project)
    fresh = example_comment(project)
    assert found.group("body") == fresh, f"README.md's example is stale; paste this between the markers:\n{fresh}"


def test_the_readme_reference_table_lists_every_command() -> None:
    readme = README.read_text(encoding="utf-8")
    table = readme[readme.index("## The offline tools") : readme.index("## Deploying for real")]

    for command in ("plan", "check", "cost", "cost diff", "changes"):
        assert f"`python -m infra.cli {command} " in table, command
    assert "--destroy-order" in table and "--fail-on data-loss" in table
