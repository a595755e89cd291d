"""The `inference:entry` section: a public entry point's domain, DNS zone and Cloud Armor settings, validated
like every other section (each problem names the stack file and the key; the CLI exits 2), the same on Cloud Run
(Pulumi.prod.yaml) and GKE (Pulumi.prod-gke.yaml)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.cli_process import run_cli

GOOD_ENTRY = {
    "domain": "api.example.com",
    "dnsZone": None,
    "armor": {"requestsPerMinutePerIp": 600, "preconfiguredRules": ["sqli-v33-stable"], "allowCidrs": []},
}


PLATFORM_BASES = pytest.mark.parametrize("base", ["prod", "prod-gke"])


def write_stack(project: Path, name: str, entry: Any, *, public: bool = True, base: str = "prod") -> None:
    document = yaml.safe_load((project / f"Pulumi.{base}.yaml").read_text())
    document["config"]["inference:service"]["public"] = public
    if entry is not None:
        document["config"]["inference:entry"] = entry
    (project / f"Pulumi.{name}.yaml").write_text(yaml.safe_dump(document))


def plan_refusal(project: Path, stack: str) -> str:
    """What `plan --stack` says as it exits 2 on the stack file, white space folded (the terminal wraps it)."""
    result = run_cli("plan", "--stack", stack, "--no-cache", cwd=project)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    return " ".join(result.stderr.split())


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ({"domain": "api_example.com"}, "inference:entry.domain = api_example.com: not a DNS name"),
        ({"domain": "localhost"}, "inference:entry.domain = localhost: not a DNS name"),
        ({"domain": "*.example.com"}, "inference:entry.domain = *.example.com: not a DNS name"),
        ({"dnsZone": "example-com"}, "inference:entry.domain: required"),
        (
            {**GOOD_ENTRY, "armor": {"requestsPerMinutePerIp": 0}},
            "inference:entry.armor.requestsPerMinutePerIp = 0: Input should be greater than 0",
        ),
        (
            {**GOOD_ENTRY, "armor": {"preconfiguredRules": ["sqli-v99-stable"]}},
            'inference:entry.armor.preconfiguredRules = ["sqli-v99-stable"]: unknown preconfigured WAF rule(s) '
            "sqli-v99-stable",
        ),
        (
            {**GOOD_ENTRY, "armor": {"allowCidrs": ["203.0.113.7/24"]}},
            'inference:entry.armor.allowCidrs = ["203.0.113.7/24"]: 203.0.113.7/24 has host bits set',
        ),
        ({**GOOD_ENTRY, "dnsZone": "Example Zone"}, "inference:entry.dnsZone = Example Zone: not a Cloud DNS"),
        ({**GOOD_ENTRY, "tls": True}, "inference:entry.tls = true: unknown key (allowed here: armor, dnsZone, domain)"),
        ("api.example.com", "inference:entry = api.example.com: must be a mapping"),
    ],
    ids=[
        "underscore-domain",
        "single-label-domain",
        "wildcard-domain",
        "no-domain",
        "zero-rate",
        "unknown-waf-rule",
        "host-bits",
        "bad-zone",
        "unknown-key",
        "not-a-mapping",
    ],
)
@PLATFORM_BASES
def test_bad_entry_values_exit_2_naming_the_stack_file_and_key(
    project_copy: Path, entry: Any, expected: str, base: str
) -> None:
    write_stack(project_copy, "bad-entry", entry, base=base)

    assert f"Pulumi.bad-entry.yaml: {expected}" in plan_refusal(project_copy, "bad-entry")


@PLATFORM_BASES
def test_an_entry_point_needs_a_public_service(project_copy: Path, base: str) -> None:
    write_stack(project_copy, "private-entry", GOOD_ENTRY, public=False, base=base)

    assert "Pulumi.private-entry.yaml: inference:entry: an entry point serves the public" in plan_refusal(
        project_copy, "private-entry"
    )


@PLATFORM_BASES
def test_a_public_prod_service_needs_an_entry_point(project_copy: Path, base: str) -> None:
    write_stack(project_copy, "open-prod", None, public=True, base=base)

    assert "Pulumi.open-prod.yaml: inference:entry: required for a public prod service" in plan_refusal(
        project_copy, "open-prod"
    )


def test_a_gke_stack_with_an_entry_point_plans(project_copy: Path) -> None:
    write_stack(project_copy, "gke-entry", GOOD_ENTRY, base="prod-gke")

    result = run_cli("plan", "--stack", "gke-entry", "--no-cache", cwd=project_copy)

    assert result.returncode == 0, result.stdout + result.stderr
