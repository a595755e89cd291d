"""How each resource kind is billed, checked against hand computation from the catalog's prices."""

from __future__ import annotations

import pytest

from costs.usage import Usage
from tests.costs.builders import (
    ADDRESS,
    CLUSTER,
    FORWARDING_RULE,
    GLOBAL_ADDRESS,
    K8S_SERVICE,
    NAT,
    REDIS,
    REGION,
    REPOSITORY,
    SECRET,
    SECRET_VERSION,
    SQL,
    VPC_CONNECTOR,
    cloud_run_service,
    cost_of_kind,
    estimate,
    gpu_node_pool,
    resource,
)

HOURS = 730
SECONDS = HOURS * 3600
NO_TRAFFIC = Usage(monthly_requests=0, secret_accesses_per_version=0)


def cloud_run_compute(stack_estimate) -> float:
    return sum(cost_of_kind(stack_estimate, kind) for kind in ("Cloud Run CPU", "Cloud Run memory", "Cloud Run GPU"))


# --- Cloud Run -----------------------------------------------------------------------------------------------


def test_cloud_run_l4_min_one_without_zonal_redundancy_costs_763_96_for_compute():
    priced = estimate(cloud_run_service(zonal_redundancy_disabled=True), usage=NO_TRAFFIC)
    assert cloud_run_compute(priced) == pytest.approx(763.96, rel=0.005)
    assert cloud_run_compute(priced) == pytest.approx((4 * 0.000018 + 16 * 0.000002 + 0.0001867) * SECONDS)


def test_cloud_run_l4_with_zonal_redundancy_costs_1037_80_for_compute():
    priced = estimate(cloud_run_service(zonal_redundancy_disabled=False), usage=NO_TRAFFIC)
    assert cloud_run_compute(priced) == pytest.approx(1037.80, rel=0.005)


def test_cloud_run_instance_hours_above_the_minimum_come_from_the_capacity_model():
    # 7.2 M requests x 2 s / 4 concurrent = 1000 instance-hours; 730 of them are the minimum instance.
    usage = Usage(monthly_requests=7_200_000, request_seconds=2, concurrency=4)
    priced = estimate(cloud_run_service(min_instances=1, max_instances=3), usage=usage)
    per_instance_second = 4 * 0.000018 + 16 * 0.000002 + 0.0001867
    assert cloud_run_compute(priced) == pytest.approx(per_instance_second * 1000 * 3600)


def test_cloud_run_concurrency_defaults_to_the_services_max_request_concurrency():
    usage = Usage(monthly_requests=7_200_000, request_seconds=2)
    priced = estimate(cloud_run_service(min_instances=0, concurrency=8), usage=usage)
    per_instance_second = 4 * 0.000018 + 16 * 0.000002 + 0.0001867
    assert cloud_run_compute(priced) == pytest.approx(per_instance_second * 500 * 3600)


def test_cloud_run_instance_hours_are_capped_at_max_instances_with_a_note():
    usage = Usage(instance_hours=10 * HOURS)
    priced = estimate(cloud_run_service(min_instances=0, max_instances=3), usage=usage)
    per_instance_second = 4 * 0.000018 + 16 * 0.000002 + 0.0001867
    assert cloud_run_compute(priced) == pytest.approx(per_instance_second * 3 * SECONDS)
    assert any("max instances" in note for note in priced.notes)


def test_cloud_run_request_based_billing_prices_busy_time_and_requests():
    usage = Usage(monthly_requests=3_600_000, request_seconds=1, concurrency=1)
    service = cloud_run_service(cpu="1", memory="512Mi", gpus=0, min_instances=0, cpu_idle=True)
    priced = estimate(service, usage=usage)
    busy_seconds = 3_600_000
    assert cost_of_kind(priced, "Cloud Run CPU") == pytest.approx(busy_seconds * 0.000024)
    assert cost_of_kind(priced, "Cloud Run memory") == pytest.approx(busy_seconds * 0.5 * 0.0000025)
    assert cost_of_kind(priced, "Cloud Run requests") == pytest.approx(3.6 * 0.40)


