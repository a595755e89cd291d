"""The shipped stacks, planned whole: what each one creates and the properties that matter in it.

Pulumi.dev.yaml is cheap (CPU only, zonal, nothing protected); Pulumi.prod.yaml runs one NVIDIA L4 per instance
with an HA database, point-in-time recovery and deletion protection. Both keep data on private IPs behind TLS,
never hold a secret in plain text, and label everything that takes labels.
"""

from __future__ import annotations

import importlib
import inspect
import json
import re
from pathlib import Path
from typing import Any

import pytest

from facts.gcp import (
    CLOUD_RUN_SERVICE_NAME_MAX,
    REDIS_INSTANCE_ID_MAX,
    SERVICE_ACCOUNT_ID,
    SQL_INSTANCE_NAME_MAX,
    STACK_NAME,
)
from infra.offline import plan_stack
from infra.offline.mocks import computed_outputs
from plan import SECRET_PLACEHOLDER, Plan
from tests.stack_files import stack_config

PROJECT_ROOT = Path(__file__).resolve().parents[2]
STACKS = ("dev", "prod")

API_SERVICE = "gcp:projects/service:Service"
CLOUD_RUN = "gcp:cloudrunv2/service:Service"
SQL_INSTANCE = "gcp:sql/databaseInstance:DatabaseInstance"
REDIS = "gcp:redis/instance:Instance"
CONNECTION = "gcp:servicenetworking/connection:Connection"
SECRET = "gcp:secretmanager/secret:Secret"
ACCESSOR = "gcp:secretmanager/secretIamMember:SecretIamMember"
PASSWORD = "random:index/randomPassword:RandomPassword"
SECRET_ENV = ("REDIS_PASSWORD", "DATABASE_PASSWORD", "API_KEYS", "ADMIN_API_KEYS")

# The Cloud Run path of either stack: what `pulumi up` creates, by type.
CLOUD_RUN_INVENTORY = {
    "inference:apis:ProjectApis": 1,
    "gcp:projects/service:Service": 8,
    "inference:network:Network": 1,
    "gcp:compute/network:Network": 1,
    "gcp:compute/subnetwork:Subnetwork": 1,
    "gcp:compute/globalAddress:GlobalAddress": 1,
    "gcp:servicenetworking/connection:Connection": 1,
    "inference:secrets:Secrets": 2,
    "random:index/randomPassword:RandomPassword": 3,
    "gcp:secretmanager/secret:Secret": 4,
    "gcp:secretmanager/secretVersion:SecretVersion": 4,
    "gcp:secretmanager/secretIamMember:SecretIamMember": 4,
    "inference:database:PostgresDatabase": 1,
    "gcp:sql/databaseInstance:DatabaseInstance": 1,
    "gcp:sql/database:Database": 1,
    "gcp:sql/user:User": 1,
    "inference:cache:RedisCache": 1,
    "gcp:redis/instance:Instance": 1,
    "inference:image:ContainerImage": 1,
    "gcp:artifactregistry/repository:Repository": 1,
    "docker:index/image:Image": 1,
    "inference:cloudrun:CloudRunService": 1,
    "gcp:serviceaccount/account:Account": 1,
    "gcp:cloudrunv2/service:Service": 1,
}

# Where each resource's GCP name sits, and the limit it must meet (shared/reference/gcp-constraints.md and the
# resources' API docs). Pulumi auto-names a resource without an explicit name as `<logical name>-<7 characters>`.
RFC1035 = re.compile(r"^[a-z](?:[a-z0-9-]*[a-z0-9])?$")
NAME_LIMITS: dict[str, tuple[str, int, re.Pattern[str]]] = {
    CLOUD_RUN: ("name", CLOUD_RUN_SERVICE_NAME_MAX, RFC1035),
    REDIS: ("name", REDIS_INSTANCE_ID_MAX, RFC1035),
    SQL_INSTANCE: ("name", SQL_INSTANCE_NAME_MAX, RFC1035),
    "gcp:compute/network:Network": ("name", 63, RFC1035),
    "gcp:compute/subnetwork:Subnetwork": ("name", 63, RFC1035),
    "gcp:compute/globalAddress:GlobalAddress": ("name", 63, RFC1035),
    "gcp:artifactregistry/repository:Repository": ("repositoryId", 63, RFC1035),
    "gcp:serviceaccount/account:Account": ("accountId", 30, SERVICE_ACCOUNT_ID),
    SECRET: ("secretId", 255, re.compile(r"^[A-Za-z0-9_-]+$")),
}
AUTONAME_SUFFIX = "-abc1234"


@pytest.fixture(scope="module")
def dev() -> Plan:
    return plan_stack("dev", PROJECT_ROOT, cache=False)


