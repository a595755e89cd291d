"""Strict validation of manifests, custom resources included: the shipped PodMonitoring schema is used, a
misspelled field fails, and a kind without any schema fails rather than being skipped."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from manifests.validation import ManifestInvalidError, main, validate_manifest

POD_MONITORING = {
    "apiVersion": "monitoring.googleapis.com/v1",
    "kind": "PodMonitoring",
    "metadata": {"name": "embeddings", "namespace": "inference", "labels": {"app.kubernetes.io/name": "embeddings"}},
    "spec": {
        "selector": {"matchLabels": {"app.kubernetes.io/name": "embeddings"}},
        "endpoints": [{"port": "http", "path": "/metrics", "interval": "30s"}],
    },
}


def test_a_pod_monitoring_validates_against_the_shipped_crd_schema():
    validate_manifest(POD_MONITORING)


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (("spec", "endpoints", 0, "intervall"), "30s", "'intervall' was unexpected"),
        (("spec", "endpoints", 0, "interval"), "30 seconds", "does not match"),
        (("metadata", "labelz"), {}, "'labelz' was unexpected"),
        (("spec", "selector", "matchLabelz"), {}, "'matchLabelz' was unexpected"),
    ],
)
def test_a_wrong_pod_monitoring_field_fails_strict_validation(path, value, expected):
    manifest = copy.deepcopy(POD_MONITORING)
    container = manifest
    for part in path[:-1]:
        container = container[part]
    container[path[-1]] = value
    with pytest.raises(ManifestInvalidError, match=expected):
        validate_manifest(manifest)


def test_a_pod_monitoring_without_endpoints_fails():
    manifest = copy.deepcopy(POD_MONITORING)
    del manifest["spec"]["endpoints"]
    with pytest.raises(ManifestInvalidError, match="'endpoints' is a required property"):
        validate_manifest(manifest)


def test_a_kind_without_a_schema_is_an_error_naming_where_to_ship_it():
    grpc_route = {"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GRPCRoute", "metadata": {"name": "g"}}
    with pytest.raises(
        ManifestInvalidError, match=r"ship its CRD schema as manifests/schemas/grpcroute-gateway-v1\.json"
    ):
        validate_manifest(grpc_route)


def test_the_command_exits_1_on_an_unknown_kind_and_0_on_valid_files(tmp_path: Path, capsys):
    valid = tmp_path / "pm.yaml"
    valid.write_text(
        "apiVersion: monitoring.googleapis.com/v1\nkind: PodMonitoring\nmetadata: {name: a}\n"
        "spec: {selector: {}, endpoints: [{port: 8080}]}\n"
    )
    unknown = tmp_path / "grpc.yaml"
    unknown.write_text("apiVersion: gateway.networking.k8s.io/v1\nkind: GRPCRoute\nmetadata: {name: g}\nspec: {}\n")
    assert main(["-k", "1.33", str(valid)]) == 0
    assert main(["-k", "1.33", str(valid), str(unknown)]) == 1
    assert "ERROR" in capsys.readouterr().out
