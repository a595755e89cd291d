"""`python -m infra.cli changes BASE HEAD` on real plans: each shipped stack against itself, and held-out edits
(one key of a stack file changed, planned by the real program) reported with the right action and field."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from infra.cli import app
from plan import Plan
from plan.wire import SECRET_SIGNATURE, SPECIAL_SIGNATURE_KEY
from tests.lifecycle.plans import (
    PROJECT_ROOT,
    SHIPPED_STACKS,
    edited_stack_plan,
    named,
    shipped_plan,
    with_inputs,
)

runner = CliRunner()
REDIS = "gcp:redis/instance:Instance"
SQL_INSTANCE = "gcp:sql/databaseInstance:DatabaseInstance"
CLOUD_RUN = "gcp:cloudrunv2/service:Service"
NODE_POOL = "gcp:container/nodePool:NodePool"


def run_changes(*args: str, cwd: Path = PROJECT_ROOT) -> tuple[int, str, str]:
    result = runner.invoke(app, ["changes", *args, "--project-dir", str(cwd)])
    return result.exit_code, result.stdout, result.stderr


def write_plan(path: Path, plan: Plan) -> str:
    path.write_text(json.dumps(plan.to_dict()))
    return str(path)


def report(base: Plan, head: Plan, folder: Path, *extra: str) -> dict[str, Any]:
    exit_code, output, errors = run_changes(
        write_plan(folder / "base.json", base), write_plan(folder / "head.json", head), "--format", "json", *extra
    )
    assert exit_code == 0, errors
    document: dict[str, Any] = json.loads(output)
    return document


def entry(document: dict[str, Any], resource_type: str, name: str) -> dict[str, Any]:
    [found] = [r for r in document["resources"] if r["type"] == resource_type and r["name"] == name]
    return found


def not_same(document: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(r["action"], r["type"], r["name"]) for r in document["resources"] if r["action"] != "same"]


Edit = Callable[[dict[str, Any]], None]


def edited(tmp_path: Path, stack: str, edit: Edit) -> tuple[Plan, Plan]:
    return shipped_plan(stack), edited_stack_plan(tmp_path / "project", stack, edit)


def set_key(section: str, key: str, value: Any) -> Edit:
    def edit(config: dict[str, Any]) -> None:
        config[section][key] = value

    return edit


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_every_shipped_stack_against_itself_is_all_same(stack: str) -> None:
    exit_code, output, _ = run_changes(stack, stack, "--format", "json", "--fail-on", "replace")
    document = json.loads(output)

    assert exit_code == 0
    assert document["summary"] == {"create": 0, "update": 0, "replace": 0, "delete": 0}
    assert {r["action"] for r in document["resources"]} == {"same"}
    assert document["duration"]["seconds"] == 0


def test_redis_tier_replaces_the_instance_and_loses_its_data(tmp_path: Path) -> None:
    base, head = edited(tmp_path, "dev", set_key("inference:redis", "tier", "STANDARD_HA"))
    document = report(base, head, tmp_path)
    redis = entry(document, REDIS, "inference-dev-redis")

    assert not_same(document) == [("replace", REDIS, "inference-dev-redis")]
    assert redis["changed"] == [{"path": "tier", "old": "BASIC", "new": "STANDARD_HA", "forces_replacement": True}]
    assert redis["data_loss"] == "Memorystore instance inference-dev-redis: cached embeddings and rate-limit counters"
    assert document["summary"] == {"create": 0, "update": 0, "replace": 1, "delete": 0}


def test_redis_memory_size_is_an_update_that_flushes_a_basic_cache(tmp_path: Path) -> None:
    base, head = edited(tmp_path, "dev", set_key("inference:redis", "memorySizeGb", 2))
    redis = entry(report(base, head, tmp_path), REDIS, "inference-dev-redis")

    assert redis["action"] == "update"
    assert redis["changed"] == [{"path": "memorySizeGb", "old": 1, "new": 2, "forces_replacement": False}]
    assert redis["data_loss"] is None
    assert "cache is flushed" in redis["disruption"]


def without_monitoring(actions: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    return [action for action in actions if not action[1].startswith("gcp:monitoring/")]


@pytest.mark.parametrize(
    ("key", "value", "path"),
    [
        ("cpu", 4, "template.containers.0.resources.limits.cpu"),
        ("minInstances", 1, "template.scaling.minInstanceCount"),
        # MODEL_BACKEND goes in after MODEL_DEVICE, so the variables after it move down one place.
        ("modelBackend", "openvino", "template.containers.0.envs.1.value"),
    ],
)
def test_cloud_run_cpu_min_instances_or_model_backend_update_the_service_with_a_new_revision(
    tmp_path: Path, key: str, value: int | str, path: str
) -> None:
    base, head = edited(tmp_path, "dev", set_key("inference:service", key, value))
    document = report(base, head, tmp_path)
    service = entry(document, CLOUD_RUN, "inference-dev-service")

    # Warm instances also bring the alert that replaces the uptime check (components/operations.py).
    assert without_monitoring(not_same(document)) == [("update", CLOUD_RUN, "inference-dev-service")]
    assert path in [change["path"] for change in service["changed"]]
    assert "new revision" in service["disruption"]


def test_database_tier_updates_the_instance_and_restarts_it(tmp_path: Path) -> None:
    base, head = edited(tmp_path, "dev", set_key("inference:database", "tier", "db-custom-2-7680"))
    document = report(base, head, tmp_path)
    instance = entry(document, SQL_INSTANCE, "inference-dev-db-instance")

    assert without_monitoring(not_same(document)) == [("update", SQL_INSTANCE, "inference-dev-db-instance")]
    assert ("update", "gcp:monitoring/alertPolicy:AlertPolicy", "inference-dev-sql-connections") in not_same(
        document
    ), "the connections alert follows the new tier's max_connections"
    assert instance["changed"][0]["path"] == "settings.tier"
    assert "restarts the instance" in instance["disruption"]


def test_database_region_in_prod_replaces_it_losing_its_data_and_is_blocked_by_deletion_protection(
    tmp_path: Path,
) -> None:
    def move(config: dict[str, Any]) -> None:
        config["gcp:region"] = "us-east4"

    base, head = edited(tmp_path, "prod", move)
    document = report(base, head, tmp_path)
    instance = entry(document, SQL_INSTANCE, "inference-prod-db-instance")

    assert instance["action"] == "replace"
    assert {"path": "region", "old": "us-central1", "new": "us-east4", "forces_replacement": True} in instance[
        "changed"
    ]
    assert instance["data_loss"].startswith("Cloud SQL instance inference-prod-db-instance: every database on it")
    assert "deletionProtection is true: set it to false" in instance["blocked"]


def test_database_instance_name_replaces_it_and_is_blocked_in_prod(tmp_path: Path) -> None:
    plan = shipped_plan("prod")
    base = with_inputs(plan, "inference-prod-db-instance", name="inference-prod-db")
    head = with_inputs(plan, "inference-prod-db-instance", name="inference-prod-usage")
    instance = entry(report(base, head, tmp_path), SQL_INSTANCE, "inference-prod-db-instance")

    assert (instance["action"], instance["changed"][0]["path"]) == ("replace", "name")
    assert instance["data_loss"] and instance["blocked"]


def test_database_name_replaces_the_database_and_loses_the_usage_log(tmp_path: Path) -> None:
    plan = shipped_plan("prod")
    head = with_inputs(plan, "inference-prod-db-database", name="usage")
    database = entry(report(plan, head, tmp_path), "gcp:sql/database:Database", "inference-prod-db-database")

    assert database["action"] == "replace"
    assert "usage log" in database["data_loss"]


def test_gke_gpu_driver_version_replaces_the_node_pool(tmp_path: Path) -> None:
    def driver(config: dict[str, Any]) -> None:
        config["inference:gke"]["gpuPool"]["driverVersion"] = "DEFAULT"

    base, head = edited(tmp_path, "cmp-gke", driver)
    document = report(base, head, tmp_path)
    pool = entry(document, NODE_POOL, "inference-cmp-gke-gpu")

    assert pool["action"] == "replace"
    [change] = pool["changed"]
    assert change["path"].endswith("gpuDriverInstallationConfig.gpuDriverVersion")
    assert (change["old"], change["new"], change["forces_replacement"]) == ("LATEST", "DEFAULT", True)
    assert pool["data_loss"] is None


def test_gke_replica_bounds_update_the_autoscaler_only(tmp_path: Path) -> None:
    base, head = edited(tmp_path, "cmp-gke", set_key("inference:gke", "replicas", {"min": 1, "max": 2}))
    document = report(base, head, tmp_path)

    assert ("update", "kubernetes:autoscaling/v2:HorizontalPodAutoscaler", "inference-cmp-gke-autoscaler") in not_same(
        document
    )
    assert all(action == "update" for action, _, _ in not_same(document))


def test_a_removed_stack_key_that_changes_nothing_is_all_same(tmp_path: Path) -> None:
    def drop(config: dict[str, Any]) -> None:
        del config["inference:redis"]["readReplicas"]

    base, head = edited(tmp_path, "dev", drop)

    assert not_same(report(base, head, tmp_path)) == []


def test_fail_on_data_loss_exits_1_only_when_data_is_lost(tmp_path: Path) -> None:
    plan = shipped_plan("dev")
    replaced = with_inputs(plan, ("gcp:redis/instance:Instance", "inference-dev-redis"), tier="STANDARD_HA")
    resized = with_inputs(plan, ("gcp:redis/instance:Instance", "inference-dev-redis"), memorySizeGb=2)
    base = write_plan(tmp_path / "base.json", plan)

    lost, _, _ = run_changes(base, write_plan(tmp_path / "lost.json", replaced), "--fail-on", "data-loss")
    kept, _, _ = run_changes(base, write_plan(tmp_path / "kept.json", resized), "--fail-on", "data-loss")
    any_replace, _, _ = run_changes(base, write_plan(tmp_path / "lost.json", replaced), "--fail-on", "replace")

    assert (lost, kept, any_replace) == (1, 0, 1)


def test_created_and_deleted_resources_are_matched_by_urn(tmp_path: Path) -> None:
    grown = shipped_plan("dev")
    gone = Plan(grown.stack, grown.project, [r for r in grown.resources if r.name != "inference-dev-api-key-secret"])
    document = report(grown, gone, tmp_path)

    assert not_same(document) == [("delete", "gcp:secretmanager/secret:Secret", "inference-dev-api-key-secret")]
    assert (
        "its versions"
        in entry(document, "gcp:secretmanager/secret:Secret", "inference-dev-api-key-secret")["data_loss"]
    )
    back = report(gone, grown, tmp_path)
    assert back["summary"]["create"] == 1


def test_secret_inputs_are_shown_as_secret_and_never_as_values(tmp_path: Path) -> None:
    plan = shipped_plan("dev")
    preview = preview_of(plan, secret_user_password="old-password")
    changed = preview_of(plan, secret_user_password="new-password")
    (tmp_path / "a.json").write_text(json.dumps(preview))
    (tmp_path / "b.json").write_text(json.dumps(changed))

    exit_code, output, _ = run_changes(str(tmp_path / "a.json"), str(tmp_path / "b.json"), "--format", "json")

    assert exit_code == 0
    assert "old-password" not in output and "new-password" not in output
    assert not_same(json.loads(output)) == []


def test_a_preview_and_a_stack_export_compare_with_a_plan(tmp_path: Path) -> None:
    plan = shipped_plan("dev")
    state = {"deployment": {"resources": [resource.to_dict() for resource in plan.resources]}}
    state["deployment"]["resources"] = [
        {**r, "inputs": {**r["inputs"], "memorySizeGb": 2}} if r["type"] == REDIS else r
        for r in state["deployment"]["resources"]
    ]
    (tmp_path / "state.json").write_text(json.dumps(state))
    (tmp_path / "preview.json").write_text(json.dumps(preview_of(plan)))

    exit_code, output, _ = run_changes(str(tmp_path / "state.json"), str(tmp_path / "preview.json"), "--format", "json")
    document = json.loads(output)

    assert exit_code == 0
    assert not_same(document) == [("update", REDIS, "inference-dev-redis")]
    assert (document["base"], document["head"]) == (str(tmp_path / "state.json"), str(tmp_path / "preview.json"))


def preview_of(plan: Plan, secret_user_password: str | None = None) -> dict[str, Any]:
    """`pulumi preview --json` of the plan: a `same` step per resource, the user's password a Pulumi secret."""
    steps = []
    for resource in plan.resources:
        state = resource.to_dict()
        if secret_user_password is not None and resource.type == "gcp:sql/user:User":
            secret = {SPECIAL_SIGNATURE_KEY: SECRET_SIGNATURE, "plaintext": json.dumps(secret_user_password)}
            state["inputs"] = {**state["inputs"], "password": secret}
        steps.append({"op": "same", "urn": resource.urn, "newState": state})
    return {"steps": steps}


