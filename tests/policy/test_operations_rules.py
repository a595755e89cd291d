"""The operations rules over real plans: a prod stack is watched by SLO burn-rate alerts, tells somebody and has a
budget; elsewhere, alerts that tell nobody are a warning."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.offline import plan_stack
from policy.rules import STACK_RULES_BY_NAME, Level
from policy.stack_policy import Violation, default_settings, evaluate_resources
from tests.policy.test_policy_cli import PROGRAM_FOLDERS, REPO_ROOT, run_check


def project_with(stack: str, base: str, operations: dict[str, Any] | None, tmp_path: Path) -> Path:
    """A project running the real program, with Pulumi.<stack>.yaml = the shipped `base` stack, operations replaced."""
    (tmp_path / "Pulumi.yaml").write_text((REPO_ROOT / "Pulumi.yaml").read_text())
    for folder in PROGRAM_FOLDERS:
        (tmp_path / folder).symlink_to(REPO_ROOT / folder, target_is_directory=True)
    document = yaml.safe_load((REPO_ROOT / f"Pulumi.{base}.yaml").read_text())
    if operations is None:
        document["config"].pop("inference:operations", None)
    else:
        document["config"]["inference:operations"] = operations
    (tmp_path / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump(document))
    (tmp_path / "policy-config").mkdir()
    return tmp_path


def operations_findings(stack: str, project_dir: Path) -> list[Violation]:
    plan = plan_stack(stack, project_dir, cache=False)
    findings = evaluate_resources(stack, plan.resources, default_settings())
    return [violation for violation in findings if violation.rule.startswith("operations-")]


def test_the_shipped_prod_stacks_meet_every_operations_rule():
    for stack in ("prod", "prod-gke"):
        assert operations_findings(stack, REPO_ROOT) == [], stack


def test_prod_with_operations_off_fails_the_check(tmp_path):
    project = project_with("unwatched", "prod", {"enabled": False}, tmp_path)
    exit_code, output = run_check(
        "--stack", "unwatched", "--project-dir", str(project), "--policy-config-dir", str(project / "policy-config")
    )
    assert exit_code == 1, output
    assert "[mandatory] inference-unwatched-service (gcp:cloudrunv2/service:Service) operations-prod-enabled" in output
    assert "operations-prod-notification-channel" in output
    assert "[advisory]" in output and "operations-prod-budget" in output


def test_prod_without_an_alert_address_is_a_mandatory_violation_and_without_a_budget_an_advisory_one(tmp_path):
    project = project_with("quiet", "prod", {}, tmp_path)
    findings = {(v.rule, v.level) for v in operations_findings("quiet", project)}
    assert findings == {
        ("operations-prod-notification-channel", Level.MANDATORY),
        ("operations-prod-budget", Level.ADVISORY),
    }


@pytest.mark.parametrize("base", ["dev", "cmp-cloudrun"])
def test_outside_prod_alerts_that_tell_nobody_are_a_warning(base, tmp_path):
    project = project_with("quietdev", base, None, tmp_path)
    findings = operations_findings("quietdev", project)
    assert [(v.rule, v.level) for v in findings] == [("operations-alerts-notify", Level.ADVISORY)]
    assert "notify nobody: list an address in inference:operations.alertEmails" in findings[0].message


def test_the_levels_are_the_issues():
    assert STACK_RULES_BY_NAME["operations-prod-enabled"].level is Level.MANDATORY
    assert STACK_RULES_BY_NAME["operations-prod-notification-channel"].level is Level.MANDATORY
    assert STACK_RULES_BY_NAME["operations-prod-budget"].level is Level.ADVISORY
    assert STACK_RULES_BY_NAME["operations-alerts-notify"].level is Level.ADVISORY
