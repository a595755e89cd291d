"""Checkov over a folder of manifests, as the tests run it: the Kubernetes framework, offline, JSON out."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CHECKOV = PROJECT_ROOT / ".venv-checkov" / "bin" / "checkov"


def checkov_report(directory: Path) -> dict[str, Any]:
    """Checkov's JSON report for the manifests in `directory`."""
    assert CHECKOV.exists(), f"checkov is not installed at {CHECKOV}: run `make install-tools`"
    result = subprocess.run(
        [str(CHECKOV), "--framework", "kubernetes", "--skip-download", "--output", "json", "-d", str(directory)],
        capture_output=True,
        text=True,
        check=False,
    )
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def failed_checks(report: dict[str, Any]) -> list[str]:
    """Each failed check as `CHECK_ID resource`."""
    return [f"{check['check_id']} {check['resource']}" for check in report["results"]["failed_checks"]]