def test_the_json_report_keeps_the_contract_shape(tmp_path: Path) -> None:
    plan = shipped_plan("dev")
    head = with_inputs(plan, ("gcp:redis/instance:Instance", "inference-dev-redis"), tier="STANDARD_HA")
    document = report(plan, head, tmp_path)

    assert set(document) == {"base", "head", "summary", "resources", "duration"}
    assert set(document["summary"]) == {"create", "update", "replace", "delete"}
    for resource in document["resources"]:
        assert set(resource) == {"urn", "type", "name", "action", "changed", "data_loss", "blocked", "disruption"}
    redis = entry(document, REDIS, "inference-dev-redis")
    assert set(redis["changed"][0]) == {"path", "old", "new", "forces_replacement"}
    assert document["duration"]["critical_path"][0]["name"] == "inference-dev-redis"
    assert document["duration"]["seconds"] > 0


def test_markdown_states_data_loss_blocked_and_duration_before_the_table(tmp_path: Path) -> None:
    plan = shipped_plan("prod")
    head = with_inputs(plan, "inference-prod-db-instance", region="us-east4")
    exit_code, output, _ = run_changes(
        write_plan(tmp_path / "a.json", plan), write_plan(tmp_path / "b.json", head), "--format", "markdown"
    )

    assert exit_code == 0
    data_loss, blocked, duration, table = (
        output.index("**Data loss:** 1"),
        output.index("**Blocked:** 1"),
        output.index("**Duration:** ≈"),
        output.index("| action |"),
    )
    assert data_loss < blocked < duration < table
    assert "Cloud SQL instance inference-prod-db-instance: every database on it" in output


