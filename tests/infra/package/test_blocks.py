"""The building blocks over gRPC: a Construct of a block registers what its component registers in a program, and
its outputs; a block's Args still refuse what the component refuses."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import pytest
from google.protobuf import struct_pb2
from pulumi.runtime.proto import provider_pb2

from components.network import Network, NetworkArgs
from components.secrets import Secrets, SecretsArgs
from infra.offline import run_program
from infra.package import generate
from tests.infra.package.served_engine import Engine, running_plugin, served_engine

LABELS = {"team": "ml-platform"}


@pytest.fixture(scope="module")
def package() -> Iterator[tuple[Any, Engine]]:
    environment = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    with (
        served_engine(project="consumer", stack="test", gcp_project="my-inference-dev") as engine,
        running_plugin(generate.PACKAGE_DIR, engine.address, environment) as stub,
    ):
        yield stub, engine


def construct(package: tuple[Any, Engine], block: str, name: str, args: dict[str, Any]) -> Any:
    provider, engine = package
    inputs = struct_pb2.Struct()
    inputs.update(args)
    request = provider_pb2.ConstructRequest(
        project=engine.plan.project,
        stack=engine.plan.stack,
        config={"gcp:project": "my-inference-dev", "gcp:region": "us-central1"},
        monitorEndpoint=engine.address,
        type=f"inference:index:{block}",
        name=name,
        parent=engine.stack_urn,
        inputs=inputs,
        organization="organization",
    )
    return provider.Construct(request, timeout=120)


def _children(engine: Engine, urn: str) -> list[tuple[str, str, str]]:
    """What was registered under the block (its component and everything below), as (type, name, inputs)."""
    under = {urn}
    found = []
    for resource in sorted(engine.plan.resources, key=lambda resource: resource.urn.count("$")):
        if resource.parent in under:
            under.add(resource.urn)
            found.append((resource.type, resource.name, json.dumps(resource.inputs, sort_keys=True)))
    return sorted(found)


def _registered(program: Any) -> list[tuple[str, str, str]]:
    plan = run_program(program, project="consumer", stack="test", config={"gcp:project": "my-inference-dev"})
    return sorted((r.type, r.name, json.dumps(r.inputs, sort_keys=True)) for r in plan.resources)


def test_a_constructed_network_registers_what_the_network_component_registers(package: tuple[Any, Engine]) -> None:
    args = {"region": "us-central1", "subnetCidr": "10.10.0.0/20", "labels": LABELS, "cloudNat": True}

    response = construct(package, "Network", "shared", args)

    direct = _registered(
        lambda: Network(
            "shared", NetworkArgs(region="us-central1", subnet_cidr="10.10.0.0/20", labels=LABELS, cloud_nat=True)
        )
    )
    assert _children(package[1], response.urn) == direct
    assert {"networkId", "subnetId", "privateServicesConnection"} <= set(response.state.fields)


def test_a_constructed_secrets_registers_what_the_secrets_component_registers(package: tuple[Any, Engine]) -> None:
    response = construct(package, "Secrets", "app", {"generated": {"api-key": 40}, "labels": LABELS})

    direct = _registered(lambda: Secrets("app", SecretsArgs(generated={"api-key": 40}, labels=LABELS)))
    assert _children(package[1], response.urn) == direct
    assert set(response.state.fields) == {"secretIds", "versions"}
