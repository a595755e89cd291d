"""The composition of one stack: which components, wired output to input, for the chosen platform.

Each config section turns itself into its component's Args (`config.database.args(stack, ...)`); what is handed
in here is only what another component produces.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_gcp as gcp

from components.apis import ProjectApis, ProjectApisArgs
from components.app_runtime import AppRuntime
from components.cache import RedisCache
from components.cloudrun import CloudRunService
from components.database import PostgresDatabase
from components.entry import EntryPoint
from components.gateway import GatewayEntryPoint
from components.gke import GkeCluster
from components.image import ContainerImage
from components.metrics_adapter import CustomMetricsAdapter
from components.network import Network
from components.operations import Operations
from components.secrets import Secrets, SecretsArgs
from components.workload import KubernetesWorkload
from facts.gcp import POSTGRES_PORT
from infra.config import KUBERNETES_APP_NAME, StackConfig

COMMON_APIS = (
    "compute.googleapis.com",
    "iam.googleapis.com",
    "servicenetworking.googleapis.com",
    "sqladmin.googleapis.com",
    "redis.googleapis.com",
    "secretmanager.googleapis.com",
    "artifactregistry.googleapis.com",
)
# The GKE path grants the node account project roles, which goes through the Resource Manager API.
PLATFORM_APIS = {
    "cloudrun": ("run.googleapis.com",),
    "gke": ("container.googleapis.com", "cloudresourcemanager.googleapis.com"),
}
OPERATIONS_APIS = ("monitoring.googleapis.com",)
BUDGET_APIS = ("billingbudgets.googleapis.com",)
GENERATED_SECRETS = {"db-password": 32, "api-key": 40, "admin-api-key": 40}


def build_stack(config: StackConfig, parent: pulumi.Resource | None = None) -> dict[str, Any]:
    """Register every resource of the stack, under `parent` when a component composes it; returns the stack
    outputs to export."""
    prefix = config.name_prefix
    stack = config.scope

    apis = ProjectApis(prefix, ProjectApisArgs(services=_apis(config)), opts=pulumi.ResourceOptions(parent=parent))
    after_apis = pulumi.ResourceOptions(parent=parent, depends_on=[apis])

    network = Network(prefix, config.network.args(stack), opts=after_apis)
    secrets = Secrets(
        prefix,
        SecretsArgs(generated=GENERATED_SECRETS, labels=stack.labels, deletion_protection=stack.protected),
        opts=after_apis,
    )
    database = PostgresDatabase(
        f"{prefix}-db",
        config.database.args(
            stack,
            network_id=network.network_id,
            private_services_connection=network.private_services_connection,
            password=secrets.values["db-password"],
        ),
        opts=after_apis,
    )
    cache = RedisCache(
        f"{prefix}-redis",
        config.redis.args(
            stack, network_id=network.network_id, private_services_connection=network.private_services_connection
        ),
        opts=after_apis,
    )
    image = ContainerImage(prefix, config.image.args(stack, variant=config.service.device), opts=after_apis)
    runtime = AppRuntime(
        image=image.image_ref,
        env={
            **config.service.model_env,
            "REDIS_URL": pulumi.Output.format("rediss://{0}:{1}/0", cache.host, cache.port),
            "REDIS_CA_CERT": cache.ca_certificate,
            "DATABASE_URL": pulumi.Output.format(
                "postgresql://{0}@{1}:{2}/{3}?sslmode=require",
                database.user_name,
                database.private_ip,
                POSTGRES_PORT,
                database.database_name,
            ),
        },
        secret_env={
            "REDIS_PASSWORD": cache.auth,
            "DATABASE_PASSWORD": secrets.secret_env("db-password"),
            "API_KEYS": secrets.secret_env("api-key"),
            "ADMIN_API_KEYS": secrets.secret_env("admin-api-key"),
        },
    )
    outputs: dict[str, Any] = {
        "image_ref": image.image_ref,
        "database_connection_name": database.connection_name,
        "redis_host": cache.host,
        "secret_ids": {**secrets.secret_ids, "redis-auth": cache.auth_secret_id},
    }

    if config.gke is not None:
        served = _build_gke(config, network, database, cache, runtime, after_apis)
    else:
        served = _build_cloud_run(config, network, runtime, after_apis)
    service_name = served.pop("monitored_service")
    outputs.update(served)
    if config.operations.enabled:
        operations = _build_operations(config, service_name, outputs.get("service_url"), database, cache, after_apis)
        outputs["dashboard_id"] = operations.dashboard_id
    return outputs


def _apis(config: StackConfig) -> list[str]:
    services = [*COMMON_APIS, *PLATFORM_APIS[config.platform], *_entry_apis(config)]
    if config.operations.enabled:
        services += OPERATIONS_APIS
        if config.operations.budget is not None:
            services += BUDGET_APIS
    return services


def _build_operations(
    config: StackConfig,
    service_name: pulumi.Input[str],
    service_url: pulumi.Input[str] | None,
    database: PostgresDatabase,
    cache: RedisCache,
    after_apis: pulumi.ResourceOptions,
) -> Operations:
    """SLOs, alerts, the dashboard and the budget, on whichever platform serves."""
    budget = config.operations.budget
    return Operations(
        config.name_prefix,
        config.operations.args(
            config.scope,
            service=config.service,
            gke=config.gke,
            database=config.database,
            service_name=service_name,
            service_url=service_url,
            database_id=database.connection_name.apply(_monitored_database_id),
            redis_instance_id=cache.instance_id,
            project_number=gcp.organizations.get_project_output(project_id=config.project).number if budget else None,
        ),
        opts=after_apis,
    )


def _monitored_database_id(connection_name: str | None) -> str:
    """`project:region:instance` → `project:instance`, the database_id of Cloud SQL's monitored resource."""
    project, _region, instance = (connection_name or "::").split(":")
    return f"{project}:{instance}"


