"""One pricer per billable resource type: reads the engine's inputs and adds priced components.

Prices come from the catalog by id; this module holds how GCP bills each resource (what is multiplied by
what), never a price.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from costs.catalog import Catalog, UnpricedError
from costs.operations_pricers import OPERATIONS_PRICERS
from costs.pricing import SECONDS_PER_HOUR, ResourcePricing
from facts import types
from facts.gcp import (
    BUILT_IN_ACCELERATORS,
    BUILT_IN_GPU_SERIES,
    SQL_CUSTOM_TIER,
    SQL_SHARED_CORE_TIERS,
    ZONE,
    machine_series,
)
from facts.kubernetes import GPU_RESOURCE_KEY
from facts.quantities import cpu_cores, memory_gib
from plan import PlannedResource

MILLION = 1_000_000
SECRET_ACCESS_UNIT = 10_000
# Defaults GCP applies when an input is left out (each from the API reference of the resource).
CLOUD_RUN_DEFAULT_CPU = "1"
CLOUD_RUN_DEFAULT_MEMORY = "512Mi"
CLOUD_RUN_DEFAULT_CONCURRENCY = 80
GKE_DEFAULT_MACHINE_TYPE = "e2-medium"
GKE_DEFAULT_DISK_GB = 100
GKE_DEFAULT_DISK_TYPE = "pd-balanced"
GKE_REGIONAL_DEFAULT_ZONES = 3
SQL_DEFAULT_DISK_GB = 10
SQL_DEFAULT_DISK_TYPE = "PD_SSD"
VPC_CONNECTOR_DEFAULT_MACHINE = "e2-micro"
VPC_CONNECTOR_DEFAULT_MIN_INSTANCES = 2
NAT_VM_CAP = 32
FORWARDING_RULES_IN_MINIMUM = 5
# The public entry point's resources are reported together, as one kind of cost.
ENTRY_POINT_KIND = "Entry point"
GLOBAL_FORWARDING_RULE = "gcp:compute/globalForwardingRule:GlobalForwardingRule"
GLOBAL_ADDRESS = "gcp:compute/globalAddress:GlobalAddress"
# The entry point's :80 rule only answers with a redirect to :443; the data its load balancer processes is
# counted once, on the HTTPS rule.
HTTP_REDIRECT_PORT = "80"
CLOUD_RUN_INTERNAL_INGRESS = "INGRESS_TRAFFIC_INTERNAL_ONLY"
INTERNAL_LOAD_BALANCER_ANNOTATIONS = ("networking.gke.io/load-balancer-type", "cloud.google.com/load-balancer-type")
# Database flags that make Cloud SQL write logs beyond the default (the CIS benchmark turns them on).
SQL_LOGGING_FLAGS = ("cloudsql.enable_pgaudit", "log_connections", "log_disconnections", "log_statement")
SQL_FLAG_OFF_VALUES = ("off", "none", "false")
GKE_LOGGING_DISABLED = "none"
GKE_SYSTEM_LOG_COMPONENT = "SYSTEM_COMPONENTS"


def free_reason(resource: PlannedResource, catalog: Catalog) -> str | None:
    """Why a resource costs nothing by itself, or None when it has to be priced."""
    if not resource.custom:
        return "a component resource; its children are priced"
    if resource.type.startswith(types.PROVIDER_PREFIX):
        return "a Pulumi provider, not a cloud resource"
    if resource.type == types.K8S_SERVICE and _dig(resource.inputs, "spec", "type") != "LoadBalancer":
        return "a cluster-internal Kubernetes Service"
    if resource.type in (types.GLOBAL_ADDRESS, types.ADDRESS) and (
        resource.inputs.get("addressType") == "INTERNAL" or resource.inputs.get("purpose") == "VPC_PEERING"
    ):
        return "an internal address range"
    return catalog.free_resources.get(resource.type)


def price_cloud_run_service(pricing: ResourcePricing) -> None:
    template = pricing.inputs.get("template") or {}
    containers = template.get("containers") or [{}]
    cpus = sum(_cpu(_limits(container).get("cpu", CLOUD_RUN_DEFAULT_CPU)) for container in containers)
    memory_gib = sum(_gib(_limits(container).get("memory", CLOUD_RUN_DEFAULT_MEMORY)) for container in containers)
    gpus = sum(int(_number(_limits(container).get(GPU_RESOURCE_KEY, 0))) for container in containers)
    instance_based = any(_cpu_always_allocated(container) for container in containers)
    scaling = template.get("scaling") or {}
    service_scaling = pricing.inputs.get("scaling") or {}
    min_instances = max(
        int(_number(scaling.get("minInstanceCount", 0))),
        int(_number(service_scaling.get("minInstanceCount", 0))),
    )
    max_instances = scaling.get("maxInstanceCount")
    concurrency = pricing.usage.concurrency or int(
        _number(template.get("maxInstanceRequestConcurrency", CLOUD_RUN_DEFAULT_CONCURRENCY))
    )
    usage = pricing.usage
    accelerator = _dig(template, "nodeSelector", "accelerator") or "unknown-gpu"
    shape = accelerator if gpus else f"cpu-{cpus:g}"
    throughput = usage.throughput.get(shape)
    pricing.serve(shape, "instance", None if max_instances is None else _number(max_instances))
    if usage.instance_hours is not None:
        demand_hours = usage.instance_hours
    elif throughput is not None:
        demand_hours = usage.monthly_requests / throughput.requests_per_second / SECONDS_PER_HOUR
    else:
        demand_hours = usage.monthly_requests * usage.request_seconds / concurrency / SECONDS_PER_HOUR
    if max_instances is not None and demand_hours > _number(max_instances) * pricing.hours:
        demand_hours = _number(max_instances) * pricing.hours
        pricing.note(f"traffic needs more than {max_instances} max instances; capped at max instances all month")
    gpu_price_id = None
    if gpus:
        redundancy = "off" if template.get("gpuZonalRedundancyDisabled") is True else "on"
        gpu_price_id = f"cloudrun.gpu.{accelerator}.zonal-redundancy-{redundancy}"
        gpu_label = f"GPU {accelerator}, zonal redundancy {redundancy}"

    def add_instance_time(label: str, instance_seconds: float, billing: str) -> None:
        pricing.add(
            f"CPU ({cpus:g} vCPU), {label}",
            "Cloud Run CPU",
            f"cloudrun.{billing}.cpu",
            cpus * instance_seconds,
        )
        pricing.add(
            f"memory ({memory_gib:g} GiB), {label}",
            "Cloud Run memory",
            f"cloudrun.{billing}.memory",
            memory_gib * instance_seconds,
        )
        if gpu_price_id is not None:
            pricing.add(f"{gpu_label}, {label}", "Cloud Run GPU", gpu_price_id, gpus * instance_seconds)

    if instance_based:
        always_on_hours = min_instances * pricing.hours
        if always_on_hours:
            add_instance_time(f"{min_instances} min instances", always_on_hours * SECONDS_PER_HOUR, "instance")
        above_minimum_hours = max(0.0, demand_hours - always_on_hours)
        if above_minimum_hours:
            add_instance_time("instances above minimum", above_minimum_hours * SECONDS_PER_HOUR, "instance")
    else:
        if gpus:
            raise UnpricedError("a GPU service must use instance-based billing (cpuIdle false)")
        if demand_hours:
            add_instance_time("while serving requests", demand_hours * SECONDS_PER_HOUR, "request")
        if usage.monthly_requests:
            pricing.add("requests", "Cloud Run requests", "cloudrun.requests", usage.monthly_requests / MILLION)
        if min_instances:
            pricing.gap(
                f"{min_instances} idle min instances",
                "the idle min-instance rate of request-based billing is not in the catalog",
            )
    if usage.egress_gb:
        if pricing.inputs.get("ingress") == CLOUD_RUN_INTERNAL_INGRESS:
            pricing.note("internal ingress only: responses stay in Google's network, no internet egress")
        else:
            pricing.add_graduated("internet egress", "Internet egress", "egress.internet-premium", usage.egress_gb)


def price_gke_cluster(pricing: ResourcePricing) -> None:
    location = str(pricing.inputs.get("location", ""))
    autopilot = pricing.inputs.get("enableAutopilot") is True
    zonal = ZONE.match(location) is not None
    pricing.add(
        "cluster management fee",
        "GKE cluster fee",
        "gke.cluster-fee",
        pricing.hours,
        free_tier_eligible=zonal or autopilot,
    )
    if _gke_system_logs_on(pricing.inputs) and pricing.usage.gke_system_log_gb:
        log_gb = pricing.usage.gke_system_log_gb
        pricing.add(f"system logs {log_gb:g} GiB", "Cloud Logging", "logging.ingestion", log_gb)
    if autopilot:
        pricing.gap("Autopilot pods", "Autopilot pod resource prices are not in the catalog")
    elif pricing.inputs.get("removeDefaultNodePool") is not True:
        nodes = _number(pricing.inputs.get("initialNodeCount", 1)) * _zone_count(pricing.inputs)
        _price_nodes(pricing, pricing.inputs.get("nodeConfig") or {}, nodes, "default pool nodes")


def price_gke_node_pool(pricing: ResourcePricing) -> None:
    inputs = pricing.inputs
    node_config = inputs.get("nodeConfig") or {}
    min_nodes, max_nodes = _node_range(inputs)
    _price_nodes(pricing, node_config, min_nodes, "nodes, minimum")
    accelerator = _accelerator(node_config)
    if accelerator is None:
        return
    pricing.serve(accelerator, "pod", max_nodes * pricing.usage.pods_per_node)
    if max_nodes > min_nodes:
        if _demand_node_hours(pricing, node_config) > max_nodes * pricing.hours:
            pricing.note(f"traffic needs more than {max_nodes:g} max nodes; capped at max nodes all month")
        added = _nodes_added_by_autoscaler(pricing, inputs)
        if added > 0:
            _price_nodes(pricing, node_config, added, "nodes above minimum")


def _demand_node_hours(pricing: ResourcePricing, node_config: dict[str, Any]) -> float:
    """Node-hours a month the traffic keeps a GPU pool's nodes busy (usage.node_hours overrides)."""
    usage = pricing.usage
    if usage.node_hours is not None:
        return usage.node_hours
    accelerator = _accelerator(node_config)
    throughput = usage.throughput.get(accelerator) if accelerator else None
    pod_rps = throughput.requests_per_second if throughput is not None else usage.pod_requests_per_second
    return usage.monthly_requests / (pod_rps * SECONDS_PER_HOUR) / usage.pods_per_node


