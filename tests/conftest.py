"""Fixtures shared by the whole suite."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    """A throwaway copy of the Pulumi project (program, components, stack files) to write bad stack files into."""
    for folder in ("infra", "components", "facts", "plan"):
        shutil.copytree(PROJECT_ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__"))
    for stack_file in PROJECT_ROOT.glob("Pulumi*.yaml"):
        shutil.copy(stack_file, tmp_path / stack_file.name)
    # The stacks build the image from app/ (its context and Dockerfile must exist); nothing writes to it.
    (tmp_path / "app").symlink_to(PROJECT_ROOT / "app", target_is_directory=True)
    return tmp_path
