"""Pricing every shipped stack (each Pulumi.*.yaml here) in one `python -m infra.cli cost` process.

Run from the project root: `make bench` (or `.venv/bin/python bench/bench_cost.py [--runs N]`). Prints the
median of N runs without the plan cache (every stack planned afresh, in the one process) and with it, against
the 1 s target, which is for cached plans (the cold figure is the offline planning of every stack).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from process_timing import report_cold_and_cached

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 1.0


def shipped_stacks() -> list[str]:
    return sorted(
        path.name.removeprefix("Pulumi.").removesuffix(".yaml") for path in PROJECT_ROOT.glob("Pulumi.*.yaml")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    stacks = shipped_stacks()
    stack_options = [option for stack in stacks for option in ("--stack", stack)]
    command = [sys.executable, "-m", "infra.cli", "cost", *stack_options, "--format", "json"]
    title = f"cost of all {len(stacks)} stacks ({', '.join(stacks)}) in one process"
    report_cold_and_cached(title, command, PROJECT_ROOT, args.runs, TARGET_SECONDS)


if __name__ == "__main__":
    main()
