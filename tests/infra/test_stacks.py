"""The shipped stacks, planned whole: what each one creates and the properties that matter in it.

Pulumi.dev.yaml is cheap (CPU only, zonal, nothing protected); Pulumi.prod.yaml runs one NVIDIA L4 per instance
with an HA database, point-in-time recovery and deletion protection. Both keep data on private IPs behind TLS,
never hold a secret in plain text, and label everything that takes labels.
"""

from __future__ import annotations

import importlib
import inspect
import ipaddress
from typing import Any

import pytest

from facts import types
from facts.gcp import CLOUD_RUN_STARTUP_PROBE_MAX_SECONDS
from plan import SECRET_PLACEHOLDER, Plan
from tests.infra.stack_plans import expected_labels, inventory, leaked_secrets
from tests.stack_files import stack_config

STACKS = ("dev", "prod")

SECRET_ENV = ("REDIS_PASSWORD", "DATABASE_PASSWORD", "API_KEYS", "ADMIN_API_KEYS")


@pytest.fixture(scope="module", params=STACKS)
def stack_plan(request: pytest.FixtureRequest) -> Plan:
    return request.getfixturevalue(request.param)


def cloud_run_container(plan: Plan) -> dict[str, Any]:
    (container,) = plan.one(types.CLOUD_RUN_SERVICE).inputs["template"]["containers"]
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


# --- inventory ------------------------------------------------------------------------------------------------


def test_stack_creates_the_cloud_run_inventory(stack_plan: Plan) -> None:
    assert stack_plan.type_counts() == inventory("cloudrun").resources


def test_every_api_the_stack_uses_is_enabled(stack_plan: Plan) -> None:
    enabled = {service.inputs["service"] for service in stack_plan.of_type(types.PROJECT_SERVICE)}

    assert enabled == inventory("cloudrun").apis


# --- the service's shape ----------------------------------------------------------------------------------------


def test_prod_service_runs_on_one_nvidia_l4_with_4_vcpu_16gi_and_cpu_always_allocated(prod: Plan) -> None:
    template = prod.one(types.CLOUD_RUN_SERVICE).inputs["template"]
    resources = cloud_run_container(prod)["resources"]

    assert template["nodeSelector"] == {"accelerator": "nvidia-l4"}
    assert resources["limits"] == {"cpu": "4", "memory": "16Gi", "nvidia.com/gpu": "1"}
    assert resources["cpuIdle"] is False


def test_prod_gpu_zonal_redundancy_is_as_configured(prod: Plan) -> None:
    configured = stack_config("prod")["inference:service"]["gpu"]["zonalRedundancy"]

    assert prod.one(types.CLOUD_RUN_SERVICE).inputs["template"]["gpuZonalRedundancyDisabled"] is (not configured)


def test_prod_keeps_one_instance_warm_and_runs_the_cuda_image(prod: Plan) -> None:
    envs = {env["name"]: env.get("value") for env in cloud_run_container(prod)["envs"]}

    assert prod.one(types.CLOUD_RUN_SERVICE).inputs["template"]["scaling"] == {
        "minInstanceCount": 1,
        "maxInstanceCount": 3,
    }
    assert prod.one("docker:index/image:Image").inputs["build"]["args"] == {"VARIANT": "cuda"}
    assert envs["MODEL_DEVICE"] == "cuda"


def test_dev_service_has_no_gpu_and_scales_to_zero(dev: Plan) -> None:
    template = dev.one(types.CLOUD_RUN_SERVICE).inputs["template"]
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
    assert stack_plan.one(types.CLOUD_RUN_SERVICE).inputs["ingress"] == "INGRESS_TRAFFIC_INTERNAL_ONLY"
    assert stack_plan.of_type("gcp:cloudrunv2/serviceIamMember:ServiceIamMember") == []


# --- data on private IPs, behind TLS -----------------------------------------------------------------------------


def test_database_has_no_public_ip_and_waits_for_the_private_services_connection(stack_plan: Plan) -> None:
    instance = stack_plan.one(types.SQL_INSTANCE)
    ip_configuration = instance.inputs["settings"]["ipConfiguration"]

    assert ip_configuration["ipv4Enabled"] is False
    assert ip_configuration["privateNetwork"]
    assert ip_configuration["sslMode"] == "ENCRYPTED_ONLY"
    assert stack_plan.one(types.SERVICE_NETWORKING_CONNECTION).urn in instance.dependencies


