"""The building blocks over gRPC: a Construct of a block registers what its component registers in a program, and
its outputs; a block's Args still refuse what the component refuses."""

from __future__ import annotations

import dataclasses
import inspect
import json
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from google.protobuf import json_format
from pulumi.provider.experimental.util import camel_case

from components.cache import RedisCache, RedisCacheArgs
from components.database import BackupArgs, MaintenanceWindow, PostgresDatabase, PostgresDatabaseArgs
from components.gke import GkeCluster, GkeClusterArgs
from components.network import Network, NetworkArgs
from components.secrets import Secrets, SecretsArgs
from components.validation import ArgsError
from facts.types import REDIS_INSTANCE
from infra.offline import run_program
from infra.package import generate
from infra.package.blocks import BLOCKS, args_of, component_of
from tests.components.gke_examples import GPU_POOL
from tests.infra.package.served_engine import Engine, construct, served_engine

LABELS = {"team": "ml-platform"}
PRIVATE_SERVICES = {"privateServicesAddress": "10.40.0.0", "privateServicesPrefixLength": 20}
CONFIG = {"gcp:project": "my-inference-dev", "gcp:region": "us-central1"}
# The blocks' args as they cross the wire (camelCase).
NETWORK = {"region": "us-central1", "subnetCidr": "10.10.0.0/20", "labels": LABELS, **PRIVATE_SERVICES}
DATABASE = {
    "version": "POSTGRES_16",
    "edition": "ENTERPRISE",
    "tier": "db-custom-1-3840",
    "availability": "ZONAL",
    "diskSizeGb": 10,
    "backup": {"enabled": True, "pointInTimeRecovery": False},
    "deletionProtection": False,
    "maintenance": {"day": 7, "hour": 3},
    "password": "not-a-real-password",
}


@pytest.fixture
def engine() -> Iterator[Engine]:
    with served_engine(project="consumer", stack="test", gcp_project=CONFIG["gcp:project"]) as served:
        yield served


def build(provider: Any, engine: Engine, block: str, name: str, args: dict[str, Any]) -> Any:
    return construct(provider, engine, f"inference:index:{block}", name, args, CONFIG)


def attached_to(network: Any) -> dict[str, Any]:
    """The args that place a cache or a database on a constructed network: its id, and its private services
    connection as a resource reference (as the engine passes a resource from one Construct to another)."""
    outputs = json_format.MessageToDict(network.state)
    return {
        "region": "us-central1",
        "networkId": outputs["networkId"],
        "privateServicesConnection": outputs["privateServicesConnection"],
        "labels": LABELS,
    }


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
    plan = run_program(program, project="consumer", stack="test", config=CONFIG)
    return sorted((r.type, r.name, json.dumps(r.inputs, sort_keys=True)) for r in plan.resources)


def test_a_constructed_network_registers_what_the_network_component_registers(provider: Any, engine: Engine) -> None:
    response = build(provider, engine, "Network", "shared", {**NETWORK, "cloudNat": True})

    direct = _registered(
        lambda: Network(
            "shared",
            NetworkArgs(
                region="us-central1",
                subnet_cidr="10.10.0.0/20",
                labels=LABELS,
                cloud_nat=True,
                private_services_address="10.40.0.0",
                private_services_prefix_length=20,
            ),
        )
    )
    assert _children(engine, response.urn) == direct
    assert {"networkId", "subnetId", "privateServicesConnection"} <= set(response.state.fields)


def test_a_constructed_secrets_registers_what_the_secrets_component_registers(provider: Any, engine: Engine) -> None:
    response = build(provider, engine, "Secrets", "app", {"generated": {"api-key": 40}, "labels": LABELS})

    direct = _registered(lambda: Secrets("app", SecretsArgs(generated={"api-key": 40}, labels=LABELS)))
    assert _children(engine, response.urn) == direct
    assert set(response.state.fields) == {"secretIds", "versions"}


def test_a_cache_and_a_database_take_the_constructed_networks_connection(provider: Any, engine: Engine) -> None:
    network = build(provider, engine, "Network", "data", NETWORK)
    attach = attached_to(network)
    redis = {"tier": "BASIC", "memorySizeGb": 1, "version": "REDIS_7_2", "readReplicas": 0, "deletionProtection": False}

    cache = build(provider, engine, "RedisCache", "data-redis", {**attach, **redis})
    database = build(provider, engine, "PostgresDatabase", "data-db", {**attach, **DATABASE})

    def direct() -> None:
        built = Network(
            "data",
            NetworkArgs(
                region="us-central1",
                subnet_cidr="10.10.0.0/20",
                labels=LABELS,
                private_services_address="10.40.0.0",
                private_services_prefix_length=20,
            ),
        )
        placed = {
            "region": "us-central1",
            "network_id": built.network_id,
            "private_services_connection": built.private_services_connection,
            "labels": LABELS,
        }
        RedisCache(
            "data-redis",
            RedisCacheArgs(
                **placed,
                tier="BASIC",
                memory_size_gb=1,
                version="REDIS_7_2",
                read_replicas=0,
                deletion_protection=False,
            ),
        )
        PostgresDatabase(
            "data-db",
            PostgresDatabaseArgs(
                **placed,
                version="POSTGRES_16",
                edition="ENTERPRISE",
                tier="db-custom-1-3840",
                availability="ZONAL",
                disk_size_gb=10,
                backup=BackupArgs(enabled=True, point_in_time_recovery=False),
                deletion_protection=False,
                maintenance=MaintenanceWindow(day=7, hour=3),
                password="not-a-real-password",
            ),
        )

    assert sorted(
        _children(engine, network.urn) + _children(engine, cache.urn) + _children(engine, database.urn)
    ) == _registered(direct)
    (instance,) = [r for r in engine.plan.resources if r.type == REDIS_INSTANCE and r.name == "data-redis"]
    assert attach["privateServicesConnection"]["urn"] in instance.dependencies
    assert set(cache.state.fields) == {"host", "port", "instanceId", "caCertificate", "authSecretId"}
    assert set(database.state.fields) == {"connectionName", "privateIp", "databaseName", "userName"}