def test_cloud_run_instance_based_billing_has_no_request_fee():
    priced = estimate(cloud_run_service(), usage=Usage(monthly_requests=50_000_000))
    assert cost_of_kind(priced, "Cloud Run requests") == 0


def test_cloud_run_idle_min_instances_under_request_based_billing_are_listed_unpriced():
    service = cloud_run_service(gpus=0, cpu="1", memory="512Mi", min_instances=2, cpu_idle=True)
    priced = estimate(service, usage=NO_TRAFFIC)
    assert [item.component for item in priced.unpriced] == ["2 idle min instances"]


def test_cloud_run_cpu_and_memory_quantities_accept_millicores_and_binary_units():
    service = cloud_run_service(cpu="500m", memory="1024Mi", gpus=0, min_instances=1)
    priced = estimate(service, usage=NO_TRAFFIC)
    assert cost_of_kind(priced, "Cloud Run CPU") == pytest.approx(0.5 * 0.000018 * SECONDS)
    assert cost_of_kind(priced, "Cloud Run memory") == pytest.approx(1 * 0.000002 * SECONDS)


def test_cloud_run_gpu_without_a_catalog_price_is_an_unpriced_part_not_a_guess():
    service = cloud_run_service()
    service["inputs"]["template"]["nodeSelector"]["accelerator"] = "nvidia-rtx-pro-6000"
    priced = estimate(service, usage=NO_TRAFFIC)
    assert cost_of_kind(priced, "Cloud Run GPU") == 0
    assert len(priced.unpriced) == 1
    assert "nvidia-rtx-pro-6000" in priced.unpriced[0].reason


def test_an_internal_only_cloud_run_service_pays_no_internet_egress():
    service = cloud_run_service(min_instances=0)
    service["inputs"]["ingress"] = "INGRESS_TRAFFIC_INTERNAL_ONLY"
    priced = estimate(service, usage=Usage(egress_gb=2048))
    assert cost_of_kind(priced, "Internet egress") == 0
    assert any("internal ingress only" in note for note in priced.notes)


def test_cloud_run_egress_is_priced_in_graduated_bands():
    priced = estimate(cloud_run_service(min_instances=0), usage=Usage(egress_gb=2048))
    assert cost_of_kind(priced, "Internet egress") == pytest.approx(1024 * 0.12 + 1024 * 0.11)


# --- GKE -----------------------------------------------------------------------------------------------------


def test_gke_cluster_fee_is_73_a_month():
    priced = estimate(resource(CLUSTER, "cluster", {"location": "us-central1-a", "removeDefaultNodePool": True}))
    assert cost_of_kind(priced, "GKE cluster fee") == pytest.approx(73.00)


def test_one_on_demand_g2_standard_4_node_costs_515_99_with_its_l4_counted_once():
    priced = estimate(gpu_node_pool(min_nodes=1, max_nodes=1), usage=NO_TRAFFIC)
    assert cost_of_kind(priced, "GKE nodes") == pytest.approx(515.99, rel=0.005)
    assert cost_of_kind(priced, "GKE GPUs") == 0
    assert cost_of_kind(priced, "GKE node disks") == pytest.approx(100 * 0.10)


def test_spot_nodes_use_the_spot_machine_price():
    priced = estimate(gpu_node_pool(spot=True), usage=NO_TRAFFIC)
    assert cost_of_kind(priced, "GKE nodes") == pytest.approx(0.397336 * HOURS)


def test_regional_node_pool_counts_nodes_in_every_zone():
    pool = gpu_node_pool(location="us-central1", min_nodes=1, max_nodes=1)
    pool["inputs"]["nodeLocations"] = ["us-central1-a", "us-central1-b"]
    priced = estimate(pool, usage=NO_TRAFFIC)
    assert cost_of_kind(priced, "GKE nodes") == pytest.approx(2 * 0.706832 * HOURS)


