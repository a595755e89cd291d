"""The lifecycle data covers the public entry point: every type an entry stack plans (with and without a DNS
zone) has an entry, and `check` passes such a stack once its public invoker is allowed with a reason."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from lifecycle.data import load_lifecycle
from plan import Plan
from tests.cli_process import run_cli
from tests.entry_stacks import ENTRY, copy_project, plan_entry_stack, write_entry_stack

ENTRY_POINT_TYPES = frozenset(
    {
        "gcp:compute/regionNetworkEndpointGroup:RegionNetworkEndpointGroup",
        "gcp:compute/securityPolicy:SecurityPolicy",
        "gcp:compute/backendService:BackendService",
        "gcp:compute/uRLMap:URLMap",
        "gcp:compute/managedSslCertificate:ManagedSslCertificate",
        "gcp:compute/sSLPolicy:SSLPolicy",
        "gcp:compute/targetHttpsProxy:TargetHttpsProxy",
        "gcp:compute/targetHttpProxy:TargetHttpProxy",
        "gcp:compute/globalForwardingRule:GlobalForwardingRule",
        "gcp:dns/recordSet:RecordSet",
    }
)
"""The types only a stack with an entry point creates."""


def check(project: Path, stack: str) -> subprocess.CompletedProcess[str]:
    """`check` of one stack of the project copy, with that copy's policy config."""
    return run_cli(
        "check",
        "--stack",
        stack,
        "--project-dir",
        str(project),
        "--policy-config-dir",
        str(project / "policy-config"),
        cwd=project,
    )


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_project(tmp_path_factory.mktemp("entry-lifecycle"))


@pytest.fixture(scope="module")
def zoned_plan(project: Path) -> Plan:
    return plan_entry_stack(project, "prod-zoned", {**ENTRY, "dnsZone": "example-com"})


def test_every_type_of_an_entry_stack_has_lifecycle_data(zoned_plan: Plan) -> None:
    data = load_lifecycle()
    planned = {resource.type for resource in zoned_plan.resources if resource.custom}

    assert planned - set(data.types) == set()
    assert planned >= ENTRY_POINT_TYPES


def test_a_certificate_for_a_new_domain_is_a_replacement_that_says_https_waits_for_provisioning() -> None:
    certificate = load_lifecycle().types["gcp:compute/managedSslCertificate:ManagedSslCertificate"]
    assert "managed" in certificate.replace_on
    assert any("PROVISIONING" in disruption.effect for disruption in certificate.disruptions)


def test_check_passes_an_entry_stack_whose_public_invoker_is_allowed_with_a_reason(project: Path) -> None:
    write_entry_stack(project, "prod-checked")

    result = check(project, "prod-checked")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 mandatory" in result.stdout


GKE_ENTRY_POINT_TYPES = frozenset(
    {
        "gcp:compute/securityPolicy:SecurityPolicy",
        "gcp:compute/managedSslCertificate:ManagedSslCertificate",
        "gcp:compute/sSLPolicy:SSLPolicy",
        "kubernetes:gateway.networking.k8s.io/v1:Gateway",
        "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute",
        "kubernetes:networking.gke.io/v1:HealthCheckPolicy",
        "kubernetes:networking.gke.io/v1:GCPBackendPolicy",
        "kubernetes:networking.gke.io/v1:GCPGatewayPolicy",
        "gcp:dns/recordSet:RecordSet",
    }
)
"""The types only a GKE stack with an entry point creates."""
GATEWAY_API_OBJECTS = sorted(t for t in GKE_ENTRY_POINT_TYPES if t.startswith("kubernetes:"))


@pytest.fixture(scope="module")
def gke_zoned_plan(project: Path) -> Plan:
    return plan_entry_stack(project, "prod-gke-zoned", {**ENTRY, "dnsZone": "example-com"}, base="prod-gke")


def test_every_type_of_a_gke_entry_stack_has_lifecycle_data(gke_zoned_plan: Plan) -> None:
    data = load_lifecycle()
    planned = {resource.type for resource in gke_zoned_plan.resources if resource.custom}

    assert planned - set(data.types) == set()
    assert planned >= GKE_ENTRY_POINT_TYPES


@pytest.mark.parametrize("resource_type", GATEWAY_API_OBJECTS)
def test_every_gateway_api_object_needs_a_cluster_with_the_gateway_api(resource_type: str) -> None:
    (cluster_precondition,) = [
        precondition
        for precondition in load_lifecycle().types[resource_type].preconditions
        if precondition.needs == "gcp:container/cluster:Cluster"
    ]
    assert cluster_precondition.where is not None
    assert (cluster_precondition.where.input, cluster_precondition.where.equals) == (
        "gatewayApiConfig.channel",
        "CHANNEL_STANDARD",
    )


def test_a_gateway_on_a_cluster_without_the_gateway_api_fails_its_precondition(gke_zoned_plan: Plan) -> None:
    from lifecycle.rules import PRECONDITION_RULE, evaluate
    from tests.lifecycle.plans import with_inputs

    (cluster,) = gke_zoned_plan.of_type("gcp:container/cluster:Cluster")
    broken = with_inputs(gke_zoned_plan, cluster.name, gatewayApiConfig=None)

    failing = {item.resource_type for item in evaluate(broken) if item.rule == PRECONDITION_RULE}
    assert failing >= set(GATEWAY_API_OBJECTS)
    assert not [item for item in evaluate(gke_zoned_plan) if item.rule == PRECONDITION_RULE]


def test_check_passes_a_gke_entry_stack(project: Path) -> None:
    write_entry_stack(project, "prod-gke-checked", base="prod-gke")

    result = check(project, "prod-gke-checked")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 mandatory, 0 advisory" in result.stdout
