"""`python -m infra.cli check`: the policy pack's rules over each stack's offline plan, no credentials needed.

The stacks are planned by the StackPlanner the entry point puts in the command's context (`context.obj`), so
this package never imports the engine.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from plan import StackPlanner
from policy.rules import Level
from policy.stack_policy import POLICY_CONFIG_DIR, PolicyConfigError, Violation, evaluate_resources, load_policy_config

MANDATORY_VIOLATION_EXIT_CODE = 1
CONFIG_ERROR_EXIT_CODE = 2


def check(
    context: typer.Context,
    stacks: Annotated[
        list[str], typer.Option("--stack", help="Stack to check (Pulumi.<stack>.yaml); repeat for several.")
    ],
    project_dir: Annotated[
        Path | None, typer.Option(help="Folder holding Pulumi.yaml and the stack files (default: current).")
    ] = None,
    policy_config_dir: Annotated[
        Path, typer.Option(help="Folder of per-stack policy configs (<stack>.json) that grant exceptions.")
    ] = POLICY_CONFIG_DIR,
) -> None:
    """Check each stack's offline plan against the policy pack; exit 1 on a mandatory violation, 2 on bad config."""
    planner: StackPlanner = context.obj
    violations: list[Violation] = []
    for stack in stacks:
        try:
            settings = load_policy_config(stack, policy_config_dir)
        except PolicyConfigError as error:
            typer.echo(f"{stack}: policy configuration error:\n{error}", err=True)
            raise typer.Exit(CONFIG_ERROR_EXIT_CODE) from error
        plan = planner(stack, project_dir=project_dir)
        found = evaluate_resources(stack, plan.resources, settings)
        for violation in found:
            typer.echo(f"{stack}: {violation}")
        typer.echo(f"{stack}: {_summary(found)}")
        violations.extend(found)
    if any(violation.level is Level.MANDATORY for violation in violations):
        raise typer.Exit(MANDATORY_VIOLATION_EXIT_CODE)


def _summary(violations: list[Violation]) -> str:
    mandatory = sum(violation.level is Level.MANDATORY for violation in violations)
    advisory = len(violations) - mandatory
    return f"{mandatory} mandatory, {advisory} advisory violation(s)"
