"""The stack configuration: defaults, environment-driven secure defaults, and every GCP rule with its message."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any, get_args

import pytest
import yaml

from facts.app import IMAGE_VARIANTS, ModelBackend, ModelPrecision, model_backend_for
from facts.quantities import memory_mib
from infra.config import ConfigError, StackConfig, load_stack_config
from tests.cli_process import run_cli

STACK_FILE = "Pulumi.test.yaml"
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def engine_config(**sections: Any) -> dict[str, str]:
    """A valid Cloud Run GPU stack as the engine hands it over (objects JSON-encoded), with sections replaced."""
    config: dict[str, Any] = {
        "gcp:project": "my-project",
        "gcp:region": "us-central1",
        "inference:environment": "dev",
        "inference:platform": "cloudrun",
        "inference:labels": {"team": "ml-platform"},
        "inference:service": {
            "cpu": 4,
            "memory": "16Gi",
            "gpu": {"type": "nvidia-l4", "zonalRedundancy": False},
            "minInstances": 0,
            "maxInstances": 3,
            "concurrency": 16,
        },
        "inference:redis": {"tier": "BASIC", "memorySizeGb": 1},
        "inference:database": {"tier": "db-custom-1-3840"},
    }
    for key, value in sections.items():
        full_key = key.replace("__", ":")
        if value is None:
            config.pop(full_key, None)
        elif isinstance(value, dict) and isinstance(config.get(full_key), dict):
            config[full_key] = {**config[full_key], **value}
        else:
            config[full_key] = value
    return {key: value if isinstance(value, str) else json.dumps(value) for key, value in config.items()}


def load(**sections: Any) -> StackConfig:
    return load_stack_config(engine_config(**sections), stack_file=STACK_FILE, stack="test", project_dir=PROJECT_ROOT)


def problems(**sections: Any) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        load(**sections)
    return raised.value.messages


def test_a_valid_gpu_stack_loads_with_its_values():
    config = load()
    assert config.service.gpu is not None
    assert config.service.gpu.type == "nvidia-l4"
    assert config.service.gpu.zonal_redundancy is False
    assert (config.service.cpu, config.service.memory) == (4, "16Gi")
    assert config.platform == "cloudrun"


def test_the_stack_name_prefixes_every_resource_name():
    assert load().name_prefix == "inference-test"


def test_labels_always_carry_environment_stack_and_manager():
    assert load().all_labels == {
        "team": "ml-platform",
        "environment": "dev",
        "stack": "test",
        "managed-by": "pulumi",
    }


def test_dev_defaults_to_an_unprotected_zonal_database_without_pitr():
    database = load().database
    assert (database.availability, database.point_in_time_recovery, database.deletion_protection) == (
        "ZONAL",
        False,
        False,
    )


def test_prod_defaults_to_a_protected_regional_database_with_pitr():
    database = load(inference__environment="prod").database
    assert (database.availability, database.point_in_time_recovery, database.deletion_protection) == (
        "REGIONAL",
        True,
        True,
    )


def test_prod_keeps_what_the_stack_file_says_explicitly():
    database = load(inference__environment="prod", inference__database={"deletionProtection": False}).database
    assert database.deletion_protection is False


def test_a_cpu_only_service_may_say_gpu_null():
    config = load(inference__service={"cpu": 2, "memory": "4Gi", "gpu": None})
    assert config.service.gpu is None


def test_sections_left_out_take_documented_defaults():
    config = load(inference__redis=None, inference__database=None)
    assert (config.redis.tier, config.redis.memory_size_gb, config.redis.version) == ("BASIC", 1, "REDIS_7_2")
    assert (config.database.version, config.database.edition, config.database.tier) == (
        "POSTGRES_16",
        "ENTERPRISE",
        "db-custom-1-3840",
    )


@pytest.mark.parametrize(("quantity", "mebibytes"), [("512Mi", 512), ("16Gi", 16384), ("1.5Gi", 1536)])
def test_memory_quantities_are_read_in_binary_units(quantity, mebibytes):
    assert memory_mib(quantity) == mebibytes


# --- every message names the file, the key, the value and the rule ------------------------------------------


def test_an_l4_with_too_little_memory_names_file_key_value_and_minimum():
    messages = problems(inference__service={"memory": "8Gi"})
    assert "Pulumi.test.yaml: inference:service.memory = 8Gi: an nvidia-l4 GPU on Cloud Run needs at least 16Gi" in (
        messages
    )


def test_an_l4_with_two_vcpu_is_refused():
    messages = problems(inference__service={"cpu": 2})
    assert any(
        m.startswith("Pulumi.test.yaml: inference:service.cpu = 2:") and "needs at least 4 vCPU" in m for m in messages
    )


def test_all_problems_are_reported_together():
    messages = problems(
        inference__service={"cpu": 2, "memory": "8Gi"},
        inference__redis={"memorySizeGb": 400},
        inference__database={"tier": "db-custom-3-3840"},
    )
    keys = {message.split(" = ")[0] for message in messages}
    assert {
        "Pulumi.test.yaml: inference:service.cpu",
        "Pulumi.test.yaml: inference:service.memory",
        "Pulumi.test.yaml: inference:redis.memorySizeGb",
        "Pulumi.test.yaml: inference:database.tier",
    } <= keys


@pytest.mark.parametrize(
    ("sections", "expected"),
    [
        ({"inference__servcie": {"cpu": 1}}, 'inference:servcie = {"cpu": 1}: unknown key'),
        ({"inference__service": {"minInstance": 1}}, "inference:service.minInstance = 1: unknown key (allowed here:"),
        (
            {"inference__service": {"gpu": {"type": "nvidia-l4", "zonalRedundency": False}}},
            "inference:service.gpu.zonalRedundency = false: unknown key",
        ),
        ({"inference__platform": "appengine"}, "inference:platform = appengine: allowed: cloudrun, gke"),
        ({"inference__environment": "staging"}, "inference:environment = staging: allowed: dev, prod"),
        ({"inference__redis": {"tier": "PREMIUM"}}, "inference:redis.tier = PREMIUM: Input should be 'BASIC' or"),
        (
            {"inference__service": {"memory": "16GB"}},
            "inference:service.memory = 16GB: '16GB' is not a memory quantity",
        ),
        ({"inference__service": {"minInstances": -1}}, "inference:service.minInstances = -1: Input should be greater"),
        ({"inference__service": "big"}, "inference:service = big: must be a mapping"),
        (
            {"inference__service": {"modelBackend": "tensorrt"}},
            "inference:service.modelBackend = tensorrt: Input should be 'auto', 'onnx', 'openvino' or 'torch'",
        ),
        (
            {"inference__service": {"modelPrecision": "int4"}},
            "inference:service.modelPrecision = int4: Input should be 'auto', 'fp32', 'fp16', 'int8' or 'bf16'",
        ),
    ],
)
def test_structural_mistakes_are_named(sections, expected):
    assert any(expected in message for message in problems(**sections)), problems(**sections)


def test_the_unknown_key_message_lists_what_is_allowed():
    message = problems(inference__service={"maxInstance": 2})[0]
    assert (
        "allowed here: concurrency, cpu, gpu, maxInstances, memory, minInstances, modelBackend, modelPrecision, "
        "public" in message
    )


@pytest.mark.parametrize(
    ("sections", "key", "rule"),
    [
        # Cloud Run shapes (run/docs/configuring/cpu and memory-limits)
        ({"inference__service": {"cpu": 3, "gpu": None, "memory": "4Gi"}}, "inference:service.cpu", "Cloud Run takes"),
        ({"inference__service": {"cpu": 1, "gpu": None, "memory": "6Gi"}}, "inference:service.cpu", "more than 4Gi"),
        ({"inference__service": {"cpu": 4, "gpu": None, "memory": "1Gi"}}, "inference:service.memory", "at least 2Gi"),
        ({"inference__service": {"memory": "40Gi", "cpu": 8}}, "inference:service.memory", "Cloud Run takes 128Mi"),
        ({"inference__service": {"gpu": {"type": "nvidia-h100"}}}, "inference:service.gpu.type", "Cloud Run GPUs"),
        ({"inference__service": {"maxInstances": 5}}, "inference:service.maxInstances", "GPU quota"),
        ({"inference__service": {"minInstances": 3, "maxInstances": 2}}, "inference:service.minInstances", "must not"),
        ({"inference__service": {"concurrency": 2000}}, "inference:service.concurrency", "allowed: 1-1000"),
        ({"gcp__region": "europe-north1"}, "gcp:region", "Cloud Run GPUs are offered in"),
        ({"gcp__region": "us-central1-a"}, "gcp:region", "a zone is not a region"),
        ({"gcp__project": "My_Project"}, "gcp:project", "a project id is 6-30"),
        # Memorystore
        ({"inference__redis": {"memorySizeGb": 400}}, "inference:redis.memorySizeGb", "1-300 GB"),
        ({"inference__redis": {"memorySizeGb": 0}}, "inference:redis.memorySizeGb", "1-300 GB"),
        ({"inference__redis": {"readReplicas": 2}}, "inference:redis.readReplicas", "need tier STANDARD_HA"),
        (
            {"inference__redis": {"tier": "STANDARD_HA", "memorySizeGb": 1, "readReplicas": 1}},
            "inference:redis.memorySizeGb",
            "at least 5 GB",
        ),
        (
            {"inference__redis": {"tier": "STANDARD_HA", "memorySizeGb": 5, "readReplicas": 6}},
            "inference:redis.readReplicas",
            "allowed: 0 or 1-5",
        ),
        (
            {"inference__redis": {"tier": "STANDARD_HA", "memorySizeGb": 5, "readReplicas": 1, "version": "REDIS_4_0"}},
            "inference:redis.version",
            "Redis 5.0 or later",
        ),
        ({"inference__redis": {"version": "REDIS_8"}}, "inference:redis.version", "allowed: REDIS_3_2"),
        # Cloud SQL
        ({"inference__database": {"tier": "db-custom-3-3840"}}, "inference:database.tier", "1 or an even number"),
        ({"inference__database": {"tier": "db-custom-2-3800"}}, "inference:database.tier", "multiple of 256 MB"),
        ({"inference__database": {"tier": "db-custom-8-3840"}}, "inference:database.tier", "0.9-6.5 GB per vCPU"),
        ({"inference__database": {"tier": "db-custom-1-7680"}}, "inference:database.tier", "0.9-6.5 GB per vCPU"),
        (
            {"inference__database": {"tier": "db-n1-standard-2"}},
            "inference:database.tier",
            "takes db-custom-<vCPU>-<MB> or shared-core",
        ),
        (
            {"inference__database": {"edition": "ENTERPRISE_PLUS", "tier": "db-custom-2-7680"}},
            "inference:database.tier",
            "ENTERPRISE_PLUS takes only db-perf-optimized",
        ),
        ({"inference__database": {"version": "POSTGRES_9_6"}}, "inference:database.version", "allowed:"),
        ({"inference__database": {"diskSizeGb": 5}}, "inference:database.diskSizeGb", "allowed: 10-65536"),
        (
            {"inference__database": {"backups": False, "pointInTimeRecovery": True}},
            "inference:database.pointInTimeRecovery",
            "needs backups: true",
        ),
        # Labels and network
        ({"inference__labels": {"Team": "x"}}, "inference:labels.Team", "label keys"),
        ({"inference__labels": {"team": "ML Platform"}}, "inference:labels.team", "label values"),
        ({"inference__network": {"subnetCidr": "10.0.0.0/28"}}, "inference:network.subnetCidr", "/26 or larger"),
        ({"inference__network": {"subnetCidr": "8.8.8.0/24"}}, "inference:network.subnetCidr", "not a private"),
        ({"inference__gke": {"location": "us-central1-a"}}, "inference:gke", "only used with inference:platform: gke"),
    ],
)
def test_gcp_rules_are_checked_before_anything_is_registered(sections, key, rule):
    messages = problems(**sections)
    assert any(message.startswith(f"{STACK_FILE}: {key}") and rule in message for message in messages), messages


@pytest.mark.parametrize(
    "service",
    [
        {"cpu": 4, "memory": "16Gi"},
        {"cpu": 6, "memory": "24Gi"},
        {"cpu": 8, "memory": "32Gi"},
    ],
)
def test_every_documented_l4_shape_is_accepted(service):
    assert load(inference__service=service).service.cpu == service["cpu"]


@pytest.mark.parametrize(
    "service",
    [
        {"cpu": 0.5, "memory": "512Mi", "gpu": None},
        {"cpu": 1, "memory": "4Gi", "gpu": None},
        {"cpu": 2, "memory": "8Gi", "gpu": None},
    ],
)
def test_cpu_only_shapes_within_the_limits_are_accepted(service):
    assert load(inference__service=service).service.gpu is None


@pytest.mark.parametrize("tier", ["db-f1-micro", "db-g1-small", "db-custom-2-7680", "db-custom-1-3840"])
def test_valid_enterprise_tiers_are_accepted(tier):
    assert load(inference__database={"tier": tier}).database.tier == tier


def test_performance_optimized_tiers_need_enterprise_plus():
    config = load(inference__database={"edition": "ENTERPRISE_PLUS", "tier": "db-perf-optimized-N-2"})
    assert config.database.edition == "ENTERPRISE_PLUS"


def test_read_replicas_on_a_large_enough_standard_instance_are_accepted():
    config = load(inference__redis={"tier": "STANDARD_HA", "memorySizeGb": 5, "readReplicas": 2})
    assert config.redis.read_replicas == 2


def test_a_missing_project_is_reported_with_how_to_set_it():
    messages = problems(gcp__project=None)
    assert (
        "Pulumi.test.yaml: gcp:project: required: the Google Cloud project id (pulumi config set gcp:project ...)"
        in (messages)
    )


def test_a_stack_name_longer_than_a_service_account_id_allows_is_accepted():
    config = load_stack_config(engine_config(), stack_file=STACK_FILE, stack="staging-europe-west4")
    assert config.name_prefix == "inference-staging-europe-west4"
    assert config.all_labels["stack"] == "staging-europe-west4"


@pytest.mark.parametrize("stack", ["-dev", "dev-", "dev/one", "a" * 101, "staging europe"])
def test_a_stack_name_pulumi_itself_would_not_take_is_refused_naming_the_stack_file(stack):
    with pytest.raises(ConfigError) as raised:
        load_stack_config(engine_config(), stack_file=STACK_FILE, stack=stack)
    assert f"{STACK_FILE}: stack name: {stack!r} must be 1-100 letters, digits" in raised.value.messages[0]


def test_the_stack_label_of_a_stack_name_labels_cannot_hold_is_shortened_with_a_hash():
    config = load_stack_config(engine_config(), stack_file=STACK_FILE, stack="Feature_GPU." + "x" * 60)
    label = config.all_labels["stack"]
    assert len(label) == 63
    assert label.startswith("feature_gpu-xxx")


def test_config_error_text_lists_one_problem_per_line():
    error = ConfigError(["a: x = 1: wrong", "b: y = 2: wrong"])
    assert str(error) == "a: x = 1: wrong\nb: y = 2: wrong"


# --- values checked against the project: the image's build inputs --------------------------------------------


@pytest.mark.parametrize(
    ("image", "expected"),
    [
        (
            {"context": "no-such-folder"},
            "inference:image.context = no-such-folder: no such folder in the project",
        ),
        (
            {"dockerfile": "app/Dockerfile.missing"},
            "inference:image.dockerfile = app/Dockerfile.missing: no such file in the project",
        ),
        ({"prebuilt": "   "}, "inference:image.prebuilt =    : not an image reference"),
        ({"prebuilt": ""}, "inference:image.prebuilt = : not an image reference"),
    ],
    ids=["missing-context", "missing-dockerfile", "blank-prebuilt", "empty-prebuilt"],
)
def test_bad_image_settings_exit_2_naming_the_stack_file_and_key(project_copy, image, expected):
    document = yaml.safe_load((project_copy / "Pulumi.dev.yaml").read_text())
    document["config"]["inference:image"].update(image)
    (project_copy / "Pulumi.bad-image.yaml").write_text(yaml.safe_dump(document))

    result = run_cli("plan", "--stack", "bad-image", "--no-cache", cwd=project_copy)

    assert result.returncode == 2, result.stdout + result.stderr
    assert f"Pulumi.bad-image.yaml: {expected}" in result.stderr
    assert "Traceback" not in result.stderr


def test_build_paths_are_read_relative_to_the_project_not_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "Dockerfile").write_text("FROM scratch\n")
    config = load_stack_config(engine_config(), stack_file=STACK_FILE, stack="test", project_dir=tmp_path)
    assert config.image.context == "app"
    with pytest.raises(ConfigError) as raised:
        load_stack_config(engine_config(), stack_file=STACK_FILE, stack="test", project_dir=tmp_path / "elsewhere")
    assert [message.split(" = ")[0] for message in raised.value.messages] == [
        f"{STACK_FILE}: inference:image.context",
        f"{STACK_FILE}: inference:image.dockerfile",
    ]


def test_a_prebuilt_image_needs_no_build_inputs(tmp_path):
    prebuilt = "us-central1-docker.pkg.dev/p/r/app@sha256:" + "a" * 64
    config = load_stack_config(
        engine_config(inference__image={"context": "gone", "prebuilt": prebuilt}),
        stack_file=STACK_FILE,
        stack="test",
        project_dir=tmp_path,
    )
    assert config.image.prebuilt == prebuilt


def test_redis_deletion_protection_follows_the_environment_unless_set():
    assert load().redis.deletion_protection is False
    assert load(inference__environment="prod").redis.deletion_protection is True
    assert (
        load(inference__environment="prod", inference__redis={"deletionProtection": False}).redis.deletion_protection
        is False
    )


def test_the_private_services_range_is_fixed_by_address_and_prefix_length():
    network = load(
        inference__network={"privateServicesAddress": "10.50.0.0", "privateServicesPrefixLength": 16}
    ).network
    assert str(network.private_services_range) == "10.50.0.0/16"


def test_a_private_services_range_overlapping_the_subnet_is_refused():
    assert (
        f"{STACK_FILE}: inference:network.privateServicesAddress = 10.10.0.0/20: "
        "overlaps inference:network.subnetCidr (10.10.0.0/20)"
    ) in problems(inference__network={"privateServicesAddress": "10.10.0.0"})


def test_a_private_services_address_that_does_not_start_its_range_is_refused():
    assert (
        f"{STACK_FILE}: inference:network.privateServicesAddress = 10.40.8.0: must start a /20 "
        "(privateServicesPrefixLength), like 10.40.0.0"
    ) in problems(inference__network={"privateServicesAddress": "10.40.8.0"})


def test_a_public_private_services_address_is_refused():
    assert any(
        message.startswith(f"{STACK_FILE}: inference:network.privateServicesAddress = 8.8.0.0:")
        for message in problems(inference__network={"privateServicesAddress": "8.8.0.0"})
    )


CPU_ONLY = {"cpu": 2, "memory": "4Gi", "gpu": None}


@pytest.mark.parametrize(
    ("service", "key", "rule"),
    [
        ({"modelBackend": "onnx"}, "modelBackend", "runs the model on the CPU and leaves the GPU idle"),
        ({"modelBackend": "openvino"}, "modelBackend", "use torch, or auto"),
        ({**CPU_ONLY, "modelPrecision": "fp16"}, "modelPrecision", "needs a GPU: on a CPU use fp32, or int8 with onnx"),
        ({**CPU_ONLY, "modelPrecision": "bf16"}, "modelPrecision", "Cloud Run promises no CPU with native bfloat16"),
        ({**CPU_ONLY, "modelBackend": "openvino", "modelPrecision": "int8"}, "modelPrecision", "openvino runs fp32"),
        ({**CPU_ONLY, "modelBackend": "torch", "modelPrecision": "int8"}, "modelPrecision", "torch runs fp32 or fp16"),
        ({"modelPrecision": "int8"}, "modelPrecision", "torch (the backend on a GPU) runs fp32 or fp16"),
        ({"modelPrecision": "bf16"}, "modelPrecision", "torch (the backend on a GPU) runs fp32 or fp16"),
    ],
)
def test_model_settings_the_app_would_refuse_at_start_up_are_refused_at_their_key(service, key, rule):
    messages = problems(inference__service=service)
    assert any(
        message.startswith(f"{STACK_FILE}: inference:service.{key} = ") and rule in message for message in messages
    ), messages


@pytest.mark.parametrize(
    ("service", "env"),
    [
        ({}, {"MODEL_DEVICE": "cuda"}),
        ({"modelPrecision": "fp32"}, {"MODEL_DEVICE": "cuda", "MODEL_PRECISION": "fp32"}),
        (
            {"modelBackend": "torch", "modelPrecision": "fp16"},
            {"MODEL_DEVICE": "cuda", "MODEL_BACKEND": "torch", "MODEL_PRECISION": "fp16"},
        ),
        (CPU_ONLY, {"MODEL_DEVICE": "cpu"}),
        ({**CPU_ONLY, "modelBackend": "openvino"}, {"MODEL_DEVICE": "cpu", "MODEL_BACKEND": "openvino"}),
        ({**CPU_ONLY, "modelPrecision": "int8"}, {"MODEL_DEVICE": "cpu", "MODEL_PRECISION": "int8"}),
        ({**CPU_ONLY, "modelBackend": "torch"}, {"MODEL_DEVICE": "cpu", "MODEL_BACKEND": "torch"}),
    ],
)
def test_the_model_settings_a_stack_chooses_reach_the_app_and_auto_leaves_the_apps_default(service, env):
    assert load(inference__service=service).service.model_env == env


# Every backend, precision and device the app can be given; openvino's auto precision depends on the CPU it finds.
MODEL_SETTINGS = [
    (backend, precision, variant)
    for backend in get_args(ModelBackend)
    for precision in get_args(ModelPrecision)
    for variant in IMAGE_VARIANTS
    if not (backend == "openvino" and precision == "auto")
]


@pytest.mark.parametrize(("backend", "precision", "variant"), MODEL_SETTINGS)
def test_a_stack_takes_exactly_the_model_settings_the_app_starts_with(backend, precision, variant):
    from embedding_service.runtime import resolve_backend

    settings = SimpleNamespace(model_backend=backend, model_precision=precision)
    service = {**(CPU_ONLY if variant == "cpu" else {}), "modelBackend": backend, "modelPrecision": precision}
    try:
        app_backend, _precision = resolve_backend(settings, variant)  # type: ignore[arg-type]
    except ValueError:
        assert any(".model" in message for message in problems(inference__service=service))
        return
    if precision == "bf16":  # the app runs it on a CPU with native bfloat16, which Cloud Run does not promise
        assert any("Cloud Run promises no CPU" in message for message in problems(inference__service=service))
    else:
        assert load(inference__service=service).service.device == variant
        assert model_backend_for(backend, precision, variant) == app_backend