def _build_gke(
    config: StackConfig,
    network: Network,
    database: PostgresDatabase,
    cache: RedisCache,
    runtime: AppRuntime,
    after_apis: pulumi.ResourceOptions,
) -> dict[str, Any]:
    """The GKE branch: a private GPU cluster and the Kubernetes workload; returns its stack outputs."""
    prefix, stack = config.name_prefix, config.scope
    assert config.gke is not None
    entry = config.entry
    cluster = GkeCluster(
        prefix,
        config.gke.args(
            stack, network_id=network.network_id, subnet_id=network.subnet_id, gateway_api=entry is not None
        ),
        opts=after_apis,
    )
    # The autoscaler reads the app's queue depth through this adapter's custom.metrics.k8s.io API.
    CustomMetricsAdapter(
        prefix,
        config.gke.metrics_adapter_args(
            stack, provider=cluster.provider, cluster=cluster.cluster, workload_pool=cluster.workload_pool
        ),
        opts=after_apis,
    )
    workload = KubernetesWorkload(
        prefix,
        config.gke.workload_args(
            stack,
            service=config.service,
            network=config.network,
            provider=cluster.provider,
            cluster=cluster.cluster,
            workload_pool=cluster.workload_pool,
            runtime=runtime,
            redis_host=cache.host,
            redis_port=cache.port,
            database_host=database.private_ip,
            database_port=POSTGRES_PORT,
            behind_gateway=entry is not None,
        ),
        opts=after_apis,
    )
    outputs: dict[str, Any] = {
        "monitored_service": KUBERNETES_APP_NAME,
        "cluster_name": cluster.cluster_name,
        "control_plane_endpoint": cluster.control_plane_endpoint,
        "kubeconfig": cluster.kubeconfig,
        "namespace": workload.namespace,
        "service_name": workload.service_name,
    }
    if entry is not None:
        gateway = GatewayEntryPoint(
            f"{prefix}-entry",
            entry.gateway_args(
                stack,
                provider=cluster.provider,
                namespace=workload.namespace,
                service=workload.service,
                service_port=workload.service_port,
            ),
            opts=after_apis,
        )
        outputs.update(_entry_outputs(config, gateway))
    return outputs


def _build_cloud_run(
    config: StackConfig,
    network: Network,
    runtime: AppRuntime,
    after_apis: pulumi.ResourceOptions,
) -> dict[str, Any]:
    """The Cloud Run branch: one service with Direct VPC egress; returns its stack outputs."""
    service = CloudRunService(
        config.name_prefix,
        config.service.args(
            config.scope,
            runtime=runtime,
            network_id=network.network_id,
            subnet_id=network.subnet_id,
            behind_load_balancer=config.entry is not None,
        ),
        opts=after_apis,
    )
    outputs: dict[str, Any] = {"service_url": service.url, "monitored_service": service.service_name}
    if config.entry is not None:
        outputs.update(_build_entry(config, service.service_name, after_apis))
    return outputs


def _build_entry(
    config: StackConfig, cloud_run_service: pulumi.Output[str], after_apis: pulumi.ResourceOptions
) -> dict[str, Any]:
    """The public entry point in front of the Cloud Run service; returns its stack outputs."""
    assert config.entry is not None
    entry = config.entry
    entry_point = EntryPoint(
        f"{config.name_prefix}-entry",
        entry.args(config.scope, cloud_run_service=cloud_run_service),
        opts=after_apis,
    )
    return _entry_outputs(config, entry_point)


def _entry_outputs(config: StackConfig, entry_point: EntryPoint | GatewayEntryPoint) -> dict[str, Any]:
    """entry_url and entry_ip, and the A record to create when no dnsZone is given: the same on both platforms."""
    assert config.entry is not None
    outputs: dict[str, Any] = {"entry_url": entry_point.url, "entry_ip": entry_point.ip_address}
    if config.entry.dns_zone is None:
        outputs["entry_dns_record"] = entry_point.dns_record
    return outputs


def _entry_apis(config: StackConfig) -> tuple[str, ...]:
    """The entry point's load balancer, certificate and Cloud Armor are Compute Engine (in COMMON_APIS); an A
    record in a managed zone goes through Cloud DNS."""
    return ("dns.googleapis.com",) if config.entry is not None and config.entry.dns_zone else ()
