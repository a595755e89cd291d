"""What the Pulumi engine is to a provider during Construct, served over gRPC: the resource monitor the provider
registers the component's children with, and the engine it logs to.

The monitor is the offline engine's RecordingMonitor (the provider stand-ins of infra/offline/mocks.py), so what a
Construct registers is recorded into a Plan exactly as `plan --stack` records a program's registrations.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from concurrent import futures
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime.proto import (
    engine_pb2,
    engine_pb2_grpc,
    provider_pb2,
    provider_pb2_grpc,
    resource_pb2,
    resource_pb2_grpc,
)

from infra.offline.engine import RecordingMonitor
from infra.offline.mocks import DeterministicMocks
from plan import Plan
from tests.plugin_process import plugin_channel


class StackMonitor(RecordingMonitor):
    """The recording monitor with its own project and stack in its URNs (the SDK's mock monitor reads them from the
    process's Pulumi settings, which belong to whatever else the test process runs)."""

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        if parent:
            type_ = f"{parent.split('::')[2].split('$')[-1]}${type_}"
        return f"urn:pulumi:{self.plan.stack}::{self.plan.project}::{type_}::{name}"

    def GetDeploymentInfo(self, request: Any) -> Any:  # noqa: N802 - the gRPC method name
        # Alias specs on, as the Pulumi engine has them: without, the SDK derives alias URNs from each parent's name,
        # which a Construct's parent (known to the provider by URN alone) does not have. The plan compared here
        # leaves aliases out.
        return pulumi_mocks.MockMonitor.GetDeploymentInfo(self, request)


_DELEGATED = (
    "GetDeploymentInfo",
    "RegisterResource",
    "RegisterResourceOutputs",
    "ReadResource",
    "Invoke",
    "RegisterPackage",
    "RegisterStackTransform",
    "RegisterStackInvokeTransform",
    "RegisterResourceHook",
    "RegisterErrorHook",
    "SignalAndWaitForShutdown",
)


class _MonitorServicer(resource_pb2_grpc.ResourceMonitorServicer):
    def __init__(self, monitor: StackMonitor) -> None:
        self.monitor = monitor

    def SupportsFeature(self, request: Any, context: Any) -> Any:  # noqa: N802 - the gRPC method name
        return resource_pb2.SupportsFeatureResponse(hasSupport=self.monitor.SupportsFeature(request).hasSupport)


def _delegate(name: str) -> Any:
    def method(self: _MonitorServicer, request: Any, _context: Any) -> Any:
        return getattr(self.monitor, name)(request)

    return method


for _name in _DELEGATED:
    setattr(_MonitorServicer, _name, _delegate(_name))


@dataclass
class _EngineServicer(engine_pb2_grpc.EngineServicer):
    stack_urn: str
    logs: list[str] = field(default_factory=list)

    def Log(self, request: Any, context: Any) -> Any:  # noqa: N802 - the gRPC method name
        self.logs.append(f"{engine_pb2.LogSeverity.Name(request.severity)}: {request.message}")
        return empty_pb2.Empty()

    def GetRootResource(self, request: Any, context: Any) -> Any:  # noqa: N802 - the gRPC method name
        return engine_pb2.GetRootResourceResponse(urn=self.stack_urn)

    def SetRootResource(self, request: Any, context: Any) -> Any:  # noqa: N802 - the gRPC method name
        return engine_pb2.SetRootResourceResponse()


@dataclass
class Engine:
    """One served engine: its address, what it recorded, and the root stack's URN."""

    address: str
    plan: Plan
    stack_urn: str
    logs: list[str]


@contextmanager
def served_engine(*, project: str, stack: str, gcp_project: str) -> Iterator[Engine]:
    plan = Plan(stack=stack, project=project)
    stack_urn = f"urn:pulumi:{stack}::{project}::pulumi:pulumi:Stack::{project}-{stack}"
    engine = _EngineServicer(stack_urn)
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    resource_pb2_grpc.add_ResourceMonitorServicer_to_server(
        _MonitorServicer(StackMonitor(DeterministicMocks(gcp_project), plan)), server
    )
    engine_pb2_grpc.add_EngineServicer_to_server(engine, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield Engine(address=f"127.0.0.1:{port}", plan=plan, stack_urn=stack_urn, logs=engine.logs)
    finally:
        server.stop(grace=None)


def construct(
    provider: Any, engine: Engine, resource_type: str, name: str, args: dict[str, Any], config: dict[str, str]
) -> Any:
    """Ask the provider to construct a component for a deployment on `engine`, as the engine does for a program's
    remote component: the args as a protobuf Struct (numbers as floats), the stack's config, the monitor's address."""
    inputs = struct_pb2.Struct()
    inputs.update(args)
    request = provider_pb2.ConstructRequest(
        project=engine.plan.project,
        stack=engine.plan.stack,
        config=config,
        dryRun=False,
        monitorEndpoint=engine.address,
        type=resource_type,
        name=name,
        parent=engine.stack_urn,
        inputs=inputs,
        organization="organization",
    )
    return provider.Construct(request, timeout=300)


@contextmanager
def running_plugin(plugin_dir: Path, engine_address: str, environment: dict[str, str]) -> Iterator[Any]:
    """The plugin as Pulumi's Python host starts it (`python <plugin dir> <engine address>`), until it prints its
    port; yields a ResourceProvider stub connected to it."""
    command = [sys.executable, str(plugin_dir), engine_address]
    with plugin_channel(command, plugin_dir, environment, "the plugin") as channel:
        yield provider_pb2_grpc.ResourceProviderStub(channel)