def _nodes_added_by_autoscaler(pricing: ResourcePricing, inputs: dict[str, Any]) -> float:
    """Average nodes a month the autoscaler runs above a GPU pool's minimum (up to its maximum)."""
    node_config = inputs.get("nodeConfig") or {}
    min_nodes, max_nodes = _node_range(inputs)
    if max_nodes <= min_nodes or _accelerator(node_config) is None:
        return 0.0
    above_minimum = _demand_node_hours(pricing, node_config) - min_nodes * pricing.hours
    headroom = (max_nodes - min_nodes) * pricing.hours
    return max(0.0, min(above_minimum, headroom)) / pricing.hours


def _price_nodes(pricing: ResourcePricing, node_config: dict[str, Any], nodes: float, label: str) -> None:
    if nodes <= 0:
        return
    machine_type = str(node_config.get("machineType", GKE_DEFAULT_MACHINE_TYPE))
    spot = node_config.get("spot") is True or node_config.get("preemptible") is True
    provisioning = "spot" if spot else "on-demand"
    pricing.add(
        f"{label}, {machine_type} {provisioning}",
        "GKE nodes",
        f"compute.machine.{machine_type}.{provisioning}",
        nodes * pricing.hours,
    )
    if machine_series(machine_type) not in BUILT_IN_GPU_SERIES:
        for accelerator in node_config.get("guestAccelerators") or []:
            gpu_type = accelerator.get("type", "unknown-gpu")
            count = _number(accelerator.get("count", 1))
            gpu_name = f"{label}, {count:g} x {gpu_type} {provisioning}"
            if spot:
                pricing.gap(gpu_name, f"spot price of {gpu_type} on GKE is not in the catalog")
            else:
                pricing.add(gpu_name, "GKE GPUs", f"compute.gpu.{gpu_type}", count * nodes * pricing.hours)
    disk_gb = _number(node_config.get("diskSizeGb", GKE_DEFAULT_DISK_GB))
    disk_type = str(node_config.get("diskType", GKE_DEFAULT_DISK_TYPE))
    pricing.add(
        f"{label}, boot disks {disk_gb:g} GB {disk_type}",
        "GKE node disks",
        f"compute.disk.{disk_type}",
        disk_gb * nodes,
    )


