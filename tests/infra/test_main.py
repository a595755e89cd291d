"""infra/ run the way the Pulumi Python host runs it: a script elsewhere, runpy on the folder, cwd at the root.

The host (pulumi-language-python-exec) is a script outside the project, so the project root is not on sys.path
and the config arrives in the PULUMI_CONFIG environment variable. This test starts a stand-in for that script in
a fresh interpreter, so imports and config reading are exercised exactly as `pulumi up` exercises them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[2]

HOST_STAND_IN = """
import json, runpy, sys
import pulumi
from pulumi.runtime import mocks
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

class Engine(mocks.Mocks):
    registered = []
    def new_resource(self, args):
        self.registered.append(args.typ)
        outputs = {"repoDigest": "registry/app@sha256:" + "0" * 64, "serverCaCerts": [{"cert": "pem"}]}
        return args.name + "-id", {**args.inputs, **outputs}
    def call(self, args):
        return {"accessToken": "token"}

assert "{root}" not in sys.path, "the project root must not be importable up front"
engine = Engine()
mocks.set_mocks(engine, project="inference", stack=sys.argv[1], preview=False)
_sync_await(run_pulumi_func(lambda: runpy.run_path("infra", run_name="__main__")))
print(json.dumps(sorted(set(engine.registered))))
"""


def run_like_the_pulumi_host(tmp_path: Path, stack: str, config: dict[str, str]) -> subprocess.CompletedProcess[str]:
    host_script = tmp_path / "pulumi-language-python-exec"
    host_script.write_text(HOST_STAND_IN.replace("{root}", str(PROJECT_ROOT)))
    environment = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    environment["PULUMI_CONFIG"] = json.dumps(config)
    return subprocess.run(
        [sys.executable, str(host_script), stack],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def stack_config_as_the_engine_sends_it(stack: str) -> dict[str, str]:
    document = yaml.safe_load((PROJECT_ROOT / f"Pulumi.{stack}.yaml").read_text())
    return {key: value if isinstance(value, str) else json.dumps(value) for key, value in document["config"].items()}


def test_the_program_runs_under_the_host_and_registers_the_cloud_run_stack(tmp_path):
    result = run_like_the_pulumi_host(tmp_path, "prod", stack_config_as_the_engine_sends_it("prod"))
    assert result.returncode == 0, result.stderr
    registered = set(json.loads(result.stdout.strip().splitlines()[-1]))
    assert {
        "gcp:cloudrunv2/service:Service",
        "gcp:sql/databaseInstance:DatabaseInstance",
        "gcp:redis/instance:Instance",
        "docker:index/image:Image",
        "gcp:secretmanager/secret:Secret",
        "gcp:servicenetworking/connection:Connection",
    } <= registered


def test_bad_config_under_the_host_fails_with_the_named_problem_and_no_resources(tmp_path):
    config = stack_config_as_the_engine_sends_it("prod")
    config["inference:service"] = json.dumps({"cpu": 4, "memory": "8Gi", "gpu": {"type": "nvidia-l4"}})
    result = run_like_the_pulumi_host(tmp_path, "prod", config)
    assert result.returncode != 0
    assert "Pulumi.prod.yaml: inference:service.memory = 8Gi: an nvidia-l4 GPU on Cloud Run needs at least 16Gi" in (
        result.stderr
    )
    assert "Traceback" not in result.stderr.split("RunError")[-1], "users see the message, not our stack trace"