def test_the_table_format_lists_each_change_with_its_inputs(tmp_path: Path) -> None:
    plan = shipped_plan("dev")
    head = with_inputs(plan, ("gcp:redis/instance:Instance", "inference-dev-redis"), tier="STANDARD_HA")
    exit_code, output, _ = run_changes(write_plan(tmp_path / "a.json", plan), write_plan(tmp_path / "b.json", head))

    assert exit_code == 0
    assert "replace  inference-dev-redis  gcp:redis/instance:Instance" in output
    assert "tier: BASIC → STANDARD_HA (forces replacement)" in output


def test_a_missing_file_exits_2_naming_it_and_prints_nothing(tmp_path: Path) -> None:
    exit_code, output, errors = run_changes("dev", str(tmp_path / "nowhere.json"))

    assert (exit_code, output) == (2, "")
    assert f"{tmp_path / 'nowhere.json'}: no such file" in errors


def test_a_file_of_unknown_shape_exits_2_naming_it(tmp_path: Path) -> None:
    odd = tmp_path / "cost.json"
    odd.write_text(json.dumps({"stacks": []}))

    exit_code, output, errors = run_changes(str(odd), "dev")

    assert (exit_code, output) == (2, "")
    assert f"{odd}: not a plan" in errors


def test_plans_of_different_projects_exit_2_naming_both_files(tmp_path: Path) -> None:
    plan = shipped_plan("dev")
    other = Plan(plan.stack, "another-project", plan.resources)
    base, head = write_plan(tmp_path / "ours.json", plan), write_plan(tmp_path / "theirs.json", other)

    exit_code, output, errors = run_changes(base, head)

    assert (exit_code, output) == (2, "")
    assert base in errors and head in errors and "another-project" in errors


