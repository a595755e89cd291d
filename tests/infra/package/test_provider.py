"""The package as Pulumi runs it (`python infra/package <engine>`), asked over gRPC for its schema and to construct
InferenceService, against a served engine that records what the provider registers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
import yaml
from google.protobuf import json_format
from pulumi.runtime.proto import errors_pb2, provider_pb2, status_pb2

from infra.config import ConfigError, load_stack_config
from infra.offline import plan_stack
from infra.package import generate
from infra.stack_file import read_stack_file
from plan.wire import with_placeholders
from tests.infra.package.served_engine import Engine, construct, served_engine

PROJECT_ROOT = generate.PROJECT_ROOT
SERVICE = "inference:index:InferenceService"
SHIPPED_STACKS = sorted(
    path.name.removeprefix("Pulumi.").removesuffix(".yaml") for path in PROJECT_ROOT.glob("Pulumi.*.yaml")
)


def stack_file_args(stack: str) -> tuple[dict[str, Any], dict[str, str]]:
    """A stack file's `inference:*` values as InferenceService args, and its other keys as the consumer's config."""
    document = yaml.safe_load((PROJECT_ROOT / f"Pulumi.{stack}.yaml").read_text())
    args = {key.split(":", 1)[1]: value for key, value in document["config"].items() if key.startswith("inference:")}
    config = {key: str(value) for key, value in document["config"].items() if not key.startswith("inference:")}
    return args, config


@pytest.fixture
def dev_engine() -> Iterator[Engine]:
    _args, config = stack_file_args("dev")
    with served_engine(project="inference", stack="dev", gcp_project=config["gcp:project"]) as engine:
        yield engine


def _registrations(resources: list[Any]) -> list[tuple[str, str, str]]:
    return sorted((r.type, r.name, json.dumps(r.inputs, sort_keys=True)) for r in resources)


def test_the_running_package_serves_the_committed_schema(provider: Any) -> None:
    schema = json.loads(provider.GetSchema(provider_pb2.GetSchemaRequest(), timeout=60).schema)

    assert schema == json.loads(generate.SCHEMA_FILE.read_text())


@pytest.mark.parametrize("stack", SHIPPED_STACKS)
def test_constructing_the_service_with_a_stack_files_values_registers_that_stacks_plan(
    provider: Any, stack: str
) -> None:
    args, config = stack_file_args(stack)
    with served_engine(project="inference", stack=stack, gcp_project=config["gcp:project"]) as engine:
        response = construct(provider, engine, SERVICE, stack, args, config)
    planned = plan_stack(stack, PROJECT_ROOT)

    constructed = [r for r in engine.plan.resources if r.urn != response.urn]
    assert [r.type for r in engine.plan.resources if r.urn == response.urn] == [SERVICE]
    assert _registrations(constructed) == _registrations(planned.resources)
    outputs = with_placeholders(json_format.MessageToDict(response.state))
    assert outputs == {_camel(key): value for key, value in planned.outputs.items()}


def test_a_bad_arg_fails_the_construct_with_the_config_error_naming_the_field(
    provider: Any, dev_engine: Engine
) -> None:
    args, config = stack_file_args("dev")
    args["service"] = {**args["service"], "memory": "8Gi", "gpu": {"type": "nvidia-l4"}}
    _project, engine_config, _secrets = read_stack_file("dev", PROJECT_ROOT)
    engine_config["inference:service"] = json.dumps(args["service"])
    with pytest.raises(ConfigError) as from_a_stack_file:
        load_stack_config(engine_config, stack_file="Pulumi.dev.yaml", stack="dev", project_dir=PROJECT_ROOT)

    with pytest.raises(grpc.RpcError) as failed:
        construct(provider, dev_engine, SERVICE, "dev", args, config)

    assert failed.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    details = failed.value.details()
    assert "Traceback" not in details
    assert "InferenceService dev: inference:service.memory = 8Gi: " in details
    assert details.splitlines()[0] == f"invalid args of {SERVICE} dev:"
    assert details.splitlines()[1:] == [
        message.replace("Pulumi.dev.yaml", "InferenceService dev") for message in from_a_stack_file.value.messages
    ]
    assert "service.memory" in _property_paths(failed.value)
    assert dev_engine.plan.resources == []


def _property_paths(error: Any) -> list[str]:
    """The properties an INVALID_ARGUMENT names in its details (what the Pulumi CLI lists under the message)."""
    status = status_pb2.Status.FromString(dict(error.trailing_metadata())["grpc-status-details-bin"])
    paths = []
    for detail in status.details:
        properties = errors_pb2.InputPropertiesError()
        detail.Unpack(properties)
        paths += [property_error.property_path for property_error in properties.errors]
    return paths


def _camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(part.title() for part in rest)
