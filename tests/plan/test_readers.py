"""The three input formats become the same list of resources to price."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from plan import (
    SECRET_PLACEHOLDER,
    Plan,
    PlanFormatError,
    PlannedResource,
    plan_from_dict,
    plan_from_preview,
    plan_from_state,
    read_json,
)

FIXTURES = Path(__file__).parents[1] / "costs" / "fixtures"


def test_offline_plan_keeps_stack_types_inputs_and_dependencies():
    plan = plan_from_dict(read_json(FIXTURES / "plan-gke.json"))
    assert plan.stack == "cmp-gke"
    pool = next(resource for resource in plan.resources if resource.type == "gcp:container/nodePool:NodePool")
    assert pool.inputs["nodeConfig"]["machineType"] == "g2-standard-4"
    assert pool.dependencies == (
        "urn:pulumi:cmp-gke::inference::inference:gke:GkeCluster$gcp:container/cluster:Cluster::inference-cmp-gke-cluster",
    )
    component = plan.resources[0]
    assert component.custom is False


def test_preview_reads_the_new_state_of_steps_and_skips_deletes():
    plan = plan_from_preview(read_json(FIXTURES / "preview.json"))
    assert plan.stack == "prod"
    assert plan.project == "inference"
    names = [resource.name for resource in plan.resources]
    assert "inference-prod-old-cache" not in names
    database = next(resource for resource in plan.resources if resource.name == "inference-prod-db-instance")
    assert database.inputs["settings"]["tier"] == "db-custom-1-3840"


def test_preview_and_state_show_secret_values_as_the_placeholder():
    preview = plan_from_preview(read_json(FIXTURES / "preview.json"))
    version = next(resource for resource in preview.resources if resource.name.endswith("api-key-version"))
    assert version.inputs["secretData"] == SECRET_PLACEHOLDER
    state = plan_from_state(read_json(FIXTURES / "stack-export.json"))
    version = next(resource for resource in state.resources if resource.name.endswith("api-key-version"))
    assert version.inputs["secretData"] == SECRET_PLACEHOLDER


def test_state_reads_deployment_resources_and_skips_those_pending_deletion():
    plan = plan_from_state(read_json(FIXTURES / "stack-export.json"))
    assert plan.stack == "dev"
    names = [resource.name for resource in plan.resources]
    assert "inference-dev-redis-instance" in names
    assert "inference-dev-replaced-cache" not in names
    redis = next(resource for resource in plan.resources if resource.name == "inference-dev-redis-instance")
    assert redis.inputs["memorySizeGb"] == 1


@pytest.mark.parametrize(
    ("reader", "data", "message"),
    [
        (plan_from_dict, {"stack": "dev"}, "'resources' list"),
        (
            plan_from_dict,
            {"stack": "dev", "project": "p", "resources": [{"type": "x"}]},
            "resources[0]: a resource needs a 'urn'",
        ),
        (plan_from_dict, {"project": "p", "resources": []}, "no 'stack'"),
        (plan_from_preview, {"resources": []}, "'steps' list"),
        (plan_from_preview, {"steps": [{"op": "create"}]}, "steps[0]: a 'create' step has no 'newState'"),
        (plan_from_state, {"steps": []}, "deployment.resources"),
        (
            plan_from_state,
            {"deployment": {"resources": [{"urn": "x", "type": "t"}]}},
            "no resource URN names the stack",
        ),
    ],
)
def test_a_file_in_the_wrong_shape_is_refused_with_where_and_why(reader, data, message):
    with pytest.raises(PlanFormatError, match=r"given\.json") as raised:
        reader(data, "given.json")
    assert message in str(raised.value)


def test_unreadable_and_malformed_files_name_the_file(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(PlanFormatError, match=r"broken\.json: not valid JSON"):
        read_json(broken)
    with pytest.raises(PlanFormatError, match=r"missing\.json: cannot read"):
        read_json(tmp_path / "missing.json")


def test_a_plan_is_titled_by_its_label_when_it_has_one_else_by_its_stack():
    plan = plan_from_dict({"stack": "dev", "project": "p", "resources": []})
    assert plan.title == "dev"
    assert dataclasses.replace(plan, label="dev (preview)").title == "dev (preview)"


def test_a_plans_aliases_survive_writing_and_reading_and_only_moved_resources_carry_the_key():
    moved = PlannedResource(urn="urn:new", type="t", name="n", custom=True, inputs={}, aliases=("urn:old",))
    unmoved = PlannedResource(urn="urn:other", type="t", name="o", custom=True, inputs={})
    written = Plan(stack="s", project="p", resources=[moved, unmoved]).to_dict()

    assert [("aliases" in entry) for entry in written["resources"]] == [True, False]
    assert [r.aliases for r in plan_from_dict(written).resources] == [("urn:old",), ()]
