"""The lifecycle in the CLI: `check` runs the lifecycle rules next to the policy rules, `plan` prints how long a
first `pulumi up` takes, and `plan --destroy-order` the order and duration of a destroy."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from infra.cli import app
from tests.lifecycle.plans import PROJECT_ROOT, stack_document, temp_project, write_stack

runner = CliRunner()


def project_with_stack(tmp_path: Path, name: str, base: str, section: str, key: str, value: object) -> Path:
    project = temp_project(tmp_path / "project")
    document = stack_document(base)
    document["config"][section][key] = value
    write_stack(project, name, document)
    return project


def test_check_fails_a_dev_stack_whose_database_blocks_a_destroy_naming_the_flag(tmp_path: Path) -> None:
    project = project_with_stack(tmp_path, "sandbox", "dev", "inference:database", "deletionProtection", True)
    (tmp_path / "policy-config").mkdir()

    result = runner.invoke(
        app,
        [
            "check",
            "--stack",
            "sandbox",
            "--project-dir",
            str(project),
            "--policy-config-dir",
            str(tmp_path / "policy-config"),
        ],
    )

    assert result.exit_code == 1, result.output
    assert (
        "sandbox: [mandatory] inference-sandbox-db-instance (gcp:sql/databaseInstance:DatabaseInstance) "
        "lifecycle-destroyable: blocks `pulumi destroy` of a stack meant to be destroyed: "
        "deletionProtection is true: set it to false"
    ) in result.output
    assert "mandatory, 0 advisory violation(s)" in result.output.splitlines()[-1]


def test_check_with_a_malformed_policy_config_still_exits_2(tmp_path: Path) -> None:
    config_dir = tmp_path / "policy-config"
    config_dir.mkdir()
    (config_dir / "dev.json").write_text("{not json")

    result = runner.invoke(
        app, ["check", "--stack", "dev", "--project-dir", str(PROJECT_ROOT), "--policy-config-dir", str(config_dir)]
    )

    assert result.exit_code == 2
    assert "dev.json: not valid JSON" in result.output


def test_plan_prints_the_duration_and_critical_path_of_a_first_up() -> None:
    result = runner.invoke(app, ["plan", "--stack", "dev"])

    assert result.exit_code == 0, result.output
    assert "first pulumi up: ≈ " in result.output
    assert "critical path: API enablement → VPC network" in result.output


def test_plan_destroy_order_lists_every_resource_dependents_first_with_the_duration() -> None:
    result = runner.invoke(app, ["plan", "--stack", "dev", "--destroy-order"])
    lines = result.output.splitlines()
    start = next(index for index, line in enumerate(lines) if line.startswith("pulumi destroy: ≈ "))
    order = [line.split(". ", 1)[1] for line in lines[start + 1 :] if ". " in line]

    assert result.exit_code == 0, result.output
    assert order.index("inference-dev-service (gcp:cloudrunv2/service:Service)") < order.index(
        "inference-dev-vpc (gcp:compute/network:Network)"
    )
    assert order.index("inference-dev-private-services (gcp:servicenetworking/connection:Connection)") < order.index(
        "inference-dev-private-services (gcp:compute/globalAddress:GlobalAddress)"
    )
