"""`python -m infra.cli plan --stack prod` as a whole process: cold (no plan cache) and on a plan-cache hit.

Run from the project root: `make bench` (or `.venv/bin/python bench/bench_plan.py [--runs N] [--stack NAME]`).
The cold run is floored by importing pulumi-gcp; a hit imports nothing of pulumi and has a 0.3 s target.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from process_timing import report_cold_and_cached

PROJECT_ROOT = Path(__file__).resolve().parent.parent
HIT_TARGET_SECONDS = 0.3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--stack", default="prod")
    args = parser.parse_args()

    command = [sys.executable, "-m", "infra.cli", "plan", "--stack", args.stack]
    title = f"plan --stack {args.stack} as a whole process"
    report_cold_and_cached(title, command, PROJECT_ROOT, args.runs, HIT_TARGET_SECONDS)


if __name__ == "__main__":
    main()
