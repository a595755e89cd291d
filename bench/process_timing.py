"""Whole-process timing for the benchmarks: wall time and the CPU time (user + sys) the child itself used.

The CPU time comes from the operating system's accounting of the finished child (os.wait4), so it is not
inflated by other processes competing for the machine the way the wall time is; both are reported.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Run:
    wall_s: float
    cpu_s: float


def time_process(command: Sequence[str], cwd: Path) -> Run:
    # As on a developer's machine: the warm-up run leaves bytecode caches that the counted runs then use.
    environment = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=environment, stdout=subprocess.DEVNULL)
    _pid, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise subprocess.CalledProcessError(process.returncode, list(command))
    return Run(wall, usage.ru_utime + usage.ru_stime)


def summary(label: str, runs: Sequence[Run], target_s: float | None = None) -> str:
    walls = [run.wall_s for run in runs]
    median = statistics.median(walls)
    cpu = statistics.median(run.cpu_s for run in runs)
    line = (
        f"{label}: median {median:.2f} s wall over {len(runs)} runs (min {min(walls):.2f}, max {max(walls):.2f}), "
        f"{cpu:.2f} s CPU"
    )
    if target_s is not None:
        line += f"; {'meets' if median <= target_s else 'MISSES'} the {target_s:g} s target"
    return line


def load_note() -> str:
    one, five, _fifteen = os.getloadavg()
    return f"(load average {one:.2f} / {five:.2f} on {os.cpu_count()} CPUs; a loaded machine stretches wall times)"


def report_cold_and_cached(title: str, command: Sequence[str], cwd: Path, runs: int, hit_target_s: float) -> None:
    """Prints `runs` timings of `command` with `--no-cache` (planned afresh) and `runs` on a plan-cache hit, against
    the target for hits; one run first warms the bytecode cache and fills the plan cache."""
    time_process(command, cwd)
    cold = [time_process([*command, "--no-cache"], cwd) for _ in range(runs)]
    hit = [time_process(command, cwd) for _ in range(runs)]
    print(f"{title} {load_note()}")
    print("  " + summary("cold (--no-cache) ", cold))
    print("  " + summary("plan-cache hits   ", hit, hit_target_s))
