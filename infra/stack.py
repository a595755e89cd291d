"""The composition of one stack: which components, wired output to input, for the chosen platform."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_gcp as gcp

from components.apis import ProjectApis, ProjectApisArgs
from components.app_runtime import AppRuntime
from components.cache import RedisCache, RedisCacheArgs
from components.cloudrun import CloudRunService, CloudRunServiceArgs
from components.database import BackupArgs, MaintenanceWindow, PostgresDatabase, PostgresDatabaseArgs
from components.entry import ArmorArgs, EntryPoint, EntryPointArgs
from components.gke import AuthorizedNetworkArgs, GkeCluster, GkeClusterArgs, GpuPoolArgs, SystemPoolArgs
from components.image import ContainerImage, ContainerImageArgs
from components.metrics_adapter import CustomMetricsAdapter, CustomMetricsAdapterArgs
from components.network import Network, NetworkArgs
from components.operations import BudgetArgs, ObjectivesArgs, Operations, OperationsArgs
from components.secrets import Secrets, SecretsArgs
from components.workload import KubernetesWorkload, KubernetesWorkloadArgs
from facts.gcp import POSTGRES_PORT, gpu_zones, sql_postgres_max_connections
from infra.config import StackConfig

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
KUBERNETES_NAMESPACE = "inference"
KUBERNETES_APP_NAME = "embeddings"
GKE_PODS_RANGE = "pods"
GKE_SERVICES_RANGE = "services"


def build_stack(config: StackConfig, parent: pulumi.Resource | None = None) -> dict[str, Any]:
    """Register every resource of the stack, under `parent` when a component composes it; returns the stack
    outputs to export."""
    prefix = config.name_prefix
    labels = config.all_labels
    gke = config.platform == "gke"

    apis = ProjectApis(prefix, ProjectApisArgs(services=_apis(config)), opts=pulumi.ResourceOptions(parent=parent))
    after_apis = pulumi.ResourceOptions(parent=parent, depends_on=[apis])

    network = Network(
        prefix,
        NetworkArgs(
            region=config.region,
            subnet_cidr=config.network.subnet_cidr,
            secondary_ranges={
                GKE_PODS_RANGE: config.network.pods_cidr,
                GKE_SERVICES_RANGE: config.network.services_cidr,
            }
            if gke
            else {},
            private_services_prefix_length=config.network.private_services_prefix_length,
            cloud_nat=config.network.cloud_nat or gke,
            labels=labels,
        ),
        opts=after_apis,
    )
    secrets = Secrets(
        prefix,
        SecretsArgs(generated=GENERATED_SECRETS, labels=labels, deletion_protection=config.is_prod),
        opts=after_apis,
    )
    availability = config.database.availability
    assert availability is not None, "the environment defaults decide the availability"
    database = PostgresDatabase(
        f"{prefix}-db",
        PostgresDatabaseArgs(
            region=config.region,
            network_id=network.network_id,
            private_services_connection=network.private_services_connection,
            version=config.database.version,
            edition=config.database.edition,
            tier=config.database.tier,
            availability=availability,
            disk_size_gb=config.database.disk_size_gb,
            backup=BackupArgs(
                enabled=config.database.backups,
                point_in_time_recovery=bool(config.database.point_in_time_recovery),
            ),
            deletion_protection=bool(config.database.deletion_protection),
            maintenance=MaintenanceWindow(day=config.database.maintenance_day, hour=config.database.maintenance_hour),
            password=secrets.values["db-password"],
            labels=labels,
        ),
        opts=after_apis,
    )
    cache = RedisCache(
        f"{prefix}-redis",
        RedisCacheArgs(
            region=config.region,
            network_id=network.network_id,
            private_services_connection=network.private_services_connection,
            tier=config.redis.tier,
            memory_size_gb=config.redis.memory_size_gb,
            version=config.redis.version,
            read_replicas=config.redis.read_replicas,
            deletion_protection=bool(config.redis.deletion_protection),
            labels=labels,
        ),
        opts=after_apis,
    )
    image = ContainerImage(
        prefix,
        ContainerImageArgs(
            region=config.region,
            project=config.project,
            context=config.image.context,
            dockerfile=config.image.dockerfile,
            variant="cuda" if config.service.gpu else "cpu",
            tag=config.stack,
            prebuilt=config.image.prebuilt,
            deletion_protection=config.is_prod,
            labels=labels,
        ),
        opts=after_apis,
    )
    runtime = AppRuntime(
        image=image.image_ref,
        env={
            "MODEL_DEVICE": "cuda" if config.service.gpu else "cpu",
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

    if gke:
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
    settings = config.operations
    gke = config.gke
    budget = settings.budget
    return Operations(
        config.name_prefix,
        OperationsArgs(
            project=config.project,
            platform=config.platform,
            region=config.region,
            service_name=service_name,
            namespace=KUBERNETES_NAMESPACE if gke else None,
            max_instances=gke.replicas.max if gke else config.service.max_instances,
            min_instances=gke.replicas.min if gke else config.service.min_instances,
            # Only a public Cloud Run service has an address Google's uptime checkers reach before it exists.
            public_url=service_url if config.service.public and not gke else None,
            gpu=config.service.gpu is not None,
            database_id=database.connection_name.apply(_monitored_database_id),
            database_max_connections=sql_postgres_max_connections(config.database.tier),
            redis_instance_id=cache.instance_id,
            alert_emails=settings.alert_emails,
            objectives=ObjectivesArgs(
                availability=settings.slo.availability,
                latency_ms=settings.slo.latency_ms,
                latency_objective=settings.slo.latency_objective,
                window_days=settings.slo.window_days,
            ),
            budget=BudgetArgs(
                billing_account=budget.billing_account,
                monthly_usd=budget.monthly_usd,
                thresholds=budget.thresholds,
                project_number=gcp.organizations.get_project_output(project_id=config.project).number,
                stack_label=config.all_labels["stack"],
            )
            if budget
            else None,
            labels=config.all_labels,
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
    prefix, labels = config.name_prefix, config.all_labels
    assert config.gke is not None
    gke_settings = config.gke
    gpu_pool = gke_settings.gpu_pool
    cluster = GkeCluster(
        prefix,
        GkeClusterArgs(
            project=config.project,
            location=gke_settings.location,
            cluster_name=config.cluster_name,
            network_id=network.network_id,
            subnet_id=network.subnet_id,
            pods_range_name=GKE_PODS_RANGE,
            services_range_name=GKE_SERVICES_RANGE,
            master_cidr=gke_settings.master_cidr,
            authorized_networks=[
                AuthorizedNetworkArgs(cidr=authorized.cidr, name=authorized.name)
                for authorized in gke_settings.master_authorized_networks
            ],
            control_plane_access=gke_settings.control_plane_access,
            release_channel=gke_settings.release_channel,
            system_pool=SystemPoolArgs(
                machine_type=gke_settings.system_pool.machine_type,
                node_count=gke_settings.system_pool.node_count,
            ),
            gpu_pool=GpuPoolArgs(
                machine_type=gpu_pool.machine_type,
                accelerator=gpu_pool.accelerator,
                accelerator_count=gpu_pool.accelerator_count,
                driver_version=gpu_pool.driver_version,
                min_nodes=gpu_pool.min_nodes,
                max_nodes=gpu_pool.max_nodes,
                spot=gpu_pool.spot,
                disk_size_gb=gpu_pool.disk_size_gb,
                disk_type=gpu_pool.disk_type,
            ),
            gpu_zones=_gpu_pool_zones(gke_settings.location, gpu_pool.accelerator, config.region),
            deletion_protection=config.is_prod,
            labels=labels,
        ),
        opts=after_apis,
    )
    # The autoscaler reads the app's queue depth through this adapter's custom.metrics.k8s.io API.
    CustomMetricsAdapter(
        prefix,
        CustomMetricsAdapterArgs(
            provider=cluster.provider,
            cluster=cluster.cluster,
            workload_pool=cluster.workload_pool,
            project=config.project,
            control_plane_cidrs=[gke_settings.master_cidr],
            labels=labels,
        ),
        opts=after_apis,
    )
    workload = KubernetesWorkload(
        prefix,
        KubernetesWorkloadArgs(
            provider=cluster.provider,
            cluster=cluster.cluster,
            workload_pool=cluster.workload_pool,
            runtime=runtime,
            cpu=config.service.cpu,
            memory=config.service.memory,
            gpu_type=gpu_pool.accelerator,
            min_replicas=gke_settings.replicas.min,
            max_replicas=gke_settings.replicas.max,
            max_surge=config.rollout[0],
            max_unavailable=config.rollout[1],
            target_queue_depth=gke_settings.replicas.target_queue_depth,
            public=config.service.public,
            internal_client_cidrs=[config.network.subnet_cidr, config.network.pods_cidr],
            redis_host=cache.host,
            redis_port=cache.port,
            database_host=database.private_ip,
            database_port=POSTGRES_PORT,
            labels=labels,
            namespace=KUBERNETES_NAMESPACE,
            app_name=KUBERNETES_APP_NAME,
        ),
        opts=after_apis,
    )
    return {
        "monitored_service": KUBERNETES_APP_NAME,
        "cluster_name": cluster.cluster_name,
        "control_plane_endpoint": cluster.control_plane_endpoint,
        "kubeconfig": cluster.kubeconfig,
        "namespace": workload.namespace,
        "service_name": workload.service_name,
    }


def _gpu_pool_zones(location: str, accelerator: str, region: str) -> list[str]:
    """A zonal cluster's GPU nodes live in its zone; a regional cluster's in the region's zones with the GPU."""
    if location != region:
        return [location]
    return list(gpu_zones(accelerator, region))


