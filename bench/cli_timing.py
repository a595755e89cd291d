"""Wall time of one `python -m infra.cli ...` run as a whole process, shared by the offline-tool benchmarks."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def time_cli(*args: str) -> float:
    """Seconds one run of the CLI takes from process start to exit, its output discarded."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "infra.cli", *args], cwd=PROJECT_ROOT, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started
