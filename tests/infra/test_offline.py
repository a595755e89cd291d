"""The recording runner: deterministic plans, and a cache that cannot go stale and that a hit answers cheaply."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from infra.offline import PLAN_CACHE_DIR, cache, engine, plan_stack
from infra.offline.cache import cache_key

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def test_plans_are_deterministic_down_to_the_order_of_resources():
    first = plan_stack("prod", PROJECT_ROOT, cache=False).to_dict()
    second = plan_stack("prod", PROJECT_ROOT, cache=False).to_dict()
    assert json.dumps(first) == json.dumps(second)


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
        patch.setattr(engine, "run_program", must_not_run)
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


def test_the_cache_is_dropped_when_an_sdk_version_changes(project_copy, monkeypatch):
    key_before = cache_key("dev", project_copy)
    versions = {**cache.sdk_versions(), "pulumi_gcp": "0.0.1"}
    monkeypatch.setattr(cache, "sdk_versions", lambda: versions)
    assert cache_key("dev", project_copy) != key_before


def test_sdk_versions_are_those_installed():
    import importlib.metadata

    versions = cache.sdk_versions()
    for distribution in ("pulumi", "pulumi_gcp", "pulumi_kubernetes", "pydantic"):
        assert versions[distribution] == importlib.metadata.version(distribution)


def test_a_cut_short_cache_file_is_planned_afresh(project_copy):
    first = plan_stack("dev", project_copy)
    [cached] = (project_copy / PLAN_CACHE_DIR).glob("dev-*.json")
    cached.write_text(cached.read_text()[:100])
    assert plan_stack("dev", project_copy).to_dict() == first.to_dict()


def test_a_cache_hit_loads_neither_pulumi_nor_the_config_schema_nor_the_engine_nor_the_consumers(project_copy):
    # The project copy holds the program; lifecycle/ (the first-up summary `plan` prints) comes from the project.
    plan_stack("prod", project_copy)
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from infra.cli import main; sys.argv = ['infra.cli', 'plan', '--stack', 'prod']\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "print('MODULES', *sorted(sys.modules), file=sys.stderr)",
        ],
        cwd=project_copy,
        env={"PYTHONPATH": f"{project_copy}{os.pathsep}{PROJECT_ROOT}", "PATH": ""},
        capture_output=True,
        text=True,
        check=True,
    )
    modules = set(loaded.stderr.split("MODULES", 1)[1].split())
    assert "stack prod" in loaded.stdout
    # yaml is loaded by the lifecycle data behind the summary, not by the cache: a miss would also load infra.config.
    assert {"pulumi", "infra.config", "infra.offline.engine", "costs", "policy", "changes"} & modules == set()


def test_a_dockerfile_deleted_after_a_cached_plan_fails_the_next_plan(project_copy):
    # A folder of the test's own, so that deleting the Dockerfile leaves the project's app/ alone.
    (project_copy / "app").unlink()
    (project_copy / "app").mkdir()
    (project_copy / "app" / "Dockerfile").write_bytes((PROJECT_ROOT / "app" / "Dockerfile").read_bytes())
    plan_stack("dev", project_copy)
    assert list((project_copy / PLAN_CACHE_DIR).glob("dev-*.json")), "the plan is cached"

    (project_copy / "app" / "Dockerfile").unlink()
    result = subprocess.run(
        [sys.executable, "-m", "infra.cli", "plan", "--stack", "dev"],
        cwd=project_copy,
        env={"PYTHONPATH": f"{project_copy}{os.pathsep}{PROJECT_ROOT}", "PATH": ""},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2, result.stderr
    assert "inference:image.dockerfile" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_virtualenv_inside_the_program_is_not_part_of_its_source(tmp_path: Path) -> None:
    (tmp_path / "infra" / "package" / "venv" / "lib").mkdir(parents=True)
    (tmp_path / "infra" / "stack.py").write_text("")
    (tmp_path / "infra" / "package" / "service.py").write_text("")
    (tmp_path / "infra" / "package" / "venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (tmp_path / "infra" / "package" / "venv" / "lib" / "site.py").write_text("")

    sources = [path.relative_to(tmp_path).as_posix() for path in cache.program_sources(tmp_path)]

    assert sources == ["infra/stack.py", "infra/package/service.py"]
