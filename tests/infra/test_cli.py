"""`python -m infra.cli plan`: the tree, the JSON plan, and exit code 2 with named problems on bad config."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from infra.cli import app
from infra.offline import engine
from tests.cli_process import run_cli

PROJECT_ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


BAD_PROD_STACK = """\
config:
  gcp:project: my-project
  gcp:region: us-central1
  inference:environment: prod
  inference:platform: cloudrun
  inference:service:
    cpu: 2
    memory: 16Gi
    gpu: {type: nvidia-l4}
    maxInstances: 3
    minInstance: 1
  inference:redis: {tier: BASIC, memorySizeGb: 400, readReplicas: 2}
  inference:database: {tier: db-custom-3-3840}
"""


def test_plan_prints_the_tree_of_every_component(monkeypatch):
    monkeypatch.chdir(PROJECT_ROOT)
    result = runner.invoke(app, ["plan", "--stack", "prod"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for component in (
        "inference:network:Network",
        "inference:secrets:Secrets",
        "inference:database:PostgresDatabase",
        "inference:cache:RedisCache",
        "inference:image:ContainerImage",
        "inference:cloudrun:CloudRunService",
        "inference:apis:ProjectApis",
    ):
        assert component in result.output
    assert "accelerator=nvidia-l4" in result.output
    assert result.output.startswith("stack prod (project inference):")


def test_plan_json_has_the_documented_shape(monkeypatch, tmp_path):
    monkeypatch.chdir(PROJECT_ROOT)
    plan_file = tmp_path / "plan.json"
    result = runner.invoke(app, ["plan", "--stack", "dev", "--json", str(plan_file)])
    assert result.exit_code == 0, result.output
    document = json.loads(plan_file.read_text())
    assert set(document) == {"stack", "project", "resources"}
    assert (document["stack"], document["project"]) == ("dev", "inference")
    assert document["resources"], "the plan lists resources"
    for resource in document["resources"]:
        assert set(resource) - {"aliases"} == {"urn", "type", "name", "parent", "custom", "inputs", "dependencies"}
        assert resource["urn"].startswith("urn:pulumi:dev::inference::")
    sql = next(r for r in document["resources"] if r["type"] == "gcp:sql/databaseInstance:DatabaseInstance")
    assert sql["inputs"]["settings"]["ipConfiguration"]["ipv4Enabled"] is False, "inputs use the engine's camelCase"
    urns = {resource["urn"] for resource in document["resources"]}
    assert sql["parent"] in urns
    assert all(dependency in urns for r in document["resources"] for dependency in r["dependencies"])


def test_bad_stack_file_exits_2_naming_file_key_and_rule(project_copy):
    (project_copy / "Pulumi.broken.yaml").write_text(BAD_PROD_STACK)
    result = run_cli("plan", "--stack", "broken", cwd=project_copy)
    assert result.returncode == 2
    assert "Pulumi.broken.yaml: inference:service.cpu = 2: an nvidia-l4 GPU on Cloud Run needs at least 4 vCPU" in (
        result.stderr
    )
    assert "Pulumi.broken.yaml: inference:service.minInstance = 1: unknown key" in result.stderr
    assert (
        "Pulumi.broken.yaml: inference:redis.memorySizeGb = 400: Memorystore for Redis takes 1-300 GB" in result.stderr
    )
    assert "Pulumi.broken.yaml: inference:redis.readReplicas = 2: read replicas need tier STANDARD_HA" in result.stderr
    assert "Pulumi.broken.yaml: inference:database.tier = db-custom-3-3840" in result.stderr
    assert result.stdout == "", "nothing is planned when the config is invalid"


@pytest.mark.parametrize(
    ("replacement", "expected"),
    [
        (("platform: cloudrun", "platform: appengine"), "inference:platform = appengine: allowed: cloudrun, gke"),
        (("minInstances: 0", "minInstancs: 0"), "inference:service.minInstancs = 0: unknown key"),
    ],
)
def test_shipped_stack_with_one_mistake_exits_2(project_copy, replacement, expected):
    dev = (project_copy / "Pulumi.dev.yaml").read_text()
    assert replacement[0] in dev
    (project_copy / "Pulumi.mistake.yaml").write_text(dev.replace(*replacement))
    result = run_cli("plan", "--stack", "mistake", cwd=project_copy)
    assert result.returncode == 2
    assert f"Pulumi.mistake.yaml: {expected}" in result.stderr


def test_invalid_config_registers_nothing(project_copy, monkeypatch):
    (project_copy / "Pulumi.broken.yaml").write_text(BAD_PROD_STACK)
    monkeypatch.chdir(project_copy)

    def must_not_run(*_args, **_kwargs):
        raise AssertionError("the program ran although the config is invalid")

    monkeypatch.setattr(engine, "run_program", must_not_run)
    result = runner.invoke(app, ["plan", "--stack", "broken"])
    assert result.exit_code == 2


def test_unknown_stack_names_the_stacks_that_exist(monkeypatch):
    monkeypatch.chdir(PROJECT_ROOT)
    result = runner.invoke(app, ["plan", "--stack", "staging"])
    assert result.exit_code == 2
    assert "Pulumi.staging.yaml: no such stack file (stacks here:" in result.output
    assert "dev" in result.output and "prod" in result.output


def test_yaml_syntax_errors_exit_2_with_the_file_name(project_copy):
    (project_copy / "Pulumi.typo.yaml").write_text("config:\n  gcp:project: [unclosed\n")
    result = run_cli("plan", "--stack", "typo", cwd=project_copy)
    assert result.returncode == 2
    assert "Pulumi.typo.yaml: not valid YAML" in result.stderr