def test_gpu_nodes_above_the_minimum_follow_traffic_over_pod_throughput():
    # 100 requests/s per pod for a month = 262.8 M requests per node-month; 2.5 node-months of traffic.
    usage = Usage(monthly_requests=2.5 * 100 * SECONDS, pod_requests_per_second=100)
    priced = estimate(gpu_node_pool(min_nodes=1, max_nodes=4), usage=usage)
    assert cost_of_kind(priced, "GKE nodes") == pytest.approx(2.5 * 0.706832 * HOURS)
    assert cost_of_kind(priced, "GKE node disks") == pytest.approx(2.5 * 100 * 0.10)


def test_gpu_nodes_above_the_minimum_are_capped_at_max_nodes():
    priced = estimate(gpu_node_pool(min_nodes=0, max_nodes=2), usage=Usage(node_hours=10 * HOURS))
    assert cost_of_kind(priced, "GKE nodes") == pytest.approx(2 * 0.706832 * HOURS)
    assert any("max nodes" in note for note in priced.notes)


def test_attached_gpu_without_a_price_on_an_n1_machine_is_listed_unpriced():
    pool = gpu_node_pool(machine_type="n2-standard-2")
    pool["inputs"]["nodeConfig"]["guestAccelerators"] = [{"type": "nvidia-tesla-t4", "count": 1}]
    priced = estimate(pool, usage=NO_TRAFFIC)
    assert cost_of_kind(priced, "GKE nodes") == pytest.approx(0.097118 * HOURS)
    assert ["nvidia-tesla-t4" in item.reason for item in priced.unpriced] == [True]


def test_cluster_with_its_default_node_pool_prices_those_nodes():
    cluster = resource(
        CLUSTER,
        "cluster",
        {"location": "us-central1-a", "initialNodeCount": 2, "nodeConfig": {"machineType": "e2-medium"}},
    )
    priced = estimate(cluster)
    assert cost_of_kind(priced, "GKE nodes") == pytest.approx(2 * 0.033506 * HOURS)


def test_autopilot_pods_are_listed_unpriced():
    priced = estimate(resource(CLUSTER, "cluster", {"location": REGION, "enableAutopilot": True}))
    assert cost_of_kind(priced, "GKE cluster fee") == pytest.approx(73.00)
    assert [item.component for item in priced.unpriced] == ["Autopilot pods"]


# --- Memorystore ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tier", "size_gb", "expected"),
    [
        ("BASIC", 1, 35.77),
        ("STANDARD_HA", 5, 197.10),
        ("BASIC", 5, 5 * 0.027 * HOURS),
        ("BASIC", 101, 101 * 0.016 * HOURS),
    ],
)
def test_redis_rate_is_set_by_the_capacity_band_of_the_provisioned_size(tier, size_gb, expected):
    priced = estimate(resource(REDIS, "cache", {"region": REGION, "tier": tier, "memorySizeGb": size_gb}))
    assert cost_of_kind(priced, "Memorystore Redis") == pytest.approx(expected, rel=0.005)


def test_redis_read_replicas_beyond_the_first_are_listed_unpriced():
    inputs = {
        "region": REGION,
        "tier": "STANDARD_HA",
        "memorySizeGb": 5,
        "readReplicasMode": "READ_REPLICAS_ENABLED",
        "replicaCount": 3,
    }
    priced = estimate(resource(REDIS, "cache", inputs))
    assert [item.component for item in priced.unpriced] == ["2 read replicas beyond the first"]


def test_redis_without_a_size_is_unpriced_with_the_reason():
    priced = estimate(resource(REDIS, "cache", {"region": REGION, "tier": "BASIC"}))
    assert priced.resources == []
    assert "memorySizeGb" in priced.unpriced[0].reason


