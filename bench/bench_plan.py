"""Median wall time of `python -m infra.cli plan --stack prod` as a whole process, cold and with the plan cache.

Run from the project root: `make bench` (or `.venv/bin/python bench/bench_plan.py [--runs N] [--stack NAME]`).
"""

from __future__ import annotations

import argparse
import statistics

from cli_timing import time_cli

TARGET_SECONDS = 1.5


def time_plan(stack: str, *extra: str) -> float:
    return time_cli("plan", "--stack", stack, *extra)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--stack", default="prod")
    args = parser.parse_args()

    time_plan(args.stack)  # warm the interpreter's bytecode cache and the plan cache
    cold = [time_plan(args.stack, "--no-cache") for _ in range(args.runs)]
    warm = [time_plan(args.stack) for _ in range(args.runs)]
    for label, samples in (("no plan cache", cold), ("plan cache hit", warm)):
        median = statistics.median(samples)
        verdict = "meets" if median < TARGET_SECONDS else "misses"
        print(
            f"plan --stack {args.stack} ({label}): median {median:.2f} s over {args.runs} runs "
            f"(min {min(samples):.2f}, max {max(samples):.2f}); {verdict} the {TARGET_SECONDS} s target"
        )


if __name__ == "__main__":
    main()
