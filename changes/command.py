"""The `changes` command's work: resolve BASE and HEAD, compare, render; the CLI wiring is in infra/cli.py.

BASE and HEAD are each a stack name (planned offline by the StackPlanner the entry point passes in), an offline
plan JSON, a `pulumi preview --json` or a `pulumi stack export` file. The report is built whole before anything
is printed, so bad input (exit 2, naming the file) leaves no partial output.
"""

from __future__ import annotations

import sys
from pathlib import Path

from changes.compare import ChangeReport, IncomparablePlansError, compare
from changes.render import RENDERERS
from lifecycle.data import LifecycleDataError, load_lifecycle
from plan import Plan, PlanFormatError, StackPlanner, read_plan_file

FORMATS = tuple(RENDERERS)
FAIL_ON = ("data-loss", "replace")
FAIL_ON_EXIT_CODE = 1
BAD_INPUT_EXIT_CODE = 2


def run_changes(
    base: str,
    head: str,
    *,
    planner: StackPlanner,
    output_format: str = "table",
    fail_on: str | None = None,
    project_dir: Path | None = None,
) -> int:
    """Print the report on stdout and return the exit code: 0, 1 for --fail-on, 2 for bad input."""
    try:
        data = load_lifecycle()
        base_plan = _plan_of(base, planner, project_dir)
        head_plan = _plan_of(head, planner, project_dir)
        report = compare(base_plan, head_plan, data, base_label=base, head_label=head)
    except (PlanFormatError, IncomparablePlansError, LifecycleDataError) as error:
        print(f"changes: {error}", file=sys.stderr)
        return BAD_INPUT_EXIT_CODE
    sys.stdout.write(RENDERERS[output_format](report))
    return FAIL_ON_EXIT_CODE if fail_on is not None and fails(report, fail_on) else 0


def fails(report: ChangeReport, fail_on: str) -> bool:
    """data-loss: anything that holds data is replaced or deleted; replace: anything at all is."""
    if fail_on == "data-loss":
        return bool(report.data_loss)
    return any(change.action in ("replace", "delete") for change in report.resources)


def _plan_of(argument: str, planner: StackPlanner, project_dir: Path | None) -> Plan:
    """A file when it exists or looks like one; otherwise a stack of the project."""
    path = Path(argument)
    if path.is_file():
        return read_plan_file(path)
    if path.suffix == ".json" or len(path.parts) > 1:
        raise PlanFormatError(f"{argument}: no such file")
    stack_file = (project_dir or Path.cwd()) / f"Pulumi.{argument}.yaml"
    if not stack_file.is_file():
        raise PlanFormatError(f"{argument}: neither a file nor a stack ({stack_file} does not exist)")
    return planner(argument, project_dir=project_dir)
