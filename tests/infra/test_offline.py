"""The recording runner: deterministic plans, secrets never recorded in clear, and a cache that cannot go stale."""

from __future__ import annotations

import json
from pathlib import Path

from infra import offline
from infra.offline import PLAN_CACHE_DIR, plan_stack, read_stack_file

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def test_plans_are_deterministic_down_to_the_order_of_resources():
    first = plan_stack("prod", PROJECT_ROOT, cache=False).to_dict()
    second = plan_stack("prod", PROJECT_ROOT, cache=False).to_dict()
    assert json.dumps(first) == json.dumps(second)


def test_secure_values_become_secret_placeholders(tmp_path):
    (tmp_path / "Pulumi.yaml").write_text("name: inference\n")
    (tmp_path / "Pulumi.s.yaml").write_text(
        "config:\n  gcp:project: my-project\n  gcp:accessToken:\n    secure: v1:c2VjcmV0Y2lwaGVydGV4dA==\n"
    )
    project, config, secret_keys = read_stack_file("s", tmp_path)
    assert project == "inference"
    assert config["gcp:accessToken"] == "[secure value of gcp:accessToken]"
    assert "v1:c2VjcmV0Y2lwaGVydGV4dA==" not in json.dumps(config)
    assert secret_keys == {"gcp:accessToken"}


def test_object_values_reach_the_program_as_json_strings_like_the_engine_sends_them(tmp_path):
    (tmp_path / "Pulumi.yaml").write_text("name: inference\n")
    (tmp_path / "Pulumi.o.yaml").write_text("config:\n  inference:service: {cpu: 4}\n  maxRetries: 3\n")
    _project, config, _secret_keys = read_stack_file("o", tmp_path)
    assert config["inference:service"] == '{"cpu": 4}'
    assert config["inference:maxRetries"] == "3", "keys without a namespace belong to the project"


def test_stack_outputs_are_recorded():
    plan = plan_stack("dev", PROJECT_ROOT, cache=False)
    assert set(plan.outputs) == {
        "service_url",
        "image_ref",
        "database_connection_name",
        "redis_host",
        "secret_ids",
        "dashboard_id",
    }
    assert plan.outputs["image_ref"].startswith("us-central1-docker.pkg.dev/my-inference-dev/")
    assert "@sha256:" in plan.outputs["image_ref"]


def test_the_cache_is_used_while_nothing_changed_and_dropped_when_the_stack_file_changes(project_copy, monkeypatch):
    first = plan_stack("dev", project_copy)
    cached_files = list((project_copy / PLAN_CACHE_DIR).glob("dev-*.json"))
    assert len(cached_files) == 1

    def must_not_run(*_args, **_kwargs):
        raise AssertionError("the program ran although a valid cached plan exists")

    with monkeypatch.context() as patch:
        patch.setattr(offline, "run_program", must_not_run)
        assert plan_stack("dev", project_copy).to_dict() == first.to_dict()

    stack_file = project_copy / "Pulumi.dev.yaml"
    stack_file.write_text(stack_file.read_text().replace("maxInstances: 3", "maxInstances: 2"))
    changed = plan_stack("dev", project_copy)
    service = changed.one("gcp:cloudrunv2/service:Service")
    assert service.inputs["template"]["scaling"]["maxInstanceCount"] == 2
    assert len(list((project_copy / PLAN_CACHE_DIR).glob("dev-*.json"))) == 1, "stale plans are removed"


def test_the_cache_is_dropped_when_the_program_changes(project_copy):
    plan_stack("dev", project_copy)
    (plan_before,) = (project_copy / PLAN_CACHE_DIR).glob("dev-*.json")
    stack_module = project_copy / "infra" / "stack.py"
    stack_module.write_text(stack_module.read_text() + "\n# a change\n")
    plan_stack("dev", project_copy)
    (plan_after,) = (project_copy / PLAN_CACHE_DIR).glob("dev-*.json")
    assert plan_after.name != plan_before.name, "a changed program is planned afresh"