def test_redis_requires_auth_and_tls_on_a_private_connection(stack_plan: Plan) -> None:
    redis = stack_plan.one(types.REDIS_INSTANCE)

    assert redis.inputs["authEnabled"] is True
    assert redis.inputs["transitEncryptionMode"] == "SERVER_AUTHENTICATION"
    assert redis.inputs["connectMode"] == "PRIVATE_SERVICE_ACCESS"
    assert redis.inputs["authorizedNetwork"]
    assert stack_plan.one(types.SERVICE_NETWORKING_CONNECTION).urn in redis.dependencies


def test_service_reaches_redis_over_tls_with_the_servers_ca(stack_plan: Plan) -> None:
    envs = {env["name"]: env.get("value") for env in cloud_run_container(stack_plan)["envs"]}

    assert envs["REDIS_URL"].startswith("rediss://")
    assert envs["REDIS_URL"].endswith(":6378/0")
    assert envs["REDIS_CA_CERT"].startswith("-----BEGIN CERTIFICATE-----")
    assert envs["DATABASE_URL"].endswith("?sslmode=require")


def test_redis_size_and_tier_follow_the_stack(dev: Plan, prod: Plan) -> None:
    dev_redis, prod_redis = dev.one(types.REDIS_INSTANCE).inputs, prod.one(types.REDIS_INSTANCE).inputs
    assert (dev_redis["tier"], dev_redis["memorySizeGb"]) == ("BASIC", 1)
    assert (prod_redis["tier"], prod_redis["memorySizeGb"]) == ("STANDARD_HA", 5)


# --- durability and protection ---------------------------------------------------------------------------------


def test_prod_database_is_regional_with_backups_and_point_in_time_recovery(prod: Plan) -> None:
    settings = prod.one(types.SQL_INSTANCE).inputs["settings"]

    assert settings["availabilityType"] == "REGIONAL"
    assert settings["backupConfiguration"]["enabled"] is True
    assert settings["backupConfiguration"]["pointInTimeRecoveryEnabled"] is True


def test_dev_database_is_zonal_with_backups_and_no_point_in_time_recovery(dev: Plan) -> None:
    settings = dev.one(types.SQL_INSTANCE).inputs["settings"]

    assert settings["availabilityType"] == "ZONAL"
    assert settings["backupConfiguration"]["enabled"] is True
    assert settings["backupConfiguration"]["pointInTimeRecoveryEnabled"] is False


@pytest.mark.parametrize(("stack", "protected"), [("dev", False), ("prod", True)])
def test_deletion_protection_is_on_in_prod_only(stack: str, protected: bool, request: pytest.FixtureRequest) -> None:
    plan: Plan = request.getfixturevalue(stack)
    database = plan.one(types.SQL_INSTANCE).inputs

    assert database["deletionProtection"] is protected
    assert database["settings"]["deletionProtectionEnabled"] is protected
    assert plan.one(types.CLOUD_RUN_SERVICE).inputs["deletionProtection"] is protected


@pytest.mark.parametrize(("stack", "protected"), [("dev", False), ("prod", True)])
def test_everything_that_holds_data_is_protected_in_prod_and_destroys_cleanly_in_dev(
    stack: str, protected: bool, request: pytest.FixtureRequest
) -> None:
    plan: Plan = request.getfixturevalue(stack)

    assert plan.one("gcp:redis/instance:Instance").inputs["deletionProtection"] is protected
    assert {secret.inputs["deletionProtection"] for secret in plan.of_type(types.SECRET)} == {protected}
    assert plan.one("gcp:sql/database:Database").inputs["deletionPolicy"] == ("PREVENT" if protected else "ABANDON")
    assert plan.one("gcp:artifactregistry/repository:Repository").inputs["deletionPolicy"] == (
        "PREVENT" if protected else "DELETE"
    )


def test_nothing_on_the_network_path_blocks_a_destroy(stack_plan: Plan) -> None:
    # Cloud SQL cannot drop a role that owns tables; an abandoned peering blocks deleting the VPC.
    assert stack_plan.one("gcp:sql/user:User").inputs["deletionPolicy"] == "ABANDON"
    assert stack_plan.one("gcp:servicenetworking/connection:Connection").inputs["deletionPolicy"] == "REMOVE_PEERING"


