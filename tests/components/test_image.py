"""The ContainerImage component alone: an Artifact Registry repository and the image pushed there, or a prebuilt one."""

from __future__ import annotations

import json
import re
from typing import Any

import pulumi
import pulumi_gcp as gcp

from components.image import ContainerImage, ContainerImageArgs
from facts import types
from infra.offline import run_program
from plan import SECRET_PLACEHOLDER, Plan

REPOSITORY = types.ARTIFACT_REGISTRY_REPOSITORY
IMAGE = types.DOCKER_IMAGE
LABELS = {"team": "ml-platform", "environment": "dev"}


def plan_image(gate_on_api: bool = False, **choices: Any) -> Plan:
    def program() -> None:
        opts = None
        if gate_on_api:
            api = gcp.projects.Service("artifactregistry-api", service="artifactregistry.googleapis.com")
            opts = pulumi.ResourceOptions(depends_on=[api])
        settings: dict[str, Any] = {
            "region": "europe-west4",
            "project": "my-project",
            "context": "app",
            "dockerfile": "app/Dockerfile",
            "variant": "cuda",
            "tag": "prod",
            **choices,
        }
        image = ContainerImage("inference-prod", ContainerImageArgs(labels=LABELS, **settings), opts=opts)
        pulumi.export("image_ref", image.image_ref)
        pulumi.export("repository_url", image.repository_url)

    return run_program(program, config={"gcp:project": "my-project"})


def test_repository_is_a_standard_docker_repository_in_the_region_with_labels() -> None:
    repository = plan_image().one(REPOSITORY).inputs

    assert (repository["format"], repository["mode"]) == ("DOCKER", "STANDARD_REPOSITORY")
    assert repository["location"] == "europe-west4"
    assert repository["repositoryId"] == "inference-prod"
    assert repository["labels"] == LABELS


def test_cleanup_keeps_the_recent_versions_and_deletes_old_untagged_ones() -> None:
    repository = plan_image(keep_recent_versions=5).one(REPOSITORY).inputs

    policies = {policy["id"]: policy for policy in repository["cleanupPolicies"]}
    assert repository["cleanupPolicyDryRun"] is False
    assert policies["keep-recent"]["action"] == "KEEP"
    assert policies["keep-recent"]["mostRecentVersions"]["keepCount"] == 5
    assert policies["delete-untagged"]["action"] == "DELETE"
    assert policies["delete-untagged"]["condition"]["tagState"] == "UNTAGGED"


def test_image_is_built_from_the_context_for_linux_amd64_with_the_variant() -> None:
    build = plan_image(variant="cpu").one(IMAGE).inputs["build"]

    assert build == {
        "context": "app",
        "dockerfile": "app/Dockerfile",
        "platform": "linux/amd64",
        "args": {"VARIANT": "cpu"},
    }


def test_image_is_pushed_to_the_repository_with_the_callers_access_token() -> None:
    plan = plan_image()

    image = plan.one(IMAGE).inputs
    assert image["imageName"] == "europe-west4-docker.pkg.dev/my-project/inference-prod/inference-app:prod"
    assert image["registry"] == {
        "server": "europe-west4-docker.pkg.dev",
        "username": "oauth2accesstoken",
        "password": SECRET_PLACEHOLDER,
    }
    access_token = run_program(
        lambda: pulumi.export("token", gcp.organizations.get_client_config().access_token),
        config={"gcp:project": "my-project"},
    ).outputs["token"]
    assert access_token not in json.dumps(plan.to_dict(include_outputs=True))


def test_image_is_not_built_by_a_preview() -> None:
    assert plan_image().one(IMAGE).inputs["buildOnPreview"] is False


def test_deployed_reference_is_the_pushed_images_digest() -> None:
    outputs = plan_image().outputs

    assert re.fullmatch(
        r"europe-west4-docker\.pkg\.dev/my-project/inference-prod/inference-app@sha256:[0-9a-f]{64}",
        outputs["image_ref"],
    )
    assert outputs["repository_url"] == "europe-west4-docker.pkg.dev/my-project/inference-prod"


def test_a_prebuilt_image_is_deployed_as_is_and_nothing_is_created() -> None:
    prebuilt = "us-docker.pkg.dev/shared/images/inference-app@sha256:" + "a" * 64

    plan = plan_image(prebuilt=prebuilt)

    assert [resource.type for resource in plan.resources] == ["inference:image:ContainerImage"]
    assert plan.outputs["image_ref"] == prebuilt
    assert plan.outputs["repository_url"] == "us-docker.pkg.dev/shared/images"


def test_every_child_waits_for_what_the_component_depends_on() -> None:
    plan = plan_image(gate_on_api=True)

    api_urn = plan.one("gcp:projects/service:Service").urn
    children = plan.children_of(plan.one("inference:image:ContainerImage"))
    assert {child.type for child in children} == {REPOSITORY, IMAGE}
    assert [child.name for child in children if api_urn not in child.dependencies] == []


def test_repository_refuses_deletion_when_protected_and_is_deleted_otherwise() -> None:
    assert plan_image(deletion_protection=True).one(REPOSITORY).inputs["deletionPolicy"] == "PREVENT"
    assert plan_image().one(REPOSITORY).inputs["deletionPolicy"] == "DELETE"