# --- Cloud SQL -----------------------------------------------------------------------------------------------


def sql(settings: dict, version: str = "POSTGRES_16") -> dict:
    return resource(SQL, "db", {"region": REGION, "databaseVersion": version, "settings": settings})


def test_db_g1_small_zonal_costs_25_55():
    priced = estimate(sql({"tier": "db-g1-small", "edition": "ENTERPRISE"}))
    assert cost_of_kind(priced, "Cloud SQL compute") == pytest.approx(25.55)


def test_custom_tier_prices_vcpus_and_memory():
    priced = estimate(sql({"tier": "db-custom-2-7680", "edition": "ENTERPRISE"}))
    assert cost_of_kind(priced, "Cloud SQL compute") == pytest.approx((2 * 0.0413 + 7.5 * 0.007) * HOURS)


def test_high_availability_doubles_compute_and_storage():
    settings = {"tier": "db-custom-2-7680", "availabilityType": "REGIONAL", "diskSize": 20, "diskType": "PD_SSD"}
    priced = estimate(sql(settings))
    assert cost_of_kind(priced, "Cloud SQL compute") == pytest.approx(2 * (2 * 0.0413 + 7.5 * 0.007) * HOURS)
    assert cost_of_kind(priced, "Cloud SQL storage") == pytest.approx(2 * 20 * 0.17)


def test_backups_default_to_the_disk_size_and_follow_usage():
    settings = {"tier": "db-f1-micro", "diskSize": 30, "backupConfiguration": {"enabled": True}}
    assert cost_of_kind(estimate(sql(settings)), "Cloud SQL backups") == pytest.approx(30 * 0.08)
    with_usage = estimate(sql(settings), usage=Usage(sql_backup_storage_gb=5))
    assert cost_of_kind(with_usage, "Cloud SQL backups") == pytest.approx(5 * 0.08)


def test_enterprise_plus_and_unknown_tiers_are_unpriced_with_reasons():
    plus = estimate(sql({"tier": "db-perf-optimized-N-2", "edition": "ENTERPRISE_PLUS"}))
    assert "Enterprise Plus" in plus.unpriced[0].reason
    odd_tier = estimate(sql({"tier": "db-n1-standard-1"}))
    assert odd_tier.unpriced[0].component == "tier db-n1-standard-1"


# --- Secret Manager, Artifact Registry -----------------------------------------------------------------------


def test_secret_versions_are_priced_per_replica_location_and_accesses_per_10k():
    secret = resource(
        SECRET,
        "key",
        {"secretId": "key", "replication": {"userManaged": {"replicas": [{"location": "a"}, {"location": "b"}]}}},
    )
    version = resource(SECRET_VERSION, "key-version", {"secret": "projects/p/secrets/key", "secretData": "[secret]"})
    priced = estimate(secret, version, usage=Usage(secret_accesses_per_version=20_000))
    assert cost_of_kind(priced, "Secret Manager") == pytest.approx(2 * 0.06 + 2 * 0.03)


def test_artifact_registry_storage_follows_usage():
    priced = estimate(resource(REPOSITORY, "repo", {"location": REGION}), usage=Usage(artifact_registry_storage_gb=12))
    assert cost_of_kind(priced, "Artifact Registry") == pytest.approx(1.20)


# --- Networking ----------------------------------------------------------------------------------------------


def test_cloud_nat_prices_vm_hours_data_and_ips():
    # Google's pricing page example (14 VMs, 100 GiB) over this tool's 730-hour month, plus one NAT IP.
    nat = resource(NAT, "nat", {"region": REGION, "natIpAllocateOption": "AUTO_ONLY"})
    priced = estimate(nat, usage=Usage(nat_vm_count=14, nat_processed_gb=100))
    assert cost_of_kind(priced, "Cloud NAT") == pytest.approx(14 * 0.0014 * HOURS + 100 * 0.045 + 0.005 * HOURS)


