"""Every name in every plan fits the limit its API documents (facts/gcp.py): the shipped stacks, and stacks whose
names are far longer than a service account id, planned whole with the real program."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from facts.gcp import (
    AUTONAME_SUFFIX_LENGTH,
    GCP_LABEL_VALUE,
    KUBERNETES_LABEL_VALUE,
    LABEL_KEY,
    SERVICE_ACCOUNT_ID_NAME,
    name_fields,
)
from infra.offline import plan_stack
from plan import Plan, PlannedResource, lookup
from tests.cli_process import run_cli

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SHIPPED_STACKS = ("dev", "prod", "prod-gke", "cmp-cloudrun", "cmp-gke")
# Long stack names, each planned from a shipped stack file copied under that name.
LONG_STACKS = {
    "staging-europe-west4": "dev",
    "feature-gpu-test": "cmp-cloudrun",
    "feature-gpu-test-on-gke-in-europe-west4-with-spot-l4-nodes": "prod-gke",
    "Team_Alpha.preview-" + "x" * 81: "cmp-gke",
    "release-candidate-" + "y" * 82: "prod",
}
AUTONAME_SAMPLE = "-" + "f" * (AUTONAME_SUFFIX_LENGTH - 1)
LABEL_KEYS = ("labels", "userLabels", "resourceLabels")
ACCOUNT = "gcp:serviceaccount/account:Account"


def name_problems(plan: Plan) -> list[str]:
    """Each name or label in the plan that its rule refuses (auto-named resources counted with Pulumi's suffix)."""
    problems = []
    for resource in plan.resources:
        for field in name_fields(resource.type):
            written = lookup(resource.inputs, field.path)
            name = written if written is not None else resource.name + AUTONAME_SAMPLE if field.autonamed else None
            if name is None:
                problems.append(f"{resource.name}: {field.path} missing")
            elif not field.rule.accepts(name):
                problems.append(f"{resource.name}: {field.path} {name!r} ({len(name)}): {field.rule.source}")
        problems.extend(_label_problems(resource))
    return problems


def _label_problems(resource: PlannedResource) -> list[str]:
    problems = []

    def visit(value: Any, path: tuple[str, ...]) -> None:
        if isinstance(value, dict):
            for key, nested in value.items():
                if key in LABEL_KEYS and isinstance(nested, dict):
                    check(nested, (*path, key))
                visit(nested, (*path, key))
        elif isinstance(value, list):
            for item in value:
                visit(item, path)

    def check(labels: dict[str, Any], path: tuple[str, ...]) -> None:
        kubernetes = resource.type.startswith("kubernetes:") or path[-2:] == ("nodeConfig", "labels")
        for key, label_value in labels.items():
            if kubernetes:
                valid = KUBERNETES_LABEL_VALUE.accepts(str(label_value))
            else:
                valid = bool(LABEL_KEY.match(key)) and GCP_LABEL_VALUE.accepts(str(label_value))
            if not valid:
                problems.append(f"{resource.name}: {'.'.join(path)}.{key} = {label_value!r}")

    visit(resource.inputs, ())
    return problems


def names_checked(plan: Plan) -> int:
    return sum(len(name_fields(resource.type)) for resource in plan.resources)


@pytest.fixture(scope="module", params=SHIPPED_STACKS)
def shipped_plan(request: pytest.FixtureRequest) -> Plan:
    return plan_stack(request.param, PROJECT_ROOT, cache=False)


@pytest.fixture(scope="module")
def long_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = tmp_path_factory.mktemp("long-names")
    for folder in ("infra", "components", "facts", "plan", "app"):
        (project / folder).symlink_to(PROJECT_ROOT / folder, target_is_directory=True)
    (project / "Pulumi.yaml").write_text((PROJECT_ROOT / "Pulumi.yaml").read_text())
    for stack, source in LONG_STACKS.items():
        (project / f"Pulumi.{stack}.yaml").write_text((PROJECT_ROOT / f"Pulumi.{source}.yaml").read_text())
    return project


@pytest.fixture(scope="module", params=list(LONG_STACKS))
def long_plan(request: pytest.FixtureRequest, long_project: Path) -> Plan:
    return plan_stack(request.param, long_project, cache=False)


def test_every_name_and_label_in_a_shipped_stack_fits_its_limit(shipped_plan: Plan) -> None:
    assert names_checked(shipped_plan) >= 15
    assert name_problems(shipped_plan) == []


def test_every_name_and_label_of_a_long_named_stack_fits_its_limit(long_plan: Plan) -> None:
    assert names_checked(long_plan) >= 15
    assert name_problems(long_plan) == []


def test_a_long_named_stack_plans_the_same_resources_as_its_source_stack(long_plan: Plan) -> None:
    source = plan_stack(LONG_STACKS[long_plan.stack], PROJECT_ROOT, cache=True)
    assert sorted(resource.type for resource in long_plan.resources) == sorted(
        resource.type for resource in source.resources
    )


def test_staging_europe_west4_keeps_readable_names_and_shortens_only_what_must_fit(long_project: Path) -> None:
    plan = plan_stack("staging-europe-west4", long_project, cache=False)
    (account,) = plan.of_type(ACCOUNT)
    assert account.inputs["accountId"].startswith("inference-staging-europ-")
    assert len(account.inputs["accountId"]) == SERVICE_ACCOUNT_ID_NAME.max_length
    assert plan.one("gcp:redis/instance:Instance").name.startswith("inference-staging-europe-")
    assert plan.one("gcp:artifactregistry/repository:Repository").inputs["repositoryId"] == (
        "inference-staging-europe-west4"
    )
    assert "inference-staging-europe-west4-db-password" in {
        secret.inputs["secretId"] for secret in plan.of_type("gcp:secretmanager/secret:Secret")
    }


def test_two_long_stacks_sharing_a_prefix_get_distinct_service_account_ids(long_project: Path) -> None:
    for stack in ("feature-gpu-test-on-gke-one", "feature-gpu-test-on-gke-two"):
        (long_project / f"Pulumi.{stack}.yaml").write_text((PROJECT_ROOT / "Pulumi.cmp-gke.yaml").read_text())
    account_ids = [
        {account.inputs["accountId"] for account in plan_stack(stack, long_project, cache=False).of_type(ACCOUNT)}
        for stack in ("feature-gpu-test-on-gke-one", "feature-gpu-test-on-gke-two")
    ]
    assert len(account_ids[0]) == len(account_ids[1]) == 2
    assert account_ids[0].isdisjoint(account_ids[1])


def test_the_check_reports_a_name_beyond_its_limit() -> None:
    too_long = PlannedResource(
        urn="urn:pulumi:x::inference::gcp:serviceaccount/account:Account::a",
        type=ACCOUNT,
        name="a",
        parent=None,
        custom=True,
        inputs={"accountId": "inference-" + "s" * 21, "displayName": "ok"},
        dependencies=(),
    )
    auto_named = PlannedResource(
        urn="urn:pulumi:x::inference::gcp:redis/instance:Instance::r",
        type="gcp:redis/instance:Instance",
        name="inference-" + "r" * 23,
        parent=None,
        custom=True,
        inputs={"labels": {"stack": "Not-A-Label"}},
        dependencies=(),
    )
    problems = name_problems(Plan(stack="x", project="inference", resources=[too_long, auto_named]))
    assert len(problems) == 3, json.dumps(problems)


def test_staging_europe_west4_plans_from_the_cli(project_copy: Path) -> None:
    (project_copy / "Pulumi.staging-europe-west4.yaml").write_text((project_copy / "Pulumi.dev.yaml").read_text())

    result = run_cli("plan", "--stack", "staging-europe-west4", "--no-cache", "--json", "plan.json", cwd=project_copy)

    assert result.returncode == 0, result.stderr
    plan = json.loads((project_copy / "plan.json").read_text())
    account_ids = [r["inputs"]["accountId"] for r in plan["resources"] if r["type"] == ACCOUNT]
    assert [SERVICE_ACCOUNT_ID_NAME.accepts(account_id) for account_id in account_ids] == [True]
