"""The CloudRunService component alone: GPU or CPU shape, probes, secrets by reference, egress, ingress and IAM."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_gcp as gcp
import pytest

from components.app_runtime import AppRuntime
from components.cloudrun import CloudRunGpuArgs, CloudRunScalingArgs, CloudRunService, CloudRunServiceArgs
from components.secrets import Secrets, SecretsArgs
from components.validation import ArgsError
from facts import types
from facts.gcp import CLOUD_RUN_STARTUP_PROBE_MAX_SECONDS, SERVICE_ACCOUNT_ID
from infra.offline import run_program
from plan import Plan
from tests.engine_values import engine_output

SERVICE = types.CLOUD_RUN_SERVICE
ACCOUNT = types.SERVICE_ACCOUNT
ACCESSOR = types.SECRET_IAM_MEMBER
VERSION = types.SECRET_VERSION
INVOKER = types.CLOUD_RUN_IAM_MEMBER
LABELS = {"team": "ml-platform", "environment": "prod"}
PROJECT = "my-project"
IMAGE = "us-central1-docker.pkg.dev/my-project/inference/inference-app@sha256:" + "b" * 64


def plan_service(gate_on_api: bool = False, **choices: Any) -> Plan:
    """One Cloud Run service reading one generated secret; `choices` override the args."""

    def program() -> None:
        opts = None
        if gate_on_api:
            api = gcp.projects.Service("run-api", service="run.googleapis.com")
            opts = pulumi.ResourceOptions(depends_on=[api])
        secrets = Secrets("app", SecretsArgs(generated={"api-key": 40}, labels=LABELS))
        settings: dict[str, Any] = {
            "region": "us-central1",
            "cpu": 4,
            "memory": "16Gi",
            "gpu": CloudRunGpuArgs(type="nvidia-l4", zonal_redundancy=False),
            "scaling": CloudRunScalingArgs(min_instances=1, max_instances=3, concurrency=16),
            "public": False,
            "deletion_protection": True,
            **choices,
        }
        service = CloudRunService(
            "inference-prod",
            CloudRunServiceArgs(
                runtime=AppRuntime(
                    image=IMAGE,
                    env={"MODEL_DEVICE": "cuda", "REDIS_URL": "rediss://10.0.0.3:6378/0"},
                    secret_env={"API_KEYS": secrets.secret_env("api-key")},
                ),
                network_id="projects/my-project/global/networks/vpc",
                subnet_id="projects/my-project/regions/us-central1/subnetworks/subnet",
                labels=LABELS,
                **settings,
            ),
            opts=opts,
        )
        pulumi.export("url", service.url)
        pulumi.export("service_account_email", service.service_account_email)

    return run_program(program, config={"gcp:project": PROJECT})


def template(plan: Plan) -> dict[str, Any]:
    return plan.one(SERVICE).inputs["template"]


def container(plan: Plan) -> dict[str, Any]:
    (only,) = template(plan)["containers"]
    return only


def test_gpu_service_gets_one_accelerator_and_its_cpu_is_always_allocated() -> None:
    plan = plan_service(cpu=4, memory="16Gi")

    assert template(plan)["nodeSelector"] == {"accelerator": "nvidia-l4"}
    resources = container(plan)["resources"]
    assert resources["limits"] == {"cpu": "4", "memory": "16Gi", "nvidia.com/gpu": "1"}
    assert resources["cpuIdle"] is False


@pytest.mark.parametrize(("zonal_redundancy", "disabled"), [(True, False), (False, True)])
def test_gpu_zonal_redundancy_is_what_was_asked(zonal_redundancy: bool, disabled: bool) -> None:
    plan = plan_service(gpu=CloudRunGpuArgs(type="nvidia-l4", zonal_redundancy=zonal_redundancy))

    assert template(plan)["gpuZonalRedundancyDisabled"] is disabled


def test_cpu_only_service_has_no_accelerator_and_is_billed_per_request() -> None:
    plan = plan_service(
        gpu=None, cpu=2, memory="4Gi", scaling=CloudRunScalingArgs(min_instances=0, max_instances=3, concurrency=16)
    )

    assert "nodeSelector" not in template(plan)
    assert "gpuZonalRedundancyDisabled" not in template(plan)
    assert container(plan)["resources"]["limits"] == {"cpu": "2", "memory": "4Gi"}
    assert container(plan)["resources"]["cpuIdle"] is True


def test_fractional_cpu_is_written_in_millicores() -> None:
    plan = plan_service(gpu=None, cpu=0.5, memory="512Mi")

    assert container(plan)["resources"]["limits"]["cpu"] == "500m"


def test_scaling_and_concurrency_are_what_was_asked() -> None:
    plan = plan_service(scaling=CloudRunScalingArgs(min_instances=2, max_instances=5, concurrency=32))

    assert template(plan)["scaling"] == {"minInstanceCount": 2, "maxInstanceCount": 5}
    assert template(plan)["maxInstanceRequestConcurrency"] == 32


def test_startup_probe_waits_on_readiness_long_enough_for_the_model_to_load() -> None:
    probe = container(plan_service())["startupProbe"]

    assert probe["httpGet"] == {"path": "/readyz", "port": 8080}
    assert probe["periodSeconds"] * probe["failureThreshold"] >= 180


def test_startup_probe_window_fits_cloud_runs_limit_or_the_revision_is_refused() -> None:
    probe = container(plan_service())["startupProbe"]

    assert probe["periodSeconds"] * probe["failureThreshold"] <= CLOUD_RUN_STARTUP_PROBE_MAX_SECONDS


def test_liveness_probe_checks_the_health_route() -> None:
    probe = container(plan_service())["livenessProbe"]

    assert probe["httpGet"] == {"path": "/healthz", "port": 8080}


def test_container_runs_the_image_by_digest_on_the_app_port() -> None:
    app = container(plan_service())

    assert app["image"] == IMAGE
    assert app["ports"] == {"containerPort": 8080}


def test_plain_env_is_passed_as_values_and_secret_env_as_secret_manager_references() -> None:
    envs = {env["name"]: env for env in container(plan_service())["envs"]}

    assert envs["MODEL_DEVICE"] == {"name": "MODEL_DEVICE", "value": "cuda"}
    assert envs["REDIS_URL"]["value"] == "rediss://10.0.0.3:6378/0"
    assert "value" not in envs["API_KEYS"]
    assert envs["API_KEYS"]["valueSource"]["secretKeyRef"] == {
        "secret": f"projects/{PROJECT}/secrets/app-api-key",
        "version": "1",
    }


def test_secret_references_name_the_stored_version_so_a_changed_secret_rolls_a_revision() -> None:
    plan = plan_service()
    envs = {env["name"]: env for env in container(plan)["envs"]}

    reference = envs["API_KEYS"]["valueSource"]["secretKeyRef"]
    assert reference["version"] != "latest"
    stored = plan.one("gcp:secretmanager/secretVersion:SecretVersion")
    assert reference["version"] == engine_output(stored, "version", PROJECT)


def test_secret_values_never_reach_the_plan_in_plain_text() -> None:
    plan = plan_service()

    password = plan.one("random:index/randomPassword:RandomPassword")
    generated = engine_output(password, "result", PROJECT)
    assert generated not in json.dumps(plan.to_dict(include_outputs=True))


def test_runtime_identity_is_a_dedicated_service_account_with_only_secret_access() -> None:
    plan = plan_service()

    account = plan.one(ACCOUNT).inputs
    assert SERVICE_ACCOUNT_ID.match(account["accountId"])
    assert template(plan)["serviceAccount"] == f"{account['accountId']}@{PROJECT}.iam.gserviceaccount.com"
    binding = plan.one(ACCESSOR).inputs
    assert binding["role"] == "roles/secretmanager.secretAccessor"
    assert binding["member"] == f"serviceAccount:{template(plan)['serviceAccount']}"
    assert binding["secretId"] == f"projects/{PROJECT}/secrets/app-api-key"
    role_grants = [resource.type for resource in plan.resources if "iam" in resource.type.lower()]
    assert role_grants == [ACCESSOR]


def test_service_is_created_only_after_it_can_read_its_secrets() -> None:
    plan = plan_service()

    dependencies = set(plan.one(SERVICE).dependencies)
    assert plan.one(ACCESSOR).urn in dependencies
    assert plan.one(VERSION).urn in dependencies


def test_service_reaches_private_ips_through_direct_vpc_egress() -> None:
    vpc_access = template(plan_service())["vpcAccess"]

    assert vpc_access["networkInterfaces"] == [
        {
            "network": "projects/my-project/global/networks/vpc",
            "subnetwork": "projects/my-project/regions/us-central1/subnetworks/subnet",
        }
    ]
    assert vpc_access["egress"] == "PRIVATE_RANGES_ONLY"


def test_private_service_takes_internal_traffic_only_and_nobody_is_granted_invoke() -> None:
    plan = plan_service(public=False)

    assert plan.one(SERVICE).inputs["ingress"] == "INGRESS_TRAFFIC_INTERNAL_ONLY"
    assert plan.of_type(INVOKER) == []


def test_public_service_takes_all_traffic_and_lets_anyone_invoke_it() -> None:
    plan = plan_service(public=True)

    assert plan.one(SERVICE).inputs["ingress"] == "INGRESS_TRAFFIC_ALL"
    invoker = plan.one(INVOKER).inputs
    assert (invoker["role"], invoker["member"], invoker["location"]) == ("roles/run.invoker", "allUsers", "us-central1")


@pytest.mark.parametrize("protected", [True, False])
def test_deletion_protection_is_what_was_asked(protected: bool) -> None:
    assert plan_service(deletion_protection=protected).one(SERVICE).inputs["deletionProtection"] is protected


def test_labels_are_on_the_service_and_on_its_revisions() -> None:
    service = plan_service().one(SERVICE).inputs

    assert service["labels"] == LABELS
    assert service["template"]["labels"] == LABELS


def test_url_is_the_services_address() -> None:
    assert plan_service().outputs["url"].startswith("https://")


def test_every_child_waits_for_what_the_component_depends_on() -> None:
    plan = plan_service(gate_on_api=True, public=True)

    api_urn = plan.one("gcp:projects/service:Service").urn
    children = plan.children_of(plan.one("inference:cloudrun:CloudRunService"))
    assert {child.type for child in children} == {ACCOUNT, SERVICE, INVOKER, ACCESSOR}
    assert [child.name for child in children if api_urn not in child.dependencies] == []


@pytest.mark.parametrize(
    ("scaling", "field", "message"),
    [
        (
            {"min_instances": 4, "max_instances": 3, "concurrency": 16},
            "min_instances",
            "must not exceed maxInstances (3)",
        ),
        ({"min_instances": 0, "max_instances": 3, "concurrency": 1001}, "concurrency", "allowed: 1-1000"),
    ],
)
def test_scaling_outside_what_cloud_run_takes_is_refused_beside_the_fields(
    scaling: dict[str, int], field: str, message: str
) -> None:
    with pytest.raises(ArgsError) as refused:
        CloudRunScalingArgs(**scaling)
    assert [(problem.field, problem.message) for problem in refused.value.problems] == [(field, message)]


def test_a_gpu_cloud_run_does_not_offer_is_refused_beside_the_field() -> None:
    with pytest.raises(ArgsError, match="Cloud Run GPUs: nvidia-l4, nvidia-rtx-pro-6000"):
        CloudRunGpuArgs(type="nvidia-h100", zonal_redundancy=True)  # type: ignore[arg-type]


def test_a_gpu_instance_with_too_little_cpu_is_refused_beside_the_field() -> None:
    with pytest.raises(ArgsError) as refused:
        plan_service(cpu=1, memory="16Gi")
    assert ("cpu", "1", "an nvidia-l4 GPU on Cloud Run needs at least 4 vCPU") in [
        (problem.field, problem.value, problem.message) for problem in refused.value.problems
    ]