def test_cloud_nat_above_32_vms_is_capped_at_the_gateway_rate():
    nat = resource(NAT, "nat", {"region": REGION, "natIpAllocateOption": "MANUAL_ONLY", "natIps": []})
    priced = estimate(nat, usage=Usage(nat_vm_count=40))
    assert cost_of_kind(priced, "Cloud NAT") == pytest.approx(0.044 * HOURS)


def test_cloud_nat_vm_count_defaults_to_the_minimum_gke_nodes_without_traffic():
    nat = resource(NAT, "nat", {"region": REGION, "natIpAllocateOption": "MANUAL_ONLY", "natIps": []})
    priced = estimate(nat, gpu_node_pool(min_nodes=2, max_nodes=2), usage=NO_TRAFFIC)
    assert cost_of_kind(priced, "Cloud NAT") == pytest.approx(2 * 0.0014 * HOURS)


def test_cloud_nat_counts_the_nodes_the_autoscaler_adds():
    # The GPU pool runs 1 node at minimum; 2 x 730 node-hours of traffic keep one more up all month on average.
    # With the 1-node system pool: 3 VMs use the NAT.
    nat = resource(NAT, "nat", {"region": REGION, "natIpAllocateOption": "MANUAL_ONLY", "natIps": []})
    system = gpu_node_pool(name="system", machine_type="e2-standard-2", min_nodes=1, max_nodes=1)
    system["inputs"]["nodeConfig"].pop("guestAccelerators")
    usage = Usage(node_hours=2 * HOURS, secret_accesses_per_version=0)
    priced = estimate(nat, system, gpu_node_pool(min_nodes=1, max_nodes=3), usage=usage)
    assert cost_of_kind(priced, "Cloud NAT") == pytest.approx(3 * 0.0014 * HOURS)


@pytest.mark.parametrize(
    ("rules", "hourly"),
    [(1, 0.025), (3, 0.025), (5, 0.025), (7, 0.025 + 2 * 0.01)],
)
def test_the_first_five_forwarding_rules_are_one_minimum_charge_then_each_rule_is_charged(rules, hourly):
    priced = estimate(*[resource(FORWARDING_RULE, f"rule-{index}", {"region": REGION}) for index in range(rules)])
    assert cost_of_kind(priced, "Load balancing") == pytest.approx(hourly * HOURS)


def test_seven_forwarding_rules_cost_32_85_a_month():
    priced = estimate(*[resource(FORWARDING_RULE, f"rule-{index}", {"region": REGION}) for index in range(7)])
    assert cost_of_kind(priced, "Load balancing") == pytest.approx(18.25 + 14.60)


def test_an_internal_load_balancer_service_pays_no_internet_egress():
    annotations = {"networking.gke.io/load-balancer-type": "Internal"}
    internal = resource(K8S_SERVICE, "lb", {"metadata": {"annotations": annotations}, "spec": {"type": "LoadBalancer"}})
    priced = estimate(internal, usage=Usage(egress_gb=100))
    assert cost_of_kind(priced, "Internet egress") == 0
    assert any("internal load balancer" in note for note in priced.notes)


def test_an_external_load_balancer_service_pays_internet_egress():
    external = resource(K8S_SERVICE, "lb", {"spec": {"type": "LoadBalancer"}})
    priced = estimate(external, resource(CLUSTER, "c", {"location": "us-central1-a"}), usage=Usage(egress_gb=100))
    assert cost_of_kind(priced, "Internet egress") == pytest.approx(100 * 0.12)


def test_a_load_balancer_kubernetes_service_is_a_forwarding_rule_and_cluster_ip_is_free():
    load_balancer = resource(K8S_SERVICE, "lb", {"spec": {"type": "LoadBalancer"}})
    cluster_ip = resource(K8S_SERVICE, "internal", {"spec": {"type": "ClusterIP"}})
    priced = estimate(load_balancer, cluster_ip, resource(CLUSTER, "c", {"location": "us-central1-a"}))
    assert cost_of_kind(priced, "Load balancing") == pytest.approx(0.025 * HOURS)
    notes = {item.name: item.note for item in priced.resources}
    assert notes["internal"] == "free: a cluster-internal Kubernetes Service"