def price_redis_instance(pricing: ResourcePricing) -> None:
    tier = str(pricing.inputs.get("tier", "BASIC"))
    size_gb = _required_number(pricing.inputs, "memorySizeGb")
    group = {"BASIC": "redis.basic", "STANDARD_HA": "redis.standard-ha"}.get(tier)
    if group is None:
        raise UnpricedError(f"Redis tier {tier!r} is not in the catalog")
    pricing.add_band(f"{tier} {size_gb:g} GB", "Memorystore Redis", group, size_gb, size_gb * pricing.hours)
    replicas = int(_number(pricing.inputs.get("replicaCount", 1)))
    if pricing.inputs.get("readReplicasMode") == "READ_REPLICAS_ENABLED" and replicas > 1:
        pricing.gap(f"{replicas - 1} read replicas beyond the first", "read replica prices are not in the catalog")


def price_sql_instance(pricing: ResourcePricing) -> None:
    settings = pricing.inputs.get("settings") or {}
    version = str(pricing.inputs.get("databaseVersion", ""))
    if not version.startswith("POSTGRES"):
        raise UnpricedError(f"only PostgreSQL prices are in the catalog, not {version or 'an unset version'}")
    if settings.get("edition") == "ENTERPRISE_PLUS":
        raise UnpricedError("Cloud SQL Enterprise Plus prices are not in the catalog")
    tier = str(settings.get("tier", ""))
    high_availability = settings.get("availabilityType") == "REGIONAL"
    factor = 1.0
    if high_availability:
        factor = pricing.catalog.price("cloudsql.high-availability-factor", pricing.region).price
    suffix = f", HA x{factor:g}" if high_availability else ""
    custom = SQL_CUSTOM_TIER.match(tier)
    if custom:
        vcpus = int(custom["cpus"])
        memory_gb = int(custom["memory_mb"]) / 1024
        pricing.add(
            f"{vcpus} vCPU{suffix}",
            "Cloud SQL compute",
            "cloudsql.enterprise.vcpu",
            vcpus * pricing.hours * factor,
        )
        pricing.add(
            f"{memory_gb:g} GB memory{suffix}",
            "Cloud SQL compute",
            "cloudsql.enterprise.memory",
            memory_gb * pricing.hours * factor,
        )
    elif tier in SQL_SHARED_CORE_TIERS:
        pricing.add(f"{tier}{suffix}", "Cloud SQL compute", f"cloudsql.{tier}", pricing.hours * factor)
    else:
        pricing.gap(f"tier {tier or '(unset)'}", "the tier is not in the catalog")
    disk_gb = _number(settings.get("diskSize", SQL_DEFAULT_DISK_GB))
    disk_type = str(settings.get("diskType", SQL_DEFAULT_DISK_TYPE))
    storage_name = f"storage {disk_gb:g} GB {disk_type}{suffix}"
    if disk_type == "PD_SSD":
        pricing.add(storage_name, "Cloud SQL storage", "cloudsql.storage.pd-ssd", disk_gb * factor)
    else:
        pricing.gap(storage_name, f"Cloud SQL {disk_type} storage is not in the catalog")
    if _dig(settings, "backupConfiguration", "enabled") is True:
        backup_gb = pricing.usage.sql_backup_storage_gb
        backup_gb = disk_gb if backup_gb is None else backup_gb
        pricing.add(f"backups {backup_gb:g} GB", "Cloud SQL backups", "cloudsql.backup", backup_gb)
    logging_flags = _sql_logging_flags(settings)
    if logging_flags and pricing.usage.database_log_gb:
        log_gb = pricing.usage.database_log_gb
        pricing.add(f"logs {log_gb:g} GiB ({', '.join(logging_flags)})", "Cloud Logging", "logging.ingestion", log_gb)


