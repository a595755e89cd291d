"""The GitHub workflows: linted by actionlint and zizmor inside the suite, and held to what the issue asks."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from policy.stack_policy import POLICY_CONFIG_DIR

REPO_ROOT = Path(__file__).resolve().parents[2]
WORKFLOW_DIR = REPO_ROOT / ".github" / "workflows"
WORKFLOWS = (WORKFLOW_DIR / "pr.yml", WORKFLOW_DIR / "deploy.yml")
ACTIONLINT = Path(sys.executable).parent / "actionlint"
ZIZMOR = Path(sys.executable).parent / "zizmor"
PINNED_TO_A_COMMIT = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
INJECTABLE_WORKFLOW = """\
on: pull_request_target
permissions: {}
jobs:
  greet:
    runs-on: ubuntu-latest
    steps:
      - run: echo "${{ github.event.pull_request.title }}"
"""


def load(workflow: Path) -> dict[Any, Any]:
    document = yaml.safe_load(workflow.read_text(encoding="utf-8"))
    # PyYAML reads the bare key `on` as the boolean True (YAML 1.1).
    document["on"] = document.pop(True)
    return document


def actionlint(*paths: Path) -> list[dict[str, Any]]:
    if not ACTIONLINT.is_file():
        pytest.fail(f"actionlint is not installed at {ACTIONLINT}: `make install` installs it (requirements-dev.txt)")
    # Without shellcheck and pyflakes, whichever of them a machine has on PATH, the findings are the same everywhere.
    result = subprocess.run(
        [str(ACTIONLINT), "-format", "{{json .}}", "-shellcheck=", "-pyflakes=", *map(str, paths)],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=120,
        check=False,
    )
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)


def zizmor(*paths: Path) -> list[dict[str, Any]]:
    if not ZIZMOR.is_file():
        pytest.fail(f"zizmor is not installed at {ZIZMOR}: `pip install zizmor==1.32.0` (requirements-dev.txt)")
    result = subprocess.run(
        [str(ZIZMOR), "--offline", "--format", "json", *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.stdout.strip(), result.stderr
    return json.loads(result.stdout)


def steps_using(workflow: dict[str, Any], action: str) -> list[tuple[str, dict[str, Any]]]:
    return [
        (job_name, step)
        for job_name, job in workflow["jobs"].items()
        for step in job.get("steps", [])
        if str(step.get("uses", "")).startswith(f"{action}@")
    ]


def run_scripts(workflow: dict[str, Any]) -> str:
    return "\n".join(step.get("run", "") for job in workflow["jobs"].values() for step in job.get("steps", []))


def test_the_workflows_pass_actionlint() -> None:
    assert actionlint(*WORKFLOWS) == []


def test_actionlint_reports_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.nope }}\n"
    )

    assert [finding["kind"] for finding in actionlint(broken)] == ["expression"]


def test_the_workflows_have_no_high_severity_zizmor_finding() -> None:
    findings = zizmor(*WORKFLOWS)

    high = [(f["ident"], f["desc"]) for f in findings if f["determinations"]["severity"] == "High"]
    assert high == []


def test_zizmor_reports_template_injection_in_a_workflow(tmp_path: Path) -> None:
    injectable = tmp_path / "injectable.yml"
    injectable.write_text(INJECTABLE_WORKFLOW)

    idents = {f["ident"] for f in zizmor(injectable) if f["determinations"]["severity"] == "High"}
    assert {"template-injection", "dangerous-triggers"} <= idents


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda path: path.name)
def test_every_action_is_pinned_to_a_full_commit_with_its_version_noted(workflow: Path) -> None:
    text = workflow.read_text(encoding="utf-8")
    uses_lines = [line.strip() for line in text.splitlines() if line.strip().lstrip("- ").startswith("uses:")]

    assert uses_lines
    for line in uses_lines:
        reference, _, comment = line.split("uses:", 1)[1].partition("#")
        assert PINNED_TO_A_COMMIT.match(reference.strip()), line
        assert re.match(r"\s*v\d+\.\d+\.\d+$", comment), f"note the release after the commit: {line}"


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda path: path.name)
def test_workflows_read_only_by_default_and_never_run_two_deployments_of_one_target(workflow: Path) -> None:
    document = load(workflow)

    assert document["permissions"] == {"contents": "read"}
    assert document["concurrency"]["group"]


def test_pull_requests_run_tests_plan_check_and_manifest_validation_without_credentials() -> None:
    pr = load(WORKFLOW_DIR / "pr.yml")
    scripts = run_scripts(pr)

    assert list(pr["on"]) == ["pull_request"]
    for command in (
        "make install",
        "make test",
        'infra.cli plan --stack "$STACK" --json',
        'infra.cli check --stack "$STACK"',
        'infra.cli plan --stack "$STACK" --manifests',
        "kubernetes-validate --strict",
    ):
        assert command in scripts, command
    for job_name in ("tests", "offline", "cost"):
        assert "secrets." not in json.dumps(pr["jobs"][job_name]), job_name


def test_the_cost_difference_is_one_comment_edited_in_place() -> None:
    cost = load(WORKFLOW_DIR / "pr.yml")["jobs"]["cost"]
    script = run_scripts({"jobs": {"cost": cost}})

    assert "infra.cli cost" in script and "--format json" in script
    assert "infra.cli cost diff base-cost.json head-cost.json --format markdown" in script
    assert "--method PATCH" in script and "<!-- inference-cost-diff -->" in script
    assert cost["permissions"] == {"contents": "read", "pull-requests": "write"}


def test_preview_runs_per_stack_with_the_policy_pack_only_where_credentials_exist() -> None:
    pr = load(WORKFLOW_DIR / "pr.yml")
    preview = pr["jobs"]["preview"]
    [(_, pulumi)] = steps_using({"jobs": {"preview": preview}}, "pulumi/actions")

    assert preview["if"] == "needs.credentials.outputs.available == 'true'"
    assert preview["strategy"]["matrix"]["stack"] == "${{ fromJSON(needs.stacks.outputs.names) }}"
    assert pulumi["with"]["command"] == "preview"
    assert pulumi["with"]["comment-on-pr"] is True
    assert pulumi["with"]["policyPacks"] == "policy"
    assert pulumi["with"]["policyPackConfigs"] == "policy/config/${{ matrix.stack }}.json"
    assert preview["permissions"]["id-token"] == "write"
    assert steps_using({"jobs": {"preview": preview}}, "google-github-actions/auth")


def test_merging_deploys_dev_then_prod_behind_its_environment() -> None:
    deploy = load(WORKFLOW_DIR / "deploy.yml")
    jobs = deploy["jobs"]

    assert deploy["on"]["push"] == {"branches": ["main"]}
    assert jobs["prod"]["needs"] == "dev"
    assert (jobs["dev"]["environment"], jobs["prod"]["environment"]) == ("dev", "prod")
    for job_name in ("dev", "prod"):
        [(_, pulumi)] = steps_using({"jobs": {job_name: jobs[job_name]}}, "pulumi/actions")
        assert (pulumi["with"]["command"], pulumi["with"]["stack-name"]) == ("up", job_name)
        assert pulumi["with"]["policyPackConfigs"] == f"policy/config/{job_name}.json"


def test_comparison_stacks_are_created_or_destroyed_on_demand_with_a_policy_config_each() -> None:
    deploy = load(WORKFLOW_DIR / "deploy.yml")
    inputs = deploy["on"]["workflow_dispatch"]["inputs"]

    assert inputs["action"]["options"] == ["create", "destroy"]
    assert inputs["stack"]["options"]
    for stack in inputs["stack"]["options"]:
        assert stack.startswith("cmp-")
        assert (POLICY_CONFIG_DIR / f"{stack}.json").is_file(), stack
