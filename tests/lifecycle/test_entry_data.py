"""The lifecycle data covers the public entry point: every type an entry stack plans (with and without a DNS
zone) has an entry, and `check` passes such a stack once its public invoker is allowed with a reason."""

from __future__ import annotations

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

    result = run_cli(
        "check",
        "--stack",
        "prod-checked",
        "--project-dir",
        str(project),
        "--policy-config-dir",
        str(project / "policy-config"),
        cwd=project,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 mandatory" in result.stdout