def test_an_unknown_stack_name_exits_2_naming_the_stack_file() -> None:
    exit_code, output, errors = run_changes("dev", "staging")

    assert (exit_code, output) == (2, "")
    assert "Pulumi.staging.yaml does not exist" in errors


def test_the_shipped_stacks_compare_by_urn_so_two_stacks_share_nothing() -> None:
    exit_code, output, _ = run_changes("dev", "cmp-cloudrun", "--format", "json")
    document = json.loads(output)
    dev_count = len([r for r in shipped_plan("dev").resources if r.custom])

    assert exit_code == 0
    assert document["summary"]["delete"] == dev_count
    assert named(shipped_plan("dev"), "inference-dev-vpc").urn in {r["urn"] for r in document["resources"]}


def test_a_node_pool_disk_change_is_an_update_that_recreates_the_nodes(tmp_path: Path) -> None:
    def disk(config: dict[str, Any]) -> None:
        config["inference:gke"]["gpuPool"]["diskSizeGb"] = 200

    base, head = edited(tmp_path, "cmp-gke", disk)
    pool = entry(report(base, head, tmp_path), NODE_POOL, "inference-cmp-gke-gpu")

    assert pool["action"] == "update"
    assert pool["changed"] == [{"path": "nodeConfig.diskSizeGb", "old": 100, "new": 200, "forces_replacement": False}]
    assert "recreates the nodes" in pool["disruption"]


