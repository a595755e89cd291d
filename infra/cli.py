"""`python -m infra.cli`: the offline tools — plan a stack without credentials, and (mounted here) cost and check."""

from __future__ import annotations

import json
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
import typer.core
from rich.console import Console
from rich.tree import Tree

from facts import types
from infra.offline import plan_stack
from infra.stack_file import ConfigError
from plan import Plan, PlannedResource, lookup


def cost_commands() -> typer.Typer:
    from costs.cli import cost_app

    return cost_app


# The consumers' command groups, mounted by name and imported only when one of them runs (or for --help): a plan
# never pays for loading the cost catalog. (`check` and `changes` import their rules inside the command.)
MOUNTED_GROUPS: dict[str, Callable[[], typer.Typer]] = {"cost": cost_commands}


class CommandsMountedOnUse(typer.core.TyperGroup):
    def list_commands(self, ctx: Any) -> list[str]:
        return [*super().list_commands(ctx), *(name for name in MOUNTED_GROUPS if name not in self.commands)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name in MOUNTED_GROUPS and cmd_name not in self.commands:
            group = typer.main.get_group(MOUNTED_GROUPS[cmd_name]())
            group.name = cmd_name
            self.add_command(group, cmd_name)
        return super().get_command(ctx, cmd_name)


app = typer.Typer(
    cls=CommandsMountedOnUse,
    help="Offline plans, policy checks and cost estimates for the inference stacks (no cloud credentials needed).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(highlight=False, emoji=False)
errors = Console(stderr=True, highlight=False)

CONFIG_ERROR_EXIT_CODE = 2
MANDATORY_VIOLATION_EXIT_CODE = 1

# What a reader wants to see of each resource in the tree (dotted paths into its inputs).
KEY_PROPERTIES: dict[str, tuple[str, ...]] = {
    types.CLOUD_RUN_SERVICE: (
        "location",
        "ingress",
        "template.containers.0.resources.limits",
        "template.nodeSelector.accelerator",
        "template.gpuZonalRedundancyDisabled",
        "template.scaling",
        "template.maxInstanceRequestConcurrency",
        "template.vpcAccess.egress",
    ),
    types.SQL_INSTANCE: (
        "databaseVersion",
        "settings.edition",
        "settings.tier",
        "settings.availabilityType",
        "settings.ipConfiguration.ipv4Enabled",
        "settings.ipConfiguration.sslMode",
        "settings.backupConfiguration.pointInTimeRecoveryEnabled",
        "deletionProtection",
    ),
    types.REDIS_INSTANCE: (
        "tier",
        "memorySizeGb",
        "redisVersion",
        "authEnabled",
        "transitEncryptionMode",
        "replicaCount",
    ),
    types.SUBNETWORK: ("region", "ipCidrRange", "privateIpGoogleAccess"),
    types.SERVICE_NETWORKING_CONNECTION: ("deletionPolicy",),
    types.SECRET: ("secretId",),
    types.PROJECT_SERVICE: ("service",),
    types.ARTIFACT_REGISTRY_REPOSITORY: ("location", "format"),
    types.DOCKER_IMAGE: ("imageName", "build.platform", "build.args"),
    types.SERVICE_ACCOUNT: ("accountId",),
    types.GKE_CLUSTER: ("location", "releaseChannel.channel", "privateClusterConfig.enablePrivateNodes"),
    types.GKE_NODE_POOL: (
        "nodeConfig.machineType",
        "nodeConfig.guestAccelerators",
        "nodeConfig.spot",
        "autoscaling",
    ),
}


def _describe(resource: PlannedResource) -> str:
    label = f"[bold]{resource.type}[/bold] {resource.name}"
    shown = []
    for path in KEY_PROPERTIES.get(resource.type, ()):
        value = lookup(resource.inputs, path)
        if value is not None:
            rendered = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
            shown.append(f"{path.rsplit('.', 1)[-1] if path[-1].isalpha() else path}={rendered}")
    return f"{label}  [dim]{' '.join(shown)}[/dim]" if shown else label


def render_tree(plan: Plan) -> Tree:
    custom_count = sum(resource.custom for resource in plan.resources)
    tree = Tree(
        f"[bold]stack {plan.stack}[/bold] (project {plan.project}): "
        f"{custom_count} resources in {len(plan.resources) - custom_count} components"
    )
    children: dict[str | None, list[PlannedResource]] = {}
    for resource in plan.resources:
        children.setdefault(resource.parent, []).append(resource)

    def add(node: Tree, parent: str | None) -> None:
        for resource in children.get(parent, []):
            add(node.add(_describe(resource)), resource.urn)

    add(tree, None)
    return tree


def load_plan_or_exit(stack: str, *, project_dir: Path | None = None, cache: bool = True) -> Plan:
    """Plan a stack; on bad config print every problem and exit with code 2. The consumers' StackPlanner."""
    try:
        return plan_stack(stack, project_dir, cache=cache)
    except ConfigError as error:
        errors.print(f"[red]invalid configuration for stack {stack}:[/red]")
        for message in error.messages:
            errors.print(f"  {message}", markup=False)
        raise typer.Exit(CONFIG_ERROR_EXIT_CODE) from None


@app.callback()
def cli(context: typer.Context) -> None:
    """Offline plans, policy checks and cost estimates for the inference stacks."""
    # The consumers' commands (cost, check) plan stacks through this; they never import the engine.
    context.obj = load_plan_or_exit


@app.command()
def plan(
    stack: Annotated[str, typer.Option("--stack", "-s", help="Stack name: reads Pulumi.<stack>.yaml here.")],
    json_file: Annotated[
        Path | None, typer.Option("--json", help="Also write the plan as JSON (resources, inputs, dependencies).")
    ] = None,
    manifests: Annotated[
        Path | None, typer.Option("--manifests", help="Write every Kubernetes object as YAML into this folder.")
    ] = None,
    cache: Annotated[
        bool, typer.Option("--cache/--no-cache", help="Reuse the plan while the program and stack file are unchanged.")
    ] = True,
    destroy_order: Annotated[
        bool,
        typer.Option("--destroy-order", help="Also print the order `pulumi destroy` deletes in, and its duration."),
    ] = False,
) -> None:
    """Validate a stack and run the program under recording mocks: print the resource tree it would create."""
    from lifecycle.data import load_lifecycle
    from lifecycle.graph import DependencyGraph, destroy, first_up

    result = load_plan_or_exit(stack, cache=cache)
    console.print(render_tree(result))
    data = load_lifecycle()
    graph = DependencyGraph(result, data)
    console.print(f"first pulumi up: {first_up(graph, data).summary()}", markup=False, soft_wrap=True)
    if destroy_order:
        console.print(f"pulumi destroy: {destroy(graph, data).summary()}", markup=False, soft_wrap=True)
        for position, urn in enumerate(graph.destroy_order, start=1):
            resource = graph.resources[urn]
            console.print(f"  {position:>3}. {resource.name} ({resource.type})", markup=False, soft_wrap=True)
    if json_file is not None:
        json_file.parent.mkdir(parents=True, exist_ok=True)
        json_file.write_text(json.dumps(result.to_dict(), indent=2) + "\n")
        console.print(f"plan written to {json_file}")
    if manifests is not None:
        from manifests import write_manifests

        written = write_manifests(result, manifests)
        console.print(f"{len(written)} Kubernetes manifests written to {manifests}")


@app.command()
def check(
    context: typer.Context,
    stacks: Annotated[
        list[str], typer.Option("--stack", help="Stack to check (Pulumi.<stack>.yaml); repeat for several.")
    ],
    project_dir: Annotated[
        Path | None, typer.Option(help="Folder holding Pulumi.yaml and the stack files (default: current).")
    ] = None,
    policy_config_dir: Annotated[
        Path | None, typer.Option(help="Folder of per-stack policy configs (<stack>.json) that grant exceptions.")
    ] = None,
) -> None:
    """Check each stack's offline plan against the policy pack and the lifecycle rules.

    Exit 1 on a mandatory violation, 2 on bad config. Lifecycle violations (preconditions missing from the
    graph, destroy blockers in stacks meant to be destroyed, unprotected data in prod) are always mandatory.
    """
    from lifecycle.rules import evaluate as lifecycle_violations
    from policy.rules import Level
    from policy.stack_policy import (
        POLICY_CONFIG_DIR,
        PolicyConfigError,
        Violation,
        evaluate_resources,
        load_policy_config,
    )

    config_dir = policy_config_dir or POLICY_CONFIG_DIR
    planner = context.obj
    mandatory_found = False
    for stack in stacks:
        try:
            settings = load_policy_config(stack, config_dir)
        except PolicyConfigError as error:
            typer.echo(f"{stack}: policy configuration error:\n{error}", err=True)
            raise typer.Exit(CONFIG_ERROR_EXIT_CODE) from error
        result = planner(stack, project_dir=project_dir)
        found = evaluate_resources(stack, result.resources, settings)
        found += [
            Violation(stack, item.resource, item.resource_type, item.rule, Level.MANDATORY, item.message)
            for item in lifecycle_violations(result)
        ]
        for violation in found:
            typer.echo(f"{stack}: {violation}")
        mandatory = sum(violation.level is Level.MANDATORY for violation in found)
        typer.echo(f"{stack}: {mandatory} mandatory, {len(found) - mandatory} advisory violation(s)")
        mandatory_found = mandatory_found or mandatory > 0
    if mandatory_found:
        raise typer.Exit(MANDATORY_VIOLATION_EXIT_CODE)


class ChangesFormat(StrEnum):
    table = "table"
    markdown = "markdown"
    json = "json"


class ChangesFailOn(StrEnum):
    data_loss = "data-loss"
    replacement = "replace"


@app.command("changes")
def changes_command(
    context: typer.Context,
    base: Annotated[
        str, typer.Argument(help="Stack name, plan JSON, `pulumi preview --json` or `pulumi stack export`.")
    ],
    head: Annotated[str, typer.Argument(help="The same kinds as BASE: what the change leads to.")],
    output_format: Annotated[ChangesFormat, typer.Option("--format", help="Report format.")] = ChangesFormat.table,
    fail_on: Annotated[
        ChangesFailOn | None,
        typer.Option(help="Exit 1 when the change loses data (data-loss) or replaces or deletes anything (replace)."),
    ] = None,
    project_dir: Annotated[
        Path | None, typer.Option(help="Folder holding Pulumi.yaml and the stack files (default: current).")
    ] = None,
) -> None:
    """Compare two plans by URN: create / update / replace / delete, data loss, blocked deletes and duration."""
    from changes.command import run_changes

    exit_code = run_changes(
        base,
        head,
        planner=context.obj,
        output_format=output_format.value,
        fail_on=fail_on.value if fail_on else None,
        project_dir=project_dir,
    )
    if exit_code:
        raise typer.Exit(exit_code)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