@pytest.mark.parametrize("block", BLOCKS, ids=lambda block: block.__name__)
def test_a_block_takes_its_components_args_and_gives_its_components_outputs(block: type[Any]) -> None:
    component, args_type = component_of(block)
    typed_args = inspect.get_annotations(block.__init__)["args"]

    assert component.__name__ == block.__name__
    assert set(typed_args.__annotations__) == {field.name for field in dataclasses.fields(args_type)}
    assert set(inspect.get_annotations(block)) <= set(inspect.get_annotations(component))


def test_the_schema_lists_every_block_and_the_service() -> None:
    resources = json.loads(generate.SCHEMA_FILE.read_text())["resources"]

    assert set(resources) == {f"inference:index:{name}" for name in ["InferenceService", *(b.__name__ for b in BLOCKS)]}


def test_a_block_arg_its_args_refuse_fails_the_construct_naming_the_field(provider: Any, engine: Engine) -> None:
    network = build(provider, engine, "Network", "refusing", NETWORK)
    # Point-in-time recovery needs backups.
    args = {**attached_to(network), **DATABASE, "backup": {"enabled": False, "pointInTimeRecovery": True}}
    with pytest.raises(ArgsError) as from_code:
        BackupArgs(enabled=False, point_in_time_recovery=True)

    with pytest.raises(grpc.RpcError) as failed:
        build(provider, engine, "PostgresDatabase", "refused", args)

    assert failed.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert failed.value.details() == f"invalid args of inference:index:PostgresDatabase refused: {from_code.value}"
    assert not [resource for resource in engine.plan.resources if resource.name.startswith("refused")]


def test_integers_that_cross_the_wire_as_floats_reach_the_args_as_integers() -> None:
    given = {"generated": {"api-key": 40.0}, "labels": LABELS}
    network = args_of(
        NetworkArgs,
        {
            "region": "r",
            "subnet_cidr": "10.0.0.0/20",
            "labels": {},
            "private_services_address": "10.40.0.0",
            "private_services_prefix_length": 20.0,
        },
    )

    assert args_of(SecretsArgs, given).generated == {"api-key": 40}
    assert type(network.private_services_prefix_length) is int
    assert args_of(BackupArgs, {"enabled": True, "point_in_time_recovery": False}) == BackupArgs(
        enabled=True, point_in_time_recovery=False
    )


GKE_CLUSTER = {
    "project": "my-inference-dev",
    "location": "us-central1-a",
    "cluster_name": "shared-gke",
    "pods_range_name": "pods",
    "services_range_name": "services",
    "master_cidr": "172.16.0.0/28",
    "authorized_networks": [{"cidr": "10.0.0.0/8", "name": "internal"}],
    "control_plane_access": "dns",
    "release_channel": "REGULAR",
    "system_pool": {"machine_type": "e2-standard-2", "node_count": 1},
    "gpu_pool": {**GPU_POOL, "spot": False},
    "gpu_zones": ["us-central1-a"],
    "deletion_protection": False,
    "labels": LABELS,
}


def test_a_constructed_gke_cluster_registers_what_the_cluster_component_registers(
    provider: Any, engine: Engine
) -> None:
    ids = {"network_id": "projects/p/global/networks/shared", "subnet_id": "projects/p/regions/r/subnetworks/shared"}
    args = {camel_case(key): value for key, value in {**GKE_CLUSTER, **ids}.items()}
    args["systemPool"] = {camel_case(key): value for key, value in GKE_CLUSTER["system_pool"].items()}
    args["gpuPool"] = {camel_case(key): value for key, value in GKE_CLUSTER["gpu_pool"].items()}

    response = build(provider, engine, "GkeCluster", "shared", args)

    direct = _registered(lambda: GkeCluster("shared", args_of(GkeClusterArgs, {**GKE_CLUSTER, **ids})))
    assert _children(engine, response.urn) == direct
    assert {"cluster", "clusterName", "kubeconfig", "workloadPool"} <= set(response.state.fields)
