"""Wall time of `python -m infra.cli changes BASE HEAD` on two plan files, as a whole process.

Run from the project root: `make bench` (or `.venv/bin/python bench/bench_changes.py [--runs N]`). BASE is the
offline plan of prod; HEAD is the same plan with Redis moved to another tier and the database resized (a replace
with data loss and an update with a restart). Prints the median of N runs against the 0.5 s target.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from cli_timing import PROJECT_ROOT, time_cli

TARGET_SECONDS = 0.5
STACK = "prod"


def write_plans(folder: Path) -> tuple[Path, Path]:
    base = folder / f"plan-{STACK}.json"
    subprocess.run(
        [sys.executable, "-m", "infra.cli", "plan", "--stack", STACK, "--json", str(base)],
        cwd=PROJECT_ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    document = json.loads(base.read_text())
    for resource in document["resources"]:
        if resource["type"] == "gcp:redis/instance:Instance":
            resource["inputs"]["tier"] = "BASIC"
        if resource["type"] == "gcp:sql/databaseInstance:DatabaseInstance":
            resource["inputs"]["settings"]["tier"] = "db-custom-4-15360"
    head = folder / f"plan-{STACK}-head.json"
    head.write_text(json.dumps(document))
    return base, head


def time_changes(base: Path, head: Path) -> float:
    return time_cli("changes", str(base), str(head), "--format", "markdown")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        base, head = write_plans(Path(folder))
        time_changes(base, head)  # warm the interpreter's bytecode cache
        samples = [time_changes(base, head) for _ in range(args.runs)]
    median = statistics.median(samples)
    verdict = "within" if median <= TARGET_SECONDS else "OVER"
    print(f"changes on two plan files ({STACK} and an edit of it) as a process, median of {args.runs} runs:")
    print(f"  {median:.2f} s ({verdict} the {TARGET_SECONDS:g} s target)")


if __name__ == "__main__":
    main()