def price_secret_version(pricing: ResourcePricing) -> None:
    secret = _secret_of_version(pricing)
    replicas = _dig(secret.inputs, "replication", "userManaged", "replicas") if secret else None
    locations = len(replicas) if isinstance(replicas, list) and replicas else 1
    pricing.add(
        f"active version in {locations} location(s)",
        "Secret Manager",
        "secretmanager.active-version",
        locations,
    )
    accesses = pricing.usage.secret_accesses_per_version
    if accesses:
        pricing.add(f"{accesses:g} accesses", "Secret Manager", "secretmanager.access", accesses / SECRET_ACCESS_UNIT)


def price_artifact_registry(pricing: ResourcePricing) -> None:
    stored_gb = pricing.usage.artifact_registry_storage_gb
    pricing.add(f"storage {stored_gb:g} GB", "Artifact Registry", "artifactregistry.storage", stored_gb)


def price_cloud_nat(pricing: ResourcePricing) -> None:
    usage = pricing.usage
    vms = usage.nat_vm_count if usage.nat_vm_count is not None else _average_gke_nodes(pricing)
    if vms > NAT_VM_CAP:
        pricing.add(f"gateway, {vms:g} VMs (capped)", "Cloud NAT", "nat.gateway-cap", pricing.hours)
    elif vms:
        pricing.add(f"gateway, {vms:.3g} VMs on average", "Cloud NAT", "nat.vm", vms * pricing.hours)
    if usage.nat_processed_gb:
        pricing.add(
            f"data processed {usage.nat_processed_gb:g} GiB",
            "Cloud NAT",
            "nat.data-processed",
            usage.nat_processed_gb,
        )
    if pricing.inputs.get("natIpAllocateOption") == "MANUAL_ONLY":
        ips = len(pricing.inputs.get("natIps") or [])
    else:
        ips = usage.nat_ip_count
    if ips:
        pricing.add(f"{ips} NAT IP(s)", "Cloud NAT", "nat.ip", ips * pricing.hours)