def test_replacing_an_abandoned_database_loses_nothing_and_says_it_is_left_behind(tmp_path: Path) -> None:
    plan = with_inputs(shipped_plan("dev"), "inference-dev-db-database", deletionPolicy="ABANDON")
    head = with_inputs(plan, "inference-dev-db-database", name="usage")
    database = entry(report(plan, head, tmp_path), "gcp:sql/database:Database", "inference-dev-db-database")

    assert (database["action"], database["data_loss"]) == ("replace", None)
    assert "abandoned (deletionPolicy ABANDON): left in the cloud" in database["disruption"]


def test_a_resource_found_under_its_alias_is_compared_with_what_it_was_not_deleted_and_created(tmp_path: Path) -> None:
    head = shipped_plan("cmp-gke")
    moved = {resource.urn: resource.aliases[0] for resource in head.resources if resource.aliases}
    assert len(moved) == 6, "the node pools and the four accessor bindings, moved to their owners, carry former URNs"
    before_the_move = Plan(
        stack=head.stack,
        project=head.project,
        resources=[replace(r, urn=moved.get(r.urn, r.urn), aliases=()) for r in head.resources],
    )
    without_aliases = Plan(
        stack=head.stack, project=head.project, resources=[replace(r, aliases=()) for r in head.resources]
    )

    assert not_same(report(before_the_move, head, tmp_path)) == []
    actions = [action for action, _, _ in not_same(report(before_the_move, without_aliases, tmp_path))]
    assert sorted(actions) == ["create"] * len(moved) + ["delete"] * len(moved)
