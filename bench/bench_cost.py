"""Wall time of pricing every shipped stack (each Pulumi.*.yaml here) in one `python -m infra.cli cost` process.

Run from the project root: `make bench` (or `.venv/bin/python bench/bench_cost.py [--runs N]`). Prints the
median of N runs without the plan cache (every stack planned afresh) and with it, against the 1 s target.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 1.0


def shipped_stacks() -> list[str]:
    return sorted(
        path.name.removeprefix("Pulumi.").removesuffix(".yaml") for path in PROJECT_ROOT.glob("Pulumi.*.yaml")
    )


def time_cost(stacks: list[str], *extra: str) -> float:
    stack_options = [option for stack in stacks for option in ("--stack", stack)]
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "infra.cli", "cost", *stack_options, "--format", "json", *extra],
        cwd=PROJECT_ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    stacks = shipped_stacks()
    time_cost(stacks)  # warm the interpreter's bytecode cache and the plan cache
    cold = [time_cost(stacks, "--no-cache") for _ in range(args.runs)]
    warm = [time_cost(stacks) for _ in range(args.runs)]
    print(f"cost of {len(stacks)} stacks ({', '.join(stacks)}) in one process, median of {args.runs} runs:")
    for label, samples in (("no plan cache", cold), ("plan cache hit", warm)):
        median = statistics.median(samples)
        verdict = "within" if median < TARGET_SECONDS else "OVER"
        print(f"  {label:>15}: {median:.2f} s ({verdict} the {TARGET_SECONDS:g} s target)")


if __name__ == "__main__":
    main()
