"""What the offline tools print for every shipped stack, kept as golden files beside the tests.

`make goldens` (`python -m tests.infra.goldens`) rewrites them; test_goldens.py compares byte for byte. A change
that alters a plan, a cost or a check result on purpose regenerates them and shows the difference in review.
"""

from __future__ import annotations

import contextlib
import sys
import tempfile
from pathlib import Path

from typer.testing import CliRunner

from infra.cli import app

PROJECT_ROOT = Path(__file__).resolve().parents[2]
GOLDEN_DIR = Path(__file__).resolve().parent / "goldens"
SHIPPED_STACKS = tuple(sorted(path.name.split(".")[1] for path in PROJECT_ROOT.glob("Pulumi.*.yaml")))


def _invoke(*args: str) -> str:
    result = CliRunner().invoke(app, list(args), catch_exceptions=False, env={"COLUMNS": "200"})
    if result.exit_code != 0:
        raise RuntimeError(f"`infra.cli {' '.join(args)}` exited {result.exit_code}:\n{result.output}")
    return result.stdout


def golden_outputs(stack: str, scratch: Path) -> dict[str, str]:
    """The file name and text of each golden output of one stack: plan JSON, cost JSON, check output."""
    plan_file = scratch / f"{stack}.plan.json"
    with contextlib.chdir(PROJECT_ROOT):
        _invoke("plan", "--stack", stack, "--json", str(plan_file))
        return {
            f"{stack}.plan.json": plan_file.read_text(),
            f"{stack}.cost.json": _invoke("cost", "--stack", stack, "--format", "json"),
            f"{stack}.check.txt": _invoke("check", "--stack", stack),
        }


def regenerate() -> list[Path]:
    GOLDEN_DIR.mkdir(exist_ok=True)
    for stale in GOLDEN_DIR.iterdir():
        stale.unlink()
    written = []
    with tempfile.TemporaryDirectory() as scratch:
        for stack in SHIPPED_STACKS:
            for name, text in golden_outputs(stack, Path(scratch)).items():
                (GOLDEN_DIR / name).write_text(text)
                written.append(GOLDEN_DIR / name)
    return written


if __name__ == "__main__":
    for path in regenerate():
        print(path.relative_to(PROJECT_ROOT), file=sys.stdout)