def test_the_private_services_range_is_fixed_clear_of_the_subnet(stack_plan: Plan) -> None:
    reserved = stack_plan.one("gcp:compute/globalAddress:GlobalAddress").inputs
    subnet = stack_plan.one("gcp:compute/subnetwork:Subnetwork").inputs
    private_services = ipaddress.ip_network(f"{reserved['address']}/{reserved['prefixLength']}")
    assert not private_services.overlaps(ipaddress.ip_network(subnet["ipCidrRange"]))


def test_secret_references_are_pinned_to_the_stored_versions_so_a_changed_secret_rolls_a_revision(
    stack_plan: Plan,
) -> None:
    envs = {env["name"]: env for env in cloud_run_container(stack_plan)["envs"]}
    versions = {envs[name]["valueSource"]["secretKeyRef"]["version"] for name in SECRET_ENV}
    assert "latest" not in versions
    assert versions == {"1"}


def test_the_startup_probe_window_fits_cloud_runs_limit(stack_plan: Plan) -> None:
    probe = cloud_run_container(stack_plan)["startupProbe"]
    assert probe["periodSeconds"] * probe["failureThreshold"] <= CLOUD_RUN_STARTUP_PROBE_MAX_SECONDS


# --- labels -----------------------------------------------------------------------------------------------------


def test_the_sdk_says_which_resources_of_the_stack_take_labels(stack_plan: Plan) -> None:
    sites = {
        (resource.type, path)
        for resource in stack_plan.resources
        if resource.custom
        for path in label_paths(resource.type)
    }

    assert sites == {
        (types.SECRET, ("labels",)),
        (types.REDIS_INSTANCE, ("labels",)),
        (types.SQL_INSTANCE, ("settings", "userLabels")),
        (types.CLOUD_RUN_SERVICE, ("labels",)),
        (types.CLOUD_RUN_SERVICE, ("template", "labels")),
        ("gcp:compute/globalAddress:GlobalAddress", ("labels",)),
        ("gcp:artifactregistry/repository:Repository", ("labels",)),
    }


def test_every_labelable_resource_carries_the_stack_labels(stack_plan: Plan) -> None:
    expected = expected_labels(stack_plan)

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
    assert leaked_secrets(stack_plan) == []
    assert stack_plan.one("gcp:sql/user:User").inputs["password"] == SECRET_PLACEHOLDER


def test_secret_env_vars_are_secret_manager_references_not_values(stack_plan: Plan) -> None:
    envs = {env["name"]: env for env in cloud_run_container(stack_plan)["envs"]}
    stored = set(stack_plan.outputs["secret_ids"].values())

    assert {name: "value" in envs[name] for name in SECRET_ENV} == dict.fromkeys(SECRET_ENV, False)
    referenced = {envs[name]["valueSource"]["secretKeyRef"]["secret"] for name in SECRET_ENV}
    assert referenced == stored
    assert len(stored) == len(stack_plan.of_type(types.SECRET))


def test_runtime_account_can_read_every_secret_before_the_service_exists(stack_plan: Plan) -> None:
    service = stack_plan.one(types.CLOUD_RUN_SERVICE)
    runtime_member = f"serviceAccount:{service.inputs['template']['serviceAccount']}"
    bindings = stack_plan.of_type(types.SECRET_IAM_MEMBER)

    assert {binding.inputs["secretId"] for binding in bindings} == set(stack_plan.outputs["secret_ids"].values())
    assert {(binding.inputs["role"], binding.inputs["member"]) for binding in bindings} == {
        ("roles/secretmanager.secretAccessor", runtime_member)
    }
    assert [binding.name for binding in bindings if binding.urn not in service.dependencies] == []


# --- ordering ---------------------------------------------------------------------------------------------------


def test_every_resource_in_a_component_depends_directly_on_the_enabled_apis(stack_plan: Plan) -> None:
    apis = stack_plan.one("inference:apis:ProjectApis")
    api_urns = {service.urn for service in stack_plan.of_type(types.PROJECT_SERVICE)}
    cloud_resources = [resource for resource in stack_plan.resources if resource.custom]
    in_components = [resource for resource in cloud_resources if resource.urn not in api_urns]

    assert {stack_plan.by_urn(service).parent for service in api_urns} == {apis.urn}
    assert [resource.name for resource in in_components if resource.parent is None] == []
    assert [resource.name for resource in in_components if not api_urns <= set(resource.dependencies)] == []
