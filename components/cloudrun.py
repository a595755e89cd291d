"""The inference service on Cloud Run (v2): GPU or CPU, Direct VPC egress, secrets from Secret Manager."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import pulumi
import pulumi_gcp as gcp

from components._options import child_options
from components.app_runtime import STARTUP_FAILURE_THRESHOLD, STARTUP_PERIOD_SECONDS, AppRuntime, SecretEnv
from components.naming import fit_name
from components.runtime_identity import RuntimeIdentityArgs, runtime_identity
from components.validation import ArgsProblems
from facts.app import LIVENESS_PATH, READINESS_PATH
from facts.entry import CLOUD_RUN_LOAD_BALANCER_INGRESS, CLOUD_RUN_OPEN_INGRESS
from facts.gcp import (
    CLOUD_RUN_CONCURRENCY_RANGE,
    CLOUD_RUN_FRACTIONAL_CPU_RANGE,
    CLOUD_RUN_GPU_WHOLE_CPUS,
    CLOUD_RUN_GPUS,
    CLOUD_RUN_MEMORY_RANGE_MIB,
    CLOUD_RUN_MIN_CPU_FOR_MEMORY_GIB,
    CLOUD_RUN_MIN_MEMORY_GIB_FOR_CPU,
    CLOUD_RUN_SERVICE_NAME,
    CLOUD_RUN_WHOLE_CPUS,
    CloudRunGpuType,
)
from facts.kubernetes import GPU_RESOURCE_KEY
from facts.quantities import cpu_quantity, memory_mib


class _GpuShape(Protocol):
    """A GPU as the rules read it: its type."""

    @property
    def type(self) -> str: ...


class CloudRunInstanceShape(Protocol):
    """What Cloud Run's CPU and memory rules read: CloudRunServiceArgs, or a config section that spells the same
    fields."""

    @property
    def cpu(self) -> float: ...
    @property
    def memory(self) -> str: ...
    @property
    def gpu(self) -> _GpuShape | None: ...


def check_cloud_run_resources(instance: CloudRunInstanceShape, problems: ArgsProblems) -> None:
    """Cloud Run's CPU and memory pairs, and what a GPU needs of both (the CPU is shown as written, `4` not `4.0`)."""
    cpu, memory_gib = instance.cpu, memory_mib(instance.memory) / 1024
    shown_cpu = f"{cpu:g}"
    low, high = CLOUD_RUN_FRACTIONAL_CPU_RANGE
    whole_cpus = CLOUD_RUN_GPU_WHOLE_CPUS if instance.gpu else CLOUD_RUN_WHOLE_CPUS
    if not (low <= cpu <= high or cpu in whole_cpus):
        problems.add(
            "cpu", shown_cpu, f"Cloud Run takes {low}-{high:g} vCPU or one of {', '.join(map(str, whole_cpus))}"
        )
    memory_low, memory_high = CLOUD_RUN_MEMORY_RANGE_MIB
    if not memory_low <= memory_gib * 1024 <= memory_high:
        problems.add("memory", instance.memory, f"Cloud Run takes {memory_low}Mi to {memory_high // 1024}Gi")
    for above_gib, min_cpu in CLOUD_RUN_MIN_CPU_FOR_MEMORY_GIB:
        if memory_gib > above_gib and cpu < min_cpu:
            problems.add(
                "cpu", shown_cpu, f"more than {above_gib}Gi of memory on Cloud Run needs at least {min_cpu} vCPU"
            )
            break
    min_memory_for_cpu = CLOUD_RUN_MIN_MEMORY_GIB_FOR_CPU.get(cpu)
    if min_memory_for_cpu and memory_gib < min_memory_for_cpu:
        problems.add(
            "memory", instance.memory, f"{shown_cpu} vCPU on Cloud Run needs at least {min_memory_for_cpu:g}Gi"
        )
    if instance.gpu is None or (gpu := CLOUD_RUN_GPUS.get(instance.gpu.type)) is None:
        return  # no GPU, or one Cloud Run does not offer (CloudRunGpuArgs refuses that)
    gpu_type = instance.gpu.type
    if cpu < gpu.min_cpu:
        problems.add("cpu", shown_cpu, f"an {gpu_type} GPU on Cloud Run needs at least {gpu.min_cpu:g} vCPU")
    if memory_gib < gpu.min_memory_gib:
        problems.add(
            "memory", instance.memory, f"an {gpu_type} GPU on Cloud Run needs at least {gpu.min_memory_gib:g}Gi"
        )


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

    def __post_init__(self) -> None:
        problems = ArgsProblems(self)
        check_cloud_run_resources(self, problems)
        problems.raise_any()


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

        def secret_reference(env_name: str, secret: SecretEnv) -> gcp.cloudrunv2.ServiceTemplateContainerEnvArgs:
            return gcp.cloudrunv2.ServiceTemplateContainerEnvArgs(
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

        envs = args.runtime.rendered_env(
            lambda env_name, value: gcp.cloudrunv2.ServiceTemplateContainerEnvArgs(name=env_name, value=value),
            secret_reference,
        )
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