@pytest.fixture(scope="module")
def prod() -> Plan:
    return plan_stack("prod", PROJECT_ROOT, cache=False)


@pytest.fixture(scope="module", params=STACKS)
def stack_plan(request: pytest.FixtureRequest) -> Plan:
    return request.getfixturevalue(request.param)


def cloud_run_container(plan: Plan) -> dict[str, Any]:
    (container,) = plan.one(CLOUD_RUN).inputs["template"]["containers"]
    return container


def label_paths(resource_type: str) -> list[tuple[str, ...]]:
    """Where the SDK lets this resource type carry labels: top level, or inside its settings or template."""
    package, module_path, class_name = resource_type.split(":")
    module_name = module_path.split("/")[0]
    sdk = importlib.import_module(f"pulumi_{package}" + ("" if module_name == "index" else f".{module_name}"))
    parameters = inspect.signature(getattr(sdk, class_name)._internal_init).parameters
    paths: list[tuple[str, ...]] = [("labels",)] if "labels" in parameters else []
    for nested in ("settings", "template"):
        nested_args = getattr(sdk, f"{class_name}{nested.capitalize()}Args", None)
        if nested in parameters and nested_args is not None:
            nested_parameters = inspect.signature(nested_args.__init__).parameters
            paths.extend(
                (nested, camel)
                for field, camel in (("labels", "labels"), ("user_labels", "userLabels"))
                if field in nested_parameters
            )
    return paths


def value_at(inputs: dict[str, Any], path: tuple[str, ...]) -> Any:
    for key in path:
        inputs = inputs.get(key, {}) if isinstance(inputs, dict) else {}
    return inputs


def mock_secret_values(plan: Plan, project: str) -> list[str]:
    """The values the recording mocks give every generated password and every Redis AUTH string in this plan."""
    generated = [(resource, "result") for resource in plan.of_type(PASSWORD)]
    auth_strings = [(resource, "authString") for resource in plan.of_type(REDIS)]
    return [
        computed_outputs(resource.type, resource.name, resource.inputs, project)[output]
        for resource, output in [*generated, *auth_strings]
    ]


# --- inventory ------------------------------------------------------------------------------------------------


def test_stack_creates_the_cloud_run_inventory(stack_plan: Plan) -> None:
    assert stack_plan.type_counts() == CLOUD_RUN_INVENTORY


def test_every_api_the_stack_uses_is_enabled(stack_plan: Plan) -> None:
    enabled = {service.inputs["service"] for service in stack_plan.of_type(API_SERVICE)}

    assert enabled == {
        "compute.googleapis.com",
        "iam.googleapis.com",
        "servicenetworking.googleapis.com",
        "sqladmin.googleapis.com",
        "redis.googleapis.com",
        "secretmanager.googleapis.com",
        "artifactregistry.googleapis.com",
        "run.googleapis.com",
    }


# --- the service's shape ----------------------------------------------------------------------------------------


def test_prod_service_runs_on_one_nvidia_l4_with_4_vcpu_16gi_and_cpu_always_allocated(prod: Plan) -> None:
    template = prod.one(CLOUD_RUN).inputs["template"]
    resources = cloud_run_container(prod)["resources"]

    assert template["nodeSelector"] == {"accelerator": "nvidia-l4"}
    assert resources["limits"] == {"cpu": "4", "memory": "16Gi", "nvidia.com/gpu": "1"}
    assert resources["cpuIdle"] is False


def test_prod_gpu_zonal_redundancy_is_as_configured(prod: Plan) -> None:
    configured = stack_config("prod")["inference:service"]["gpu"]["zonalRedundancy"]

    assert prod.one(CLOUD_RUN).inputs["template"]["gpuZonalRedundancyDisabled"] is (not configured)


def test_prod_keeps_one_instance_warm_and_runs_the_cuda_image(prod: Plan) -> None:
    envs = {env["name"]: env.get("value") for env in cloud_run_container(prod)["envs"]}

    assert prod.one(CLOUD_RUN).inputs["template"]["scaling"] == {"minInstanceCount": 1, "maxInstanceCount": 3}
    assert prod.one("docker:index/image:Image").inputs["build"]["args"] == {"VARIANT": "cuda"}
    assert envs["MODEL_DEVICE"] == "cuda"


def test_dev_service_has_no_gpu_and_scales_to_zero(dev: Plan) -> None:
    template = dev.one(CLOUD_RUN).inputs["template"]
    resources = cloud_run_container(dev)["resources"]
    envs = {env["name"]: env.get("value") for env in cloud_run_container(dev)["envs"]}

    assert "nodeSelector" not in template
    assert "gpuZonalRedundancyDisabled" not in template
    assert "nvidia.com/gpu" not in resources["limits"]
    assert resources["cpuIdle"] is True
    assert template["scaling"]["minInstanceCount"] == 0
    assert dev.one("docker:index/image:Image").inputs["build"]["args"] == {"VARIANT": "cpu"}
    assert envs["MODEL_DEVICE"] == "cpu"


