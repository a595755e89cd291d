"""The GKE section of the stack configuration: every GKE rule, its message, and exit code 2 from the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from facts.gcp import CLOUD_RUN_GPU_REGIONS
from infra.config import ConfigError, StackConfig, load_stack_config
from tests.cli_process import run_cli

PROJECT_ROOT = Path(__file__).resolve().parents[2]
STACK_FILE = "Pulumi.gke.yaml"


def gke_engine_config(gke: dict[str, Any] | None = None, **sections: Any) -> dict[str, str]:
    """A valid GKE stack as the engine hands it over; `gke` entries (dotted paths) and sections replace parts."""
    gke_section: dict[str, Any] = {
        "location": "us-central1-a",
        "releaseChannel": "REGULAR",
        "systemPool": {"machineType": "e2-standard-2", "nodeCount": 1},
        "gpuPool": {
            "machineType": "g2-standard-4",
            "accelerator": "nvidia-l4",
            "acceleratorCount": 1,
            "minNodes": 0,
            "maxNodes": 3,
            "spot": True,
            "driverVersion": "LATEST",
            "diskSizeGb": 100,
            "diskType": "pd-balanced",
        },
        "replicas": {"min": 1, "max": 3, "targetQueueDepth": 64},
        "masterAuthorizedNetworks": [{"cidr": "10.0.0.0/8", "name": "internal"}],
    }
    for path, value in (gke or {}).items():
        *parents, last = path.split(".")
        section = gke_section
        for part in parents:
            section = section[part]
        section[last] = value
    config: dict[str, Any] = {
        "gcp:project": "my-project",
        "gcp:region": "us-central1",
        "inference:environment": "dev",
        "inference:platform": "gke",
        "inference:labels": {"team": "ml-platform"},
        "inference:service": {"cpu": 3, "memory": "12Gi"},
        "inference:redis": {"tier": "BASIC", "memorySizeGb": 1},
        "inference:database": {"tier": "db-custom-1-3840"},
        "inference:gke": gke_section,
        **{key.replace("__", ":"): value for key, value in sections.items()},
    }
    return {key: value if isinstance(value, str) else json.dumps(value) for key, value in config.items()}


def load(gke: dict[str, Any] | None = None, **sections: Any) -> StackConfig:
    return load_stack_config(
        gke_engine_config(gke, **sections), stack_file=STACK_FILE, stack="gke", project_dir=PROJECT_ROOT
    )


def problems(gke: dict[str, Any] | None = None, **sections: Any) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        load(gke, **sections)
    return raised.value.messages


def test_the_issues_example_gke_section_loads_with_its_values():
    config = load()
    assert config.platform == "gke"
    assert config.gke is not None
    assert config.gke.location == "us-central1-a"
    assert (config.gke.system_pool.machine_type, config.gke.system_pool.node_count) == ("e2-standard-2", 1)
    pool = config.gke.gpu_pool
    assert (pool.machine_type, pool.accelerator, pool.accelerator_count) == ("g2-standard-4", "nvidia-l4", 1)
    assert (pool.min_nodes, pool.max_nodes, pool.spot, pool.driver_version) == (0, 3, True, "LATEST")
    assert (config.gke.replicas.min, config.gke.replicas.max, config.gke.replicas.target_queue_depth) == (1, 3, 64)
    assert [(network.cidr, network.name) for network in config.gke.master_authorized_networks] == [
        ("10.0.0.0/8", "internal")
    ]


def test_cluster_name_defaults_to_the_stack_prefix():
    default, written = load(), load({"clusterName": "embeddings"})
    assert default.gke.name_in(default.name_prefix) == "inference-gke"
    assert written.gke.name_in(written.name_prefix) == "embeddings"


def test_a_gke_stack_without_a_gke_section_takes_the_defaults():
    config = load_stack_config(
        {key: value for key, value in gke_engine_config().items() if key != "inference:gke"},
        stack_file=STACK_FILE,
        stack="gke",
    )
    assert config.gke is not None
    assert (config.gke.gpu_pool.machine_type, config.gke.gpu_pool.spot) == ("g2-standard-4", False)


def test_an_l4_on_an_n1_machine_is_refused():
    assert (
        f"{STACK_FILE}: inference:gke.gpuPool.machineType = n1-standard-4: "
        "nvidia-l4 attaches only to G2 machine types (g2-*)"
    ) in problems({"gpuPool.machineType": "n1-standard-4"})


def test_a_t4_on_a_g2_machine_is_refused():
    assert (
        f"{STACK_FILE}: inference:gke.gpuPool.machineType = g2-standard-4: "
        "nvidia-tesla-t4 attaches only to N1 machine types (n1-*)"
    ) in problems({"gpuPool.accelerator": "nvidia-tesla-t4"}, inference__service={"gpu": {"type": "nvidia-tesla-t4"}})


def test_a_t4_on_an_n1_machine_is_accepted():
    config = load(
        {"gpuPool.accelerator": "nvidia-tesla-t4", "gpuPool.machineType": "n1-standard-8"},
        inference__service={"cpu": 3, "memory": "12Gi", "gpu": {"type": "nvidia-tesla-t4"}},
    )
    assert config.gke is not None
    assert config.gke.gpu_pool.accelerator == "nvidia-tesla-t4"


def test_an_unknown_driver_version_is_refused_with_the_allowed_ones():
    assert (
        f"{STACK_FILE}: inference:gke.gpuPool.driverVersion = NEWEST: "
        "allowed: GPU_DRIVER_VERSION_UNSPECIFIED, INSTALLATION_DISABLED, DEFAULT, LATEST"
    ) in problems({"gpuPool.driverVersion": "NEWEST"})


def test_min_nodes_above_max_nodes_is_refused():
    assert f"{STACK_FILE}: inference:gke.gpuPool.minNodes = 4: must not exceed maxNodes (3)" in problems(
        {"gpuPool.minNodes": 4}
    )


def test_a_45_character_cluster_name_is_refused_with_its_length():
    name = "inference-" + "x" * 35
    assert len(name) == 45
    assert (
        f"{STACK_FILE}: inference:gke.clusterName = {name}: 45 characters; a cluster name is at most 40 lowercase "
        "letters, digits or hyphens, from a letter, ending in a letter or digit"
    ) in problems({"clusterName": name})


@pytest.mark.parametrize("name", ["Inference", "9inference", "inference-", "inference_gke"])
def test_cluster_names_are_lowercase_letters_digits_and_hyphens(name):
    assert any(
        message.startswith(f"{STACK_FILE}: inference:gke.clusterName = {name}:")
        for message in problems({"clusterName": name})
    )


def test_the_accelerator_count_of_a_g2_machine_is_fixed_by_its_type():
    assert (
        f"{STACK_FILE}: inference:gke.gpuPool.acceleratorCount = 2: "
        "g2-standard-4 has 1 GPU(s) built in; the count is fixed by the type"
    ) in problems({"gpuPool.acceleratorCount": 2})


def test_an_unknown_accelerator_is_refused_with_the_known_ones():
    [message] = [m for m in problems({"gpuPool.accelerator": "nvidia-l40"}) if "gpuPool.accelerator =" in m]
    assert message.startswith(f"{STACK_FILE}: inference:gke.gpuPool.accelerator = nvidia-l40: allowed: nvidia-l4,")


@pytest.mark.parametrize(
    ("location", "rule"),
    [
        ("europe-west4-a", "must be inside gcp:region (us-central1)"),
        ("us-central1-zz", "a zone like us-central1-a or a region like us-central1"),
    ],
)
def test_the_location_is_a_zone_or_region_inside_gcp_region(location, rule):
    assert f"{STACK_FILE}: inference:gke.location = {location}: {rule}" in problems({"location": location})


def test_a_regional_cluster_in_the_stacks_region_is_accepted():
    config = load({"location": "us-central1"})
    assert config.gke is not None
    assert config.gke.location == "us-central1"


def test_replicas_need_a_gpu_node_each():
    assert (
        f"{STACK_FILE}: inference:gke.replicas.max = 4: needs 4 GPUs but gpuPool.maxNodes (3) x 1 GPU(s) per node "
        "gives 3"
    ) in problems({"replicas.max": 4})


def test_replicas_min_must_not_exceed_max():
    assert f"{STACK_FILE}: inference:gke.replicas.min = 3: must not exceed replicas.max (2)" in problems(
        {"replicas.min": 3, "replicas.max": 2}
    )


def test_a_pod_the_size_of_the_whole_node_does_not_fit_on_it():
    messages = problems(inference__service={"cpu": 4, "memory": "16Gi", "gpu": {"type": "nvidia-l4"}})
    assert (
        f"{STACK_FILE}: inference:service.cpu = 4: a g2-standard-4 node leaves 3.67 vCPU for the pod after GKE's "
        "reservations"
    ) in messages
    assert (
        f"{STACK_FILE}: inference:service.memory = 16Gi: a g2-standard-4 node leaves 12.8Gi for the pod after "
        "GKE's reservations"
    ) in messages


def test_the_pod_gpu_follows_the_pool_accelerator_when_service_gpu_is_left_out():
    config = load({"gpuPool.machineType": "n1-standard-8", "gpuPool.accelerator": "nvidia-tesla-t4"})
    assert config.service.gpu is not None
    assert config.service.gpu.type == "nvidia-tesla-t4"
    assert config.gke is not None and config.gke.gpu_pool.accelerator == "nvidia-tesla-t4"


def test_the_pool_accelerator_follows_service_gpu_type_when_the_pool_leaves_it_out():
    engine = gke_engine_config(
        {"gpuPool.machineType": "a2-highgpu-1g"},
        inference__service={"cpu": 8, "memory": "64Gi", "gpu": {"type": "nvidia-tesla-a100"}},
    )
    gke = json.loads(engine["inference:gke"])
    del gke["gpuPool"]["accelerator"]
    engine["inference:gke"] = json.dumps(gke)
    config = load_stack_config(engine, stack_file=STACK_FILE, stack="gke")
    assert config.gke is not None and config.gke.gpu_pool.accelerator == "nvidia-tesla-a100"


def test_an_unknown_gpu_type_written_only_in_service_is_refused_at_that_key():
    engine = gke_engine_config(inference__service={"cpu": 3, "memory": "12Gi", "gpu": {"type": "nvidia-h900"}})
    gke = json.loads(engine["inference:gke"])
    del gke["gpuPool"]["accelerator"]
    engine["inference:gke"] = json.dumps(gke)
    with pytest.raises(ConfigError) as raised:
        load_stack_config(engine, stack_file=STACK_FILE, stack="gke", project_dir=PROJECT_ROOT)
    [message] = [m for m in raised.value.messages if "nvidia-h900" in m]
    assert message.startswith(f"{STACK_FILE}: inference:service.gpu.type = nvidia-h900: allowed on GKE: nvidia-l4,")


def test_the_same_gpu_type_written_in_both_places_is_accepted():
    config = load(inference__service={"cpu": 3, "memory": "12Gi", "gpu": {"type": "nvidia-l4"}})
    assert config.service.gpu is not None and config.service.gpu.type == "nvidia-l4"


def test_different_gpu_types_written_in_both_places_are_a_contradiction():
    messages = problems(inference__service={"cpu": 3, "memory": "12Gi", "gpu": {"type": "nvidia-tesla-t4"}})
    assert (
        f"{STACK_FILE}: inference:service.gpu.type = nvidia-tesla-t4: contradicts gke.gpuPool.accelerator "
        "(nvidia-l4): on GKE write the GPU type once, in gpuPool.accelerator"
    ) in messages


def test_a_cpu_only_service_on_gke_is_refused():
    assert any(
        message.startswith(f"{STACK_FILE}: inference:service.gpu: the GKE path serves from the GPU pool")
        for message in problems(inference__service={"cpu": 3, "memory": "12Gi", "gpu": None})
    )


@pytest.mark.parametrize("backend", ["onnx", "openvino"])
def test_a_cpu_only_model_backend_on_gke_is_refused_since_every_pod_has_a_gpu(backend):
    assert any(
        message.startswith(f"{STACK_FILE}: inference:service.modelBackend = {backend}: runs the model on the CPU")
        and "a GKE pod always has one" in message
        for message in problems(inference__service={"modelBackend": backend})
    )


def test_an_unknown_release_channel_is_refused():
    assert f"{STACK_FILE}: inference:gke.releaseChannel = FAST: allowed: RAPID, REGULAR, STABLE, EXTENDED" in problems(
        {"releaseChannel": "FAST"}
    )


@pytest.mark.parametrize("cidr", ["172.16.0.0/24", "8.8.8.0/28"])
def test_the_control_plane_range_is_a_private_slash_28(cidr):
    assert (
        f"{STACK_FILE}: inference:gke.masterCidr = {cidr}: the control plane takes a private /28, like 172.16.0.0/28"
    ) in problems({"masterCidr": cidr})


def test_the_control_plane_range_must_not_overlap_the_subnet():
    assert (
        f"{STACK_FILE}: inference:gke.masterCidr = 10.10.0.0/28: overlaps inference:network.subnetCidr (10.10.0.0/20)"
    ) in problems({"masterCidr": "10.10.0.0/28"})


def test_a_misspelled_pool_key_names_the_keys_allowed_there():
    [message] = [m for m in problems({"gpuPool.maxNode": 3}) if "maxNode " in m]
    assert message.startswith(f"{STACK_FILE}: inference:gke.gpuPool.maxNode = 3: unknown key (allowed here:")
    assert "maxNodes" in message


def test_a_gke_section_on_a_cloud_run_stack_is_refused():
    messages = problems(
        inference__platform="cloudrun",
        inference__service={"cpu": 4, "memory": "16Gi", "gpu": {"type": "nvidia-l4"}},
    )
    assert messages == [f"{STACK_FILE}: inference:gke: only used with inference:platform: gke (this stack is cloudrun)"]


@pytest.mark.parametrize(
    ("replacement", "expected"),
    [
        (
            ("machineType: g2-standard-4", "machineType: n1-standard-4"),
            "inference:gke.gpuPool.machineType = n1-standard-4: nvidia-l4 attaches only to G2 machine types",
        ),
        (
            ("accelerator: nvidia-l4", "accelerator: nvidia-tesla-t4"),
            "inference:gke.gpuPool.machineType = g2-standard-4: nvidia-tesla-t4 attaches only to N1 machine types",
        ),
        (
            ("driverVersion: LATEST", "driverVersion: NEWEST"),
            "inference:gke.gpuPool.driverVersion = NEWEST: allowed:",
        ),
        (("minNodes: 1", "minNodes: 5"), "inference:gke.gpuPool.minNodes = 5: must not exceed maxNodes (3)"),
        (
            ("location: us-central1-a", f"location: us-central1-a\n    clusterName: {'c' * 45}"),
            f"inference:gke.clusterName = {'c' * 45}: 45 characters; a cluster name is at most 40",
        ),
        (("cpu: 3", "cpu: -1"), "inference:service.cpu = -1: Input should be greater than 0"),
        (("cpu: 3", "cpu: 0"), "inference:service.cpu = 0: Input should be greater than 0"),
    ],
    ids=["l4-on-n1", "t4-on-g2", "driver-newest", "min-above-max", "45-char-name", "negative-cpu", "zero-cpu"],
)
def test_bad_gke_stack_files_exit_2_naming_file_key_value_and_rule(project_copy, replacement, expected):
    stack = (project_copy / "Pulumi.cmp-gke.yaml").read_text()
    assert replacement[0] in stack
    (project_copy / "Pulumi.bad-gke.yaml").write_text(stack.replace(*replacement, 1))
    result = run_cli("plan", "--stack", "bad-gke", "--no-cache", cwd=project_copy)
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"Pulumi.bad-gke.yaml: {expected}" in result.stderr
    assert result.stdout == ""


# --- control-plane access, GPU zones, rollout ------------------------------------------------------------------


def test_control_plane_access_is_the_dns_endpoint_unless_ip_is_chosen():
    assert load().gke.control_plane_access == "dns"
    ip = load({"controlPlaneAccess": "ip", "masterAuthorizedNetworks": [{"cidr": "35.192.0.0/28", "name": "ci"}]})
    assert ip.gke.control_plane_access == "ip"


def test_an_unknown_control_plane_access_is_refused_naming_file_and_key():
    assert any(
        message.startswith(f"{STACK_FILE}: inference:gke.controlPlaneAccess = vpn:")
        for message in problems({"controlPlaneAccess": "vpn"})
    )


def test_ip_access_with_only_private_authorized_ranges_is_refused_since_nobody_could_reach_the_public_endpoint():
    messages = problems({"controlPlaneAccess": "ip"})
    assert any(
        message.startswith(f'{STACK_FILE}: inference:gke.masterAuthorizedNetworks = ["10.0.0.0/8"]: controlPlaneAccess')
        for message in messages
    ), messages


def test_a_zonal_cluster_in_a_zone_without_the_accelerator_is_refused():
    messages = problems({"location": "us-central1-f"})
    assert (
        f"{STACK_FILE}: inference:gke.location = us-central1-f: nvidia-l4 is offered in us-central1-a, "
        "us-central1-b, us-central1-c only (a zonal cluster's GPU nodes live in its zone)"
    ) in messages


def test_a_zonal_cluster_in_the_us_east4_zone_without_g2_machines_is_refused():
    messages = problems({"location": "us-east4-b"}, **{"gcp__region": "us-east4"})
    assert (
        f"{STACK_FILE}: inference:gke.location = us-east4-b: nvidia-l4 is offered in us-east4-a, us-east4-c only "
        "(a zonal cluster's GPU nodes live in its zone)"
    ) in messages


def test_a_regional_cluster_where_no_gpu_zone_is_known_is_refused():
    messages = problems({"location": "southamerica-east1"}, **{"gcp__region": "southamerica-east1"})
    assert any(
        message.startswith(f"{STACK_FILE}: inference:gke.location = southamerica-east1: a regional")
        for message in messages
    )


@pytest.mark.parametrize("region", sorted(CLOUD_RUN_GPU_REGIONS))
def test_a_regional_l4_cluster_is_accepted_in_every_region_where_cloud_run_offers_gpus(region):
    config = load({"location": region}, **{"gcp__region": region})
    assert config.gke is not None
    assert config.gke.location == region


def test_rollout_surges_into_a_spare_gpu_and_otherwise_replaces_one_pod_at_a_time():
    assert load({"replicas.max": 2, "gpuPool.maxNodes": 3}).gke.rollout == (1, 0)
    assert load({"replicas.max": 3, "gpuPool.maxNodes": 3}).gke.rollout == (0, 1)


def test_the_rollout_never_needs_more_gpus_than_the_pool_has():
    for replicas_max in (1, 2, 3):
        config = load({"replicas.min": 1, "replicas.max": replicas_max, "gpuPool.maxNodes": 3})
        max_surge, max_unavailable = config.gke.rollout
        assert replicas_max + max_surge <= config.gke.gpu_capacity
        assert max_surge + max_unavailable >= 1


def test_a_private_services_range_overlapping_the_pods_range_is_refused():
    assert (
        f"{STACK_FILE}: inference:network.privateServicesAddress = 10.20.0.0/20: "
        "overlaps inference:network.podsCidr (10.20.0.0/16)"
    ) in problems(inference__network={"privateServicesAddress": "10.20.0.0"})