def price_forwarding_rule(pricing: ResourcePricing) -> None:
    """Google charges the first five forwarding rules of a project as one minimum, then each rule beyond."""
    kind = ENTRY_POINT_KIND if pricing.resource.type == GLOBAL_FORWARDING_RULE else "Load balancing"
    redirect_only = kind == ENTRY_POINT_KIND and str(pricing.inputs.get("portRange")) == HTTP_REDIRECT_PORT
    _add_forwarding_rule(pricing, kind, "", redirect_only)
    if pricing.resource.type == types.K8S_SERVICE and pricing.usage.egress_gb:
        annotations = _dig(pricing.inputs, "metadata", "annotations") or {}
        if any(annotations.get(key) == "Internal" for key in INTERNAL_LOAD_BALANCER_ANNOTATIONS):
            pricing.note("internal load balancer: responses stay in Google's network, no internet egress")
        else:
            _add_internet_egress(pricing)


def price_gateway(pricing: ResourcePricing) -> None:
    """A GKE Gateway of an external class: GKE's controller makes one global forwarding rule per listener port (with
    its proxy, URL map and backend service, billed through the rules). They count toward the project's
    forwarding-rule minimum like any other; the data is processed once, by the listener that is not only a redirect
    (an HTTP listener beside an HTTPS one answers with the redirect)."""
    listeners = pricing.inputs.get("spec", {}).get("listeners") or []
    protocols = {str(listener.get("protocol")) for listener in listeners}
    for listener in listeners:
        redirect_only = listener.get("protocol") == "HTTP" and "HTTPS" in protocols
        _add_forwarding_rule(pricing, ENTRY_POINT_KIND, f"{listener.get('name')} listener: ", redirect_only)
    if pricing.usage.egress_gb:
        _add_internet_egress(pricing)