def test_service_is_internal_only_and_nobody_is_granted_invoke(stack_plan: Plan) -> None:
    assert stack_plan.one(CLOUD_RUN).inputs["ingress"] == "INGRESS_TRAFFIC_INTERNAL_ONLY"
    assert stack_plan.of_type("gcp:cloudrunv2/serviceIamMember:ServiceIamMember") == []


# --- data on private IPs, behind TLS -----------------------------------------------------------------------------


def test_database_has_no_public_ip_and_waits_for_the_private_services_connection(stack_plan: Plan) -> None:
    instance = stack_plan.one(SQL_INSTANCE)
    ip_configuration = instance.inputs["settings"]["ipConfiguration"]

    assert ip_configuration["ipv4Enabled"] is False
    assert ip_configuration["privateNetwork"]
    assert ip_configuration["sslMode"] == "ENCRYPTED_ONLY"
    assert stack_plan.one(CONNECTION).urn in instance.dependencies


def test_redis_requires_auth_and_tls_on_a_private_connection(stack_plan: Plan) -> None:
    redis = stack_plan.one(REDIS)

    assert redis.inputs["authEnabled"] is True
    assert redis.inputs["transitEncryptionMode"] == "SERVER_AUTHENTICATION"
    assert redis.inputs["connectMode"] == "PRIVATE_SERVICE_ACCESS"
    assert redis.inputs["authorizedNetwork"]
    assert stack_plan.one(CONNECTION).urn in redis.dependencies


def test_service_reaches_redis_over_tls_with_the_servers_ca(stack_plan: Plan) -> None:
    envs = {env["name"]: env.get("value") for env in cloud_run_container(stack_plan)["envs"]}

    assert envs["REDIS_URL"].startswith("rediss://")
    assert envs["REDIS_URL"].endswith(":6378/0")
    assert envs["REDIS_CA_CERT"].startswith("-----BEGIN CERTIFICATE-----")
    assert envs["DATABASE_URL"].endswith("?sslmode=require")


def test_redis_size_and_tier_follow_the_stack(dev: Plan, prod: Plan) -> None:
    assert (dev.one(REDIS).inputs["tier"], dev.one(REDIS).inputs["memorySizeGb"]) == ("BASIC", 1)
    assert (prod.one(REDIS).inputs["tier"], prod.one(REDIS).inputs["memorySizeGb"]) == ("STANDARD_HA", 5)


# --- durability and protection ---------------------------------------------------------------------------------


def test_prod_database_is_regional_with_backups_and_point_in_time_recovery(prod: Plan) -> None:
    settings = prod.one(SQL_INSTANCE).inputs["settings"]

    assert settings["availabilityType"] == "REGIONAL"
    assert settings["backupConfiguration"]["enabled"] is True
    assert settings["backupConfiguration"]["pointInTimeRecoveryEnabled"] is True


def test_dev_database_is_zonal_with_backups_and_no_point_in_time_recovery(dev: Plan) -> None:
    settings = dev.one(SQL_INSTANCE).inputs["settings"]

    assert settings["availabilityType"] == "ZONAL"
    assert settings["backupConfiguration"]["enabled"] is True
    assert settings["backupConfiguration"]["pointInTimeRecoveryEnabled"] is False


@pytest.mark.parametrize(("stack", "protected"), [("dev", False), ("prod", True)])
def test_deletion_protection_is_on_in_prod_only(stack: str, protected: bool, request: pytest.FixtureRequest) -> None:
    plan: Plan = request.getfixturevalue(stack)
    database = plan.one(SQL_INSTANCE).inputs

    assert database["deletionProtection"] is protected
    assert database["settings"]["deletionProtectionEnabled"] is protected
    assert plan.one(CLOUD_RUN).inputs["deletionProtection"] is protected


# --- labels -----------------------------------------------------------------------------------------------------


def test_the_sdk_says_which_resources_of_the_stack_take_labels(stack_plan: Plan) -> None:
    sites = {
        (resource.type, path)
        for resource in stack_plan.resources
        if resource.custom
        for path in label_paths(resource.type)
    }

    assert sites == {
        (SECRET, ("labels",)),
        (REDIS, ("labels",)),
        (SQL_INSTANCE, ("settings", "userLabels")),
        (CLOUD_RUN, ("labels",)),
        (CLOUD_RUN, ("template", "labels")),
        ("gcp:compute/globalAddress:GlobalAddress", ("labels",)),
        ("gcp:artifactregistry/repository:Repository", ("labels",)),
    }


