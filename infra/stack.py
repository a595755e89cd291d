"""The composition of one stack: which components, wired output to input, for the chosen platform."""

from __future__ import annotations

from typing import Any

import pulumi

from components.apis import ProjectApis, ProjectApisArgs
from components.app_runtime import AppRuntime
from components.cache import RedisCache, RedisCacheArgs
from components.cloudrun import CloudRunService, CloudRunServiceArgs
from components.database import PostgresDatabase, PostgresDatabaseArgs
from components.gke import AuthorizedNetworkArgs, GkeCluster, GkeClusterArgs, GpuPoolArgs, SystemPoolArgs
from components.image import ContainerImage, ContainerImageArgs
from components.network import Network, NetworkArgs
from components.secrets import Secrets, SecretsArgs
from components.workload import KubernetesWorkload, KubernetesWorkloadArgs
from facts.gcp import POSTGRES_PORT, gpu_zones
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
GENERATED_SECRETS = {"db-password": 32, "api-key": 40, "admin-api-key": 40}
GKE_PODS_RANGE = "pods"
GKE_SERVICES_RANGE = "services"


def build_stack(config: StackConfig) -> dict[str, Any]:
    """Register every resource of the stack; returns the stack outputs to export."""
    prefix = config.name_prefix
    labels = config.all_labels
    gke = config.platform == "gke"

    apis = ProjectApis(prefix, ProjectApisArgs(services=[*COMMON_APIS, *PLATFORM_APIS[config.platform]]))
    after_apis = pulumi.ResourceOptions(depends_on=[apis])

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
    database = PostgresDatabase(
        f"{prefix}-db",
        PostgresDatabaseArgs(
            region=config.region,
            network_id=network.network_id,
            private_services_connection=network.private_services_connection,
            version=config.database.version,
            edition=config.database.edition,
            tier=config.database.tier,
            availability=str(config.database.availability),
            disk_size_gb=config.database.disk_size_gb,
            backups=config.database.backups,
            point_in_time_recovery=bool(config.database.point_in_time_recovery),
            deletion_protection=bool(config.database.deletion_protection),
            maintenance_day=config.database.maintenance_day,
            maintenance_hour=config.database.maintenance_hour,
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
            "REDIS_PASSWORD": cache.auth_secret.secret_env("auth"),
            "DATABASE_PASSWORD": secrets.secret_env("db-password"),
            "API_KEYS": secrets.secret_env("api-key"),
            "ADMIN_API_KEYS": secrets.secret_env("admin-api-key"),
        },
    )
    outputs: dict[str, Any] = {
        "image_ref": image.image_ref,
        "database_connection_name": database.connection_name,
        "redis_host": cache.host,
        "secret_ids": {**secrets.secret_ids, "redis-auth": cache.auth_secret.secret_ids["auth"]},
    }

    if gke:
        outputs.update(_build_gke(config, network, secrets, database, cache, runtime, after_apis))
    else:
        outputs.update(_build_cloud_run(config, network, secrets, cache, runtime, after_apis))
    return outputs


def _build_gke(
    config: StackConfig,
    network: Network,
    secrets: Secrets,
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
            target_cpu_utilization=gke_settings.replicas.target_cpu_utilization,
            public=config.service.public,
            internal_client_cidrs=[config.network.subnet_cidr, config.network.pods_cidr],
            redis_host=cache.host,
            redis_port=cache.port,
            database_host=database.private_ip,
            database_port=POSTGRES_PORT,
            secrets=[secrets, cache.auth_secret],
            labels=labels,
        ),
        opts=after_apis,
    )
    return {
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
    secrets: Secrets,
    cache: RedisCache,
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
            network_id=network.network_id,
            subnet_id=network.subnet_id,
            secrets=[secrets, cache.auth_secret],
            deletion_protection=config.is_prod,
            labels=labels,
        ),
        opts=after_apis,
    )
    return {"service_url": service.url}
