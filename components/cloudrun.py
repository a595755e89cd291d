"""The inference service on Cloud Run (v2): GPU or CPU, Direct VPC egress, secrets from Secret Manager."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from components._options import child_options
from components.app_runtime import STARTUP_FAILURE_THRESHOLD, STARTUP_PERIOD_SECONDS, AppRuntime
from components.naming import fit_name
from components.secrets import Secrets
from facts.app import LIVENESS_PATH, READINESS_PATH
from facts.gcp import CLOUD_RUN_SERVICE_NAME, SERVICE_ACCOUNT_DISPLAY_NAME, SERVICE_ACCOUNT_ID_NAME
from facts.kubernetes import GPU_RESOURCE_KEY
from facts.quantities import cpu_quantity


@dataclass(frozen=True, kw_only=True)
class CloudRunServiceArgs:
    region: str
    runtime: AppRuntime
    cpu: float
    memory: str
    gpu_type: str | None
    """Accelerator (e.g. nvidia-l4), or None for CPU only."""
    gpu_zonal_redundancy: bool
    min_instances: int
    max_instances: int
    concurrency: int
    public: bool
    """Let anyone on the internet invoke it; otherwise internal ingress and IAM-authenticated calls only."""
    network_id: pulumi.Input[str]
    subnet_id: pulumi.Input[str]
    secrets: Sequence[Secrets]
    """Secrets the runtime service account may read (granted before the service is created)."""
    deletion_protection: bool
    labels: Mapping[str, str]


class CloudRunService(pulumi.ComponentResource):
    """A Cloud Run v2 service with its own least-privilege runtime service account."""

    url: pulumi.Output[str]
    service_name: pulumi.Output[str]
    service_account_email: pulumi.Output[str]

    def __init__(self, name: str, args: CloudRunServiceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("inference:cloudrun:CloudRunService", name, None, opts)
        child = child_options(self, opts)

        account = gcp.serviceaccount.Account(
            f"{name}-runtime",
            account_id=fit_name(f"{name}-run", SERVICE_ACCOUNT_ID_NAME),
            display_name=fit_name(f"Runtime identity of {name}", SERVICE_ACCOUNT_DISPLAY_NAME),
            description="Reads the service's secrets; no other role.",
            opts=child,
        )
        secret_access = [
            binding for secrets in args.secrets for binding in secrets.grant_access(f"{name}-runtime", account.member)
        ]

        limits = {"cpu": cpu_quantity(args.cpu), "memory": args.memory}
        if args.gpu_type:
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
            ingress="INGRESS_TRAFFIC_ALL" if args.public else "INGRESS_TRAFFIC_INTERNAL_ONLY",
            deletion_protection=args.deletion_protection,
            invoker_iam_disabled=False,
            labels=dict(args.labels),
            template=gcp.cloudrunv2.ServiceTemplateArgs(
                service_account=account.email,
                labels=dict(args.labels),
                max_instance_request_concurrency=args.concurrency,
                scaling=gcp.cloudrunv2.ServiceTemplateScalingArgs(
                    min_instance_count=args.min_instances, max_instance_count=args.max_instances
                ),
                node_selector=gcp.cloudrunv2.ServiceTemplateNodeSelectorArgs(accelerator=args.gpu_type)
                if args.gpu_type
                else None,
                gpu_zonal_redundancy_disabled=(not args.gpu_zonal_redundancy) if args.gpu_type else None,
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
                            cpu_idle=not args.gpu_type,
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