def test_every_labelable_resource_carries_the_stack_labels(stack_plan: Plan) -> None:
    config = stack_config(stack_plan.stack)
    expected = {
        **config["inference:labels"],
        "environment": config["inference:environment"],
        "stack": stack_plan.stack,
        "managed-by": "pulumi",
    }

    mislabelled = {
        f"{resource.name}: {'.'.join(path)}": value_at(resource.inputs, path)
        for resource in stack_plan.resources
        if resource.custom
        for path in label_paths(resource.type)
        if value_at(resource.inputs, path) != expected
    }
    assert mislabelled == {}


# --- secrets ----------------------------------------------------------------------------------------------------


def test_no_generated_password_or_auth_string_appears_anywhere_in_the_plan(stack_plan: Plan) -> None:
    project = stack_config(stack_plan.stack)["gcp:project"]
    secret_values = mock_secret_values(stack_plan, project)
    whole_plan = json.dumps(stack_plan.to_dict(include_outputs=True))

    assert len(secret_values) == 4
    assert [value for value in secret_values if value in whole_plan] == []
    assert stack_plan.one("gcp:sql/user:User").inputs["password"] == SECRET_PLACEHOLDER


def test_secret_env_vars_are_secret_manager_references_not_values(stack_plan: Plan) -> None:
    envs = {env["name"]: env for env in cloud_run_container(stack_plan)["envs"]}
    stored = set(stack_plan.outputs["secret_ids"].values())

    assert {name: "value" in envs[name] for name in SECRET_ENV} == dict.fromkeys(SECRET_ENV, False)
    referenced = {envs[name]["valueSource"]["secretKeyRef"]["secret"] for name in SECRET_ENV}
    assert referenced == stored
    assert len(stored) == len(stack_plan.of_type(SECRET))


def test_runtime_account_can_read_every_secret_before_the_service_exists(stack_plan: Plan) -> None:
    service = stack_plan.one(CLOUD_RUN)
    runtime_member = f"serviceAccount:{service.inputs['template']['serviceAccount']}"
    bindings = stack_plan.of_type(ACCESSOR)

    assert {binding.inputs["secretId"] for binding in bindings} == set(stack_plan.outputs["secret_ids"].values())
    assert {(binding.inputs["role"], binding.inputs["member"]) for binding in bindings} == {
        ("roles/secretmanager.secretAccessor", runtime_member)
    }
    assert [binding.name for binding in bindings if binding.urn not in service.dependencies] == []


# --- ordering ---------------------------------------------------------------------------------------------------


def test_every_resource_in_a_component_depends_directly_on_the_enabled_apis(stack_plan: Plan) -> None:
    apis = stack_plan.one("inference:apis:ProjectApis")
    api_urns = {service.urn for service in stack_plan.of_type(API_SERVICE)}
    cloud_resources = [resource for resource in stack_plan.resources if resource.custom]
    in_components = [resource for resource in cloud_resources if resource.urn not in api_urns]

    assert {stack_plan.by_urn(service).parent for service in api_urns} == {apis.urn}
    assert [resource.name for resource in in_components if resource.parent is None] == []
    assert [resource.name for resource in in_components if not api_urns <= set(resource.dependencies)] == []


# --- names ------------------------------------------------------------------------------------------------------


def names_beyond_limits(plan: Plan) -> dict[str, str]:
    """Each GCP name in the plan that is too long or malformed, with the limit it breaks."""
    broken = {}
    for resource in plan.resources:
        if resource.type in NAME_LIMITS:
            field, limit, pattern = NAME_LIMITS[resource.type]
            name = resource.inputs.get(field) or resource.name + AUTONAME_SUFFIX
            if len(name) > limit or not pattern.match(name):
                broken[resource.name] = f"{field} {name!r}: {len(name)} characters, at most {limit}, {pattern.pattern}"
    return broken


def test_every_gcp_name_is_within_its_limits(stack_plan: Plan) -> None:
    assert sum(resource.type in NAME_LIMITS for resource in stack_plan.resources) == 12
    assert names_beyond_limits(stack_plan) == {}


def test_names_stay_within_limits_for_the_longest_stack_name_the_config_accepts(project_copy: Path) -> None:
    longest = "cmp-l4-zonal-off"
    assert STACK_NAME.match(longest)
    assert not STACK_NAME.match(longest + "x")
    (project_copy / f"Pulumi.{longest}.yaml").write_text((project_copy / "Pulumi.dev.yaml").read_text())

    plan = plan_stack(longest, project_copy, cache=False)

    assert names_beyond_limits(plan) == {}
