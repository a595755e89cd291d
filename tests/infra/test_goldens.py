"""Every shipped stack's plan JSON, cost JSON and check output are byte-identical to the committed golden files.

A change that moves one on purpose runs `make goldens` and commits the difference.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.infra.goldens import GOLDEN_DIR, SHIPPED_STACKS, golden_outputs


def test_every_shipped_stack_has_golden_files() -> None:
    expected = {f"{stack}.{kind}" for stack in SHIPPED_STACKS for kind in ("plan.json", "cost.json", "check.txt")}
    assert {path.name for path in GOLDEN_DIR.iterdir()} == expected


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_outputs_match_the_golden_files(stack: str, tmp_path: Path) -> None:
    for name, text in golden_outputs(stack, tmp_path).items():
        golden = (GOLDEN_DIR / name).read_text()
        assert text == golden, f"{name} differs from its golden file; if on purpose, run `make goldens`"