def _add_forwarding_rule(pricing: ResourcePricing, kind: str, label: str, redirect_only: bool) -> None:
    """The next forwarding rule of the project (inside the first-five minimum or beyond it), and the data its load
    balancer processes unless it only redirects."""
    pricing.stack.forwarding_rules_seen += 1
    ordinal = pricing.stack.forwarding_rules_seen
    if ordinal == 1:
        pricing.add(
            f"{label}forwarding rules 1-{FORWARDING_RULES_IN_MINIMUM} of the project (one minimum charge)",
            kind,
            "lb.forwarding-rule.first-5",
            pricing.hours,
        )
    elif ordinal <= FORWARDING_RULES_IN_MINIMUM:
        pricing.describe(
            f"{label}rule #{ordinal}: inside the project's first-{FORWARDING_RULES_IN_MINIMUM} minimum charge"
        )
    else:
        pricing.add(f"{label}forwarding rule #{ordinal}", kind, "lb.forwarding-rule.beyond-5", pricing.hours)
    processed = pricing.usage.load_balancer_processed_gb
    if processed and redirect_only:
        pricing.note(f"{label}HTTP → HTTPS redirect only: the data processed is counted on the HTTPS rule")
    elif processed:
        pricing.add(f"{label}data processed {processed:g} GiB", kind, "lb.data-processed", processed)


def _add_internet_egress(pricing: ResourcePricing) -> None:
    pricing.add_graduated("internet egress", "Internet egress", "egress.internet-premium", pricing.usage.egress_gb)


def price_static_ip(pricing: ResourcePricing) -> None:
    kind = ENTRY_POINT_KIND if pricing.resource.type == GLOBAL_ADDRESS else "Static IPs"
    pricing.add("external IP, in use", kind, "ip.static-external.in-use", pricing.hours)


def price_security_policy(pricing: ResourcePricing) -> None:
    """Cloud Armor Standard: a monthly charge per policy and per rule (the default rule is one), and per request."""
    months = pricing.hours / pricing.catalog.hours_per_month
    rules = len(pricing.inputs.get("rules") or [])
    pricing.add("Cloud Armor policy", ENTRY_POINT_KIND, "armor.policy", months)
    if rules:
        pricing.add(f"{rules} Cloud Armor rules", ENTRY_POINT_KIND, "armor.rule", rules * months)
    requests = pricing.usage.monthly_requests
    if requests:
        pricing.add(f"{requests:g} requests evaluated", ENTRY_POINT_KIND, "armor.requests", requests / MILLION)


def price_vpc_connector(pricing: ResourcePricing) -> None:
    machine_type = str(pricing.inputs.get("machineType", VPC_CONNECTOR_DEFAULT_MACHINE))
    instances = _number(pricing.inputs.get("minInstances", VPC_CONNECTOR_DEFAULT_MIN_INSTANCES))
    pricing.add(
        f"{instances:g} x {machine_type} connector instances",
        "VPC connector",
        f"compute.machine.{machine_type}.on-demand",
        instances * pricing.hours,
    )


PRICERS: dict[str, Callable[[ResourcePricing], None]] = {
    types.CLOUD_RUN_SERVICE: price_cloud_run_service,
    types.GKE_CLUSTER: price_gke_cluster,
    types.GKE_NODE_POOL: price_gke_node_pool,
    types.REDIS_INSTANCE: price_redis_instance,
    types.SQL_INSTANCE: price_sql_instance,
    types.SECRET_VERSION: price_secret_version,
    types.ARTIFACT_REGISTRY_REPOSITORY: price_artifact_registry,
    types.ROUTER_NAT: price_cloud_nat,
    types.FORWARDING_RULE: price_forwarding_rule,
    types.GLOBAL_FORWARDING_RULE: price_forwarding_rule,
    types.K8S_SERVICE: price_forwarding_rule,
    types.K8S_GATEWAY: price_gateway,
    types.ADDRESS: price_static_ip,
    types.GLOBAL_ADDRESS: price_static_ip,
    types.VPC_ACCESS_CONNECTOR: price_vpc_connector,
    "gcp:compute/securityPolicy:SecurityPolicy": price_security_policy,
    **OPERATIONS_PRICERS,
}


def _secret_of_version(pricing: ResourcePricing) -> PlannedResource | None:
    """The Secret a version belongs to: by the id at the end of its `secret` input, else by dependency."""
    secret_id = str(pricing.inputs.get("secret", "")).rsplit("/", 1)[-1]
    secrets = pricing.stack.of_type(types.SECRET)
    by_id = [secret for secret in secrets if secret.inputs.get("secretId") == secret_id]
    by_dependency = [secret for secret in secrets if secret.urn in pricing.resource.dependencies]
    return next(iter(by_id or by_dependency), None)