def _build_cloud_run(
    config: StackConfig,
    network: Network,
    runtime: AppRuntime,
    after_apis: pulumi.ResourceOptions,
) -> dict[str, Any]:
    """The Cloud Run branch: one service with Direct VPC egress; returns its stack outputs."""
    prefix, labels = config.name_prefix, config.all_labels
    service = CloudRunService(
        prefix,
        CloudRunServiceArgs(
            region=config.region,
            runtime=runtime,
            cpu=config.service.cpu,
            memory=config.service.memory,
            gpu_type=config.service.gpu.type if config.service.gpu else None,
            gpu_zonal_redundancy=config.service.gpu.zonal_redundancy if config.service.gpu else False,
            min_instances=config.service.min_instances,
            max_instances=config.service.max_instances,
            concurrency=config.service.concurrency,
            public=config.service.public,
            behind_load_balancer=config.entry is not None,
            network_id=network.network_id,
            subnet_id=network.subnet_id,
            deletion_protection=config.is_prod,
            labels=labels,
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
    armor = entry.armor
    entry_point = EntryPoint(
        f"{config.name_prefix}-entry",
        EntryPointArgs(
            region=config.region,
            cloud_run_service=cloud_run_service,
            domain=entry.domain,
            dns_zone=entry.dns_zone,
            armor=ArmorArgs(
                requests_per_minute_per_ip=armor.requests_per_minute_per_ip,
                preconfigured_rules=armor.preconfigured_rules,
                allow_cidrs=armor.allow_cidrs,
            ),
            labels=config.all_labels,
        ),
        opts=after_apis,
    )
    outputs: dict[str, Any] = {"entry_url": entry_point.url, "entry_ip": entry_point.ip_address}
    if entry.dns_zone is None:
        outputs["entry_dns_record"] = entry_point.dns_record
    return outputs


def _entry_apis(config: StackConfig) -> tuple[str, ...]:
    """The entry point's load balancer, certificate and Cloud Armor are Compute Engine (in COMMON_APIS); an A
    record in a managed zone goes through Cloud DNS."""
    return ("dns.googleapis.com",) if config.entry is not None and config.entry.dns_zone else ()
