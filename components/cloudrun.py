"""The inference service on Cloud Run (v2): GPU or CPU, Direct VPC egress, secrets from Secret Manager."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from components._options import child_options
from components.app_runtime import STARTUP_FAILURE_THRESHOLD, STARTUP_PERIOD_SECONDS, AppRuntime
from components.naming import fit_name
from components.runtime_identity import RuntimeIdentityArgs, runtime_identity
from components.validation import ArgsProblems
from facts.app import LIVENESS_PATH, READINESS_PATH
from facts.entry import CLOUD_RUN_LOAD_BALANCER_INGRESS, CLOUD_RUN_OPEN_INGRESS
from facts.gcp import CLOUD_RUN_CONCURRENCY_RANGE, CLOUD_RUN_GPUS, CLOUD_RUN_SERVICE_NAME, CloudRunGpuType
from facts.kubernetes import GPU_RESOURCE_KEY
from facts.quantities import cpu_quantity


@dataclass(frozen=True, kw_only=True)
class CloudRunScalingArgs:
    """How many instances run, and how many requests each serves at once."""

    min_instances: int
    """Instances kept warm; billed in full while idle (a GPU service bills instance time)."""
    max_instances: int
    """Most instances (a GPU service's must fit the project's GPU quota)."""
    concurrency: int
    """Requests one instance serves at the same time."""

    def __post_init__(self) -> None:
        problems = ArgsProblems(self)
        low, high = CLOUD_RUN_CONCURRENCY_RANGE
        if not low <= self.concurrency <= high:
            problems.add("concurrency", self.concurrency, f"allowed: {low}-{high}")
        if self.min_instances > self.max_instances:
            problems.add("min_instances", self.min_instances, f"must not exceed maxInstances ({self.max_instances})")
        problems.raise_any()


@dataclass(frozen=True, kw_only=True)
class CloudRunGpuArgs:
    """One GPU on each instance."""

    type: CloudRunGpuType
    """The accelerator, e.g. nvidia-l4."""
    zonal_redundancy: bool
    """Reserve capacity in other zones for a zonal outage (Google's default); off is cheaper, best effort."""

    def __post_init__(self) -> None:
        problems = ArgsProblems(self)
        if self.type not in CLOUD_RUN_GPUS:
            problems.add("type", self.type, f"Cloud Run GPUs: {', '.join(CLOUD_RUN_GPUS)}")
        problems.raise_any()


@dataclass(frozen=True, kw_only=True)
class CloudRunServiceArgs:
    """One Cloud Run service running the app, on the VPC through Direct VPC egress."""

    region: str
    """Region of the service."""
    runtime: AppRuntime
    """Image, environment, secrets and port of the app container."""
    cpu: float
    """vCPU per instance."""
    memory: str
    """Memory per instance (Mi/Gi)."""
    scaling: CloudRunScalingArgs
    """Instance bounds and concurrency."""
    gpu: CloudRunGpuArgs | None = None
    """The GPU of each instance; None for CPU only (request-based billing, CPU idle between requests)."""
    public: bool
    """Let anyone on the internet invoke it; otherwise internal ingress and IAM-authenticated calls only."""
    behind_load_balancer: bool = False
    """Public through an entry point only: ingress from internal traffic and Google Cloud load balancers, so the
    run.app URL is closed to the internet."""
    network_id: pulumi.Input[str]
    """The VPC the service's egress to private ranges goes to."""
    subnet_id: pulumi.Input[str]
    """The subnet the instances take their addresses from (a /26 or larger)."""
    deletion_protection: bool
    """Refuse to delete the service (prod)."""
    labels: Mapping[str, str]
    """Labels for the service and its revisions."""


class CloudRunService(pulumi.ComponentResource):
    """A Cloud Run v2 service with its own least-privilege runtime service account."""

    url: pulumi.Output[str]
    service_name: pulumi.Output[str]
    service_account_email: pulumi.Output[str]

    def __init__(self, name: str, args: CloudRunServiceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("inference:cloudrun:CloudRunService", name, None, opts)
        child = child_options(self, opts)

        identity = runtime_identity(
            f"{name}-runtime",
            RuntimeIdentityArgs(
                account_id=f"{name}-run",
                display_name=f"Runtime identity of {name}",
                description="Reads the service's secrets; no other role.",
            ),
            args.runtime.secret_env.values(),
            self,
            opts,
        )
        account, secret_access = identity.account, identity.secret_access

        gpu = args.gpu
        limits = {"cpu": cpu_quantity(args.cpu), "memory": args.memory}
        if gpu:
            limits[GPU_RESOURCE_KEY] = "1"
        envs = [
            gcp.cloudrunv2.ServiceTemplateContainerEnvArgs(name=env_name, value=value)
            for env_name, value in args.runtime.env.items()
        ] + [
            gcp.cloudrunv2.ServiceTemplateContainerEnvArgs(
                name=env_name,
                value_source=gcp.cloudrunv2.ServiceTemplateContainerEnvValueSourceArgs(
                    secret_key_ref=gcp.cloudrunv2.ServiceTemplateContainerEnvValueSourceSecretKeyRefArgs(
                        # Pinned: with `latest`, a changed secret would reach no revision until something else
                        # changed; a new version number is a template change, so it rolls a revision.
                        secret=secret.secret_id,
                        version=secret.version,
                    )
                ),
            )
            for env_name, secret in args.runtime.secret_env.items()
        ]
        service = gcp.cloudrunv2.Service(
            fit_name(f"{name}-service", CLOUD_RUN_SERVICE_NAME, autonamed=True),
            location=args.region,
            ingress=_ingress(args),
            deletion_protection=args.deletion_protection,
            invoker_iam_disabled=False,
            labels=dict(args.labels),
            template=gcp.cloudrunv2.ServiceTemplateArgs(
                service_account=account.email,
                labels=dict(args.labels),
                max_instance_request_concurrency=args.scaling.concurrency,
                scaling=gcp.cloudrunv2.ServiceTemplateScalingArgs(
                    min_instance_count=args.scaling.min_instances, max_instance_count=args.scaling.max_instances
                ),
                node_selector=gcp.cloudrunv2.ServiceTemplateNodeSelectorArgs(accelerator=gpu.type) if gpu else None,
                gpu_zonal_redundancy_disabled=(not gpu.zonal_redundancy) if gpu else None,
                vpc_access=gcp.cloudrunv2.ServiceTemplateVpcAccessArgs(
                    network_interfaces=[
                        gcp.cloudrunv2.ServiceTemplateVpcAccessNetworkInterfaceArgs(
                            network=args.network_id, subnetwork=args.subnet_id
                        )
                    ],
                    egress="PRIVATE_RANGES_ONLY",
                ),
                containers=[
                    gcp.cloudrunv2.ServiceTemplateContainerArgs(
                        name="app",
                        image=args.runtime.image,
                        ports=gcp.cloudrunv2.ServiceTemplateContainerPortsArgs(container_port=args.runtime.port),
                        envs=envs,
                        resources=gcp.cloudrunv2.ServiceTemplateContainerResourcesArgs(
                            limits=limits,
                            # A GPU service must use instance-based billing: CPU always allocated.
                            cpu_idle=not gpu,
                            startup_cpu_boost=True,
                        ),
                        startup_probe=gcp.cloudrunv2.ServiceTemplateContainerStartupProbeArgs(
                            http_get=gcp.cloudrunv2.ServiceTemplateContainerStartupProbeHttpGetArgs(
                                path=READINESS_PATH, port=args.runtime.port
                            ),
                            period_seconds=STARTUP_PERIOD_SECONDS,
                            timeout_seconds=5,
                            failure_threshold=STARTUP_FAILURE_THRESHOLD,
                        ),
                        liveness_probe=gcp.cloudrunv2.ServiceTemplateContainerLivenessProbeArgs(
                            http_get=gcp.cloudrunv2.ServiceTemplateContainerLivenessProbeHttpGetArgs(
                                path=LIVENESS_PATH, port=args.runtime.port
                            ),
                            period_seconds=30,
                            timeout_seconds=5,
                            failure_threshold=3,
                        ),
                    )
                ],
            ),
            opts=child_options(self, opts, depends_on=secret_access),
        )
        if args.public:
            gcp.cloudrunv2.ServiceIamMember(
                f"{name}-public-invoker",
                name=service.name,
                location=args.region,
                role="roles/run.invoker",
                member="allUsers",
                opts=child,
            )

        self.url = service.uri
        self.service_name = service.name
        self.service_account_email = account.email
        self.register_outputs(
            {
                "url": self.url,
                "service_name": self.service_name,
                "service_account_email": self.service_account_email,
            }
        )


def _ingress(args: CloudRunServiceArgs) -> str:
    if not args.public:
        return "INGRESS_TRAFFIC_INTERNAL_ONLY"
    return CLOUD_RUN_LOAD_BALANCER_INGRESS if args.behind_load_balancer else CLOUD_RUN_OPEN_INGRESS
