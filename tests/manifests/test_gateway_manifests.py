"""The acceptance of issue 15 on GKE: a stack with an entry point and public: true (Pulumi.prod-gke.yaml with
`entry`) writes the Gateway, both HTTPRoutes, the HealthCheckPolicy, the GCPBackendPolicy and the GCPGatewayPolicy
as manifests; every manifest validates strictly (the Gateway API and GKE policy objects against the CRD schemas
shipped in manifests/schemas/), and checkov finds no failed check."""

from __future__ import annotations

import copy
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from manifests import write_manifests
from manifests.validation import ManifestInvalidError, validate_manifest
from tests.entry_stacks import copy_project, plan_entry_stack
from tests.manifests.checkov import checkov_report, failed_checks
from tests.manifests.test_kubernetes import KUBERNETES_VERSION

GATEWAY_KINDS = {"Gateway": 1, "HTTPRoute": 2, "HealthCheckPolicy": 1, "GCPBackendPolicy": 1, "GCPGatewayPolicy": 1}


@pytest.fixture(scope="module")
def manifests(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    project = copy_project(tmp_path_factory.mktemp("gateway-project"))
    plan = plan_entry_stack(project, "prod-gke-entry", base="prod-gke")
    return write_manifests(plan, tmp_path_factory.mktemp("gateway-manifests"))


def loaded(paths: list[Path]) -> list[dict[str, Any]]:
    return [yaml.safe_load(path.read_text()) for path in paths]


def of_kind(paths: list[Path], kind: str) -> list[dict[str, Any]]:
    return [manifest for manifest in loaded(paths) if manifest["kind"] == kind]


def test_the_manifests_have_the_gateway_its_routes_and_the_gke_policies(manifests: list[Path]) -> None:
    kinds = Counter(manifest["kind"] for manifest in loaded(manifests))
    assert {kind: kinds[kind] for kind in GATEWAY_KINDS} == GATEWAY_KINDS


def test_every_manifest_passes_strict_validation(manifests: list[Path]) -> None:
    for path in manifests:
        validate_manifest(yaml.safe_load(path.read_text()), KUBERNETES_VERSION)


@pytest.mark.parametrize(
    ("kind", "path", "value", "expected"),
    [
        ("Gateway", ("spec", "listener"), [], "'listener' was unexpected"),
        ("Gateway", ("spec", "listeners", 0, "port"), 0, "less than the minimum"),
        ("HTTPRoute", ("spec", "rules", 0, "filters", 0, "type"), "ResponseHeaders", "is not one of"),
        ("GCPBackendPolicy", ("spec", "default", "customResponseHeaders"), ["X: y"], "was unexpected"),
        ("HealthCheckPolicy", ("spec", "default", "config", "type"), "HTTPX", "is not one of"),
        ("GCPGatewayPolicy", ("spec", "targetRef", "nam"), "embeddings", "'nam' was unexpected"),
    ],
)
def test_a_wrong_field_of_a_gateway_object_fails_strict_validation(
    manifests: list[Path], kind: str, path: tuple[str | int, ...], value: Any, expected: str
) -> None:
    manifest = copy.deepcopy(of_kind(manifests, kind)[0])
    container = manifest
    for part in path[:-1]:
        container = container[part]
    container[path[-1]] = value

    with pytest.raises(ManifestInvalidError, match=expected):
        validate_manifest(manifest, KUBERNETES_VERSION)


def test_the_gateway_objects_come_after_the_service_they_route_to(manifests: list[Path]) -> None:
    order = [manifest["kind"] for manifest in loaded(manifests)]
    assert order.index("Service") < order.index("Gateway") < order.index("HTTPRoute") < order.index("GCPBackendPolicy")


def test_checkov_finds_no_failed_check_in_the_entry_stack(manifests: list[Path]) -> None:
    report = checkov_report(manifests[0].parent)
    assert failed_checks(report) == []
    assert report["summary"]["parsing_errors"] == 0
