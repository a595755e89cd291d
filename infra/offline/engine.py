"""The recording engine: the program `pulumi up` runs, under `pulumi.runtime.set_mocks`, nothing else changed.

Every resource registration the mocked monitor receives is recorded (type, name, parent, inputs in the engine's
camelCase form, dependencies) into a Plan. Importing this module imports pulumi; a plan-cache hit never does.
"""

from __future__ import annotations

import os
import runpy
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pulumi
from google.protobuf import json_format
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime.proto.resource_pb2 import RESOURCE_MONITOR_FEATURE_ALIAS_SPECS
from pulumi.runtime.stack import Stack, massage, run_pulumi_func, wait_for_rpcs
from pulumi.runtime.sync_await import _sync_await

from infra.offline.mocks import DeterministicMocks
from infra.stack_file import engine_config_value
from plan import Plan, PlannedResource
from plan.wire import with_placeholders


class RecordingMonitor(pulumi_mocks.MockMonitor):
    def __init__(self, mocks: pulumi_mocks.Mocks, plan: Plan) -> None:
        super().__init__(mocks)
        self.plan = plan
        self.stack_urn: str | None = None

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 - the gRPC method name
        response = super().RegisterResource(request)
        if request.type == "pulumi:pulumi:Stack":
            self.stack_urn = response.urn
            return response
        dependencies = dict.fromkeys(request.dependencies)
        for property_dependencies in request.propertyDependencies.values():
            dependencies.update(dict.fromkeys(property_dependencies.urns))
        inputs = with_placeholders(json_format.MessageToDict(request.object))
        self.plan.resources.append(
            PlannedResource(
                urn=response.urn,
                type=request.type,
                name=request.name,
                parent=request.parent if request.parent and request.parent != self.stack_urn else None,
                custom=bool(request.custom),
                inputs=inputs,
                dependencies=tuple(sorted(urn for urn in dependencies if urn and urn != self.stack_urn)),
                aliases=_moved_from(request.type, request.aliasURNs),
            )
        )
        return response

    def GetDeploymentInfo(self, request: Any) -> Any:  # noqa: N802 - the gRPC method name
        # Without alias specs the SDK resolves each `pulumi.Alias` to the full URN it stands for, which is what the
        # plan records (and what `pulumi stack export` shows).
        info = super().GetDeploymentInfo(request)
        features = [feature for feature in info.supportedFeatures if feature != RESOURCE_MONITOR_FEATURE_ALIAS_SPECS]
        del info.supportedFeatures[:]
        info.supportedFeatures.extend(features)
        return info

    def RegisterResourceOutputs(self, request: Any) -> Any:  # noqa: N802 - the gRPC method name
        if request.urn == self.stack_urn:
            self.plan.outputs = with_placeholders(json_format.MessageToDict(request.outputs))
        return super().RegisterResourceOutputs(request)


def _moved_from(resource_type: str, alias_urns: Any) -> tuple[str, ...]:
    """The URNs of the same resource under another parent or name, as the mock monitor spells URNs.

    Provider SDKs alias their types' former tokens on every resource of the type; those say nothing about this
    program, so only same-type aliases count. The SDK derives an alias URN from the old parent's full type chain,
    while the mock monitor names a resource by its parent's own type alone; the alias is rewritten the mock's way so
    that it matches the URN an older plan recorded.
    """
    moved = []
    for urn in alias_urns:
        if not urn:
            continue
        parts = urn.split("::")
        types = parts[2].split("$")
        if types[-1] != resource_type:
            continue
        parts[2] = "$".join(types[-2:])
        moved.append("::".join(parts))
    return tuple(sorted(moved))


@contextmanager
def _mocked_engine(project: str, stack: str, config: Mapping[str, str], secret_keys: set[str]) -> Iterator[Plan]:
    plan = Plan(stack=stack, project=project)
    previous_config = dict(pulumi.runtime.config.CONFIG.get())
    previous_secret_keys = set(pulumi.runtime.config._SECRET_KEYS.get())
    pulumi.runtime.set_all_config(dict(config), sorted(secret_keys))
    # A fresh root stack per run, so several stacks can be planned in one process.
    pulumi.runtime.reset_options(project=project, stack=stack)
    monitor = RecordingMonitor(DeterministicMocks(config.get("gcp:project", project)), plan)
    pulumi.runtime.set_mocks(monitor.mocks, project=project, stack=stack, preview=False, monitor=monitor)
    try:
        yield plan
    finally:
        pulumi.runtime.set_all_config(previous_config, sorted(previous_secret_keys))


def run_program(
    program: Callable[[], None],
    *,
    project: str = "inference",
    stack: str = "test",
    config: Mapping[str, Any] | None = None,
    secret_keys: set[str] | None = None,
) -> Plan:
    """Run any program (a whole stack or one component) under recording mocks and return what it registered."""
    engine_config = {key: engine_config_value(value) for key, value in (config or {}).items()}
    with _mocked_engine(project, stack, engine_config, secret_keys or set()) as plan:
        root = pulumi.runtime.settings.get_root_resource()
        _sync_await(run_pulumi_func(program))
        if isinstance(root, Stack):
            # set_mocks registered the root stack's (empty) outputs before the program ran; send the exports.
            root.register_outputs(massage(root.outputs, []))
            _sync_await(wait_for_rpcs())
    # Registrations arrive from several threads in no fixed order; sorted, the same program gives the same plan.
    plan.resources.sort(key=lambda resource: resource.urn)
    return plan


def run_main(project_dir: Path) -> None:
    """Run the program's `main` folder the way the Pulumi Python host does: runpy on the folder, cwd at the root."""
    previous_cwd = Path.cwd()
    os.chdir(project_dir)
    saved_path = list(sys.path)
    try:
        runpy.run_path(str(project_dir / "infra"), run_name="__main__")
    finally:
        sys.path[:] = saved_path
        os.chdir(previous_cwd)
