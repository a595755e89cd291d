"""`changes` on plan files stays fast: nothing on its path imports Pulumi or the engine."""

from __future__ import annotations

import subprocess
import sys

from tests.lifecycle.plans import PROJECT_ROOT


def test_the_changes_path_imports_neither_pulumi_nor_the_engine() -> None:
    heavy = ("pulumi", "pulumi_gcp", "infra", "costs", "policy")
    probe = (
        "import sys, changes.command, changes.render, lifecycle.rules, lifecycle.graph; "
        f"print(sorted(name for name in sys.modules if name.split('.')[0] in {heavy!r}))"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True)

    assert result.stdout.strip() == "[]"