def _average_gke_nodes(pricing: ResourcePricing) -> float:
    """The VMs of every node pool on average over the month: each pool's minimum plus what its autoscaler adds."""
    pools = pricing.stack.of_type(types.GKE_NODE_POOL)
    return sum(_node_range(pool.inputs)[0] + _nodes_added_by_autoscaler(pricing, pool.inputs) for pool in pools)


def _accelerator(node_config: dict[str, Any]) -> str | None:
    """The GPU type a node carries: its guest accelerator, or the one built into its machine type."""
    for accelerator in node_config.get("guestAccelerators") or []:
        return str(accelerator.get("type", "unknown-gpu"))
    machine_type = str(node_config.get("machineType", GKE_DEFAULT_MACHINE_TYPE))
    return next(
        (gpu for prefix, gpu in BUILT_IN_ACCELERATORS.items() if machine_type.startswith(prefix + "-")),
        None,
    )


def _gke_system_logs_on(inputs: dict[str, Any]) -> bool:
    if inputs.get("loggingService") == GKE_LOGGING_DISABLED:
        return False
    components = _dig(inputs, "loggingConfig", "enableComponents")
    return components is None or GKE_SYSTEM_LOG_COMPONENT in components


def _sql_logging_flags(settings: dict[str, Any]) -> list[str]:
    flags = {str(flag.get("name")): str(flag.get("value", "")) for flag in settings.get("databaseFlags") or []}
    return [name for name in SQL_LOGGING_FLAGS if name in flags and flags[name].lower() not in SQL_FLAG_OFF_VALUES]


def _node_range(inputs: dict[str, Any]) -> tuple[float, float]:
    """A node pool's minimum and maximum node count over all its zones (autoscaling counts are per zone
    unless given as totals)."""
    zones = _zone_count(inputs)
    autoscaling = inputs.get("autoscaling")
    if not autoscaling:
        fixed = _number(inputs.get("nodeCount", inputs.get("initialNodeCount", 1))) * zones
        return fixed, fixed
    if "totalMinNodeCount" in autoscaling or "totalMaxNodeCount" in autoscaling:
        return _number(autoscaling.get("totalMinNodeCount", 0)), _number(autoscaling.get("totalMaxNodeCount", 0))
    return _number(autoscaling.get("minNodeCount", 0)) * zones, _number(autoscaling.get("maxNodeCount", 0)) * zones


def _zone_count(inputs: dict[str, Any]) -> int:
    node_locations = inputs.get("nodeLocations")
    if isinstance(node_locations, list) and node_locations:
        return len(node_locations)
    return 1 if ZONE.match(str(inputs.get("location", ""))) else GKE_REGIONAL_DEFAULT_ZONES


def _limits(container: dict[str, Any]) -> dict[str, Any]:
    return _dig(container, "resources", "limits") or {}


def _cpu_always_allocated(container: dict[str, Any]) -> bool:
    """Cloud Run v2 leaves CPU allocated (instance-based billing) unless cpuIdle is true; cpuIdle defaults
    to true only when the container sets no resources at all."""
    resources = container.get("resources")
    cpu_idle = resources.get("cpuIdle") if isinstance(resources, dict) else None
    if cpu_idle is None:
        return isinstance(resources, dict)
    return cpu_idle is False


def _dig(value: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _number(value: Any) -> float:
    if isinstance(value, bool):
        raise UnpricedError(f"expected a number, found {value!r}")
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value))
    except ValueError as error:
        raise UnpricedError(f"expected a number, found {value!r} (unknown until deployment?)") from error


def _required_number(inputs: dict[str, Any], key: str) -> float:
    if key not in inputs:
        raise UnpricedError(f"{key} is not set")
    try:
        return _number(inputs[key])
    except UnpricedError as error:
        raise UnpricedError(f"{key}: {error}") from error


def _cpu(value: Any) -> float:
    try:
        return cpu_cores(value)
    except ValueError:
        raise UnpricedError(f"CPU limit {value!r} is not a CPU quantity") from None


def _gib(value: Any) -> float:
    try:
        return memory_gib(value)
    except ValueError:
        raise UnpricedError(f"memory limit {value!r} is not a memory quantity") from None
