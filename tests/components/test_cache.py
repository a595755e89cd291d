"""The RedisCache component alone: private Memorystore with AUTH and TLS, its AUTH string in Secret Manager."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pytest

from components.cache import RedisCache, RedisCacheArgs
from components.validation import ArgsError
from facts import types
from infra.offline import run_program
from plan import SECRET_PLACEHOLDER, Plan
from tests.components.private_services import NETWORK_ID, after_api, private_services_connection
from tests.engine_values import engine_output

INSTANCE = types.REDIS_INSTANCE
SECRET = types.SECRET
VERSION = types.SECRET_VERSION
CONNECTION = types.SERVICE_NETWORKING_CONNECTION
LABELS = {"team": "ml-platform", "environment": "prod"}
PROJECT = "my-project"


def plan_cache(gate_on_api: bool = False, **choices: Any) -> Plan:
    """One cache component on a VPC with its private services connection; `choices` override the args."""

    def program() -> None:
        opts = after_api("redis-api", "redis.googleapis.com") if gate_on_api else None
        connection = private_services_connection()
        settings: dict[str, Any] = {
            "region": "us-central1",
            "tier": "BASIC",
            "memory_size_gb": 1,
            "version": "REDIS_7_2",
            "read_replicas": 0,
            "deletion_protection": False,
            **choices,
        }
        cache = RedisCache(
            "cache",
            RedisCacheArgs(
                network_id=NETWORK_ID,
                private_services_connection=connection,
                labels=LABELS,
                **settings,
            ),
            opts=opts,
        )
        pulumi.export("host", cache.host)
        pulumi.export("port", cache.port)
        pulumi.export("ca_certificate", cache.ca_certificate)
        pulumi.export("auth_secret_ids", {"auth": cache.auth_secret_id})
        pulumi.export("auth_values", {"auth": cache.auth.value})

    return run_program(program, config={"gcp:project": PROJECT})


def test_auth_and_in_transit_encryption_are_on() -> None:
    instance = plan_cache().one(INSTANCE).inputs

    assert instance["authEnabled"] is True
    assert instance["transitEncryptionMode"] == "SERVER_AUTHENTICATION"


def test_deletion_protection_is_always_set_explicitly_because_unset_refuses_every_delete() -> None:
    for protected in (False, True):
        plan = plan_cache(deletion_protection=protected)
        assert plan.one(INSTANCE).inputs["deletionProtection"] is protected
        assert plan.one(SECRET).inputs["deletionProtection"] is protected


def test_instance_is_reachable_only_through_private_service_access_on_the_given_network() -> None:
    instance = plan_cache().one(INSTANCE).inputs

    assert instance["connectMode"] == "PRIVATE_SERVICE_ACCESS"
    assert instance["authorizedNetwork"] == "projects/p/global/networks/vpc"


def test_instance_is_created_only_after_the_private_services_connection() -> None:
    plan = plan_cache()

    assert plan.one(CONNECTION).urn in plan.one(INSTANCE).dependencies


def test_tier_size_version_and_region_come_from_the_args() -> None:
    instance = plan_cache(tier="STANDARD_HA", memory_size_gb=5, version="REDIS_7_0").one(INSTANCE).inputs

    assert (instance["tier"], instance["memorySizeGb"], instance["redisVersion"]) == ("STANDARD_HA", 5, "REDIS_7_0")
    assert instance["region"] == "us-central1"


def test_read_replicas_are_off_without_a_count() -> None:
    instance = plan_cache(read_replicas=0).one(INSTANCE).inputs

    assert instance["readReplicasMode"] == "READ_REPLICAS_DISABLED"
    assert "replicaCount" not in instance


def test_read_replicas_are_on_with_the_count_asked() -> None:
    instance = plan_cache(tier="STANDARD_HA", memory_size_gb=5, read_replicas=2).one(INSTANCE).inputs

    assert instance["readReplicasMode"] == "READ_REPLICAS_ENABLED"
    assert instance["replicaCount"] == 2


def test_maintenance_happens_in_a_weekly_window() -> None:
    windows = plan_cache().one(INSTANCE).inputs["maintenancePolicy"]["weeklyMaintenanceWindows"]

    assert len(windows) == 1
    assert windows[0]["day"] == "SUNDAY"


def test_labels_are_on_the_instance_and_on_the_auth_secret() -> None:
    plan = plan_cache()

    assert plan.one(INSTANCE).inputs["labels"] == LABELS
    assert plan.one(SECRET).inputs["labels"] == LABELS


def test_auth_string_is_stored_in_secret_manager_once_the_instance_exists() -> None:
    plan = plan_cache()

    version = plan.one(VERSION)
    assert plan.one(SECRET).inputs["secretId"] == "cache-auth"
    assert version.inputs["secretData"] == SECRET_PLACEHOLDER
    assert plan.one(INSTANCE).urn in version.dependencies
    assert plan.outputs["auth_secret_ids"] == {"auth": f"projects/{PROJECT}/secrets/cache-auth"}
    assert plan.outputs["auth_values"] == {"auth": SECRET_PLACEHOLDER}


def test_auth_string_never_reaches_the_plan_in_plain_text() -> None:
    plan = plan_cache()

    instance = plan.one(INSTANCE)
    auth_string = engine_output(instance, "authString", PROJECT)
    assert auth_string not in json.dumps(plan.to_dict(include_outputs=True))


def test_outputs_give_clients_the_host_the_tls_port_and_the_server_ca() -> None:
    outputs = plan_cache().outputs

    assert outputs["host"].startswith("10.")
    assert outputs["port"] == 6378
    assert outputs["ca_certificate"].startswith("-----BEGIN CERTIFICATE-----")


def test_every_resource_inside_waits_for_what_the_component_depends_on() -> None:
    plan = plan_cache(gate_on_api=True)

    api_urn = plan.one("gcp:projects/service:Service").urn
    inside = {plan.one("inference:cache:RedisCache").urn}
    resources = []
    for resource in plan.resources:
        if resource.parent in inside:
            inside.add(resource.urn)
            resources.append(resource)
    assert {resource.type for resource in resources if resource.custom} == {INSTANCE, SECRET, VERSION}
    assert [resource.name for resource in resources if api_urn not in resource.dependencies] == []


def test_read_replicas_memorystore_refuses_are_refused_beside_the_fields() -> None:
    with pytest.raises(ArgsError) as refused:
        plan_cache(tier="BASIC", read_replicas=2, version="REDIS_4_0")
    assert [(problem.field, problem.message) for problem in refused.value.problems] == [
        ("read_replicas", "read replicas need tier STANDARD_HA"),
        ("memory_size_gb", "read replicas need at least 5 GB"),
        ("version", "read replicas need Redis 5.0 or later"),
    ]