def test_external_static_ips_cost_and_private_ranges_are_free():
    external = resource(ADDRESS, "ip", {"region": REGION, "addressType": "EXTERNAL"})
    private_range = resource(GLOBAL_ADDRESS, "range", {"purpose": "VPC_PEERING", "addressType": "INTERNAL"})
    priced = estimate(external, private_range)
    assert cost_of_kind(priced, "Static IPs") == pytest.approx(0.005 * HOURS)


def test_vpc_connector_is_priced_as_its_minimum_instances():
    connector = resource(VPC_CONNECTOR, "connector", {"region": REGION, "minInstances": 2, "machineType": "e2-micro"})
    assert cost_of_kind(estimate(connector), "VPC connector") == pytest.approx(2 * 0.008376 * HOURS)


# --- A2, Cloud Logging ---------------------------------------------------------------------------------------


def test_an_a2_pool_is_priced_with_its_a100_inside_the_machine_price():
    pool = gpu_node_pool(machine_type="a2-highgpu-1g", disk_type="pd-balanced")
    pool["inputs"]["nodeConfig"]["guestAccelerators"][0]["type"] = "nvidia-tesla-a100"
    priced = estimate(pool, usage=NO_TRAFFIC)
    assert priced.unpriced == []
    assert cost_of_kind(priced, "GKE nodes") == pytest.approx(3.673385 * HOURS)
    assert cost_of_kind(priced, "GKE nodes") == pytest.approx(2681.57, abs=0.01)
    assert cost_of_kind(priced, "GKE GPUs") == 0


def test_database_log_flags_are_priced_as_cloud_logging_ingestion():
    flags = [{"name": "cloudsql.enable_pgaudit", "value": "on"}, {"name": "log_connections", "value": "on"}]
    settings = {"tier": "db-g1-small", "databaseFlags": flags}
    database = resource(SQL, "db", {"region": REGION, "databaseVersion": "POSTGRES_16", "settings": settings})
    priced = estimate(database, usage=Usage(database_log_gb=12))
    assert cost_of_kind(priced, "Cloud Logging") == pytest.approx(12 * 0.50)


def test_a_database_without_log_flags_adds_no_logging():
    settings = {"tier": "db-g1-small", "databaseFlags": [{"name": "log_connections", "value": "off"}]}
    database = resource(SQL, "db", {"region": REGION, "databaseVersion": "POSTGRES_16", "settings": settings})
    assert cost_of_kind(estimate(database, usage=Usage(database_log_gb=12)), "Cloud Logging") == 0


def test_gke_system_logs_are_priced_unless_logging_is_off():
    cluster = resource(CLUSTER, "c", {"location": "us-central1-a", "removeDefaultNodePool": True})
    silent = resource(
        CLUSTER, "s", {"location": "us-central1-a", "removeDefaultNodePool": True, "loggingService": "none"}
    )
    assert cost_of_kind(estimate(cluster), "Cloud Logging") == pytest.approx(20 * 0.50)
    assert cost_of_kind(estimate(silent), "Cloud Logging") == 0


def test_the_logging_free_allotment_applies_with_the_free_tier():
    cluster = resource(CLUSTER, "c", {"location": "us-central1-a", "removeDefaultNodePool": True})
    priced = estimate(cluster, usage=Usage(gke_system_log_gb=70), free_tier=True)
    logging_lines = [
        component.monthly_cost
        for item in priced.resources
        for component in item.components
        if component.price_id == "logging.ingestion"
    ]
    assert sum(logging_lines) == pytest.approx((70 - 50) * 0.50)
