"""The rules run over the loaded config: those that cross sections (the pod fits a node of its pool, one GPU type
for pod and pool, GPU regions and zones, CIDR overlaps, the entry point vs the service, Cloud Run's GPU quota, the
budget's channels), and the components' own rules run over the sections, each reported under the section's key."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from components.cache import check_memorystore_shape
from components.cloudrun import check_cloud_run_resources
from components.database import check_sql_instance_shape
from components.gke import check_cluster_access
from facts import gcp as rules
from facts.app import CPU_ONLY_MODEL_BACKENDS, MODEL_BACKEND_PRECISIONS, model_backend_for
from facts.quantities import memory_mib
from infra.config.gke import GkeSettings
from infra.config.problems import Problems, args_problems, decode, shape_problems
from infra.config.schema import StackConfig
from infra.config.scope import NAMESPACE
from infra.config.service import GpuSettings, ImageSettings, ServiceSettings


def one_gpu_type(service: ServiceSettings, gke: GkeSettings, problems: Problems) -> tuple[ServiceSettings, GkeSettings]:
    """On GKE the pod's GPU is the pool's: whichever of service.gpu.type and gpuPool.accelerator is written gives
    the other. Both written and different is a contradiction."""
    pool = gke.gpu_pool
    gpu = service.gpu if "gpu" in service.model_fields_set else GpuSettings()
    if gpu is None:
        return service, gke
    if "type" in gpu.model_fields_set and "accelerator" in pool.model_fields_set:
        if pool.accelerator != gpu.type:
            problems.add(
                f"{NAMESPACE}:service.gpu.type",
                gpu.type,
                f"contradicts gke.gpuPool.accelerator ({pool.accelerator}): on GKE write the GPU type once, "
                "in gpuPool.accelerator",
            )
    elif "type" in gpu.model_fields_set:
        if gpu.type in rules.ACCELERATOR_MACHINE_SERIES:
            pool = pool.model_copy(update={"accelerator": gpu.type})
        else:
            problems.add(
                f"{NAMESPACE}:service.gpu.type",
                gpu.type,
                f"allowed on GKE: {', '.join(rules.ACCELERATOR_MACHINE_SERIES)}",
            )
    else:
        gpu = gpu.model_copy(update={"type": pool.accelerator})
    return service.model_copy(update={"gpu": gpu}), gke.model_copy(update={"gpu_pool": pool})


def check_image(image: ImageSettings, project_dir: Path, problems: Problems) -> None:
    """A build from a folder or Dockerfile that is not there would fail in `pulumi up`, after other resources."""
    if image.prebuilt is not None:
        return
    key = f"{NAMESPACE}:image"
    if not (project_dir / image.context).is_dir():
        problems.add(f"{key}.context", image.context, f"no such folder in the project ({project_dir})")
    if not (project_dir / image.dockerfile).is_file():
        problems.add(f"{key}.dockerfile", image.dockerfile, f"no such file in the project ({project_dir})")


def check_stack(config: StackConfig, raw: Mapping[str, Any], problems: Problems) -> None:
    """Every rule over the loaded config (shared/reference/gcp-constraints.md), in the order they are reported."""
    if config.platform == "cloudrun":
        _check_cloud_run(config, problems)
        if decode(raw.get(f"{NAMESPACE}:gke", "{}")):
            problems.add_missing(f"{NAMESPACE}:gke", "only used with inference:platform: gke (this stack is cloudrun)")
    else:
        _check_gke(config, problems)
    _check_model(config, problems)
    _check_redis(config, problems)
    _check_database(config, problems)
    _check_network(config, problems)
    _check_entry(config, problems)
    _check_operations(config, problems)


def _check_entry(config: StackConfig, problems: Problems) -> None:
    """The entry point is the only way in for a public prod service, and only a public service has one."""
    key = f"{NAMESPACE}:entry"
    if config.entry is not None and not config.service.public:
        problems.add_missing(
            key, "an entry point serves the public: set inference:service.public: true, or remove entry"
        )
    if config.entry is None and config.service.public and config.is_prod:
        problems.add_missing(
            key,
            "required for a public prod service (service.public: true): a domain for the load balancer with "
            "TLS and Cloud Armor, instead of the open run.app URL or a raw load balancer IP",
        )


def _check_operations(config: StackConfig, problems: Problems) -> None:
    operations = config.operations
    if operations.budget is not None and len(operations.alert_emails) > rules.BUDGET_NOTIFICATION_CHANNELS_MAX:
        problems.add(
            f"{NAMESPACE}:operations.alertEmails",
            operations.alert_emails,
            f"a budget notifies at most {rules.BUDGET_NOTIFICATION_CHANNELS_MAX} channels: list at most "
            f"{rules.BUDGET_NOTIFICATION_CHANNELS_MAX} addresses (a group address reaches more people)",
        )


def _check_cloud_run(config: StackConfig, problems: Problems) -> None:
    service = config.service
    key = f"{NAMESPACE}:service"
    shape_problems(problems, key, service, check_cloud_run_resources)
    if service.gpu is not None:
        args_problems(problems, f"{key}.gpu", service.gpu.args)
        if config.region not in rules.CLOUD_RUN_GPU_REGIONS:
            problems.add(
                "gcp:region",
                config.region,
                f"Cloud Run GPUs are offered in {', '.join(sorted(rules.CLOUD_RUN_GPU_REGIONS))}",
            )
        if service.max_instances > rules.CLOUD_RUN_GPU_MAX_INSTANCES_DEFAULT_QUOTA:
            problems.add(
                f"{key}.maxInstances",
                service.max_instances,
                "GPU services must fit the project's GPU quota "
                f"(by default {rules.CLOUD_RUN_GPU_MAX_INSTANCES_DEFAULT_QUOTA}; old revisions count too): "
                "raise the quota, then this limit",
            )
    args_problems(problems, key, service.scaling_args)


def _check_model(config: StackConfig, problems: Problems) -> None:
    """The model settings the app would refuse at start-up, refused here instead, before anything is deployed."""
    service = config.service
    key = f"{NAMESPACE}:service"
    device = service.device
    if service.model_backend in CPU_ONLY_MODEL_BACKENDS and device == "cuda":
        where = "a GKE pod always has one" if config.gke is not None else "this service has one"
        problems.add(
            f"{key}.modelBackend",
            service.model_backend,
            f"runs the model on the CPU and leaves the GPU idle ({where}): use torch, or auto",
        )
        return
    precision = service.model_precision
    if precision == "auto":
        return
    if precision == "fp16" and device == "cpu":
        problems.add(f"{key}.modelPrecision", precision, "needs a GPU: on a CPU use fp32, or int8 with onnx")
        return
    if precision == "bf16" and device == "cpu":  # a CPU-only service is on Cloud Run: GKE pods have a GPU
        problems.add(
            f"{key}.modelPrecision",
            precision,
            "Cloud Run promises no CPU with native bfloat16, and the app refuses bf16 on one without it: set "
            "modelBackend: openvino and leave the precision auto (bf16 where the CPU has it, else fp32)",
        )
        return
    backend = model_backend_for(service.model_backend, precision, device)
    if precision not in MODEL_BACKEND_PRECISIONS[backend]:
        runs = " or ".join(MODEL_BACKEND_PRECISIONS[backend])
        on = " (the backend on a GPU)" if service.model_backend == "auto" else ""
        problems.add(f"{key}.modelPrecision", precision, f"{backend}{on} runs {runs}")


def _check_gke(config: StackConfig, problems: Problems) -> None:
    assert config.gke is not None
    gke = config.gke
    key = f"{NAMESPACE}:gke"
    zone = rules.ZONE.match(gke.location)
    location_region = zone["region"] if zone else gke.location
    if not (zone or rules.REGION.match(gke.location)):
        problems.add(f"{key}.location", gke.location, "a zone like us-central1-a or a region like us-central1")
    elif location_region != config.region:
        problems.add(f"{key}.location", gke.location, f"must be inside gcp:region ({config.region})")
    cluster_name = gke.name_in(config.name_prefix)
    if not rules.GKE_CLUSTER_NAME.accepts(cluster_name):
        problems.add(
            f"{key}.clusterName",
            cluster_name,
            f"{len(cluster_name)} characters; a cluster name is at most {rules.GKE_CLUSTER_NAME_MAX} lowercase "
            "letters, digits or hyphens, from a letter, ending in a letter or digit",
        )
    _check_gpu_zones(config, problems)
    _check_control_plane_access(config, problems)
    shape_problems(problems, key, gke, check_cluster_access)

    args_problems(problems, f"{key}.systemPool", gke.system_pool.args)
    pool = gke.gpu_pool
    args_problems(problems, f"{key}.gpuPool", pool.args)
    machine = rules.MACHINE_TYPES.get(pool.machine_type)
    if gke.replicas.min > gke.replicas.max:
        problems.add(f"{key}.replicas.min", gke.replicas.min, f"must not exceed replicas.max ({gke.replicas.max})")

    service = config.service
    if service.gpu is None:
        problems.add_missing(
            f"{NAMESPACE}:service.gpu",
            "the GKE path serves from the GPU pool: leave gpu out (the pod gets one gke.gpuPool.accelerator)",
        )
    if machine is not None:
        pods_per_node = max(pool.gpus_per_node, 1)
        # The rollout (GkeSettings.rollout) surges only into a spare GPU, so it never needs more than this.
        if gke.replicas.max > gke.gpu_capacity:
            problems.add(
                f"{key}.replicas.max",
                gke.replicas.max,
                f"needs {gke.replicas.max} GPUs but gpuPool.maxNodes ({pool.max_nodes}) x {pods_per_node} GPU(s) "
                f"per node gives {gke.gpu_capacity}",
            )
        allocatable_cpu, allocatable_memory_gib = rules.gke_allocatable(machine)
        free_cpu = allocatable_cpu - rules.GKE_SYSTEM_DAEMONSET_CPU
        free_memory_gib = allocatable_memory_gib - rules.GKE_SYSTEM_DAEMONSET_MEMORY_GIB
        if service.cpu > free_cpu:
            problems.add(
                f"{NAMESPACE}:service.cpu",
                _number(service.cpu),
                f"a {pool.machine_type} node leaves {free_cpu:.2f} vCPU for the pod after GKE's reservations",
            )
        if memory_mib(service.memory) / 1024 > free_memory_gib:
            problems.add(
                f"{NAMESPACE}:service.memory",
                service.memory,
                f"a {pool.machine_type} node leaves {free_memory_gib:.1f}Gi for the pod after GKE's reservations",
            )


def _check_gpu_zones(config: StackConfig, problems: Problems) -> None:
    """The GPU pool's nodes go only where the accelerator exists: the zone of a zonal cluster must offer it, and a
    regional cluster's GPU pool is pinned to the region's zones that do."""
    assert config.gke is not None
    gke = config.gke
    accelerator = gke.gpu_pool.accelerator
    if accelerator not in rules.ACCELERATOR_MACHINE_SERIES:
        return  # reported by the accelerator rule
    zone = rules.ZONE.match(gke.location)
    region = zone["region"] if zone else gke.location
    if region != config.region:
        return  # reported by the location rule
    zones = rules.gpu_zones(accelerator, region)
    if zone:
        if zones and gke.location not in zones:
            problems.add(
                f"{NAMESPACE}:gke.location",
                gke.location,
                f"{accelerator} is offered in {', '.join(zones)} only (a zonal cluster's GPU nodes live in its zone)",
            )
    elif not zones:
        known = ", ".join(sorted(rules.GPU_ZONES.get(accelerator, {}))) or "none"
        problems.add(
            f"{NAMESPACE}:gke.location",
            gke.location,
            f"a regional cluster pins its GPU pool to the zones that offer {accelerator}, and none of {region} "
            f"is known (facts/gcp.py GPU_ZONES has {known}): use a zone, or add the region's zones there",
        )


def _check_control_plane_access(config: StackConfig, problems: Problems) -> None:
    """With IP-based access, `pulumi up` reaches the public endpoint from its own egress address, which must be
    authorized; private ranges alone would let nobody in (a runner in the VPC leaves through Cloud NAT)."""
    assert config.gke is not None
    gke = config.gke
    if gke.control_plane_access != "ip":
        return
    public = [network for network in gke.master_authorized_networks if ipaddress.ip_network(network.cidr).is_global]
    if not public:
        problems.add(
            f"{NAMESPACE}:gke.masterAuthorizedNetworks",
            [network.cidr for network in gke.master_authorized_networks],
            "controlPlaneAccess: ip reaches the control plane's public IP, so the public egress range of where "
            "`pulumi up` runs (a CI runner's or the Cloud NAT's address) must be listed; or use controlPlaneAccess: "
            "dns",
        )


def _check_redis(config: StackConfig, problems: Problems) -> None:
    shape_problems(problems, f"{NAMESPACE}:redis", config.redis, check_memorystore_shape)


def _check_database(config: StackConfig, problems: Problems) -> None:
    key = f"{NAMESPACE}:database"
    shape_problems(problems, key, config.database, check_sql_instance_shape)
    args_problems(problems, key, config.database.backup_args)


def _check_network(config: StackConfig, problems: Problems) -> None:
    network = config.network
    key = f"{NAMESPACE}:network"
    subnet = ipaddress.ip_network(network.subnet_cidr)
    if config.platform == "cloudrun" and subnet.prefixlen > rules.DIRECT_VPC_EGRESS_MAX_PREFIX:
        problems.add(
            f"{key}.subnetCidr",
            network.subnet_cidr,
            f"Direct VPC egress needs a /{rules.DIRECT_VPC_EGRESS_MAX_PREFIX} or larger",
        )
    ranges = {f"{key}.subnetCidr": subnet}
    if config.gke is not None:
        ranges[f"{key}.podsCidr"] = ipaddress.ip_network(network.pods_cidr)
        ranges[f"{key}.servicesCidr"] = ipaddress.ip_network(network.services_cidr)
        ranges[f"{NAMESPACE}:gke.masterCidr"] = ipaddress.ip_network(config.gke.master_cidr)
    # Google allocates Cloud SQL and Memorystore addresses from this range; overlapping a subnet or GKE range
    # fails their creation (or, with the range left to Google's allocator, races the subnet's creation).
    private_services = network.private_services_range
    if private_services.network_address != ipaddress.ip_address(network.private_services_address):
        problems.add(
            f"{key}.privateServicesAddress",
            network.private_services_address,
            f"must start a /{network.private_services_prefix_length} (privateServicesPrefixLength), "
            f"like {private_services.network_address}",
        )
    else:
        ranges[f"{key}.privateServicesAddress"] = private_services
    names = list(ranges)
    for index, first in enumerate(names):
        for second in names[index + 1 :]:
            if ranges[first].overlaps(ranges[second]):
                problems.add(second, str(ranges[second]), f"overlaps {first} ({ranges[first]})")


def _number(value: float) -> str:
    return f"{value:g}"
