from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from infra.cli import app
from policy.stack_policy import POLICY_CONFIG_DIR, load_policy_config

REPO_ROOT = Path(__file__).resolve().parents[2]
SHIPPED_STACKS = sorted(
    path.name.removeprefix("Pulumi.").removesuffix(".yaml") for path in REPO_ROOT.glob("Pulumi.*.yaml")
)
PROGRAM_FOLDERS = ("infra", "components", "facts", "plan", "app")

runner = CliRunner()


def run_check(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["check", *args])
    return result.exit_code, result.output


@pytest.fixture
def project_with_public_stack(tmp_path: Path) -> Path:
    """A project folder running the real program, with a stack that opens the service to allUsers."""
    (tmp_path / "Pulumi.yaml").write_text((REPO_ROOT / "Pulumi.yaml").read_text())
    for folder in PROGRAM_FOLDERS:
        (tmp_path / folder).symlink_to(REPO_ROOT / folder, target_is_directory=True)
    stack = yaml.safe_load((REPO_ROOT / "Pulumi.dev.yaml").read_text())
    stack["config"]["inference:service"]["public"] = True
    # Someone is told, so the only findings are about the public invoker.
    stack["config"]["inference:operations"] = {"alertEmails": ["oncall@example.com"]}
    (tmp_path / "Pulumi.public.yaml").write_text(yaml.safe_dump(stack))
    (tmp_path / "policy-config").mkdir()
    return tmp_path


def test_the_shipped_stacks_include_dev_and_prod() -> None:
    assert {"dev", "prod"} <= set(SHIPPED_STACKS)


def test_every_shipped_stack_passes_the_check_with_no_mandatory_violation() -> None:
    arguments = [argument for stack in SHIPPED_STACKS for argument in ("--stack", stack)]

    exit_code, output = run_check(*arguments, "--project-dir", str(REPO_ROOT))

    assert exit_code == 0, output
    for stack in SHIPPED_STACKS:
        assert f"{stack}: 0 mandatory" in output


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_every_shipped_stack_has_a_valid_policy_config_for_pulumi_preview(stack: str) -> None:
    assert (POLICY_CONFIG_DIR / f"{stack}.json").is_file(), f"create policy/config/{stack}.json ({{}} for none)"
    load_policy_config(stack)


def test_a_stack_that_opens_the_service_to_all_users_fails_the_check(project_with_public_stack: Path) -> None:
    exit_code, output = run_check(
        "--stack",
        "public",
        "--project-dir",
        str(project_with_public_stack),
        "--policy-config-dir",
        str(project_with_public_stack / "policy-config"),
    )

    assert exit_code == 1, output
    assert (
        "public: [mandatory] inference-public-public-invoker (gcp:cloudrunv2/serviceIamMember:ServiceIamMember) "
        "cloudrun-no-public-invoker: member is 'allUsers' (role roles/run.invoker)"
    ) in output
    assert "public: 1 mandatory" in output


def test_an_exception_in_the_stack_policy_config_lets_the_public_stack_pass_with_a_warning(
    project_with_public_stack: Path,
) -> None:
    config_dir = project_with_public_stack / "policy-config"
    (config_dir / "public.json").write_text(
        json.dumps({"cloudrun-no-public-invoker": {"enforcementLevel": "advisory", "reason": "public demo"}})
    )

    exit_code, output = run_check(
        "--stack", "public", "--project-dir", str(project_with_public_stack), "--policy-config-dir", str(config_dir)
    )

    assert exit_code == 0, output
    assert "public: [advisory] inference-public-public-invoker" in output
    assert "public: 0 mandatory, 1 advisory violation(s)" in output


def test_a_stack_with_bad_config_exits_2_naming_the_key(project_with_public_stack: Path) -> None:
    stack_file = project_with_public_stack / "Pulumi.public.yaml"
    stack = yaml.safe_load(stack_file.read_text())
    stack["config"]["inference:service"]["cpu"] = 3
    stack_file.write_text(yaml.safe_dump(stack))

    exit_code, output = run_check("--stack", "public", "--project-dir", str(project_with_public_stack))

    assert exit_code == 2
    assert "invalid configuration for stack public" in output and "cpu" in output


def test_an_unknown_stack_exits_2_and_lists_the_stacks_there() -> None:
    exit_code, output = run_check("--stack", "nonexistent", "--project-dir", str(REPO_ROOT))

    assert exit_code == 2
    assert "Pulumi.nonexistent.yaml: no such stack file" in output


def test_a_malformed_policy_config_exits_2_naming_the_file(project_with_public_stack: Path) -> None:
    config_dir = project_with_public_stack / "policy-config"
    (config_dir / "public.json").write_text(json.dumps({"cloudrun-no-public-invoker": "advisory"}))

    exit_code, output = run_check(
        "--stack", "public", "--project-dir", str(project_with_public_stack), "--policy-config-dir", str(config_dir)
    )

    assert exit_code == 2
    assert "public.json: 'cloudrun-no-public-invoker': an exception must give its reason" in output
