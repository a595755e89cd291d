"""The app's container image: an Artifact Registry repository and the image built and pushed by pulumi-docker."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_docker as docker
import pulumi_gcp as gcp

from components._options import child_options
from components.naming import fit_name
from facts.app import ImageVariant
from facts.gcp import ARTIFACT_REPOSITORY_ID, DOCKER_TAG

IMAGE_PLATFORM = "linux/amd64"


@dataclass(frozen=True, kw_only=True)
class ContainerImageArgs:
    """Where the app's image comes from: an Artifact Registry repository and a build, or a prebuilt reference."""

    region: str
    """Region of the repository (`<region>-docker.pkg.dev`)."""
    project: str
    """The project of the repository."""
    context: str
    """Build context folder, relative to the project root."""
    dockerfile: str
    """The Dockerfile, relative to the project root."""
    variant: ImageVariant
    """Build argument VARIANT: `cuda` for a GPU service, `cpu` otherwise."""
    tag: str
    """Tag pushed with the image (the deployed reference is always the digest)."""
    labels: Mapping[str, str]
    """Labels for the repository."""
    prebuilt: str | None = None
    """Deploy this image reference as is: no repository, nothing built."""
    keep_recent_versions: int = 10
    """The most recent image versions the cleanup policy always keeps."""
    deletion_protection: bool = False
    """Refuse to delete the repository and the images in it (prod)."""


class ContainerImage(pulumi.ComponentResource):
    """Where the service's image comes from; `image_ref` is pinned by digest."""

    image_ref: pulumi.Output[str]
    repository_url: pulumi.Output[str]

    def __init__(self, name: str, args: ContainerImageArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("inference:image:ContainerImage", name, None, opts)
        child = child_options(self, opts)

        if args.prebuilt:
            self.image_ref = pulumi.Output.from_input(args.prebuilt)
            self.repository_url = pulumi.Output.from_input(args.prebuilt.rsplit("/", 1)[0])
            self.register_outputs({"image_ref": self.image_ref})
            return

        repository = gcp.artifactregistry.Repository(
            f"{name}-repository",
            location=args.region,
            repository_id=fit_name(name, ARTIFACT_REPOSITORY_ID),
            format="DOCKER",
            mode="STANDARD_REPOSITORY",
            description="Images of the inference service",
            docker_config=gcp.artifactregistry.RepositoryDockerConfigArgs(immutable_tags=False),
            cleanup_policy_dry_run=False,
            cleanup_policies=[
                gcp.artifactregistry.RepositoryCleanupPolicyArgs(
                    id="keep-recent",
                    action="KEEP",
                    most_recent_versions=gcp.artifactregistry.RepositoryCleanupPolicyMostRecentVersionsArgs(
                        keep_count=args.keep_recent_versions
                    ),
                ),
                gcp.artifactregistry.RepositoryCleanupPolicyArgs(
                    id="delete-untagged",
                    action="DELETE",
                    condition=gcp.artifactregistry.RepositoryCleanupPolicyConditionArgs(
                        tag_state="UNTAGGED", older_than="2592000s"
                    ),
                ),
            ],
            labels=dict(args.labels),
            deletion_policy="PREVENT" if args.deletion_protection else "DELETE",
            opts=child,
        )
        registry_host = f"{args.region}-docker.pkg.dev"
        tag = fit_name(args.tag, DOCKER_TAG)
        self.repository_url = repository.repository_id.apply(lambda repo: f"{registry_host}/{args.project}/{repo}")
        client_config = gcp.organizations.get_client_config_output()
        image = docker.Image(
            f"{name}-app",
            image_name=self.repository_url.apply(lambda url: f"{url}/inference-app:{tag}"),
            build=docker.DockerBuildArgs(
                context=args.context,
                dockerfile=args.dockerfile,
                platform=IMAGE_PLATFORM,
                args={"VARIANT": args.variant},
            ),
            # Pull-request previews run without a Docker engine; the image is built by `pulumi up` only.
            build_on_preview=False,
            registry=docker.RegistryArgs(
                server=registry_host,
                username="oauth2accesstoken",
                password=pulumi.Output.secret(client_config.access_token),
            ),
            opts=child,
        )

        self.image_ref = image.repo_digest
        self.register_outputs({"image_ref": self.image_ref, "repository_url": self.repository_url})
