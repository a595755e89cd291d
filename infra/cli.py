"""`python -m infra.cli`: the offline tools — plan a stack without credentials, and (mounted here) cost and check."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Annotated, Any

import typer
import typer.core
from rich.console import Console
from rich.tree import Tree

from infra.offline import plan_stack
from infra.stack_file import ConfigError
from plan import Plan, PlannedResource, lookup

# The consumers' commands, mounted by name and imported only when one of them runs (or for --help): a plan
# never pays for loading the cost catalog or the policy rules. Each entry: module, attribute, and whether the
# attribute is a Typer app (a group of commands) or a single command function.
MOUNTED_COMMANDS: dict[str, tuple[str, str, bool]] = {
    "check": ("policy.cli", "check", False),
    "cost": ("costs.cli", "cost_app", True),
}


class CommandsMountedOnUse(typer.core.TyperGroup):
    def list_commands(self, ctx: Any) -> list[str]:
        return [*super().list_commands(ctx), *(name for name in MOUNTED_COMMANDS if name not in self.commands)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name in MOUNTED_COMMANDS and cmd_name not in self.commands:
            module, attribute, is_app = MOUNTED_COMMANDS[cmd_name]
            target = getattr(importlib.import_module(module), attribute)
            if is_app:
                group = typer.main.get_group(target)
                group.name = cmd_name
                self.add_command(group, cmd_name)
            else:
                single = typer.Typer()
                single.command(cmd_name)(target)
                self.add_command(typer.main.get_command(single), cmd_name)
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

# What a reader wants to see of each resource in the tree (dotted paths into its inputs).
KEY_PROPERTIES: dict[str, tuple[str, ...]] = {
    "gcp:cloudrunv2/service:Service": (
        "location",
        "ingress",
        "template.containers.0.resources.limits",
        "template.nodeSelector.accelerator",
        "template.gpuZonalRedundancyDisabled",
        "template.scaling",
        "template.maxInstanceRequestConcurrency",
        "template.vpcAccess.egress",
    ),
    "gcp:sql/databaseInstance:DatabaseInstance": (
        "databaseVersion",
        "settings.edition",
        "settings.tier",
        "settings.availabilityType",
        "settings.ipConfiguration.ipv4Enabled",
        "settings.ipConfiguration.sslMode",
        "settings.backupConfiguration.pointInTimeRecoveryEnabled",
        "deletionProtection",
    ),
    "gcp:redis/instance:Instance": (
        "tier",
        "memorySizeGb",
        "redisVersion",
        "authEnabled",
        "transitEncryptionMode",
        "replicaCount",
    ),
    "gcp:compute/subnetwork:Subnetwork": ("region", "ipCidrRange", "privateIpGoogleAccess"),
    "gcp:servicenetworking/connection:Connection": ("deletionPolicy",),
    "gcp:secretmanager/secret:Secret": ("secretId",),
    "gcp:projects/service:Service": ("service",),
    "gcp:artifactregistry/repository:Repository": ("location", "format"),
    "docker:index/image:Image": ("imageName", "build.platform", "build.args"),
    "gcp:serviceaccount/account:Account": ("accountId",),
    "gcp:container/cluster:Cluster": ("location", "releaseChannel.channel", "privateClusterConfig.enablePrivateNodes"),
    "gcp:container/nodePool:NodePool": (
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
) -> None:
    """Validate a stack and run the program under recording mocks: print the resource tree it would create."""
    result = load_plan_or_exit(stack, cache=cache)
    console.print(render_tree(result))
    if json_file is not None:
        json_file.parent.mkdir(parents=True, exist_ok=True)
        json_file.write_text(json.dumps(result.to_dict(), indent=2) + "\n")
        console.print(f"plan written to {json_file}")
    if manifests is not None:
        from manifests import write_manifests

        written = write_manifests(result, manifests)
        console.print(f"{len(written)} Kubernetes manifests written to {manifests}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
