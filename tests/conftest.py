"""Fixtures shared by the whole suite."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.entry_stacks import copy_project


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    """A throwaway copy of the Pulumi project (program, components, stack files) to write bad stack files into."""
    return copy_project(tmp_path)
